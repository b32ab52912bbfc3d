// tug rename / tug container rename: give a container a new name.
#include "cli/commands.hpp"
#include "container/container.hpp"

namespace tug::cli {

void setup_rename(CLI::App* c, Globals& g) {
  struct Flags {
    std::string container, name;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("CONTAINER", f->container, "Container to rename")->required();
  c->add_option("NEW_NAME", f->name, "Its new name")->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    store.rename(store.get(f->container), f->name);
  });
}

void register_rename(CLI::App& app, Globals& g) {
  setup_rename(add_command(app, "rename", "Rename a container"), g);
}

}  // namespace tug::cli
