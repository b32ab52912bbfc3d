#include "api/router.hpp"

#include <cstdlib>

#include "api/handlers.hpp"
#include "api/sessions.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Paths of docker's v1.41 API that tug does not serve yet: these answer 501
// naming what is missing, so a client's error says "not implemented" rather
// than the "page not found" of a path docker does not have either. '*'
// stands for one path segment ({id}, {name}); "**" for the rest of the path
// (image names have slashes).
struct Missing {
  const char* method;
  const char* pattern;
};
constexpr Missing kNotServed[] = {
    {"POST", "/containers/prune"},
    {"GET", "/containers/*/top"},
    {"GET", "/containers/*/changes"},
    {"GET", "/containers/*/export"},
    {"GET", "/containers/*/stats"},
    {"POST", "/containers/*/restart"},
    {"POST", "/containers/*/update"},
    {"POST", "/containers/*/rename"},
    {"POST", "/containers/*/pause"},
    {"POST", "/containers/*/unpause"},
    {"GET", "/containers/*/attach/ws"},
    {"HEAD", "/containers/*/archive"},
    {"GET", "/containers/*/archive"},
    {"PUT", "/containers/*/archive"},
    {"POST", "/build"},
    {"POST", "/build/prune"},
    {"POST", "/images/create"},
    {"POST", "/images/load"},
    {"GET", "/images/get"},
    {"GET", "/images/search"},
    {"POST", "/images/prune"},
    {"GET", "/images/**/history"},
    {"POST", "/images/**/push"},
    {"POST", "/images/**/tag"},
    {"GET", "/images/**/get"},
    {"DELETE", "/images/**"},
    {"POST", "/commit"},
    {"POST", "/auth"},
    {"GET", "/events"},
    {"GET", "/system/df"},
    {"POST", "/volumes/create"},
    {"POST", "/volumes/prune"},
    {"DELETE", "/volumes/*"},
    {"POST", "/networks/create"},
    {"POST", "/networks/prune"},
    {"DELETE", "/networks/*"},
    {"POST", "/networks/*/connect"},
    {"POST", "/networks/*/disconnect"},
    {"GET", "/distribution/*/json"},
    {"POST", "/session"},
    {"GET", "/plugins"},
    {"GET", "/swarm"},
    {"GET", "/services"},
    {"GET", "/nodes"},
    {"GET", "/tasks"},
    {"GET", "/secrets"},
    {"GET", "/configs"},
};

bool pattern_matches(const std::string& pattern, const std::string& path) {
  auto want = split(pattern.substr(1), '/');
  auto have = split(path.substr(1), '/');
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "**") {
      // The rest of the pattern must match the end of the path, and ** at
      // least one segment.
      size_t rest = want.size() - i - 1;
      if (have.size() < i + 1 + rest) return false;
      for (size_t k = 0; k < rest; ++k)
        if (want[i + 1 + k] != have[have.size() - rest + k]) return false;
      return true;
    }
    if (i >= have.size()) return false;
    if (want[i] == "*" ? have[i].empty() : want[i] != have[i]) return false;
  }
  return want.size() == have.size();
}

Response dispatch(Context& ctx, const Request& req, const Target& t) {
  const std::string& method = req.method;
  const std::string& p = t.path;
  auto parts = split(p.size() > 1 ? p.substr(1) : std::string(), '/');
  bool get = method == "GET";
  if (p == "/_ping" && (get || method == "HEAD")) return ping(ctx, t, method == "HEAD");
  if (get && p == "/version") return version(ctx, t);
  if (get && p == "/info") return info(ctx, t);
  if (get && p == "/containers/json") return container_list(ctx, t);
  if (method == "POST" && p == "/containers/create") return container_create(ctx, t, req.body);
  if (get && parts.size() == 3 && parts[0] == "containers" && parts[2] == "logs" &&
      !parts[1].empty())
    return container_logs(ctx, t, parts[1]);
  if (parts.size() == 3 && parts[0] == "exec" && !parts[1].empty()) {
    if (method == "POST" && parts[2] == "start")
      return exec_start(ctx, t, parts[1], req.body, req.upgrade);
    if (method == "POST" && parts[2] == "resize") return exec_resize(ctx, t, parts[1]);
    if (get && parts[2] == "json") return exec_inspect(ctx, t, parts[1]);
  }
  if (get && parts.size() == 3 && parts[0] == "containers" && parts[2] == "json" &&
      !parts[1].empty())
    return container_inspect(ctx, t, parts[1]);
  if (parts.size() == 3 && parts[0] == "containers" && method == "POST" && !parts[1].empty()) {
    if (parts[2] == "start") return container_start(ctx, t, parts[1]);
    if (parts[2] == "stop") return container_stop(ctx, t, parts[1]);
    if (parts[2] == "kill") return container_kill(ctx, t, parts[1]);
    if (parts[2] == "wait") return container_wait(ctx, t, parts[1]);
    if (parts[2] == "attach") return container_attach(ctx, t, parts[1], req.upgrade);
    if (parts[2] == "resize") return container_resize(ctx, t, parts[1]);
    if (parts[2] == "exec") return exec_create(ctx, t, parts[1], req.body);
  }
  if (method == "DELETE" && parts.size() == 2 && parts[0] == "containers" && !parts[1].empty())
    return container_delete(ctx, t, parts[1]);
  if (get && p == "/images/json") return image_list(ctx, t);
  // Image names carry slashes: /images/docker.io/library/busybox:latest/json.
  if (get && parts.size() >= 3 && parts[0] == "images" && parts.back() == "json")
    return image_inspect(ctx, t, p.substr(8, p.size() - 8 - 5));
  if (get && p == "/volumes") return volume_list(ctx, t);
  if (get && parts.size() == 2 && parts[0] == "volumes" && !parts[1].empty())
    return volume_inspect(ctx, t, parts[1]);
  if (get && p == "/networks") return network_list(ctx, t);
  if (get && parts.size() == 2 && parts[0] == "networks" && !parts[1].empty())
    return network_inspect(ctx, t, parts[1]);
  for (const auto& m : kNotServed)
    if (method == m.method && pattern_matches(m.pattern, p))
      return error_response(501, "tug does not serve " + method + " " + m.pattern +
                                     " yet (docs/api.md lists what it serves)");
  return error_response(404, "page not found");
}

// The status docker answers tug's error kinds with.
int status_of(Errc c) {
  switch (c) {
    case Errc::not_found:
      return 404;
    case Errc::exists:
    case Errc::in_use:
      return 409;
    case Errc::usage:
    case Errc::invalid:
      return 400;
    case Errc::unsupported:
      return 501;
    default:
      return 500;
  }
}

}  // namespace

Context::Context(Paths p, userns::Mapping m)
    : paths(std::move(p)),
      mapping(std::move(m)),
      images(paths, mapping),
      sessions(std::make_shared<Sessions>()) {}

std::string url_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Target parse_target(const std::string& target) {
  Target t;
  size_t q = target.find('?');
  std::string path = target.substr(0, q);
  if (q != std::string::npos)
    for (const auto& kv : split(target.substr(q + 1), '&')) {
      if (kv.empty()) continue;
      bool has_eq = false;
      auto [k, v] = split_once(kv, '=', &has_eq);
      t.query[url_decode(k)] = url_decode(v);
    }
  path = url_decode(path);
  // "/v1.41/..." : docker's version prefix.
  if (path.size() > 2 && path[0] == '/' && path[1] == 'v' && std::isdigit(path[2])) {
    size_t end = path.find('/', 1);
    std::string ver = path.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    auto [major, minor] = split_once(ver, '.');
    bool numeric = !major.empty() && !minor.empty() &&
                   major.find_first_not_of("0123456789") == std::string::npos &&
                   minor.find_first_not_of("0123456789") == std::string::npos && major.size() < 4 &&
                   minor.size() < 4;
    if (numeric) {
      int ma = std::atoi(major.c_str()), mi = std::atoi(minor.c_str());
      if (ma > 1 || (ma == 1 && mi > kMaxApiMinor))
        throw ApiError(400, "client version " + ver +
                                " is too new. Maximum supported API version is " + kApiVersion);
      if (ma < 1 || mi < kMinApiMinor)
        throw ApiError(400, "client version " + ver +
                                " is too old. Minimum supported API version is " + kMinApiVersion +
                                ", please upgrade your client to a newer version");
      t.minor = mi;
      t.versioned = true;
      path = end == std::string::npos ? "/" : path.substr(end);
    }
  }
  // docker's router ignores a trailing slash ("/containers/json/").
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  t.path = path.empty() ? "/" : path;
  return t;
}

std::map<std::string, std::vector<std::string>> parse_filters(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  if (text.empty()) return out;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ApiError(400, "invalid filters: " + std::string(e.what()));
  }
  if (!j.is_object()) throw ApiError(400, "invalid filters: not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto& values = out[it.key()];
    if (it->is_array()) {
      for (const auto& v : *it) {
        if (!v.is_string()) throw ApiError(400, "invalid filter value for " + quote(it.key()));
        values.push_back(v.get<std::string>());
      }
    } else if (it->is_object()) {  // the pre-1.22 form, still sent by some clients
      for (auto v = it->begin(); v != it->end(); ++v)
        if (v->is_boolean() && v->get<bool>()) values.push_back(v.key());
    } else {
      throw ApiError(400, "invalid filter value for " + quote(it.key()));
    }
  }
  return out;
}

bool query_bool(const Target& t, const std::string& key) {
  auto it = t.query.find(key);
  if (it == t.query.end()) return false;
  return it->second == "1" || it->second == "true" || it->second == "True";
}

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump() + "\n";
  return r;
}

Response error_response(int status, const std::string& message) {
  return json_response(status, json{{"message", message}});
}

Response guarded(const std::function<Response()>& fn) {
  try {
    return fn();
  } catch (const ApiError& e) {
    return error_response(e.status, e.what());
  } catch (const Error& e) {
    std::string msg = e.what();
    if (!e.hint().empty()) msg += " (" + e.hint() + ")";
    return error_response(status_of(e.code()), msg);
  } catch (const std::exception& e) {
    log_debug(std::string("api: ") + e.what());
    return error_response(500, e.what());
  }
}

Response handle(Context& ctx, const Request& req) {
  return guarded([&] { return dispatch(ctx, req, parse_target(req.target)); });
}

}  // namespace tug::api
