// tug tag: add names to an image.
#include "cli/commands.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"

namespace tug::cli {

void setup_tag(CLI::App* c, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  c->add_option("IMAGE", *args, "SOURCE_IMAGE TARGET_IMAGE...")->required();
  c->callback([args, &g] {
    if (args->size() < 2)
      throw Error(Errc::usage, "tag requires a source image and at least one target name");
    image::Image img = g.images().get(args->front());
    for (size_t i = 1; i < args->size(); ++i) {
      image::Reference r = image::parse_local_reference((*args)[i]);
      if (!r.digest.empty()) throw Error(Errc::usage, "cannot tag with a digest: " + (*args)[i]);
      g.images().tag(img.id, r.str());
    }
  });
}

void register_tag(CLI::App& app, Globals& g) {
  setup_tag(add_command(app, "tag", "Add an additional name to a local image"), g);
}

}  // namespace tug::cli
