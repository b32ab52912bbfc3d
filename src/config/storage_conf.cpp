#include "config/storage_conf.hpp"

#include <toml++/toml.h>

#include <cstdlib>

#include "config/paths.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug {

StorageConf parse_storage_conf(const std::string& text, const std::string& origin) {
  toml::table t;
  try {
    t = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw Error(Errc::invalid, origin + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  StorageConf c;
  c.origin = origin;
  const toml::table& ct = t;
  auto str = [&](const toml::node_view<const toml::node>& n, const char* key) -> std::string {
    if (!n) return {};
    auto v = n.value<std::string>();
    if (!v) throw Error(Errc::invalid, origin + ": " + key + " must be a string");
    return *v;
  };
  c.graphroot = str(ct["storage"]["graphroot"], "graphroot");
  c.runroot = str(ct["storage"]["runroot"], "runroot");
  if (auto stores = ct["storage"]["options"]["additionalimagestores"]; stores) {
    const toml::array* a = stores.as_array();
    if (!a) throw Error(Errc::invalid, origin + ": additionalimagestores must be a list of paths");
    for (const auto& e : *a) {
      auto v = e.value<std::string>();
      if (!v || v->empty() || (*v)[0] != '/')
        throw Error(Errc::invalid, origin +
                                       ": additionalimagestores: every entry must be an "
                                       "absolute path");
      c.additional_image_stores.push_back(*v);
    }
  }
  return c;
}

StorageConf load_storage_conf() {
  std::string user_file;
  if (const char* env = std::getenv("CONTAINERS_STORAGE_CONF"); env && *env) {
    auto text = read_file_if_exists(env);
    if (!text) throw Error(Errc::not_found, std::string("CONTAINERS_STORAGE_CONF: no file ") + env);
    return parse_storage_conf(*text, env);
  }
  const char* x = std::getenv("XDG_CONFIG_HOME");
  user_file = (x && *x ? std::string(x) : home_dir() + "/.config") + "/containers/storage.conf";
  if (auto text = read_file_if_exists(user_file)) return parse_storage_conf(*text, user_file);
  const std::string system_file = "/etc/containers/storage.conf";
  if (auto text = read_file_if_exists(system_file)) {
    StorageConf c = parse_storage_conf(*text, system_file);
    c.graphroot.clear();
    c.runroot.clear();
    return c;
  }
  return {};
}

}  // namespace tug
