#pragma once
// The Engine API's request handling, apart from the transport: a request
// (method, target, body) in, a response (status, JSON body) out. server.cpp
// feeds it what Beast parsed; unit tests call it directly.
//
// Paths are docker's, with or without a /v1.NN prefix (1.24 to 1.41, the
// range Debian's docker 20.10 client and docker-compose 1.29 speak); other
// versions get docker's 400. Endpoints docker has that tug does not serve
// yet get 501 with the endpoint named; anything else docker's 404 "page not
// found". Errors are docker's {"message": "..."}.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/paths.hpp"
#include "image/store.hpp"
#include "userns/userns.hpp"
#include "util/fd.hpp"
#include "util/json.hpp"

namespace tug::api {

inline constexpr int kMinApiMinor = 24;  // 1.24
inline constexpr int kMaxApiMinor = 41;  // 1.41
inline constexpr const char* kApiVersion = "1.41";
inline constexpr const char* kMinApiVersion = "1.24";

struct Request {
  std::string method;  // "GET", "HEAD", "POST", "DELETE", ...
  std::string target;  // "/v1.41/containers/json?all=1"
  std::string body;
  // The client asked to take the connection over (`Connection: Upgrade`,
  // `Upgrade: tcp`: docker's attach and exec start).
  bool upgrade = false;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the common ones
  // Set for work that blocks (stop's grace period, wait): the server runs it
  // on a thread of its own and sends what it returns, so other clients are
  // served meanwhile. It must only use what it captured (its own stores).
  std::function<Response()> deferred;
  // Set for a streamed or hijacked answer (logs, attach, exec start): the
  // server writes the head (status, content type, headers; 101 adds
  // docker's `Upgrade: tcp`, anything else `Connection: close`), then
  // hands the connection's fd, blocking, to stream on a thread of its own
  // with the bytes the client sent past the request (early). The body
  // ends when stream returns and the fd is closed. Like deferred, it must
  // only use what it captured.
  std::function<void(UniqueFd sock, std::string early)> stream;
};

// What the handlers reach: the same stores the CLI opens. Readers take no
// lock (records are replaced atomically), so one instance serves every
// request while CLI commands change the store beside it.
struct Sessions;
struct Context {
  Paths paths;
  userns::Mapping mapping;
  image::Store images;
  // Shared with the streams that outlive a request (api/sessions.hpp).
  std::shared_ptr<Sessions> sessions;
  Context(Paths p, userns::Mapping m);
};

// A parsed target: the path without its version prefix, and the query.
struct Target {
  std::string path;
  std::map<std::string, std::string> query;  // decoded; the last of a repeated key
  int minor = kMaxApiMinor;                  // the /v1.NN asked for (none: 41)
  bool versioned = false;
};
// Splits and decodes a request target. Throws ApiError(400) for a version
// prefix outside 1.24..1.41, in docker's words.
Target parse_target(const std::string& target);
// %XX and '+' decoding of a query component.
std::string url_decode(const std::string& s);

// An error with the HTTP status docker answers it with.
struct ApiError : std::runtime_error {
  int status;
  ApiError(int st, const std::string& msg) : std::runtime_error(msg), status(st) {}
};

// docker's filters query parameter: {"key": ["v", ...]} or the older
// {"key": {"v": true}}. Throws ApiError(400) when it is not that shape.
std::map<std::string, std::vector<std::string>> parse_filters(const std::string& text);

// docker's boolean query values: "1", "true", "True" are true.
bool query_bool(const Target& t, const std::string& key);

Response json_response(int status, const json& body);
Response error_response(int status, const std::string& message);

// Handles one request; never throws.
Response handle(Context& ctx, const Request& req);
// Runs fn with handle()'s translation of exceptions into docker's errors.
Response guarded(const std::function<Response()>& fn);

}  // namespace tug::api
