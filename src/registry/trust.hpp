#pragma once
// Image trust: checking an image against the policy's requirements before
// it is pulled, and signing an image as it is pushed. Two signature kinds:
//  - simple signing (signedBy, `push --sign-by`): an OpenPGP-signed JSON
//    payload through libgpgme, stored beside the registry in a lookaside
//    store that registries.d names (REPO@sha256=HEX/signature-N);
//  - sigstore (sigstoreSigned, `push --sign-by-sigstore-private-key`): the
//    payload as a layer of the tag sha256-HEX.sig in the image's own
//    repository, signed with a key OpenSSL reads (cosign's layout).
// Used by pull and push only (not part of what the commands call).
#include <string>
#include <vector>

#include "image/reference.hpp"
#include "registry/client.hpp"
#include "registry/policy.hpp"

namespace tug::registry::detail {

// The text every refusal starts with (podman's), so that pull does not try
// another candidate after one.
inline constexpr const char* kRejected = "Source image rejected: ";

// Throws Error(permission) "Source image rejected: Running image
// docker://REF is rejected by policy." when the requirements for ref
// include reject: checked before any traffic.
void check_policy_early(const Policy& p, const image::Reference& ref);

// Checks every requirement for ref, whose top-level manifest (the one the
// reference names, index or image) has digest manifest_digest in repo of
// c's registry. Signatures come from the lookaside store (signedBy) or the
// sha256-HEX.sig tag (sigstoreSigned). Error(permission) naming the policy
// entry when a requirement is not met.
void enforce_policy(const Policy& p, Client& c, const std::string& repo,
                    const image::Reference& ref, const std::string& manifest_digest);

struct SignOptions {
  std::string gpg_key;          // --sign-by KEYID
  std::string sigstore_key;     // --sign-by-sigstore-private-key FILE (PEM)
  std::string passphrase_file;  // --sign-passphrase-file
  bool any() const { return !gpg_key.empty() || !sigstore_key.empty(); }
};

// The simple-signing signature of the image dest (manifest digest) with the
// GPG key, written to the lookaside-staging (else lookaside) store that
// registries.d gives for dest: a file:// URL. Returns the file written.
std::string sign_to_lookaside(const image::Reference& dest, const std::string& manifest_digest,
                              const SignOptions& o);

// The sigstore signature of dest with the private key, added to the
// sha256-HEX.sig tag of repo (its other signatures are kept).
void sign_to_sigstore_tag(Client& c, const std::string& repo, const image::Reference& dest,
                          const std::string& manifest_digest, const SignOptions& o);

// The user ids (e-mail addresses, else names) of the OpenPGP keys in a key
// file, for `trust show`; empty when it cannot be read.
std::vector<std::string> gpg_key_identities(const std::string& key_file);

// The lookaside store registries.d gives for a docker reference or scope
// (empty when none), for `trust show`.
std::string lookaside_for(const std::string& reference);

}  // namespace tug::registry::detail
