#include "volume/volume.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "events/events.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::volume {

bool valid_name(const std::string& name) {
  if (name.size() < 2) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

Store::Store(const Paths& paths, const userns::Mapping& mapping)
    : paths_(paths), mapping_(mapping) {}

std::string Store::dir(const std::string& name) const {
  return paths_.volumes() + "/" + name;
}

Volume Store::load(const std::string& name, const json& j) const {
  Volume v;
  v.name = name;
  v.created = json_str(j, "created");
  v.anonymous = j.value("anonymous", false);
  v.labels = j.value("labels", std::map<std::string, std::string>{});
  v.mountpoint = dir(name) + "/_data";
  v.options = j.value("options", std::map<std::string, std::string>{});
  return v;
}

bool Volume::is_tmpfs() const {
  auto it = options.find("type");
  return it != options.end() && it->second == "tmpfs";
}

std::string Volume::bind_device() const {
  auto type = options.find("type");
  auto dev = options.find("device");
  if (type == options.end() || (type->second != "none" && type->second != "bind") ||
      dev == options.end())
    return "";
  return dev->second;
}

std::map<std::string, std::string> parse_options(const std::vector<std::string>& opts) {
  std::map<std::string, std::string> out;
  for (const auto& text : opts) {
    bool ok = false;
    auto [key, value] = split_once(text, '=', &ok);
    if (!ok || key.empty())
      throw Error(Errc::usage, "invalid volume option " + quote(text) + ": expected KEY=VALUE");
    if (key != "type" && key != "device" && key != "o" && key != "uid" && key != "gid")
      throw Error(Errc::usage, "invalid mount option " + key + " for driver local",
                  "use type, device, o, uid or gid");
    if ((key == "uid" || key == "gid") &&
        (value.empty() || value.find_first_not_of("0123456789") != std::string::npos))
      throw Error(Errc::usage, "invalid volume option " + key + "=" + value + ": not a number");
    out[key] = value;
  }
  std::string type = out.count("type") ? out["type"] : "";
  std::string o = out.count("o") ? out["o"] : "";
  bool bind = false;
  for (const auto& f : split(o, ',')) bind = bind || f == "bind" || f == "rbind";
  if (type.empty()) {
    if (out.count("device") || !o.empty())
      throw Error(Errc::usage, "a volume with device or o options needs -o type=TYPE");
  } else if (type == "tmpfs") {
    if (out.count("device") && out["device"] != "tmpfs")
      throw Error(Errc::usage, "a tmpfs volume's device must be tmpfs");
  } else if (type == "none" || type == "bind") {
    if (!bind)
      throw Error(Errc::unsupported,
                  "a volume of type " + type + " must be a bind mount (-o o=bind)",
                  "the rootless local driver mounts tmpfs or binds host directories only");
    auto dev = out.find("device");
    if (dev == out.end() || dev->second.empty() || dev->second[0] != '/')
      throw Error(Errc::usage, "a bind volume needs -o device=/absolute/path");
    if (!is_directory(dev->second))
      throw Error(Errc::not_found, "invalid volume device " + dev->second + ": no such directory");
  } else {
    throw Error(Errc::unsupported, "volume type " + quote(type) + " cannot be mounted without root",
                "use -o type=tmpfs, or -o type=none -o o=bind -o device=/path");
  }
  return out;
}

std::pair<Volume, bool> Store::create(const std::string& name_in, bool anonymous,
                                      const std::map<std::string, std::string>& labels,
                                      bool exist_ok,
                                      const std::map<std::string, std::string>& options) {
  std::string name = name_in.empty() ? random_hex64() : name_in;
  if (!valid_name(name))
    throw Error(Errc::usage, "invalid volume name " + quote(name) +
                                 ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  // mkdir is the claim: two concurrent creates of one name cannot both win.
  if (::mkdir(dir(name).c_str(), 0700) != 0) {
    if (errno != EEXIST) throw_errno("creating volume " + name);
    if (auto v = find(name); v && exist_ok) return {*v, false};
    if (find(name)) throw Error(Errc::exists, "volume with name " + name + " already exists");
  }
  make_dirs(dir(name) + "/_data", 0755);
  if (options.count("uid") || options.count("gid")) {
    // Container ids: the volume's root belongs to them as the container
    // sees it (inside the user namespace, with the store's mapping).
    uid_t uid = options.count("uid") ? static_cast<uid_t>(std::stoul(options.at("uid"))) : 0;
    gid_t gid = options.count("gid") ? static_cast<gid_t>(std::stoul(options.at("gid"))) : 0;
    std::string data = dir(name) + "/_data";
    try {
      userns::run_in_userns(mapping_, [&] {
        if (::chown(data.c_str(), uid, gid) != 0)
          throw_errno("chown " + name + " to " + std::to_string(uid) + ":" + std::to_string(gid));
      });
    } catch (const Error&) {
      remove_tree(dir(name));
      throw;
    }
  }
  json j = {{"name", name},
            {"created", now_rfc3339()},
            {"anonymous", anonymous},
            {"labels", labels},
            {"options", options}};
  write_json_atomic(dir(name) + "/volume.json", j);
  // Actor.ID is the name, as in docker; the name attribute too, as podman
  // gives it, so {{.Actor.Attributes.name}} means the same for every type.
  events::emit(paths_, "volume", "create", name, {{"driver", "local"}, {"name", name}});
  return {load(name, j), true};
}

std::optional<Volume> Store::find(const std::string& name) const {
  if (!valid_name(name)) return std::nullopt;
  auto j = read_store_record(dir(name) + "/volume.json");
  if (!j) return std::nullopt;
  return load(name, *j);
}

Volume Store::get(const std::string& name) const {
  auto v = find(name);
  if (!v)
    throw Error(Errc::not_found, "no volume with name \"" + name + "\" found: no such volume", {},
                1);  // docker exits 1 for an object that does not exist
  return *v;
}

std::vector<Volume> Store::list() const {
  std::vector<Volume> out;
  std::vector<std::string> names = list_dir(paths_.volumes());
  std::sort(names.begin(), names.end());  // as podman lists them
  for (const auto& n : names)
    if (auto v = find(n)) out.push_back(*v);
  return out;
}

bool Store::empty(const std::string& name) const {
  return list_dir(dir(name) + "/_data").empty();
}

void Store::remove(const std::string& name) {
  std::string d = dir(name);
  ::unlink((d + "/volume.json").c_str());
  try {
    remove_tree(d);
  } catch (const Error&) {
    if (mapping_.single) throw;
    userns::run_in_userns(mapping_, [&] { remove_tree(d); });
  }
  events::emit(paths_, "volume", "destroy", name, {{"driver", "local"}, {"name", name}});
}

json to_inspect_json(const Volume& v) {
  return json{{"Name", v.name},         {"Driver", "local"},       {"Mountpoint", v.mountpoint},
              {"CreatedAt", v.created}, {"Labels", v.labels},      {"Scope", "local"},
              {"Options", v.options},   {"Anonymous", v.anonymous}};
}

}  // namespace tug::volume
