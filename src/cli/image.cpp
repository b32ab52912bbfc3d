// tug image <verb>: the management form of the image commands. Each verb
// reuses the setup (or the registrar) of its top-level twin (tug images,
// tug rmi, tug pull, ...): one definition of every flag.
#include <algorithm>

#include "cli/commands.hpp"
#include "util/error.hpp"

namespace tug::cli {

namespace {

void setup_image_exists(CLI::App* c, Globals& g) {
  auto name = std::make_shared<std::string>();
  c->add_option("IMAGE", *name, "Image")->required();
  c->callback([name, &g] {
    if (!g.images().find(*name)) g.exit_code = 1;
  });
}

void setup_untag(CLI::App* c, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  c->add_option("IMAGE", *args, "IMAGE [NAME...]")->required();
  c->callback([args, &g] {
    image::Store& images = g.images();
    image::Image img = images.get(args->front());
    std::vector<std::string> names(args->begin() + 1, args->end());
    if (names.empty()) {
      names = img.names;  // podman: no name given removes them all
    } else {
      for (auto& n : names) {
        auto match = images.matching_name(img, n);
        if (!match || std::find(img.names.begin(), img.names.end(), *match) == img.names.end())
          throw Error(Errc::not_found, n + ": tag not known");
        n = *match;
      }
    }
    for (const auto& n : names) images.untag(n);
  });
}

}  // namespace

void register_untag(CLI::App& app, Globals& g) {
  setup_untag(add_command(app, "untag", "Remove one or more names from a locally-stored image"), g);
}

void register_buildx(CLI::App& app, Globals& g) {
  CLI::App* bx = add_command(app, "buildx", "Build images (docker buildx's build)");
  bx->require_subcommand(1);
  register_build(*bx, g);
  setup_builder_prune(add_command(*bx, "prune", "Remove build cache"), g);
}

void register_image(CLI::App& app, Globals& g) {
  CLI::App* img = add_command(app, "image", "Manage images");
  img->require_subcommand(1);
  CLI::App* ls = add_command(*img, "ls", "List images in local storage");
  ls->alias("list");
  setup_images(ls, g);
  setup_rmi(add_command(*img, "rm", "Remove one or more images from local storage"), g);
  setup_image_inspect(add_command(*img, "inspect", "Display the configuration of an image"), g);
  setup_image_prune(add_command(*img, "prune", "Remove unused images"), g);
  setup_image_exists(
      add_command(*img, "exists", "Check if an image exists in local storage (exit 0) or not (1)"),
      g);
  setup_image_trust(add_command(*img, "trust", "Manage container image trust policy"), g);
  for (Registrar r : {register_tag, register_untag, register_history, register_load, register_save,
                      register_import, register_build, register_pull, register_push})
    r(*img, g);
}

}  // namespace tug::cli
