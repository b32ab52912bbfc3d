// tug image <verb>: the management form of the image commands. Each verb
// reuses the setup of its top-level twin (tug images, tug rmi, ...).
#include "cli/commands.hpp"

namespace tug::cli {

void register_image(CLI::App& app, Globals& g) {
  CLI::App* img = add_command(app, "image", "Manage images");
  img->require_subcommand(1);
  CLI::App* ls = add_command(*img, "ls", "List images in local storage");
  ls->alias("list");
  setup_images(ls, g);
  setup_rmi(add_command(*img, "rm", "Remove one or more images from local storage"), g);
  setup_image_inspect(add_command(*img, "inspect", "Display the configuration of an image"), g);
  setup_tag(add_command(*img, "tag", "Add an additional name to a local image"), g);
  setup_history(add_command(*img, "history", "Show history of a specified image"), g);
  setup_load(add_command(*img, "load", "Load image(s) from a tar archive"), g);
  setup_save(add_command(*img, "save", "Save image(s) to an archive"), g);
  setup_import(add_command(*img, "import", "Import a tarball to create a filesystem image"), g);
  setup_image_prune(add_command(*img, "prune", "Remove unused images"), g);
  setup_build(add_command(*img, "build", "Build an image using instructions from Containerfiles"),
              g);
}

}  // namespace tug::cli
