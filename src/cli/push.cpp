// tug push: to a registry, or to a docker-archive:/oci-archive: file.
#include <fcntl.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "events/events.hpp"
#include "image/archive.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// docker-archive:PATH / oci-archive:PATH, written as `save` writes them
// (to a temporary name, renamed when complete).
void push_archive(Globals& g, const std::string& source, image::ArchiveFormat fmt,
                  const std::string& spec) {
  bool has_ref = false;
  auto [path, ref] = split_once(spec, ':', &has_ref);
  if (path.empty()) throw Error(Errc::usage, "archive destination needs a path");
  if (has_ref)
    throw Error(Errc::unsupported,
                "naming the image inside the archive (" + quote(ref) + ") is not supported",
                "tag the image with tug tag and push that name");
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  UniqueFd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ScopeExit cleanup([&] { ::unlink(tmp.c_str()); });
  image::save_archive(g.images(), {source}, fmt, fd.get());
  if (::fsync(fd.get()) != 0) throw_errno("fsync " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename to " + path);
  cleanup.dismiss();
}

}  // namespace

void register_push(CLI::App& app, Globals& g) {
  struct Flags {
    RegistryFlags reg;
    std::string image, dest, digestfile, format;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "push", "Push an image to a registry or an archive");
  add_registry_flags(c, f->reg);
  c->add_flag("-q,--quiet", f->reg.quiet, "Suppress the progress output");
  c->add_option("--digestfile", f->digestfile, "Write the pushed manifest's digest to this file");
  c->add_option("--sign-by", f->reg.sign_by,
                "Sign the image with this GPG key (simple signing, into the registries.d "
                "lookaside store)");
  c->add_option("--sign-by-sigstore-private-key", f->reg.sigstore_key,
                "Sign the image with this sigstore (PEM) private key, as tag sha256-DIGEST.sig");
  c->add_option("--sign-passphrase-file", f->reg.sign_passphrase_file,
                "File with the passphrase of the signing key");
  c->add_option("-f,--format", f->format, "Manifest format (only the stored one is pushed)");
  c->add_option("IMAGE", f->image, "Image to push")->required();
  c->add_option("DESTINATION", f->dest,
                "Registry reference, docker-archive:PATH or oci-archive:PATH");
  c->callback([f, &g] {
    if (!f->format.empty())
      throw Error(Errc::unsupported,
                  "push --format is not implemented: tug pushes the manifest "
                  "as stored (OCI or Docker schema 2)");
    const std::string& d = f->dest;
    bool signing = !f->reg.sign_by.empty() || !f->reg.sigstore_key.empty();
    if (signing && (starts_with(d, "docker-archive:") || starts_with(d, "oci-archive:")))
      throw Error(Errc::unsupported, "signing is only for pushes to a registry");
    if (starts_with(d, "docker-archive:")) {
      push_archive(g, f->image, image::ArchiveFormat::docker, d.substr(15));
      return;
    }
    if (starts_with(d, "oci-archive:")) {
      push_archive(g, f->image, image::ArchiveFormat::oci, d.substr(12));
      return;
    }
    auto r = registry::push(g.images(), f->image, d, f->reg.options());
    events::emit(g.paths(), "image", "push", d, {{"name", d}, {"digest", r.digest}});
    if (!f->digestfile.empty()) atomic_write(f->digestfile, r.digest, 0644);
  });
}

}  // namespace tug::cli
