// tug image inspect: podman-shaped JSON for images.
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "image/inspect.hpp"
#include "util/error.hpp"

namespace tug::cli {

void setup_image_inspect(CLI::App* c, Globals& g) {
  struct Flags {
    std::string format;
    std::vector<std::string> images;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-f,--format", f->format, "Format the output with a Go template");
  c->add_option("IMAGE", f->images, "Images to inspect")->required();
  c->callback([f, &g] {
    std::vector<json> objs;
    std::optional<Error> missing;
    for (const auto& name : f->images) {
      try {
        objs.push_back(image::inspect_json(g.images(), g.images().get(name)));
      } catch (const Error& e) {
        if (e.code() != Errc::not_found) throw;
        missing = e;
      }
    }
    print_inspect(objs, f->format, true);
    if (missing) throw *missing;
  });
}

}  // namespace tug::cli
