// tug container <verb>: the management form of the container commands. Each
// verb reuses the setup of its top-level twin (tug ps, tug rm, ...).
#include "cli/commands.hpp"

namespace tug::cli {

void register_container(CLI::App& app, Globals& g) {
  CLI::App* ctr = add_command(app, "container", "Manage containers");
  ctr->require_subcommand(1);
  CLI::App* ls = add_command(*ctr, "ls", "List containers");
  ls->alias("list");
  ls->alias("ps");
  setup_ps(ls, g);
  setup_rm(add_command(*ctr, "rm", "Remove one or more containers"), g);
  setup_export(add_command(*ctr, "export", "Export a container's filesystem as a tar archive"), g);
  setup_container_inspect(
      add_command(*ctr, "inspect", "Display detailed information on one or more containers"), g);
  setup_container_prune(add_command(*ctr, "prune", "Remove all stopped containers"), g);
  setup_diff(add_command(*ctr, "diff", "Inspect changes to files on a container's filesystem"), g);
  setup_cp(
      add_command(*ctr, "cp", "Copy files/folders between a container and the local filesystem"),
      g);
  setup_commit(add_command(*ctr, "commit", "Create a new image from a container's changes"), g);
  setup_rename(add_command(*ctr, "rename", "Rename a container"), g);
  setup_port(
      add_command(*ctr, "port", "List port mappings or a specific mapping for the container"), g);
}

}  // namespace tug::cli
