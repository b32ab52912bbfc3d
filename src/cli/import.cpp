// tug import: create an image from a flat rootfs tarball.
#include "cli/commands.hpp"
#include "events/events.hpp"
#include "image/archive.hpp"

namespace tug::cli {

void setup_import(CLI::App* c, Globals& g) {
  struct Flags {
    std::vector<std::string> changes;
    std::string message, source, reference;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-c,--change", f->changes, "Apply a Dockerfile instruction (CMD, ENV, ...)")
      ->allow_extra_args(false);
  c->add_option("-m,--message", f->message, "Commit message for the imported image");
  c->add_flag("-q,--quiet", f->quiet, "Suppress the progress output");
  c->add_option("FILE", f->source, "Tarball to import, or - for stdin")->required();
  c->add_option("REFERENCE", f->reference, "Name for the new image");
  c->callback([f, &g] {
    image::ImportOptions o;
    o.changes = f->changes;
    o.message = f->message;
    o.name = f->reference;
    image::Image img = image::import_tarball(g.images(), f->source, o);
    events::emit(g.paths(), "image", "import", "sha256:" + img.id,
                 {{"name", o.name.empty() ? img.id.substr(0, 12) : o.name}});
    out("sha256:" + img.id);
  });
}

void register_import(CLI::App& app, Globals& g) {
  setup_import(add_command(app, "import", "Import a tarball to create a filesystem image"), g);
}

}  // namespace tug::cli
