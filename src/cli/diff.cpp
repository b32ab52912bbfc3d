// tug diff / tug container diff: files a container added, changed, deleted.
#include "container/diff.hpp"

#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace tug::cli {

void setup_diff(CLI::App* c, Globals& g) {
  struct Flags {
    std::string container, format;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("--format", f->format, "Change the output format (json)");
  c->add_option("CONTAINER", f->container, "Container to inspect for changes")->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    auto changes = container::diff(store, g.images(), store.get(f->container));
    if (f->format == "json") {
      // podman's shape: the paths grouped by kind.
      json j = json::object();
      const char* keys[] = {"changed", "added", "deleted"};
      for (const auto& ch : changes) j[keys[static_cast<int>(ch.kind)]].push_back(ch.path);
      out(j.dump(4));
      return;
    }
    std::string text;
    for (const auto& ch : changes)
      text += std::string(1, container::change_letter(ch.kind)) + " " + ch.path + "\n";
    std::fputs(text.c_str(), stdout);
  });
}

void register_diff(CLI::App& app, Globals& g) {
  setup_diff(add_command(app, "diff", "Inspect changes to files on a container's filesystem"), g);
}

}  // namespace tug::cli
