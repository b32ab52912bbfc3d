#pragma once
// Registry of subcommands; each is defined in its own file.
#include "cli/cli.hpp"

namespace tug::cli {

void register_run(CLI::App&, Globals&);
void register_ps(CLI::App&, Globals&);
void register_rm(CLI::App&, Globals&);
void register_export(CLI::App&, Globals&);

}  // namespace tug::cli
