#pragma once
// Registry of subcommands; each is defined in its own file.
#include "cli/cli.hpp"
#include "container/logs.hpp"

namespace tug::cli {

void register_run(CLI::App&, Globals&);
void register_exec(CLI::App&, Globals&);
void register_top(CLI::App&, Globals&);
void register_stats(CLI::App&, Globals&);
void register_healthcheck(CLI::App&, Globals&);
void register_events(CLI::App&, Globals&);
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

// Registry commands (src/registry/).
void register_pull(CLI::App&, Globals&);
void register_push(CLI::App&, Globals&);
void register_login(CLI::App&, Globals&);
void register_logout(CLI::App&, Globals&);
void register_manifest(CLI::App&, Globals&);
void register_search(CLI::App&, Globals&);

// Container commands that also have a `tug container <verb>` form share
// one setup, as the image commands do.
void register_inspect(CLI::App&, Globals&);
void register_rename(CLI::App&, Globals&);
void register_update(CLI::App&, Globals&);
void register_port(CLI::App&, Globals&);
void register_pod(CLI::App&, Globals&);
void register_network(CLI::App&, Globals&);
void register_compose(CLI::App&, Globals&);
void register_diff(CLI::App&, Globals&);
void register_cp(CLI::App&, Globals&);
void register_commit(CLI::App&, Globals&);
void register_container(CLI::App&, Globals&);
void register_system(CLI::App&, Globals&);
void register_builder(CLI::App&, Globals&);
void register_generate(CLI::App&, Globals&);
void register_kube(CLI::App&, Globals&);
// `tug kube generate` and its alias `tug generate kube`.
void setup_generate_kube(CLI::App*, Globals&);
void register_auto_update(CLI::App&, Globals&);
void setup_ps(CLI::App*, Globals&);
void setup_rm(CLI::App*, Globals&);
void setup_export(CLI::App*, Globals&);
void setup_container_inspect(CLI::App*, Globals&);
void setup_container_prune(CLI::App*, Globals&);
void setup_image_prune(CLI::App*, Globals&);
void setup_builder_prune(CLI::App*, Globals&);
void setup_rename(CLI::App*, Globals&);
void setup_update(CLI::App*, Globals&);
void setup_port(CLI::App*, Globals&);
void setup_diff(CLI::App*, Globals&);
void setup_cp(CLI::App*, Globals&);
void setup_commit(CLI::App*, Globals&);
void setup_system_check(CLI::App*, Globals&);
void setup_system_service(CLI::App*, Globals&);
// Docker's "Are you sure you want to continue? [y/N]" on stdout; reads a
// line from stdin (end of input = no).
bool confirm(const std::string& warning);

// Image commands. `tug images` and `tug image ls` (and the other image verbs)
// share one implementation: setup_* fills in a (sub)command's flags and action.
void register_images(CLI::App&, Globals&);
void register_load(CLI::App&, Globals&);
void register_save(CLI::App&, Globals&);
void register_import(CLI::App&, Globals&);
void register_tag(CLI::App&, Globals&);
void register_rmi(CLI::App&, Globals&);
void register_history(CLI::App&, Globals&);
void register_build(CLI::App&, Globals&);
void register_image(CLI::App&, Globals&);
void setup_images(CLI::App*, Globals&);
void setup_load(CLI::App*, Globals&);
void setup_save(CLI::App*, Globals&);
void setup_import(CLI::App*, Globals&);
void setup_tag(CLI::App*, Globals&);
void setup_rmi(CLI::App*, Globals&);
void setup_history(CLI::App*, Globals&);
void setup_build(CLI::App*, Globals&);
void setup_image_inspect(CLI::App*, Globals&);
void setup_image_trust(CLI::App*, Globals&);

// A line of a container's log file (container/logs.hpp); shared by logs
// and compose logs.
using container::LogRecord;
using container::parse_log_record;

// Top-level commands and the names (with aliases) each registrar adds, so
// a run registers only the one it uses: building the whole tree of ~60
// commands and their flags was ~3 ms of every start.
struct Command {
  const char* names;  // space-separated
  Registrar add;
};
const std::vector<Command>& commands();
// Registers the command `word` names, or every command when there is none
// (help) or when the word names none the table knows (a name missing from
// it still works, more slowly). Returns whether `word` names a command.
bool register_commands(CLI::App& app, Globals& g, const std::string& word);

}  // namespace tug::cli
