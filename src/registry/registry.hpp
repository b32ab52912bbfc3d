#pragma once
// What the commands ask of registries: pull into the image store, push from
// it, read a manifest, log in and out, search. References are resolved with
// registries.conf (short names, mirrors, insecure and blocked registries);
// credentials come from --creds or the auth files (auth.hpp).
#include <optional>
#include <string>
#include <vector>

#include "image/store.hpp"
#include "registry/auth.hpp"

namespace tug::registry {

struct Options {
  std::optional<bool> tls_verify;  // --tls-verify; unset = registries.conf decides
  std::string cert_dir;            // --cert-dir
  std::string authfile;            // --authfile
  std::string creds;               // --creds USER[:PASS]
  std::string platform;            // --platform OS/ARCH[/VARIANT]; empty = this host
  bool quiet = false;              // no progress on stderr
  int parallel = 3;                // concurrent blob downloads
  // Image trust (policy.hpp, trust.hpp): the policy file pull checks
  // (empty: the user's, else the system's, else none), and what push signs
  // with: a GPG key id, a sigstore private key file, their passphrase file.
  std::string signature_policy;
  std::string sign_by, sign_by_sigstore_key, sign_passphrase_file;
};

struct PullResult {
  std::string id;    // 64 hex
  std::string name;  // the reference stored ("docker.io/library/busybox:latest")
};

// Pulls text ("busybox", "localhost:5000/x:1", "x@sha256:...") into the
// store. Each candidate from short-name resolution is tried in turn, each
// through its mirrors then its location. Layers already in the store are not
// fetched; the others download in parallel, each verified against its digest
// as it streams, and are extracted in order as they complete. A verified blob
// is kept in the store's blobs/ even if the pull fails later, so a repeated
// pull resumes from there. On any mismatch no image is recorded.
PullResult pull(image::Store& store, const std::string& text, const Options& o);

// The digest of the manifest text resolves to on its registry (for
// --pull newer); nullopt when the registry has no such image.
std::optional<std::string> remote_digest(const std::string& text, const Options& o);

struct RawManifest {
  std::string bytes;       // exactly as served
  std::string media_type;  // from Content-Type or the document
  std::string digest;      // sha256 of bytes
};
// The manifest (or index) text refers to, verified when text has a digest.
RawManifest fetch_manifest(const std::string& text, const Options& o);

struct PushResult {
  std::string digest;  // of the manifest pushed
};
// Pushes an image of the store to dest, a reference on a registry (with an
// optional "docker://" prefix). Blobs the registry has are skipped (HEAD);
// blobs another repository of the same registry holds (from the image's other
// names) are mounted; the rest are uploaded in one PUT each; the manifest goes
// last.
PushResult push(image::Store& store, const std::string& source, const std::string& dest,
                const Options& o);

// Verifies credentials against registry (a host, or host/repo for scoped
// credentials) and stores them in the auth file. Error(permission) naming
// the 401 when refused.
void login(const std::string& registry, const Credentials& c, const Options& o);
// The credentials the auth files hold for registry, if any (login --get-login).
std::optional<Credentials> stored_credentials(const std::string& registry, const Options& o);
// Removes stored credentials; false when there were none.
bool logout(const std::string& registry, const Options& o);
bool logout_all(const Options& o);

struct SearchHit {
  std::string name;  // "localhost:5000/library/busybox"
  std::string description;
  int stars = 0;
  bool official = false, automated = false;
};
// term is "[REGISTRY/]WORDS"; without a registry the unqualified-search
// registries (else docker.io) are searched. Uses the v1 search API where the
// registry offers it, else the v2 catalog filtered by term; Error(unsupported)
// when it offers neither.
std::vector<SearchHit> search(const std::string& term, int limit, const Options& o);

// Strips "docker://" and checks it is a registry reference.
std::string registry_reference(const std::string& text);

}  // namespace tug::registry
