// tug pull, and the pull policy of run/create.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "events/events.hpp"
#include "image/reference.hpp"
#include "registry/manifest.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

registry::Options RegistryFlags::options() const {
  registry::Options o;
  if (app && app->count("--tls-verify")) o.tls_verify = tls_verify;
  o.cert_dir = cert_dir;
  o.creds = creds;
  o.authfile = authfile;
  o.quiet = quiet;
  o.signature_policy = signature_policy;
  o.sign_by = sign_by;
  o.sign_by_sigstore_key = sigstore_key;
  o.sign_passphrase_file = sign_passphrase_file;
  if (!platform.empty()) {
    o.platform = platform;
  } else if (!arch.empty() || !os.empty() || !variant.empty()) {
    o.platform = (os.empty() ? "linux" : os) + "/" +
                 (arch.empty() ? registry::host_platform().architecture : arch) +
                 (variant.empty() ? "" : "/" + variant);
  }
  if (!o.platform.empty()) registry::parse_platform(o.platform);  // fail early on a typo
  return o;
}

void add_registry_flags(CLI::App* c, RegistryFlags& f, bool with_creds) {
  f.app = c;
  c->add_flag("--tls-verify", f.tls_verify,
              "Require HTTPS and verify certificates (--tls-verify=false allows plain HTTP)");
  c->add_option("--cert-dir", f.cert_dir, "Directory with certificates (*.crt, *.cert, *.key)");
  c->add_option("--authfile", f.authfile, "Path of the authentication file");
  if (with_creds)
    c->add_option("--creds", f.creds, "Credentials USERNAME[:PASSWORD] for the registry");
}

void add_platform_flags(CLI::App* c, RegistryFlags& f) {
  c->add_option("--platform", f.platform, "Platform OS/ARCH[/VARIANT] to pull");
  c->add_option("--arch", f.arch, "Architecture to pull (instead of this host's)");
  c->add_option("--os", f.os, "Operating system to pull (default linux)");
  c->add_option("--variant", f.variant, "Architecture variant to pull (v7, v8)");
}

void add_signature_policy_flag(CLI::App* c, RegistryFlags& f) {
  c->add_option("--signature-policy", f.signature_policy,
                "Path of the policy.json that decides which images may be pulled");
}

void ensure_image(Globals& g, const std::string& text, const std::string& policy,
                  const registry::Options& o) {
  if (policy != "missing" && policy != "always" && policy != "never" && policy != "newer")
    throw Error(Errc::usage, "invalid pull policy " + quote(policy),
                "use always, missing, never or newer");
  if (policy == "never") return;
  auto local = g.images().find(text);  // also rejects malformed references
  if (local && policy == "missing") return;
  if (local && policy == "newer") {
    try {
      auto remote = registry::remote_digest(text, o);
      if (!remote || *remote == local->digest) return;
    } catch (const Error& e) {
      log_warn(std::string("cannot check the registry for a newer ") + text + ": " + e.what() +
               "; using the stored image");
      return;
    }
  }
  if (local && policy == "always") {
    // An image known only by id, or from import, has nowhere to be pulled from.
    if (!g.images().matching_name(*local, text)) return;
  }
  try {
    auto r = registry::pull(g.images(), text, o);
    events::emit(g.paths(), "image", "pull", r.name, {{"name", r.name}});
  } catch (const Error& e) {
    if (local) throw;
    Error err(e.code(), text + ": image not known locally, and " + e.what(), e.hint());
    throw err;
  }
}

void register_pull(CLI::App& app, Globals& g) {
  struct Flags {
    RegistryFlags reg;
    bool all_tags = false;
    std::string image;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "pull", "Pull an image from a registry");
  add_registry_flags(c, f->reg);
  add_platform_flags(c, f->reg);
  add_signature_policy_flag(c, f->reg);
  c->add_flag("-q,--quiet", f->reg.quiet, "Print only the image ID");
  c->add_flag("-a,--all-tags", f->all_tags, "Pull every tagged image of the repository");
  c->add_option("IMAGE", f->image, "Image to pull")->required();
  c->callback([f, &g] {
    if (f->all_tags)
      throw Error(Errc::unsupported, "pull --all-tags is not implemented",
                  "pull the tags you need one by one");
    auto r = registry::pull(g.images(), f->image, f->reg.options());
    events::emit(g.paths(), "image", "pull", r.name, {{"name", r.name}});
    out(r.id);
  });
}

}  // namespace tug::cli
