// tug create: a container record, ready for `tug start`.
#include "cli/commands.hpp"
#include "cli/container_flags.hpp"

namespace tug::cli {

void register_create(CLI::App& app, Globals& g) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* c = add_command(app, "create", "Create but do not start a container");
  c->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
  c->fallthrough(false);
  c->prefix_command();
  add_create_flags(c, *f);
  c->callback([c, f, &g] {
    take_image_and_command(c, *f);
    f->create.create_command = g.argv;
    pull_for_create(g, *f);
    create_new_pod(g, *f);
    container::Store store(g.paths(), g.mapping());
    out(container::create(store, g.images(), f->create).id);
  });
}

}  // namespace tug::cli
