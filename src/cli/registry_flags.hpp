#pragma once
// Flags every registry command shares (podman's names): --tls-verify,
// --cert-dir, --creds, --authfile, and for pulls --platform/--arch/--os/--variant.
#include "cli/cli.hpp"
#include "registry/registry.hpp"

namespace tug::cli {

struct RegistryFlags {
  bool tls_verify = true;
  std::string cert_dir, creds, authfile;
  std::string platform, arch, os, variant;
  std::string signature_policy;                             // --signature-policy FILE
  std::string sign_by, sigstore_key, sign_passphrase_file;  // push
  bool quiet = false;
  CLI::App* app = nullptr;

  // The options as parsed; --tls-verify counts only when given.
  registry::Options options() const;
};

void add_registry_flags(CLI::App* c, RegistryFlags& f, bool with_creds = true);
void add_platform_flags(CLI::App* c, RegistryFlags& f);
// --signature-policy FILE: the policy.json a pull checks instead of the
// user's or the system's.
void add_signature_policy_flag(CLI::App* c, RegistryFlags& f);

// What `run`/`create --pull POLICY` do before creating the container:
// "missing" pulls when the store lacks image, "always" pulls, "never" does
// not, "newer" pulls when the registry's manifest differs from the stored one
// (keeping the stored image when the registry cannot be asked).
void ensure_image(Globals& g, const std::string& image, const std::string& policy,
                  const registry::Options& o);

}  // namespace tug::cli
