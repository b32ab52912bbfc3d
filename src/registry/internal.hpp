#pragma once
// Pieces shared by pull, push and the other registry operations; not part
// of the module's contract.
#include <memory>
#include <string>
#include <vector>

#include "registry/client.hpp"
#include "registry/registries_conf.hpp"
#include "registry/registry.hpp"

namespace tug::registry::detail {

// A client for host with the command's TLS and credential options; insecure
// is registries.conf's word for this endpoint. repository picks
// repository-scoped credentials from the auth files.
std::unique_ptr<Client> make_client(const std::string& host, bool insecure, const Options& o,
                                    const RegistriesConf& conf, const std::string& repository = {});

inline std::string pull_scope(const std::string& repo) {
  return "repository:" + repo + ":pull";
}
inline std::string push_scope(const std::string& repo) {
  return "repository:" + repo + ":pull,push";
}

struct Fetched {
  std::string bytes;
  std::string content_type;
  std::string digest;  // sha256 of bytes
};
// GET /v2/REPO/manifests/REF. When REF (or want_digest) is a digest, the
// bytes must hash to it: Error(corrupt) otherwise. Error(not_found) naming
// the reference for a 404.
Fetched get_manifest(Client& c, const std::string& repo, const std::string& ref,
                     const std::string& what);

// Uploads the file at path as blob digest of repo unless the registry has
// it (or can mount it from a repository of mount_from); returns the status
// word for the progress line.
std::string push_blob(Client& c, const std::string& repo, const std::string& digest,
                      const std::string& path, const std::vector<std::string>& mount_from);

// "tag" or "sha256:..." of a reference, for manifest URLs.
std::string manifest_ref(const image::Reference& r);

}  // namespace tug::registry::detail
