#include "registry/registries_conf.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>

#include "config/paths.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::registry {

namespace {

std::string user_config_dir() {
  const char* x = std::getenv("XDG_CONFIG_HOME");
  if (x && *x) return std::string(x) + "/containers";
  return home_dir() + "/.config/containers";
}

// The part of a reference that prefixes match: "registry/repository".
bool prefix_matches(const std::string& prefix, const std::string& name) {
  if (starts_with(prefix, "*.")) {
    std::string host = name.substr(0, name.find('/'));
    return ends_with(host, prefix.substr(1));
  }
  return name == prefix || starts_with(name, prefix + "/");
}

std::string str_of(const toml::node_view<const toml::node>& n, const std::string& origin,
                   const std::string& key) {
  if (!n) return {};
  auto v = n.value<std::string>();
  if (!v) throw Error(Errc::invalid, origin + ": " + key + " must be a string");
  return *v;
}

bool bool_of(const toml::node_view<const toml::node>& n, const std::string& origin,
             const std::string& key) {
  if (!n) return false;
  auto v = n.value<bool>();
  if (!v) throw Error(Errc::invalid, origin + ": " + key + " must be true or false");
  return *v;
}

}  // namespace

void RegistriesConf::merge(const std::string& text, const std::string& origin) {
  toml::table t;
  try {
    t = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw Error(Errc::invalid,
                origin + ":" + std::to_string(where.line) + ": " + std::string(e.description()));
  }
  sources.push_back(origin);
  const toml::table& ct = t;
  if (auto a = ct["unqualified-search-registries"]) {
    const toml::array* arr = a.as_array();
    if (!arr) throw Error(Errc::invalid, origin + ": unqualified-search-registries must be a list");
    unqualified_search.clear();
    for (const auto& n : *arr) {
      auto s = n.value<std::string>();
      if (!s)
        throw Error(Errc::invalid, origin + ": unqualified-search-registries holds a non-string");
      unqualified_search.push_back(*s);
    }
  }
  if (const toml::table* al = ct["aliases"].as_table()) {
    for (const auto& [k, v] : *al) {
      auto s = v.value<std::string>();
      if (!s)
        throw Error(Errc::invalid, origin + ": alias " + quote(k.str()) + " must be a string");
      aliases[std::string(k.str())] = *s;
    }
  }
  if (auto regs = ct["registry"]) {
    const toml::array* arr = regs.as_array();
    if (!arr) throw Error(Errc::invalid, origin + ": [[registry]] must be an array of tables");
    for (const auto& n : *arr) {
      const toml::table* rt = n.as_table();
      if (!rt) throw Error(Errc::invalid, origin + ": [[registry]] must be an array of tables");
      toml::node_view<const toml::node> r{rt};
      RegistryEntry e;
      e.prefix = str_of(r["prefix"], origin, "prefix");
      e.location = str_of(r["location"], origin, "location");
      if (e.prefix.empty()) e.prefix = e.location;
      if (e.prefix.empty())
        throw Error(Errc::invalid,
                    origin + ": a [[registry]] entry has neither prefix nor location");
      if (starts_with(e.prefix, "*.") && !e.location.empty())
        throw Error(Errc::invalid,
                    origin + ": wildcard prefix " + quote(e.prefix) + " cannot have a location");
      e.insecure = bool_of(r["insecure"], origin, "insecure");
      e.blocked = bool_of(r["blocked"], origin, "blocked");
      if (auto ms = r["mirror"]) {
        const toml::array* marr = ms.as_array();
        if (!marr) throw Error(Errc::invalid, origin + ": [[registry.mirror]] must be tables");
        for (const auto& mn : *marr) {
          const toml::table* mt = mn.as_table();
          if (!mt) throw Error(Errc::invalid, origin + ": [[registry.mirror]] must be tables");
          toml::node_view<const toml::node> m{mt};
          Mirror mi;
          mi.location = str_of(m["location"], origin, "mirror location");
          mi.insecure = bool_of(m["insecure"], origin, "mirror insecure");
          if (mi.location.empty())
            throw Error(Errc::invalid, origin + ": a mirror has no location");
          e.mirrors.push_back(mi);
        }
      }
      auto same = std::find_if(registries.begin(), registries.end(),
                               [&](const RegistryEntry& x) { return x.prefix == e.prefix; });
      if (same != registries.end())
        *same = e;
      else
        registries.push_back(e);
    }
  }
}

RegistriesConf RegistriesConf::load() {
  RegistriesConf c;
  auto read_one = [&](const std::string& path) {
    if (auto text = read_file_if_exists(path)) c.merge(*text, path);
  };
  auto read_dir = [&](const std::string& dir) {
    auto names = list_dir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
      if (ends_with(n, ".conf")) read_one(path_join(dir, n));
  };
  if (const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF"); env && *env) {
    read_one(env);
    return c;
  }
  std::string user = user_config_dir() + "/registries.conf";
  read_one(path_exists(user) ? user : "/etc/containers/registries.conf");
  read_dir("/etc/containers/registries.conf.d");
  read_dir(user_config_dir() + "/registries.conf.d");
  return c;
}

const RegistryEntry* RegistriesConf::find(const std::string& name) const {
  const RegistryEntry* best = nullptr;
  for (const auto& e : registries)
    if (prefix_matches(e.prefix, name) && (!best || e.prefix.size() > best->prefix.size()))
      best = &e;
  return best;
}

std::vector<image::Reference> RegistriesConf::candidates(const std::string& text) const {
  image::Reference ref = image::parse_reference(text);
  if (!ref.short_name) return {ref};
  auto with_tag = [&](const std::string& base) {
    std::string s = base;
    if (!ref.digest.empty())
      s += "@" + ref.digest;
    else
      s += ":" + ref.tag;
    return image::parse_reference(s);
  };
  // The alias key is the name as typed, without tag or digest.
  std::string key = text.substr(0, text.find('@'));
  if (size_t colon = key.rfind(':');
      colon != std::string::npos && key.find('/', colon) == std::string::npos)
    key = key.substr(0, colon);
  if (auto it = aliases.find(key); it != aliases.end()) {
    image::Reference a = with_tag(it->second);
    if (a.short_name)
      throw Error(Errc::invalid, "alias " + quote(key) + " = " + quote(it->second) +
                                     " is not a fully qualified name");
    return {a};
  }
  if (unqualified_search.empty()) return {ref};  // docker.io, as docker does
  std::vector<image::Reference> out;
  for (const auto& reg : unqualified_search) out.push_back(with_tag(reg + "/" + key));
  return out;
}

std::vector<Endpoint> RegistriesConf::endpoints(const image::Reference& ref, bool for_pull) const {
  std::string name = ref.name();
  const RegistryEntry* e = find(name);
  Endpoint direct{ref.registry, ref.repository, false, false};
  if (!e) return {direct};
  if (e->blocked)
    throw Error(Errc::permission, "pulling " + ref.str() + ": registry " + ref.registry +
                                      " is blocked by registries.conf ([[registry]] " +
                                      quote(e->prefix) + ")");
  auto rewrite = [&](const std::string& location, bool insecure, bool mirror) {
    std::string full = name;
    if (!location.empty() && !starts_with(e->prefix, "*."))
      full = location + name.substr(e->prefix.size());
    Endpoint ep;
    ep.registry = full.substr(0, full.find('/'));
    ep.repository = full.find('/') == std::string::npos ? "" : full.substr(full.find('/') + 1);
    ep.insecure = insecure;
    ep.mirror = mirror;
    return ep;
  };
  std::vector<Endpoint> out;
  // Mirrors serve pulls by digest and by tag alike here (podman's default
  // pull-from-mirror = "all").
  if (for_pull)
    for (const auto& m : e->mirrors) out.push_back(rewrite(m.location, m.insecure, true));
  out.push_back(rewrite(e->location, e->insecure, false));
  return out;
}

bool RegistriesConf::insecure(const std::string& host) const {
  auto host_of = [](const std::string& loc) { return loc.substr(0, loc.find('/')); };
  for (const auto& e : registries) {
    if (!e.location.empty() && host_of(e.location) == host && e.insecure) return true;
    for (const auto& m : e.mirrors)
      if (host_of(m.location) == host && m.insecure) return true;
  }
  const RegistryEntry* e = find(host + "/x");
  return e && e->insecure;
}

}  // namespace tug::registry
