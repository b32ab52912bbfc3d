#include "registry/auth.hpp"

#include <cctype>
#include <cstdlib>

#include "config/paths.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace tug::registry {

namespace {

constexpr const char* kDockerHubKey = "https://index.docker.io/v1/";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// docker config keys may be URLs ("https://host/v1/"); compare hosts then.
std::string normalise_key(std::string k) {
  if (k == kDockerHubKey) return "docker.io";
  for (const char* scheme : {"https://", "http://"})
    if (starts_with(k, scheme)) {
      k = k.substr(std::string(scheme).size());
      k = k.substr(0, k.find('/'));
    }
  while (ends_with(k, "/")) k.pop_back();
  if (k == "index.docker.io" || k == "registry-1.docker.io") return "docker.io";
  return k;
}

std::optional<Credentials> creds_of(const json& entry) {
  if (!entry.is_object()) return std::nullopt;
  std::string auth = json_str(entry, "auth");
  if (!auth.empty()) {
    std::string plain = base64_decode(auth);
    Credentials c;
    bool found = false;
    auto [u, p] = split_once(plain, ':', &found);
    if (!found) return std::nullopt;
    c.username = u;
    c.password = p;
    return c;
  }
  // Older docker files keep username/password fields.
  if (entry.contains("username") && entry.contains("password"))
    return Credentials{json_str(entry, "username"), json_str(entry, "password")};
  return std::nullopt;
}

}  // namespace

Credentials parse_creds(const std::string& text) {
  bool found = false;
  auto [u, p] = split_once(text, ':', &found);
  if (u.empty())
    throw Error(Errc::usage, "credentials must be USERNAME[:PASSWORD], got an empty user name");
  return Credentials{u, p};
}

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = dl::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                              reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64_decode(const std::string& text) {
  std::string in;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) in += c;
  if (in.size() % 4 != 0) throw Error(Errc::invalid, "malformed base64 in credentials");
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = dl::EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                              reinterpret_cast<const unsigned char*>(in.data()),
                              static_cast<int>(in.size()));
  if (n < 0) throw Error(Errc::invalid, "malformed base64 in credentials");
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::vector<Challenge> parse_www_authenticate(const std::string& h) {
  std::vector<Challenge> out;
  size_t i = 0, n = h.size();
  auto skip_ws = [&] {
    while (i < n && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  auto token = [&] {
    size_t s = i;
    while (i < n && h[i] != ' ' && h[i] != '\t' && h[i] != ',' && h[i] != '=') ++i;
    return h.substr(s, i - s);
  };
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  while (i < n) {
    skip_ws();
    while (i < n && (h[i] == ',' || h[i] == ' ')) ++i;
    if (i >= n) break;
    Challenge c;
    c.scheme = lower(token());
    if (c.scheme.empty()) break;
    // Parameters until the next "scheme " (a token followed by space, not '=').
    for (;;) {
      skip_ws();
      while (i < n && h[i] == ',') {
        ++i;
        skip_ws();
      }
      if (i >= n) break;
      size_t save = i;
      std::string key = token();
      skip_ws();
      if (i >= n || h[i] != '=') {
        // A new challenge begins (or a token68 value for this one).
        if (c.params.empty() && (i >= n || h[i] == ',')) {
          c.params[""] = key;
          continue;
        }
        i = save;
        break;
      }
      ++i;  // '='
      // token68 may end in '=' padding: "Basic abc=="
      if (i < n && h[i] == '=') {
        while (i < n && h[i] == '=') ++i;
        c.params[""] = key + "==";
        continue;
      }
      skip_ws();
      std::string value;
      if (i < n && h[i] == '"') {
        ++i;
        while (i < n && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < n) ++i;
          value += h[i++];
        }
        if (i < n) ++i;  // closing quote
      } else {
        size_t s = i;
        while (i < n && h[i] != ',' && h[i] != ' ' && h[i] != '\t') ++i;
        value = h.substr(s, i - s);
      }
      c.params[lower(key)] = value;
    }
    out.push_back(std::move(c));
  }
  return out;
}

AuthFile::AuthFile(std::string explicit_path) : explicit_(std::move(explicit_path)) {
  if (explicit_.empty()) explicit_ = env("REGISTRY_AUTH_FILE");
}

std::vector<std::string> AuthFile::read_paths() const {
  if (!explicit_.empty()) return {explicit_};
  std::vector<std::string> out;
  if (std::string r = env("XDG_RUNTIME_DIR"); !r.empty())
    out.push_back(r + "/containers/auth.json");
  std::string cfg = env("XDG_CONFIG_HOME");
  if (cfg.empty()) cfg = home_dir() + "/.config";
  out.push_back(cfg + "/containers/auth.json");
  // docker's --config DIR (tug's global --config sets DOCKER_CONFIG).
  std::string docker = env("DOCKER_CONFIG");
  out.push_back((docker.empty() ? home_dir() + "/.docker" : docker) + "/config.json");
  out.push_back(home_dir() + "/.dockercfg");
  return out;
}

std::string AuthFile::write_path() const {
  return read_paths().front();
}

std::optional<Credentials> AuthFile::lookup(const std::string& registry,
                                            const std::string& repository, std::string* from,
                                            std::string* key) const {
  // Most specific key first: host/ns/repo, host/ns, host.
  std::vector<std::string> keys;
  if (!repository.empty()) {
    std::string k = registry + "/" + repository;
    for (;;) {
      keys.push_back(k);
      size_t slash = k.rfind('/');
      if (slash == std::string::npos || slash <= registry.size()) break;
      k = k.substr(0, slash);
    }
  }
  keys.push_back(registry);
  for (const auto& path : read_paths()) {
    // A file that exists but is not an auth file is an error, never skipped
    // (podman's rule): the user would otherwise wonder why a login is not
    // used, or a pull is anonymous.
    const char* hint = "fix or remove the file, then run tug login again";
    std::optional<json> j;
    try {
      j = read_json_if_exists(path);
    } catch (Error& e) {
      e.add_context("reading credentials").set_hint(hint);
      throw;
    }
    if (!j) continue;
    auto malformed = [&](const std::string& why) {
      return Error(Errc::invalid, "reading credentials: " + path + ": " + why, hint);
    };
    if (!j->is_object()) throw malformed("not a JSON object");
    // ~/.dockercfg is the bare map; the others nest it under "auths".
    const json* auths = j->contains("auths") ? &(*j)["auths"] : &*j;
    if (auths->is_null()) continue;
    if (!auths->is_object()) throw malformed("\"auths\" is not a JSON object");
    std::map<std::string, const json*> by_key;
    for (const auto& [k, v] : auths->items()) {
      std::string nk = normalise_key(k);
      if (!by_key.count(nk)) by_key[nk] = &v;
    }
    for (const auto& k : keys)
      if (auto it = by_key.find(k); it != by_key.end())
        if (auto c = with_context(path + ": " + k, [&] { return creds_of(*it->second); })) {
          if (from) *from = path;
          if (key) *key = k;
          return c;
        }
  }
  return std::nullopt;
}

void AuthFile::store(const std::string& key, const Credentials& c) const {
  std::string path = write_path();
  json j = read_json_if_exists(path).value_or(json::object());
  if (!j.is_object()) j = json::object();
  if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = json::object();
  j["auths"][key] = {{"auth", base64_encode(c.username + ":" + c.password)}};
  make_dirs(dirname_of(path), 0700);
  atomic_write(path, j.dump(1, '\t') + "\n", 0600);
}

bool AuthFile::remove(const std::string& key) const {
  std::string path = write_path();
  auto j = read_json_if_exists(path);
  if (!j || !j->is_object() || !j->contains("auths") || !(*j)["auths"].is_object()) return false;
  json& auths = (*j)["auths"];
  bool removed = false;
  for (auto it = auths.begin(); it != auths.end();) {
    if (it.key() == key || normalise_key(it.key()) == key) {
      it = auths.erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  if (removed) atomic_write(path, j->dump(1, '\t') + "\n", 0600);
  return removed;
}

bool AuthFile::remove_all() const {
  std::string path = write_path();
  auto j = read_json_if_exists(path);
  if (!j || !j->is_object() || !j->contains("auths") || (*j)["auths"].empty()) return false;
  (*j)["auths"] = json::object();
  atomic_write(path, j->dump(1, '\t') + "\n", 0600);
  return true;
}

}  // namespace tug::registry
