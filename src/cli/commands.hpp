#pragma once
// Registry of subcommands; each is defined in its own file.
#include "cli/cli.hpp"

namespace tug::cli {

void register_run(CLI::App&, Globals&);
void register_exec(CLI::App&, Globals&);
void register_top(CLI::App&, Globals&);
void register_stats(CLI::App&, Globals&);
void register_pause(CLI::App&, Globals&);
void register_volume(CLI::App&, Globals&);
void register_monitor_restart(CLI::App&, Globals&);
void register_create(CLI::App&, Globals&);
void register_start(CLI::App&, Globals&);
void register_stop(CLI::App&, Globals&);
void register_kill(CLI::App&, Globals&);
void register_restart(CLI::App&, Globals&);
void register_wait(CLI::App&, Globals&);
void register_logs(CLI::App&, Globals&);
void register_attach(CLI::App&, Globals&);
void register_ps(CLI::App&, Globals&);
void register_rm(CLI::App&, Globals&);
void register_export(CLI::App&, Globals&);
void register_unshare(CLI::App&, Globals&);
void register_info(CLI::App&, Globals&);
void register_version(CLI::App&, Globals&);

// Image commands. `tug images` and `tug image ls` (and the other image verbs)
// share one implementation: setup_* fills in a (sub)command's flags and action.
void register_images(CLI::App&, Globals&);
void register_load(CLI::App&, Globals&);
void register_save(CLI::App&, Globals&);
void register_import(CLI::App&, Globals&);
void register_tag(CLI::App&, Globals&);
void register_rmi(CLI::App&, Globals&);
void register_history(CLI::App&, Globals&);
void register_image(CLI::App&, Globals&);
void setup_images(CLI::App*, Globals&);
void setup_load(CLI::App*, Globals&);
void setup_save(CLI::App*, Globals&);
void setup_import(CLI::App*, Globals&);
void setup_tag(CLI::App*, Globals&);
void setup_rmi(CLI::App*, Globals&);
void setup_history(CLI::App*, Globals&);
void setup_image_inspect(CLI::App*, Globals&);

}  // namespace tug::cli
