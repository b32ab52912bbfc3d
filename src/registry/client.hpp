#pragma once
// Distribution API v2 over libcurl, for one registry host.
//
// A Client owns the connection settings (scheme, TLS verification, CA and
// client certificates from a cert dir) and the authentication state: the
// first request answered 401 tells, in WWW-Authenticate, whether the
// registry wants Basic credentials or a Bearer token from a token service
// (realm, service, scope); tokens are cached per scope. Requests are retried
// with backoff when the failure is transient (connection reset or refused,
// timeouts, 5xx, 429 honouring Retry-After); 401, 403 and 404 fail at once.
// Each thread uses its own Transport (one curl handle, which keeps its
// connections alive and speaks HTTP/2 over TLS); the auth state is shared.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/auth.hpp"
#include "util/error.hpp"

namespace tug::registry {

struct ClientOptions {
  std::optional<bool> tls_verify;  // unset: verify unless registries.conf says insecure
  bool insecure_config = false;    // registries.conf marks the host insecure
  std::string cert_dir;            // empty: /etc/containers/certs.d/HOST and the user's
  std::string authfile;            // empty: AuthFile's default locations
  // The repository the client works on ("ns/repo"): auth.json entries keyed
  // "host/ns/repo" or "host/ns" win over the host's (podman's rule).
  std::string repository;
  std::optional<Credentials> creds;  // --creds / login: overrides the auth file
  int max_attempts = 5;              // for transient failures
};

struct Response {
  long status = 0;
  std::string body;                            // unless streamed to a sink
  std::map<std::string, std::string> headers;  // lowercase names, last value wins
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Request {
  std::string method = "GET";
  std::string path;  // "/v2/..." (absolute URLs are used as they are)
  std::vector<std::string> headers;
  std::string scope;  // token scope: "repository:library/busybox:pull"
  // Body: bytes, or upload_size bytes of a file from upload_offset.
  std::string body;
  int upload_fd = -1;
  int64_t upload_offset = 0;
  int64_t upload_size = -1;
  // For 2xx answers the body goes here (with the status, 200 or 206)
  // instead of Response::body; the transfer aborts when it returns false.
  std::function<bool(long, const char*, size_t)> sink;
  bool follow_redirects = true;
  bool retry = true;  // false: the caller resumes (ranged blob reads)
};

class Transport;

class Client {
 public:
  Client(std::string registry, ClientOptions opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& registry() const { return registry_; }
  // "https://host" or "http://host", decided at the first request.
  std::string base_url();

  // Performs req with authentication and retries (on this thread's transport
  // t, or the client's own). Returns any HTTP answer that is not an auth
  // challenge it could satisfy; throws Error for transport failures that
  // persisted. Status checks are the caller's.
  Response perform(const Request& req, Transport* t = nullptr);

  // GET /v2/ with the credentials: Error(permission) naming 401 when they
  // are refused. Used by login.
  void check_login();

  // An Error for a failed answer: the registry's error code and message
  // ("MANIFEST_UNKNOWN: manifest unknown") with the HTTP status, classified
  // (404 -> not_found, 401/403 -> permission, else io).
  Error error_of(const Response& r, const std::string& what) const;

  std::unique_ptr<Transport> make_transport() const;

 private:
  friend class Transport;
  void decide_scheme(Transport& t);
  bool authorize(const Response& challenge, const std::string& scope, Transport& t);
  std::string auth_header(const std::string& scope);

  std::string registry_;  // "localhost:5000"
  std::string api_host_;  // "registry-1.docker.io" for docker.io
  ClientOptions opts_;
  bool verify_ = true;
  std::string scheme_;  // empty until decided
  std::string ca_blob_, client_cert_, client_key_;
  std::unique_ptr<Transport> own_;

  mutable std::mutex mu_;    // guards what follows
  std::string auth_scheme_;  // "", "basic", "bearer"
  Challenge challenge_;
  std::map<std::string, std::string> tokens_;  // scope -> token
  std::optional<Credentials> creds_;
  bool creds_loaded_ = false;
  std::string creds_origin_;  // "the auth.json entry KEY in FILE", when read from one
};

// One curl easy handle.
class Transport {
 public:
  explicit Transport(const Client& c);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  struct Result {
    int curl_code = 0;  // CURLcode; 0 = an HTTP answer arrived
    std::string curl_error;
    Response resp;
    int64_t streamed = 0;  // bytes given to the sink
  };
  Result once(const std::string& url, const Request& req, const std::string& auth_header);

 private:
  void* curl_;
  const Client& client_;
};

// True for curl errors worth retrying (resets, refused, timeouts).
bool transient_curl_error(int code);

}  // namespace tug::registry
