#pragma once
// Image trust: containers-policy.json(5). Which policy file applies, the
// requirements it sets for an image (podman's scope precedence), and the
// reading and writing behind `tug image trust show|set`. Checking the
// signatures those requirements ask for is trust.hpp's.
#include <optional>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug::registry {

// The policy file in use: explicit (--signature-policy) when given (it must
// exist), else $XDG_CONFIG_HOME/containers/policy.json (~/.config), else
// /etc/containers/policy.json; empty when there is none (then every image is
// accepted, as tug did before it read policies).
std::string policy_file(const std::string& explicit_path = {});
// Where `trust set` writes without --policypath: the user's file.
std::string user_policy_file();

class Policy {
 public:
  // Parses and validates text (from path, named in errors): a JSON object
  // with a "default" list and optional "transports", each requirement of a
  // known type with its fields. Error(invalid) naming the file otherwise.
  static Policy parse(const std::string& text, const std::string& path);
  static Policy load(const std::string& path);

  struct Match {
    std::string scope;  // "localhost:5000/app", "" (the transport's default), or "default"
    std::string where;  // how an error names it: `transports.docker["localhost:5000/app"]`
    json requirements;  // the array
  };
  // The requirements for an image: the most specific scope of the transport
  // that matches one of scopes (most specific first, as scopes_for gives
  // them), then the transport's "" scope, then the top-level "default".
  Match requirements_for(const std::string& transport,
                         const std::vector<std::string>& scopes) const;

  const std::string& path() const { return path_; }
  const json& document() const { return doc_; }

 private:
  std::string path_;
  json doc_;
};

// The scopes a docker reference ("host/repo:tag" or "host/repo@digest")
// matches, most specific first: the reference itself, the repository, each
// namespace upward, the host, then "*.domain" wildcards of the host.
std::vector<std::string> docker_scopes(const std::string& reference);

// The scopes of a local file (docker-archive, oci-archive transports): the
// absolute path, then each parent directory up to "/".
std::vector<std::string> path_scopes(const std::string& path);

// For an image from a local archive (transport "docker-archive" or
// "oci-archive", path empty for stdin) under the policy in use
// (policy_file(explicit_path)): archives carry no signatures, so anything
// but insecureAcceptAnything refuses it with Error(permission) "Source image
// rejected: ...", the policy entry named in the hint. No policy file: no
// check.
void check_local_policy(const std::string& explicit_path, const std::string& transport,
                        const std::string& path);

// What a signedIdentity requirement says of a signature's claimed identity
// for the image pulled as image_ref (both normalised "host/repo:tag" or
// "host/repo@digest"). Error(invalid) for an unknown type.
bool identity_matches(const json& signed_identity, const std::string& image_ref,
                      const std::string& signature_ref);

// `tug image trust show`: one row per scope, as podman prints them.
struct TrustRow {
  std::string transport;  // "all" for the default, else the transport name
  std::string name;       // "default", a scope, or "*" for a transport's ""
  std::string type;       // accept, reject, signed, sigstoreSigned
  std::string id;         // key ids / key files
  std::string store;      // lookaside of the scope (registries.d)
};
std::vector<TrustRow> trust_rows(const Policy& p);

// `tug image trust set`: sets the requirement of scope (a registry or
// host/repo; "default" for the top level) in the docker transport of the
// file at path (created when missing), as podman writes it: accept ->
// insecureAcceptAnything, reject, signedBy with one GPGKeys requirement per
// key file.
void trust_set(const std::string& path, const std::string& scope, const std::string& type,
               const std::vector<std::string>& pubkeys);

}  // namespace tug::registry
