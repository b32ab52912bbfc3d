#pragma once
// Flags shared by `create` and `run` (docker's names and short forms).
#include "cli/cli.hpp"
#include "container/lifecycle.hpp"

namespace tug::cli {

struct RunFlags {
  container::CreateOptions create;
  std::string entrypoint;
  std::string workdir;
  std::string user;
  int stop_timeout = 10;
  bool detach = false;
};

void add_create_flags(CLI::App* c, RunFlags& f);

// CLI11 stops at the image (prefix_command); what follows is the command.
// Fills f.create from what was parsed. Throws Error(usage).
void take_image_and_command(CLI::App* c, RunFlags& f);

}  // namespace tug::cli
