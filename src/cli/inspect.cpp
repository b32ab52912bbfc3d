// tug inspect / tug container inspect: docker-shaped JSON for containers;
// the top-level form also finds images (containers first, as docker does).
#include "image/inspect.hpp"

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/health.hpp"
#include "container/prune.hpp"
#include "container/query.hpp"
#include "network/networks.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

void setup_inspect(CLI::App* c, Globals& g, bool containers_only) {
  struct Flags {
    std::string format, type;
    bool size = false;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-f,--format", f->format, "Format the output using the given Go template");
  if (!containers_only)
    c->add_option("--type", f->type, "Only inspect objects of the given type (container, image)");
  c->add_flag("-s,--size", f->size, "Display total file sizes (containers: SizeRw, SizeRootFs)");
  c->add_option("NAME", f->names, containers_only ? "Containers to inspect" : "Objects to inspect")
      ->required();
  c->callback([f, &g, containers_only] {
    if (!f->type.empty() && f->type != "container" && f->type != "image")
      throw Error(Errc::usage, "invalid --type " + quote(f->type) + ": use container or image");
    bool want_ctr = f->type.empty() || f->type == "container";
    bool want_img = !containers_only && (f->type.empty() || f->type == "image");
    container::Store store(g.paths(), g.mapping());
    std::vector<json> objs;
    std::vector<std::string> missing;
    for (const auto& name : f->names) {
      if (want_ctr)
        if (auto r = store.find(name)) {
          objs.push_back(container::inspect_object(store, g.images(), *r));
          if (f->size) {
            // docker's: the writable layer, and that on top of the image.
            int64_t rw = container::writable_sizes(store, {*r})[r->id];
            auto img = g.images().find(r->image_id);
            objs.back()["SizeRw"] = rw;
            objs.back()["SizeRootFs"] = rw + (img ? img->size : 0);
          }
          continue;
        }
      if (want_img)
        if (auto img = g.images().find(name)) {
          objs.push_back(image::inspect_json(g.images(), *img));
          continue;
        }
      missing.push_back(name);
    }
    // Like docker: everything found is printed, then the misses fail the command.
    print_inspect(objs, f->format, true);
    if (missing.empty()) return;
    std::string what = containers_only || f->type == "container" ? "container"
                       : f->type == "image"                      ? "image"
                                                                 : "object";
    for (size_t i = 0; i + 1 < missing.size(); ++i)
      std::fputs(("Error: no such " + what + ": " + missing[i] + "\n").c_str(), stderr);
    throw Error(Errc::not_found, "no such " + what + ": " + missing.back(), {},
                1);  // docker exits 1 for an object that does not exist
  });
}

}  // namespace

void setup_container_inspect(CLI::App* c, Globals& g) {
  setup_inspect(c, g, true);
}

void register_inspect(CLI::App& app, Globals& g) {
  setup_inspect(add_command(app, "inspect", "Display the configuration of objects"), g, false);
}

}  // namespace tug::cli
