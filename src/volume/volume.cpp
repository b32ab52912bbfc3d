#include "volume/volume.hpp"

#include <sys/stat.h>
#include <unistd.h>

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
  return v;
}

std::pair<Volume, bool> Store::create(const std::string& name_in, bool anonymous,
                                      const std::map<std::string, std::string>& labels,
                                      bool exist_ok) {
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
  json j = {
      {"name", name}, {"created", now_rfc3339()}, {"anonymous", anonymous}, {"labels", labels}};
  write_json_atomic(dir(name) + "/volume.json", j);
  // Actor.ID is the name, as in docker; the name attribute too, as podman
  // gives it, so {{.Actor.Attributes.name}} means the same for every type.
  events::emit(paths_, "volume", "create", name, {{"driver", "local"}, {"name", name}});
  return {load(name, j), true};
}

std::optional<Volume> Store::find(const std::string& name) const {
  if (!valid_name(name)) return std::nullopt;
  auto j = read_json_if_exists(dir(name) + "/volume.json");
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
  for (const auto& n : list_dir(paths_.volumes()))
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
  return json{{"Name", v.name},
              {"Driver", "local"},
              {"Mountpoint", v.mountpoint},
              {"CreatedAt", v.created},
              {"Labels", v.labels},
              {"Scope", "local"},
              {"Options", json::object()},
              {"Anonymous", v.anonymous}};
}

}  // namespace tug::volume
