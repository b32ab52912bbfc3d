// Compose files (compose.hpp): discovery, merge, interpolation and the model.
#include "compose/compose.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace fs = std::filesystem;

namespace tug::compose {

namespace {

const char* const kNames[] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                              "docker-compose.yml"};
const char* const kOverrides[] = {"compose.override.yaml", "compose.override.yml",
                                  "docker-compose.override.yaml", "docker-compose.override.yml"};

// Where parsing is: the file for messages, and the variables to interpolate.
struct Ctx {
  std::string file;
  std::function<std::optional<std::string>(const std::string&)> lookup;
  std::string project_dir;
};

[[noreturn]] void fail(const Ctx& c, const YAML::Node& n, const std::string& key,
                       const std::string& what) {
  std::string where = c.file;
  if (n.IsDefined() && n.Mark().line >= 0) where += ":" + std::to_string(n.Mark().line + 1);
  throw Error(Errc::invalid, where + ": " + key + ": " + what);
}

void warn_unknown(const Ctx& c, const YAML::Node& n, const std::string& key) {
  log_warn(c.file + ":" + std::to_string(n.Mark().line + 1) + ": unknown key " + quote(key) +
           " ignored");
}

std::string str(const Ctx& c, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(c, n, key, "must be a string");
  return interpolate(n.Scalar(), c.lookup,
                     c.file + ":" + std::to_string(n.Mark().line + 1) + ": " + key);
}

bool boolean(const Ctx& c, const YAML::Node& n, const std::string& key) {
  std::string v = str(c, n, key);
  if (v == "true" || v == "True" || v == "yes") return true;
  if (v == "false" || v == "False" || v == "no") return false;
  fail(c, n, key, "must be true or false, not " + quote(v));
}

std::vector<std::string> str_list(const Ctx& c, const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  if (n.IsScalar()) return {str(c, n, key)};
  if (!n.IsSequence()) fail(c, n, key, "must be a list");
  for (const auto& e : n) out.push_back(str(c, e, key));
  return out;
}

// A command or entrypoint: a list, or a string split like a shell would.
std::vector<std::string> command_of(const Ctx& c, const YAML::Node& n, const std::string& key) {
  if (n.IsNull()) return {};
  if (n.IsScalar()) return split_words(str(c, n, key));
  return str_list(c, n, key);
}

// environment, labels, build.args: a map, or a list of K=V.
std::map<std::string, std::string> key_values(const Ctx& c, const YAML::Node& n,
                                              const std::string& key, bool keep_bare,
                                              std::vector<std::string>* bare = nullptr) {
  std::map<std::string, std::string> out;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      std::string k = kv.first.Scalar();
      if (kv.second.IsNull()) {
        if (bare) bare->push_back(k);
        if (keep_bare) out[k] = "";
        continue;
      }
      out[k] = str(c, kv.second, key + "." + k);
    }
  } else if (n.IsSequence()) {
    for (const auto& e : n) {
      std::string item = str(c, e, key);
      bool found = false;
      auto [k, v] = split_once(item, '=', &found);
      if (!found) {
        if (bare) bare->push_back(k);
        if (keep_bare) out[k] = "";
        continue;
      }
      out[k] = v;
    }
  } else if (!n.IsNull()) {
    fail(c, n, key, "must be a map or a list of KEY=VALUE");
  }
  return out;
}

// "1m30s", "10s", "500ms", "2h" -> seconds (rounded down); a plain number is seconds.
int duration_seconds(const Ctx& c, const YAML::Node& n, const std::string& key) {
  std::string s = str(c, n, key);
  double total = 0;
  size_t i = 0;
  if (s.find_first_not_of("0123456789") == std::string::npos && !s.empty()) return std::stoi(s);
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) fail(c, n, key, "invalid duration " + quote(s));
    double v = std::stod(s.substr(i, j - i));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    std::string unit = s.substr(j, k - j);
    if (unit == "h")
      total += v * 3600;
    else if (unit == "m")
      total += v * 60;
    else if (unit == "s")
      total += v;
    else if (unit == "ms")
      total += v / 1000;
    else if (unit == "us")
      total += v / 1e6;
    else
      fail(c, n, key, "invalid duration " + quote(s));
    i = k;
  }
  return static_cast<int>(total);
}

std::string absolute_in(const std::string& dir, const std::string& path) {
  std::string p = path;
  if (p == "~" || starts_with(p, "~/")) {
    const char* home = getenv("HOME");
    p = std::string(home ? home : "") + p.substr(1);
  }
  fs::path r = fs::path(p).is_absolute() ? fs::path(p) : fs::path(dir) / p;
  return r.lexically_normal().string();
}

bool is_path(const std::string& s) {
  return starts_with(s, "/") || starts_with(s, ".") || starts_with(s, "~");
}

std::string port_of(const Ctx& c, const YAML::Node& n) {
  if (n.IsScalar()) {
    std::string p = str(c, n, "ports");
    if (p.empty() || p.find_first_not_of("0123456789.:-/abcdefptu[]") != std::string::npos)
      fail(c, n, "ports", "invalid port " + quote(p));
    return p;
  }
  if (!n.IsMap()) fail(c, n, "ports", "must be a string or a map");
  std::string target, published, ip, proto;
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    if (k == "target")
      target = str(c, kv.second, "ports.target");
    else if (k == "published")
      published = str(c, kv.second, "ports.published");
    else if (k == "host_ip")
      ip = str(c, kv.second, "ports.host_ip");
    else if (k == "protocol")
      proto = str(c, kv.second, "ports.protocol");
    else if (k != "mode" && k != "name" && k != "app_protocol")
      warn_unknown(c, kv.first, "ports." + k);
  }
  if (target.empty()) fail(c, n, "ports", "the long syntax needs a target");
  std::string out = target;
  if (!published.empty()) out = published + ":" + out;
  if (!ip.empty()) out = ip + ":" + (published.empty() ? ":" : "") + out;
  if (!proto.empty()) out += "/" + proto;
  return out;
}

void parse_volume(const Ctx& c, const YAML::Node& n, Service& s) {
  if (n.IsScalar()) {
    std::string v = str(c, n, "volumes");
    auto parts = split(v, ':');
    if (parts.size() == 1) {  // anonymous volume
      s.volumes.push_back(v);
      return;
    }
    if (parts.size() > 3 || parts[0].empty() || parts[1].empty())
      fail(c, n, "volumes", "invalid volume " + quote(v));
    if (is_path(parts[0])) parts[0] = absolute_in(c.project_dir, parts[0]);
    s.volumes.push_back(join(parts, ":"));
    return;
  }
  if (!n.IsMap()) fail(c, n, "volumes", "must be a string or a map");
  std::string type = "volume", source, target;
  bool ro = false;
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    if (k == "type")
      type = str(c, kv.second, "volumes.type");
    else if (k == "source")
      source = str(c, kv.second, "volumes.source");
    else if (k == "target")
      target = str(c, kv.second, "volumes.target");
    else if (k == "read_only")
      ro = boolean(c, kv.second, "volumes.read_only");
    else if (k != "bind" && k != "volume" && k != "tmpfs" && k != "consistency")
      warn_unknown(c, kv.first, "volumes." + k);
  }
  if (target.empty()) fail(c, n, "volumes", "the long syntax needs a target");
  if (type == "tmpfs") {
    std::string opts;
    if (auto t = n["tmpfs"]; t && t["size"]) opts = ":size=" + str(c, t["size"], "tmpfs.size");
    s.tmpfs.push_back(target + opts);
    return;
  }
  if (type != "volume" && type != "bind")
    fail(c, n, "volumes.type", "unsupported volume type " + quote(type));
  if (type == "bind") {
    if (source.empty()) fail(c, n, "volumes", "a bind mount needs a source");
    source = absolute_in(c.project_dir, source);
  }
  if (source.empty())
    s.volumes.push_back(target);
  else
    s.volumes.push_back(source + ":" + target + (ro ? ":ro" : ""));
}

Service parse_service(const Ctx& c, const std::string& name, const YAML::Node& n) {
  Service s;
  s.name = name;
  if (!n.IsMap()) fail(c, n, "services." + name, "must be a map");
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    std::string key = "services." + name + "." + k;
    if (k == "image") {
      s.image = str(c, v, key);
    } else if (k == "build") {
      s.build.set = true;
      s.build.context = c.project_dir;
      if (v.IsScalar()) {
        s.build.context = absolute_in(c.project_dir, str(c, v, key));
      } else if (v.IsMap()) {
        for (const auto& b : v) {
          std::string bk = b.first.Scalar();
          if (bk == "context")
            s.build.context = absolute_in(c.project_dir, str(c, b.second, key + ".context"));
          else if (bk == "dockerfile")
            s.build.dockerfile = str(c, b.second, key + ".dockerfile");
          else if (bk == "target")
            s.build.target = str(c, b.second, key + ".target");
          else if (bk == "args")
            s.build.args = key_values(c, b.second, key + ".args", true);
          else
            warn_unknown(c, b.first, key + "." + bk);
        }
      } else {
        fail(c, v, key, "must be a string or a map");
      }
    } else if (k == "command") {
      s.command = command_of(c, v, key);
    } else if (k == "entrypoint") {
      s.entrypoint = command_of(c, v, key);
    } else if (k == "environment") {
      std::vector<std::string> bare;
      for (const auto& [ek, ev] : key_values(c, v, key, false, &bare))
        s.environment.push_back(ek + "=" + ev);
      for (const auto& b : bare)
        if (auto val = c.lookup(b)) s.environment.push_back(b + "=" + *val);
    } else if (k == "env_file") {
      for (const auto& f : str_list(c, v, key))
        s.env_files.push_back(absolute_in(c.project_dir, f));
    } else if (k == "ports") {
      if (!v.IsSequence()) fail(c, v, key, "must be a list");
      for (const auto& p : v) s.ports.push_back(port_of(c, p));
    } else if (k == "expose") {
      s.expose = str_list(c, v, key);
    } else if (k == "volumes") {
      if (!v.IsSequence()) fail(c, v, key, "must be a list");
      for (const auto& e : v) parse_volume(c, e, s);
    } else if (k == "tmpfs") {
      for (const auto& t : str_list(c, v, key)) s.tmpfs.push_back(t);
    } else if (k == "networks") {
      s.networks_set = true;
      if (v.IsSequence()) {
        for (const auto& e : v) s.networks.push_back({str(c, e, key), {}, {}});
      } else if (v.IsMap()) {
        for (const auto& e : v) {
          ServiceNetwork sn;
          sn.name = e.first.Scalar();
          if (e.second.IsMap()) {
            for (const auto& o : e.second) {
              std::string ok = o.first.Scalar();
              if (ok == "aliases")
                sn.aliases = str_list(c, o.second, key + "." + sn.name + ".aliases");
              else if (ok == "ipv4_address")
                sn.ipv4_address = str(c, o.second, key + "." + sn.name + ".ipv4_address");
              else
                warn_unknown(c, o.first, key + "." + sn.name + "." + ok);
            }
          } else if (!e.second.IsNull()) {
            fail(c, e.second, key + "." + sn.name, "must be a map");
          }
          s.networks.push_back(sn);
        }
      } else {
        fail(c, v, key, "must be a list or a map");
      }
    } else if (k == "depends_on") {
      if (v.IsSequence()) {
        for (const auto& e : v) s.depends_on.push_back({str(c, e, key), "service_started"});
      } else if (v.IsMap()) {
        for (const auto& e : v) {
          Dependency d{e.first.Scalar(), "service_started"};
          if (e.second.IsMap() && e.second["condition"])
            d.condition = str(c, e.second["condition"], key + "." + d.service + ".condition");
          if (d.condition != "service_started" && d.condition != "service_healthy" &&
              d.condition != "service_completed_successfully")
            fail(c, e.second, key + "." + d.service + ".condition",
                 "unknown condition " + quote(d.condition));
          s.depends_on.push_back(d);
        }
      } else {
        fail(c, v, key, "must be a list or a map");
      }
    } else if (k == "healthcheck") {
      if (!v.IsMap()) fail(c, v, key, "must be a map");
      s.healthcheck.set = true;
      for (const auto& h : v) {
        std::string hk = h.first.Scalar();
        if (hk == "test") {
          if (h.second.IsScalar())
            s.healthcheck.test = {"CMD-SHELL", str(c, h.second, key + ".test")};
          else
            s.healthcheck.test = str_list(c, h.second, key + ".test");
        } else if (hk == "interval") {
          s.healthcheck.interval = str(c, h.second, key + "." + hk);
        } else if (hk == "timeout") {
          s.healthcheck.timeout = str(c, h.second, key + "." + hk);
        } else if (hk == "start_period") {
          s.healthcheck.start_period = str(c, h.second, key + "." + hk);
        } else if (hk == "retries") {
          try {
            s.healthcheck.retries = std::stoi(str(c, h.second, key + "." + hk));
          } catch (const std::logic_error&) {
            fail(c, h.second, key + ".retries", "must be a number");
          }
        } else if (hk == "disable") {
          s.healthcheck.disable = boolean(c, h.second, key + "." + hk);
        } else {
          warn_unknown(c, h.first, key + "." + hk);
        }
      }
    } else if (k == "restart") {
      s.restart = str(c, v, key);
    } else if (k == "working_dir") {
      s.working_dir = str(c, v, key);
    } else if (k == "user") {
      s.user = str(c, v, key);
    } else if (k == "hostname") {
      s.hostname = str(c, v, key);
    } else if (k == "container_name") {
      s.container_name = str(c, v, key);
    } else if (k == "stop_signal") {
      s.stop_signal = str(c, v, key);
    } else if (k == "stop_grace_period") {
      s.stop_grace_period = duration_seconds(c, v, key);
    } else if (k == "labels") {
      s.labels = key_values(c, v, key, true);
    } else if (k == "init") {
      s.init = boolean(c, v, key);
    } else if (k == "read_only") {
      s.read_only = boolean(c, v, key);
    } else if (k == "cap_add") {
      s.cap_add = str_list(c, v, key);
    } else if (k == "cap_drop") {
      s.cap_drop = str_list(c, v, key);
    } else if (k == "profiles") {
      s.profiles = str_list(c, v, key);
    } else if (k == "extra_hosts") {
      if (v.IsMap()) {
        for (const auto& e : v)
          s.extra_hosts.push_back(e.first.Scalar() + ":" + str(c, e.second, key));
      } else {
        for (auto h : str_list(c, v, key)) {
          // "host=ip" and "host:ip" both name the host first.
          auto eq = h.find('=');
          if (eq != std::string::npos) h[eq] = ':';
          s.extra_hosts.push_back(h);
        }
      }
    } else if (k == "dns") {
      s.dns = str_list(c, v, key);
    } else if (k == "deploy") {
      if (!v.IsMap()) fail(c, v, key, "must be a map");
      for (const auto& d : v) {
        std::string dk = d.first.Scalar();
        if (dk != "resources") {
          warn_unknown(c, d.first, key + "." + dk);
          continue;
        }
        for (const auto& r : d.second) {
          std::string rk = r.first.Scalar();
          if (rk != "limits") {
            warn_unknown(c, r.first, key + ".resources." + rk);
            continue;
          }
          for (const auto& l : r.second) {
            std::string lk = l.first.Scalar();
            if (lk == "cpus")
              s.cpus = str(c, l.second, key + ".resources.limits.cpus");
            else if (lk == "memory")
              s.memory = str(c, l.second, key + ".resources.limits.memory");
            else
              warn_unknown(c, l.first, key + ".resources.limits." + lk);
          }
        }
      }
    } else {
      warn_unknown(c, kv.first, key);
    }
  }
  return s;
}

// Later files win: maps merge key by key, anything else is replaced.
void merge(YAML::Node base, const YAML::Node& over) {
  for (const auto& kv : over) {
    std::string k = kv.first.Scalar();
    YAML::Node b = base[k];
    if (b.IsMap() && kv.second.IsMap())
      merge(b, kv.second);
    else
      base[k] = kv.second;
  }
}

YAML::Node read_yaml(const std::string& file) {
  std::string text = read_file(file);
  try {
    YAML::Node n = YAML::Load(text);
    if (n.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!n.IsMap()) throw Error(Errc::invalid, file + ":1: the top level must be a map");
    return n;
  } catch (const YAML::ParserException& e) {
    throw Error(Errc::invalid,
                file + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
}

// Everything but the services' contents: checks and fills p from root.
void parse_top(const Ctx& c, const YAML::Node& root, Project& p) {
  for (const auto& kv : root) {
    std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (k == "services") {
      if (!v.IsMap()) fail(c, v, k, "must be a map");
      for (const auto& s : v) p.services.push_back(parse_service(c, s.first.Scalar(), s.second));
    } else if (k == "networks") {
      if (!v.IsMap() && !v.IsNull()) fail(c, v, k, "must be a map");
      for (const auto& e : v) {
        NetworkDef d;
        d.key = e.first.Scalar();
        std::string key = "networks." + d.key;
        if (e.second.IsMap()) {
          for (const auto& o : e.second) {
            std::string ok = o.first.Scalar();
            if (ok == "driver")
              d.driver = str(c, o.second, key + ".driver");
            else if (ok == "internal")
              d.internal = boolean(c, o.second, key + ".internal");
            else if (ok == "external")
              d.external = o.second.IsMap() || boolean(c, o.second, key + ".external");
            else if (ok == "name")
              d.name = str(c, o.second, key + ".name");
            else if (ok == "labels")
              d.labels = key_values(c, o.second, key + ".labels", true);
            else if (ok == "ipam") {
              if (auto cfg = o.second["config"]; cfg && cfg.IsSequence())
                for (const auto& ce : cfg)
                  if (ce["subnet"]) d.subnet = str(c, ce["subnet"], key + ".ipam.config.subnet");
            } else {
              warn_unknown(c, o.first, key + "." + ok);
            }
          }
        } else if (!e.second.IsNull()) {
          fail(c, e.second, key, "must be a map");
        }
        if (d.driver != "bridge")
          fail(c, e.second, key + ".driver", "only the bridge driver is supported");
        p.networks[d.key] = d;
      }
    } else if (k == "volumes") {
      if (!v.IsMap() && !v.IsNull()) fail(c, v, k, "must be a map");
      for (const auto& e : v) {
        VolumeDef d;
        d.key = e.first.Scalar();
        std::string key = "volumes." + d.key;
        if (e.second.IsMap()) {
          for (const auto& o : e.second) {
            std::string ok = o.first.Scalar();
            if (ok == "external")
              d.external = o.second.IsMap() || boolean(c, o.second, key + ".external");
            else if (ok == "name")
              d.name = str(c, o.second, key + ".name");
            else if (ok == "labels")
              d.labels = key_values(c, o.second, key + ".labels", true);
            else if (ok != "driver")
              warn_unknown(c, o.first, key + "." + ok);
          }
        } else if (!e.second.IsNull()) {
          fail(c, e.second, key, "must be a map");
        }
        p.volumes[d.key] = d;
      }
    } else if (k == "name") {
      p.name = str(c, v, k);
    } else if (k != "version" && !starts_with(k, "x-")) {
      warn_unknown(c, kv.first, k);
    }
  }
}

}  // namespace

const Service* Project::find(const std::string& service) const {
  for (const auto& s : services)
    if (s.name == service) return &s;
  return nullptr;
}

const Service& Project::get(const std::string& service) const {
  if (auto* s = find(service)) return *s;
  throw Error(Errc::not_found, "no such service: " + service);
}

std::string Project::network_name(const std::string& key) const {
  auto it = networks.find(key);
  if (it != networks.end()) return it->second.name;
  return name + "_" + key;
}

std::vector<std::string> discover(const std::string& dir) {
  fs::path d = fs::absolute(dir);
  for (;;) {
    for (const char* n : kNames) {
      if (fs::exists(d / n)) {
        std::vector<std::string> out{(d / n).string()};
        for (const char* o : kOverrides)
          if (fs::exists(d / o)) {
            out.push_back((d / o).string());
            break;
          }
        return out;
      }
    }
    if (d == d.root_path() || d.parent_path() == d) break;
    d = d.parent_path();
  }
  throw Error(Errc::not_found, "no configuration file provided: not found",
              "add a compose.yaml in this directory or a parent, or name one with -f");
}

std::string normalize_project_name(const std::string& name) {
  std::string out;
  for (char ch : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
  }
  while (!out.empty() && (out[0] == '_' || out[0] == '-')) out.erase(0, 1);
  return out;
}

std::string interpolate(const std::string& text,
                        const std::function<std::optional<std::string>(const std::string&)>& lookup,
                        const std::string& where) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size()) {
      out += '$';
      continue;
    }
    char n = text[i + 1];
    if (n == '$') {
      out += '$';
      ++i;
      continue;
    }
    auto name_char = [](char ch, bool first) {
      return std::isalpha(static_cast<unsigned char>(ch)) || ch == '_' ||
             (!first && std::isdigit(static_cast<unsigned char>(ch)));
    };
    if (n != '{') {
      size_t j = i + 1;
      while (j < text.size() && name_char(text[j], j == i + 1)) ++j;
      if (j == i + 1) {
        out += '$';
        continue;
      }
      out += lookup(text.substr(i + 1, j - i - 1)).value_or("");
      i = j - 1;
      continue;
    }
    // ${...}: find the matching brace (defaults may hold ${} themselves).
    size_t depth = 1, j = i + 2;
    for (; j < text.size() && depth; ++j) {
      if (text[j] == '{') ++depth;
      if (text[j] == '}') --depth;
    }
    if (depth) throw Error(Errc::invalid, where + ": unterminated ${ in " + quote(text));
    std::string body = text.substr(i + 2, j - i - 3);
    i = j - 1;
    size_t k = 0;
    while (k < body.size() && name_char(body[k], k == 0)) ++k;
    std::string name = body.substr(0, k);
    if (name.empty()) throw Error(Errc::invalid, where + ": invalid interpolation " + quote(text));
    std::string op = body.substr(k, body.size() > k + 1 && body[k] == ':' ? 2 : 1);
    std::string arg = k < body.size() ? body.substr(k + op.size()) : "";
    std::optional<std::string> val = lookup(name);
    if (k == body.size()) {
      out += val.value_or("");
    } else if (op == ":-") {
      out += val && !val->empty() ? *val : interpolate(arg, lookup, where);
    } else if (op == "-") {
      out += val ? *val : interpolate(arg, lookup, where);
    } else if (op == ":+") {
      out += val && !val->empty() ? interpolate(arg, lookup, where) : "";
    } else if (op == "+") {
      out += val ? interpolate(arg, lookup, where) : "";
    } else if (op == ":?" || op == "?") {
      if (!val || (op == ":?" && val->empty()))
        throw Error(Errc::invalid, where + ": required variable " + name + " is missing a value" +
                                       (arg.empty() ? "" : ": " + interpolate(arg, lookup, where)));
      out += *val;
    } else {
      throw Error(Errc::invalid, where + ": invalid interpolation " + quote(text));
    }
  }
  return out;
}

std::map<std::string, std::string> parse_env_file(const std::string& text) {
  std::map<std::string, std::string> out;
  for (auto line : split(text, '\n')) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (starts_with(line, "export ")) line = trim(line.substr(7));
    bool found = false;
    auto [k, v] = split_once(line, '=', &found);
    if (!found) continue;
    k = trim(k);
    v = trim(v);
    if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'') && v.back() == v[0])
      v = v.substr(1, v.size() - 2);
    out[k] = v;
  }
  return out;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char q = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (q) {
      if (ch == q)
        q = 0;
      else if (ch == '\\' && q == '"' && i + 1 < s.size())
        cur += s[++i];
      else
        cur += ch;
    } else if (ch == '\'' || ch == '"') {
      q = ch;
      in_word = true;
    } else if (ch == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (q) throw Error(Errc::invalid, "unterminated quote in " + quote(s));
  if (in_word) out.push_back(cur);
  return out;
}

Project load(const LoadOptions& opts) {
  Project p;
  std::string cwd = opts.cwd.empty() ? fs::current_path().string() : opts.cwd;
  std::vector<std::string> files = opts.files;
  if (files.empty()) {
    if (auto it = opts.environment.find("COMPOSE_FILE"); it != opts.environment.end())
      files = split(it->second, ':');
    else
      files = discover(cwd);
  }
  for (auto& f : files) {
    if (f == "-") throw Error(Errc::unsupported, "compose files from stdin are not implemented");
    f = absolute_in(cwd, f);
    if (!fs::exists(f)) throw Error(Errc::not_found, "open " + f + ": no such file or directory");
  }
  p.config_files = files;
  p.working_dir = opts.project_directory.empty() ? fs::path(files[0]).parent_path().string()
                                                 : absolute_in(cwd, opts.project_directory);

  // .env in the project directory; the process's environment wins.
  std::map<std::string, std::string> env;
  if (auto text = read_file_if_exists(p.working_dir + "/.env")) env = parse_env_file(*text);
  for (const auto& [k, v] : opts.environment) env[k] = v;
  auto lookup = [&env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };

  // Each file is checked on its own (so errors name the right file), then
  // the merge is parsed once more as the model.
  std::vector<YAML::Node> docs;
  for (const auto& f : files) {
    docs.push_back(read_yaml(f));
    Project check;
    parse_top(Ctx{f, lookup, p.working_dir}, docs.back(), check);
  }
  YAML::Node merged = docs[0];
  for (size_t i = 1; i < docs.size(); ++i) merge(merged, docs[i]);
  {
    // Warnings were given per file above: keep the second pass quiet.
    LogLevel before = log_level();
    set_log_level(LogLevel::error);
    try {
      parse_top(Ctx{files[0], lookup, p.working_dir}, merged, p);
    } catch (...) {
      set_log_level(before);
      throw;
    }
    set_log_level(before);
  }

  std::string name = opts.project_name;
  if (name.empty())
    if (auto it = env.find("COMPOSE_PROJECT_NAME"); it != env.end()) name = it->second;
  if (name.empty()) name = p.name;
  if (name.empty()) name = fs::path(p.working_dir).filename().string();
  p.name = normalize_project_name(name);
  if (p.name.empty())
    throw Error(Errc::invalid, "project name " + quote(name) + " has no usable character",
                "name the project with -p NAME (lowercase letters, digits, _ and -)");

  for (auto& [k, n] : p.networks)
    if (n.name.empty()) n.name = n.external ? k : p.name + "_" + k;
  for (auto& [k, v] : p.volumes)
    if (v.name.empty()) v.name = v.external ? k : p.name + "_" + k;
  std::sort(p.services.begin(), p.services.end(),
            [](const Service& a, const Service& b) { return a.name < b.name; });

  const std::string& file = files[0];
  if (p.services.empty()) throw Error(Errc::invalid, file + ": no service is defined");
  for (auto& s : p.services) {
    if (s.image.empty() && !s.build.set)
      throw Error(Errc::invalid,
                  file + ": services." + s.name + ": has neither an image nor build");
    for (const auto& d : s.depends_on)
      if (!p.find(d.service))
        throw Error(Errc::invalid, file + ": services." + s.name +
                                       ".depends_on: undefined service " + quote(d.service));
    for (const auto& n : s.networks)
      if (n.name != "default" && !p.networks.count(n.name))
        throw Error(Errc::invalid, file + ": services." + s.name + ".networks: undefined network " +
                                       quote(n.name));
    for (const auto& v : s.volumes) {
      auto parts = split(v, ':');
      if (parts.size() >= 2 && !is_path(parts[0]) && !p.volumes.count(parts[0]))
        throw Error(Errc::invalid, file + ": services." + s.name + ".volumes: undefined volume " +
                                       quote(parts[0]));
    }
  }
  // Profiles: a service with profiles runs only when one of them is active.
  std::set<std::string> active(opts.profiles.begin(), opts.profiles.end());
  if (auto it = env.find("COMPOSE_PROFILES"); it != env.end())
    for (const auto& pr : split(it->second, ',')) active.insert(pr);
  std::vector<Service> kept;
  for (auto& s : p.services) {
    bool on = s.profiles.empty() || active.count("*") ||
              std::any_of(s.profiles.begin(), s.profiles.end(),
                          [&](const std::string& pr) { return active.count(pr) > 0; });
    if (on) kept.push_back(std::move(s));
  }
  p.services = std::move(kept);
  return p;
}

namespace {

void emit_list(YAML::Emitter& e, const char* key, const std::vector<std::string>& v) {
  if (v.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& x : v) e << YAML::DoubleQuoted << x;
  e << YAML::EndSeq;
}

void emit_str(YAML::Emitter& e, const char* key, const std::string& v) {
  if (!v.empty()) e << YAML::Key << key << YAML::Value << v;
}

void emit_map(YAML::Emitter& e, const char* key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : m) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  e << YAML::EndMap;
}

void emit_service(YAML::Emitter& e, const Service& s) {
  e << YAML::BeginMap;
  emit_str(e, "image", s.image);
  if (s.build.set) {
    e << YAML::Key << "build" << YAML::Value << YAML::BeginMap;
    emit_str(e, "context", s.build.context);
    emit_str(e, "dockerfile", s.build.dockerfile);
    emit_str(e, "target", s.build.target);
    emit_map(e, "args", s.build.args);
    e << YAML::EndMap;
  }
  emit_str(e, "container_name", s.container_name);
  if (s.entrypoint) {
    e << YAML::Key << "entrypoint" << YAML::Value << YAML::BeginSeq;
    for (const auto& x : *s.entrypoint) e << YAML::DoubleQuoted << x;
    e << YAML::EndSeq;
  }
  if (s.command) {
    e << YAML::Key << "command" << YAML::Value << YAML::BeginSeq;
    for (const auto& x : *s.command) e << YAML::DoubleQuoted << x;
    e << YAML::EndSeq;
  }
  if (!s.depends_on.empty()) {
    e << YAML::Key << "depends_on" << YAML::Value << YAML::BeginMap;
    for (const auto& d : s.depends_on)
      e << YAML::Key << d.service << YAML::Value << YAML::BeginMap << YAML::Key << "condition"
        << YAML::Value << d.condition << YAML::EndMap;
    e << YAML::EndMap;
  }
  if (!s.environment.empty()) {
    std::map<std::string, std::string> env;
    for (const auto& kv : s.environment) {
      auto [k, v] = split_once(kv, '=');
      env[k] = v;
    }
    emit_map(e, "environment", env);
  }
  emit_list(e, "env_file", s.env_files);
  if (s.healthcheck.set) {
    e << YAML::Key << "healthcheck" << YAML::Value << YAML::BeginMap;
    emit_list(e, "test", s.healthcheck.test);
    emit_str(e, "interval", s.healthcheck.interval);
    emit_str(e, "timeout", s.healthcheck.timeout);
    emit_str(e, "start_period", s.healthcheck.start_period);
    if (s.healthcheck.retries) e << YAML::Key << "retries" << YAML::Value << s.healthcheck.retries;
    if (s.healthcheck.disable) e << YAML::Key << "disable" << YAML::Value << true;
    e << YAML::EndMap;
  }
  emit_str(e, "hostname", s.hostname);
  if (s.init) e << YAML::Key << "init" << YAML::Value << true;
  emit_map(e, "labels", s.labels);
  if (s.networks_set) {
    e << YAML::Key << "networks" << YAML::Value << YAML::BeginMap;
    for (const auto& n : s.networks) {
      e << YAML::Key << n.name << YAML::Value;
      if (n.aliases.empty() && n.ipv4_address.empty()) {
        e << YAML::Null;
      } else {
        e << YAML::BeginMap;
        emit_list(e, "aliases", n.aliases);
        emit_str(e, "ipv4_address", n.ipv4_address);
        e << YAML::EndMap;
      }
    }
    e << YAML::EndMap;
  }
  emit_list(e, "ports", s.ports);
  emit_list(e, "expose", s.expose);
  emit_list(e, "profiles", s.profiles);
  if (s.read_only) e << YAML::Key << "read_only" << YAML::Value << true;
  emit_str(e, "restart", s.restart);
  emit_list(e, "cap_add", s.cap_add);
  emit_list(e, "cap_drop", s.cap_drop);
  if (!s.cpus.empty() || !s.memory.empty()) {
    e << YAML::Key << "deploy" << YAML::Value << YAML::BeginMap << YAML::Key << "resources"
      << YAML::Value << YAML::BeginMap << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
    emit_str(e, "cpus", s.cpus);
    emit_str(e, "memory", s.memory);
    e << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  }
  emit_list(e, "dns", s.dns);
  emit_list(e, "extra_hosts", s.extra_hosts);
  emit_str(e, "stop_signal", s.stop_signal);
  if (s.stop_grace_period)
    e << YAML::Key << "stop_grace_period" << YAML::Value
      << std::to_string(*s.stop_grace_period) + "s";
  emit_list(e, "tmpfs", s.tmpfs);
  emit_str(e, "user", s.user);
  emit_list(e, "volumes", s.volumes);
  emit_str(e, "working_dir", s.working_dir);
  e << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Project& p) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << p.name;
  e << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
  for (const auto& s : p.services) {
    e << YAML::Key << s.name << YAML::Value;
    emit_service(e, s);
  }
  e << YAML::EndMap;
  if (!p.networks.empty()) {
    e << YAML::Key << "networks" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, n] : p.networks) {
      e << YAML::Key << k << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "name" << YAML::Value << n.name;
      if (n.external) e << YAML::Key << "external" << YAML::Value << true;
      if (n.internal) e << YAML::Key << "internal" << YAML::Value << true;
      if (!n.subnet.empty())
        e << YAML::Key << "ipam" << YAML::Value << YAML::BeginMap << YAML::Key << "config"
          << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "subnet" << YAML::Value
          << n.subnet << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
      emit_map(e, "labels", n.labels);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  if (!p.volumes.empty()) {
    e << YAML::Key << "volumes" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : p.volumes) {
      e << YAML::Key << k << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "name" << YAML::Value << v.name;
      if (v.external) e << YAML::Key << "external" << YAML::Value << true;
      emit_map(e, "labels", v.labels);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

std::string config_hash(const Service& s) {
  YAML::Emitter e;
  emit_service(e, s);
  return sha256_hex(e.c_str());
}

std::vector<std::string> start_order(const Project& p, const std::vector<std::string>& wanted) {
  std::vector<std::string> roots = wanted;
  if (roots.empty())
    for (const auto& s : p.services) roots.push_back(s.name);
  std::vector<std::string> order;
  std::map<std::string, int> mark;  // 1 visiting, 2 done
  std::function<void(const std::string&, std::vector<std::string>&)> visit =
      [&](const std::string& name, std::vector<std::string>& path) {
        if (mark[name] == 2) return;
        path.push_back(name);
        if (mark[name] == 1) throw Error(Errc::invalid, "dependency cycle: " + join(path, " -> "));
        mark[name] = 1;
        const Service* s = p.find(name);
        if (!s) throw Error(Errc::not_found, "no such service: " + name);
        for (const auto& d : s->depends_on) visit(d.service, path);
        mark[name] = 2;
        path.pop_back();
        order.push_back(name);
      };
  for (const auto& r : roots) {
    std::vector<std::string> path;
    visit(r, path);
  }
  return order;
}

}  // namespace tug::compose
