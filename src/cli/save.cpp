// tug save: write images to a docker-archive or oci-archive.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "events/events.hpp"
#include "image/archive.hpp"
#include "image/squashfs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace tug::cli {

void setup_save(CLI::App* c, Globals& g) {
  struct Flags {
    std::string output, format;
    bool quiet = false, multi = false;
    std::vector<std::string> images;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-o,--output", f->output, "Write to a file instead of stdout");
  c->add_option("--format", f->format,
                "docker-archive (default), oci-archive, or squashfs (one flattened file "
                "that run mounts without unpacking; needs -o)");
  c->add_flag("-q,--quiet", f->quiet, "Suppress the progress output");
  c->add_flag("-m,--multi-image-archive", f->multi, "Accepted for podman compatibility");
  c->add_option("IMAGE", f->images, "Images to save")->required();
  c->callback([f, &g] {
    if (f->format == "squashfs") {
      if (f->output.empty() || f->output == "-")
        throw Error(Errc::usage, "--format squashfs needs -o FILE",
                    "a squashfs image is written to a file, not a stream");
      if (f->images.size() != 1)
        throw Error(Errc::usage, "--format squashfs holds exactly one image");
      image::save_squashfs(g.images(), f->images[0], f->output);
      return;
    }
    for (const auto& ref : f->images)
      if (auto img = g.images().find(ref); img && !img->squashfs.empty())
        throw Error(Errc::unsupported,
                    "saving the squashfs-backed image " + ref + " as " +
                        (f->format.empty() ? "docker-archive" : f->format) + " is not implemented",
                    "its file is the image: copy " + img->squashfs);
    image::ArchiveFormat fmt = image::parse_archive_format(f->format);
    if (f->output.empty() || f->output == "-") {
      if (::isatty(1))
        throw Error(Errc::usage, "refusing to write an image archive to a terminal",
                    "use -o FILE, or redirect stdout");
      std::fflush(stdout);
      image::save_archive(g.images(), f->images, fmt, 1);
      events::emit(g.paths(), "image", "save", join(f->images, ","),
                   {{"name", join(f->images, ",")}});
      return;
    }
    // Written beside the target and renamed at the end, so an interrupted
    // save never leaves a truncated archive under the requested name.
    std::string tmp = f->output + ".tmp-" + std::to_string(::getpid());
    UniqueFd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ScopeExit cleanup([&] { ::unlink(tmp.c_str()); });
    image::save_archive(g.images(), f->images, fmt, fd.get());
    if (::fsync(fd.get()) != 0) throw_errno("fsync " + tmp);
    if (::rename(tmp.c_str(), f->output.c_str()) != 0) throw_errno("rename to " + f->output);
    cleanup.dismiss();
    events::emit(g.paths(), "image", "save", join(f->images, ","),
                 {{"name", join(f->images, ",")}});
  });
}

void register_save(CLI::App& app, Globals& g) {
  setup_save(add_command(app, "save", "Save image(s) to an archive"), g);
}

}  // namespace tug::cli
