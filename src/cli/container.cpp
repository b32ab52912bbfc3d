// tug container <verb>: docker's management form of the container commands.
// Each verb is registered by the same function as its top-level twin (tug
// start, tug logs, ...), with the group as parent: one definition of every
// flag, two places to type it.
#include "container/container.hpp"

#include "cli/commands.hpp"

namespace tug::cli {

namespace {

void setup_container_exists(CLI::App* c, Globals& g) {
  auto name = std::make_shared<std::string>();
  c->add_option("CONTAINER", *name, "Container")->required();
  c->callback([name, &g] {
    container::Store store(g.paths(), g.mapping());
    if (!store.find(*name)) g.exit_code = 1;
  });
}

}  // namespace

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
  setup_update(add_command(*ctr, "update", "Update configuration of one or more containers"), g);
  setup_port(
      add_command(*ctr, "port", "List port mappings or a specific mapping for the container"), g);
  setup_container_exists(
      add_command(*ctr, "exists", "Check if a container exists (exit 0) or not (exit 1)"), g);
  for (Registrar r : {register_run, register_create, register_start, register_stop,
                      register_restart, register_kill, register_wait, register_logs, register_exec,
                      register_attach, register_top, register_stats, register_pause})
    r(*ctr, g);
}

}  // namespace tug::cli
