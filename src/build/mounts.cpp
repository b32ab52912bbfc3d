#include "build/mounts.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <vector>

#include "build/cache.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::build {

namespace {

[[noreturn]] void bad(const std::string& text, const std::string& msg,
                      const std::string& hint = {}) {
  throw Error(Errc::invalid, "--mount=" + text + ": " + msg, hint);
}

bool parse_bool(const std::string& text, const std::string& key, const std::string& value,
                bool has_value) {
  if (!has_value || value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  bad(text, "invalid value " + quote(value) + " for " + key, "use true or false");
}

uint32_t parse_id(const std::string& text, const std::string& key, const std::string& value) {
  char* end = nullptr;
  unsigned long n = std::strtoul(value.c_str(), &end, 10);
  if (value.empty() || value[0] == '-' || !end || *end || n > 0xfffffffeUL)
    bad(text, "invalid " + key + " " + quote(value), key + " takes a number");
  return static_cast<uint32_t>(n);
}

}  // namespace

const char* mount_type_name(RunMount::Type t) {
  switch (t) {
    case RunMount::Type::bind:
      return "bind";
    case RunMount::Type::cache:
      return "cache";
    case RunMount::Type::tmpfs:
      return "tmpfs";
    case RunMount::Type::secret:
      return "secret";
    case RunMount::Type::ssh:
      return "ssh";
  }
  return "?";
}

RunMount parse_run_mount(const std::string& text) {
  RunMount m;
  std::vector<std::pair<std::string, std::pair<std::string, bool>>> fields;
  std::string type = "bind";
  for (const auto& field : split(text, ',')) {
    if (field.empty()) continue;
    bool has = false;
    auto [key, value] = split_once(field, '=', &has);
    key = trim(key);
    if (key == "type") {
      type = value;
      continue;
    }
    fields.push_back({key, {value, has}});
  }
  static const std::map<std::string, RunMount::Type> kTypes = {{"bind", RunMount::Type::bind},
                                                               {"cache", RunMount::Type::cache},
                                                               {"tmpfs", RunMount::Type::tmpfs},
                                                               {"secret", RunMount::Type::secret},
                                                               {"ssh", RunMount::Type::ssh}};
  auto t = kTypes.find(type);
  if (t == kTypes.end())
    bad(text, "unsupported mount type " + quote(type), "use bind, cache, tmpfs, secret or ssh");
  m.type = t->second;
  // The options each type takes (BuildKit's).
  static const std::map<RunMount::Type, std::set<std::string>> kAllowed = {
      {RunMount::Type::bind, {"target", "source", "from", "rw", "readwrite", "ro", "readonly"}},
      {RunMount::Type::cache,
       {"target", "source", "from", "id", "sharing", "mode", "uid", "gid", "ro", "readonly", "rw",
        "readwrite"}},
      {RunMount::Type::tmpfs, {"target", "size"}},
      {RunMount::Type::secret, {"target", "id", "env", "required", "mode", "uid", "gid"}},
      {RunMount::Type::ssh, {"target", "id", "required", "mode", "uid", "gid"}}};
  bool rw = m.type != RunMount::Type::bind, explicit_id = false;
  for (const auto& [key0, vh] : fields) {
    const auto& [value, has] = vh;
    std::string key = key0;
    if (key == "dst" || key == "destination") key = "target";
    if (key == "src") key = "source";
    if (!kAllowed.at(m.type).count(key)) {
      bool known = false;
      for (const auto& [ty, keys] : kAllowed) known = known || keys.count(key);
      if (!known) bad(text, "unknown option " + quote(key));
      bad(text, "option " + quote(key) + " does not apply to type=" + type);
    }
    if (key != "rw" && key != "readwrite" && key != "ro" && key != "readonly" &&
        key != "required" && value.empty())
      bad(text, "option " + quote(key) + " needs a value");
    if (key == "target") {
      m.target = value;
    } else if (key == "source") {
      m.source = value;
    } else if (key == "from") {
      m.from = value;
    } else if (key == "id") {
      m.id = value;
      explicit_id = true;
    } else if (key == "env") {
      m.env = value;
    } else if (key == "size") {
      m.size = value;
    } else if (key == "sharing") {
      if (value != "shared" && value != "private" && value != "locked")
        bad(text, "invalid sharing " + quote(value), "use shared, private or locked");
      m.sharing = value;
    } else if (key == "mode") {
      char* end = nullptr;
      unsigned long n = std::strtoul(value.c_str(), &end, 8);
      if (!end || *end || n > 07777) bad(text, "invalid mode " + quote(value), "an octal mode");
      m.mode = static_cast<mode_t>(n);
    } else if (key == "uid") {
      m.uid = parse_id(text, key, value);
    } else if (key == "gid") {
      m.gid = parse_id(text, key, value);
    } else if (key == "rw" || key == "readwrite") {
      rw = parse_bool(text, key, value, has);
    } else if (key == "ro" || key == "readonly") {
      rw = !parse_bool(text, key, value, has);
    } else if (key == "required") {
      m.required = parse_bool(text, key, value, has);
    }
  }
  m.readonly = !rw;
  switch (m.type) {
    case RunMount::Type::bind:
    case RunMount::Type::cache:
    case RunMount::Type::tmpfs:
      if (m.target.empty()) bad(text, "a " + type + " mount needs a target");
      break;
    case RunMount::Type::secret:
      if (m.id.empty() && m.target.empty()) bad(text, "a secret mount needs an id or a target");
      if (m.id.empty()) {
        std::string b = m.target;
        while (b.size() > 1 && b.back() == '/') b.pop_back();
        m.id = b.substr(b.rfind('/') + 1);
      }
      if (m.target.empty() && m.env.empty()) m.target = "/run/secrets/" + m.id;
      break;
    case RunMount::Type::ssh:
      if (m.id.empty()) m.id = "default";
      break;
  }
  if (m.type == RunMount::Type::cache) {
    // The id names a directory of the store by its hash; a path in it is
    // refused so that no one expects it to pick a place.
    if (explicit_id && (m.id.find('/') != std::string::npos || m.id == "." || m.id == ".."))
      bad(text, "invalid cache id " + quote(m.id) + ": an id names a cache, not a path",
          "use a plain name such as id=pip");
    if (!explicit_id) m.id = m.target;
  }
  return m;
}

std::string mount_key(const RunMount& m) {
  std::string k = std::string("type=") + mount_type_name(m.type) + ",target=" + m.target +
                  ",source=" + m.source + ",from=" + m.from + ",id=" + m.id + ",env=" + m.env +
                  ",size=" + m.size + ",sharing=" + m.sharing + ",ro=" + (m.readonly ? "1" : "0") +
                  ",required=" + (m.required ? "1" : "0");
  if (m.mode) k += ",mode=" + std::to_string(*m.mode);
  if (m.uid) k += ",uid=" + std::to_string(*m.uid);
  if (m.gid) k += ",gid=" + std::to_string(*m.gid);
  return k;
}

std::string cache_mounts_dir(const Paths& paths) {
  return cache_dir(paths) + "/mounts";
}

std::string cache_mount_dir(const Paths& paths, const std::string& id) {
  return cache_mounts_dir(paths) + "/" + sha256_hex(id);
}

}  // namespace tug::build
