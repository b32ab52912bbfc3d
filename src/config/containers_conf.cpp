#include "config/containers_conf.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "config/paths.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug {

namespace {

const char* const kVendorDir = "/usr/share/containers/";

// The keys tug honours, by table.
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> k = {
      {"containers",
       {"env", "env_host", "default_capabilities", "default_ulimits", "dns_servers", "dns_searches",
        "dns_options", "init", "log_driver", "log_size_max", "log_tag", "pids_limit", "userns",
        "shm_size", "volumes", "devices"}},
      {"engine", {"events_logger", "stop_timeout", "pull_policy", "image_default_transport"}},
      {"network", {"default_rootless_network_cmd"}},
  };
  return k;
}

struct Merged {
  toml::table values;                         // table -> key -> value, later files win
  std::map<std::string, std::string> origin;  // "table.key" -> the file that set it
  std::set<std::string> ignored;
};

void merge_file(Merged& m, const ConfFile& f) {
  toml::table t;
  try {
    t = toml::parse(f.text, f.path);
  } catch (const toml::parse_error& e) {
    throw Error(Errc::invalid, f.path + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  for (const auto& [tkey, tnode] : t) {
    std::string tname(tkey.str());
    const toml::table* sub = tnode.as_table();
    if (!sub) {
      m.ignored.insert(tname);
      continue;
    }
    auto known = known_keys().find(tname);
    if (!m.values.contains(tname)) m.values.insert(tname, toml::table{});
    toml::table& dst = *m.values[tname].as_table();
    for (const auto& [k, v] : *sub) {
      std::string key(k.str());
      std::string full = tname + "." + key;
      if (known == known_keys().end() || !known->second.count(key)) {
        m.ignored.insert(full);
        continue;
      }
      dst.insert_or_assign(key, v);
      m.origin[full] = f.path;
    }
  }
}

class Reader {
 public:
  explicit Reader(const Merged& m) : m_(m) {}

  const toml::node* node(const std::string& table, const std::string& key) const {
    const toml::table* t = m_.values[table].as_table();
    return t ? t->get(key) : nullptr;
  }
  [[noreturn]] void wrong(const std::string& table, const std::string& key,
                          const char* want) const {
    throw Error(Errc::invalid, from(table, key) + ": " + table + "." + key + " must be " + want);
  }
  std::string from(const std::string& table, const std::string& key) const {
    auto it = m_.origin.find(table + "." + key);
    return it == m_.origin.end() ? std::string("containers.conf") : it->second;
  }
  void str(const std::string& table, const std::string& key, std::string& out) const {
    const toml::node* n = node(table, key);
    if (!n) return;
    auto v = n->value<std::string>();
    if (!v) wrong(table, key, "a string");
    out = *v;
  }
  template <typename T>
  void num(const std::string& table, const std::string& key, std::optional<T>& out) const {
    const toml::node* n = node(table, key);
    if (!n) return;
    if (!n->is_integer()) wrong(table, key, "an integer");
    out = static_cast<T>(*n->value<int64_t>());
  }
  void boolean(const std::string& table, const std::string& key, std::optional<bool>& out) const {
    const toml::node* n = node(table, key);
    if (!n) return;
    if (!n->is_boolean()) wrong(table, key, "a boolean (true or false)");
    out = *n->value<bool>();
  }
  bool list(const std::string& table, const std::string& key, std::vector<std::string>& out) const {
    const toml::node* n = node(table, key);
    if (!n) return false;
    const toml::array* a = n->as_array();
    if (!a) wrong(table, key, "a list of strings");
    out.clear();
    for (const auto& e : *a) {
      auto v = e.value<std::string>();
      if (!v) wrong(table, key, "a list of strings");
      out.push_back(*v);
    }
    return true;
  }

 private:
  const Merged& m_;
};

void check_one_of(const Reader& r, const std::string& table, const std::string& key,
                  const std::string& value, std::initializer_list<const char*> allowed) {
  if (value.empty()) return;
  for (const char* a : allowed)
    if (value == a) return;
  std::vector<std::string> names(allowed.begin(), allowed.end());
  throw Error(
      Errc::invalid,
      r.from(table, key) + ": " + table + "." + key + ": " + quote(value) + " is not supported",
      "use " + join(names, ", "));
}

}  // namespace

ContainersConf parse_containers_conf(const std::vector<ConfFile>& files) {
  Merged m;
  for (const auto& f : files) merge_file(m, f);
  Reader r(m);
  ContainersConf c;
  for (const auto& f : files) c.files.push_back(f.path);
  c.ignored.assign(m.ignored.begin(), m.ignored.end());

  const std::string ct = "containers";
  r.list(ct, "env", c.env);
  for (const auto& e : c.env)
    if (e.empty() || e[0] == '=')
      throw Error(Errc::invalid,
                  r.from(ct, "env") + ": containers.env: " + quote(e) + " is not KEY=VALUE");
  std::optional<bool> env_host;
  r.boolean(ct, "env_host", env_host);
  c.env_host = env_host.value_or(false);
  std::vector<std::string> caps;
  if (r.list(ct, "default_capabilities", caps)) {
    if (!starts_with(r.from(ct, "default_capabilities"), kVendorDir))
      c.default_capabilities = caps;
    else
      c.ignored.push_back("containers.default_capabilities");
  }
  r.list(ct, "default_ulimits", c.default_ulimits);
  r.list(ct, "dns_servers", c.dns_servers);
  r.list(ct, "dns_searches", c.dns_searches);
  r.list(ct, "dns_options", c.dns_options);
  r.boolean(ct, "init", c.init);
  r.str(ct, "log_driver", c.log_driver);
  r.num(ct, "log_size_max", c.log_size_max);
  r.str(ct, "log_tag", c.log_tag);
  r.num(ct, "pids_limit", c.pids_limit);
  r.str(ct, "userns", c.userns);
  r.str(ct, "shm_size", c.shm_size);
  r.list(ct, "volumes", c.volumes);
  r.list(ct, "devices", c.devices);

  const std::string en = "engine";
  r.str(en, "events_logger", c.events_logger);
  check_one_of(r, en, "events_logger", c.events_logger, {"file", "none", "journald"});
  r.num(en, "stop_timeout", c.stop_timeout);
  r.str(en, "pull_policy", c.pull_policy);
  check_one_of(r, en, "pull_policy", c.pull_policy, {"always", "missing", "never", "newer"});
  r.str(en, "image_default_transport", c.image_default_transport);
  check_one_of(r, en, "image_default_transport", c.image_default_transport, {"docker://"});

  r.str("network", "default_rootless_network_cmd", c.default_rootless_network_cmd);
  check_one_of(r, "network", "default_rootless_network_cmd", c.default_rootless_network_cmd,
               {"slirp4netns", "pasta"});
  return c;
}

std::vector<std::string> containers_conf_paths() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  auto with_dropins = [&](const std::string& main) {
    if (path_exists(main)) out.push_back(main);
    std::error_code ec;
    std::vector<std::string> dropins;
    for (const auto& e : fs::directory_iterator(main + ".d", ec))
      if (e.path().extension() == ".conf" && e.is_regular_file(ec))
        dropins.push_back(e.path().string());
    std::sort(dropins.begin(), dropins.end());
    out.insert(out.end(), dropins.begin(), dropins.end());
  };
  if (const char* env = std::getenv("CONTAINERS_CONF"); env && *env) {
    if (!path_exists(env))
      throw Error(Errc::not_found, std::string("CONTAINERS_CONF: no file ") + env);
    out.push_back(env);
  } else {
    with_dropins("/usr/share/containers/containers.conf");
    with_dropins("/etc/containers/containers.conf");
    const char* x = std::getenv("XDG_CONFIG_HOME");
    with_dropins((x && *x ? std::string(x) : home_dir() + "/.config") +
                 "/containers/containers.conf");
  }
  if (const char* env = std::getenv("CONTAINERS_CONF_OVERRIDE"); env && *env) {
    if (!path_exists(env))
      throw Error(Errc::not_found, std::string("CONTAINERS_CONF_OVERRIDE: no file ") + env);
    out.push_back(env);
  }
  return out;
}

const ContainersConf& containers_conf() {
  static const ContainersConf conf = [] {
    std::vector<ConfFile> files;
    for (const auto& p : containers_conf_paths()) {
      auto text = read_file_if_exists(p);
      if (text) files.push_back({p, *text});
    }
    return parse_containers_conf(files);
  }();
  return conf;
}

}  // namespace tug
