// tug load: load images from a docker-archive or oci-archive.
#include <unistd.h>

#include "cli/commands.hpp"
#include "events/events.hpp"
#include "image/archive.hpp"
#include "image/squashfs.hpp"
#include "registry/policy.hpp"
#include "util/error.hpp"

namespace tug::cli {

void setup_load(CLI::App* c, Globals& g) {
  struct Flags {
    std::string input;
    std::string signature_policy;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-i,--input", f->input,
                "Read from a tar archive file instead of stdin; a squashfs file "
                "(save --format squashfs) is recorded in place, not unpacked");
  c->add_flag("-q,--quiet", f->quiet, "Suppress the progress output");
  c->add_option("--signature-policy", f->signature_policy,
                "Path of the policy.json that decides which images may be loaded");
  c->callback([f, &g] {
    if ((f->input.empty() || f->input == "-") && ::isatty(0))
      throw Error(Errc::usage, "cannot read an image archive from a terminal",
                  "use -i FILE, or redirect stdin from the archive");
    if (!f->input.empty() && f->input != "-" && image::looks_like_squashfs(f->input)) {
      // A single-file image stays where it is: the store records its path.
      image::Image img = image::load_squashfs(g.images(), f->input);
      if (img.names.empty()) out("Loaded image: sha256:" + img.id);
      for (const auto& n : img.names) out("Loaded image: " + n);
      return;
    }
    std::string from = f->input == "-" ? "" : f->input;
    auto admit = [&](image::ArchiveFormat fmt) {
      registry::check_local_policy(
          f->signature_policy,
          fmt == image::ArchiveFormat::docker ? "docker-archive" : "oci-archive", from);
    };
    for (const auto& img : image::load_archive(g.images(), f->input, admit)) {
      events::emit(g.paths(), "image", "load", "sha256:" + img.id,
                   {{"name", img.names.empty() ? img.id.substr(0, 12) : img.names.front()}});
      if (img.names.empty()) out("Loaded image: sha256:" + img.id);
      for (const auto& n : img.names) out("Loaded image: " + n);
    }
  });
}

void register_load(CLI::App& app, Globals& g) {
  setup_load(add_command(app, "load", "Load image(s) from a tar archive"), g);
}

}  // namespace tug::cli
