#pragma once
// Registry credentials and challenges.
//
// auth.json is podman's format, shared with docker's config.json:
//   {"auths": {"localhost:5000": {"auth": "<base64 user:password>"}}}
// Keys are a registry host, or a host/namespace/repository for credentials
// scoped to part of a registry (the most specific match wins); docker's
// "https://index.docker.io/v1/" stands for docker.io. Read order: --authfile
// (or $REGISTRY_AUTH_FILE) alone when given; else
// $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME/containers/auth.json
// (~/.config), ~/.docker/config.json, ~/.dockercfg. Writes go to --authfile or
// the first of those, with mode 0600. A file that exists but does not parse
// as one is an error naming it (podman's rule), never skipped; a Client
// reads the files when it is made, before its first request.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tug::registry {

struct Credentials {
  std::string username;
  std::string password;
  bool empty() const { return username.empty() && password.empty(); }
};

// "user:password" (--creds); a missing ":password" part leaves it empty.
Credentials parse_creds(const std::string& text);

std::string base64_encode(const std::string& bytes);
// Throws Error(invalid) on malformed input.
std::string base64_decode(const std::string& text);

// One challenge of a WWW-Authenticate header: `Bearer realm="...",
// service="...",scope="..."` -> scheme "bearer" (lowercased), params with
// lowercased keys and unquoted values.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  }
};
// RFC 7235 syntax: several challenges may share one header; quoted strings
// may hold commas and backslash escapes; token68 values are kept under "".
std::vector<Challenge> parse_www_authenticate(const std::string& header);

class AuthFile {
 public:
  // explicit_path empty = the default locations above.
  explicit AuthFile(std::string explicit_path = {});

  // Credentials for registry/repository (repository may be empty), the
  // file they came from and the key that matched there ("host/ns/repo" or
  // "host"); nullopt when no file has any.
  std::optional<Credentials> lookup(const std::string& registry, const std::string& repository,
                                    std::string* from = nullptr, std::string* key = nullptr) const;
  // Stores credentials under key (a host, or host/repo) in the write file.
  void store(const std::string& key, const Credentials& c) const;
  // Removes key from the write file; false when it had no entry.
  bool remove(const std::string& key) const;
  // Removes every entry (logout --all); false when there was none.
  bool remove_all() const;

  // Where store() writes.
  std::string write_path() const;
  // Files read, in order.
  std::vector<std::string> read_paths() const;

 private:
  std::string explicit_;
};

}  // namespace tug::registry
