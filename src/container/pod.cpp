#include "container/pod.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <tuple>

#include "build_info.hpp"
#include "events/events.hpp"
#include "image/archive.hpp"
#include "image/layer.hpp"
#include "network/mode.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/lock.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::container {

void to_json(json& j, const Pod& p) {
  j = json{{"id", p.id},
           {"name", p.name},
           {"created", p.created},
           {"infra_id", p.infra_id},
           {"hostname", p.hostname},
           {"labels", p.labels},
           {"exit_policy", p.exit_policy},
           {"create_command", p.create_command}};
}

void from_json(const json& j, Pod& p) {
  p.id = j.value("id", "");
  p.name = j.value("name", "");
  p.created = j.value("created", "");
  p.infra_id = j.value("infra_id", "");
  p.hostname = j.value("hostname", "");
  p.labels = j.value("labels", std::map<std::string, std::string>{});
  p.exit_policy = j.value("exit_policy", "continue");
  p.create_command = j.value("create_command", std::vector<std::string>{});
}

std::string read_pod_id_file(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text)
    throw Error(Errc::not_found, "reading pod ID file " + path + ": no such file or directory");
  std::string id = trim(*text);
  if (id.empty()) throw Error(Errc::invalid, "pod ID file " + path + " is empty");
  return id;
}

std::string ensure_pause_image(image::Store& images) {
  std::string ref = std::string("localhost/tug-pause:") + TUG_VERSION;
  if (images.find(ref)) return ref;
  // One file, tug's own static init in its pause mode: no registry needed.
  TempDir tmp(images.paths().tmp(), "pause-");
  std::string root = tmp.path() + "/rootfs";
  make_dirs(root, 0755);
  std::string init = libexec_path("tug-init");
  auto binary = read_file_if_exists(init);
  if (!binary || binary->empty())
    throw Error(Errc::not_found, "tug-init not found at " + init, "reinstall tug");
  write_file(root + "/pause", *binary);
  ::chmod((root + "/pause").c_str(), 0755);
  std::string tar = tmp.path() + "/pause.tar";
  {
    UniqueFd out = open_or_throw(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    image::write_tar(root, out.get());
  }
  image::ImportOptions o;
  o.name = ref;
  o.changes = {R"(ENTRYPOINT ["/pause", "--pause"])", "STOPSIGNAL SIGTERM"};
  o.message = "tug's pod infra image";
  o.source_label = "tug-init";
  image::import_tarball(images, tar, o);
  return ref;
}

std::optional<Pod> find_pod(const Paths& paths, const std::string& key) {
  if (key.empty()) return std::nullopt;
  std::optional<Pod> match;
  for (const auto& id : list_dir(paths.pods())) {
    auto j = read_store_record(paths.pods() + "/" + id + "/pod.json");
    if (!j) continue;
    Pod p = j->get<Pod>();
    if (p.name == key || p.id == key) return p;
    if (starts_with(p.id, key)) {
      if (match) throw Error(Errc::invalid, "multiple pods match the ID prefix " + quote(key));
      match = p;
    }
  }
  return match;
}

PodStore::PodStore(Store& containers, image::Store& images)
    : containers_(containers), images_(images) {}

std::string PodStore::dir(const std::string& id) const {
  return containers_.paths().pods() + "/" + id;
}

Pod PodStore::create(const PodOptions& o) {
  if (!o.network.empty()) {
    auto k = network::parse_mode(o.network).kind;
    if (k == network::Mode::Kind::container)
      throw Error(Errc::usage, "a pod cannot use another container's network");
  }
  std::string exit_policy = o.exit_policy.empty() ? "continue" : o.exit_policy;
  if (exit_policy != "continue" && exit_policy != "stop")
    throw Error(Errc::usage, "invalid --exit-policy " + quote(o.exit_policy),
                "use continue or stop");
  // Every check of the input comes before the first change to the store: a
  // refused name or label must leave no pause image behind.
  Pod p;
  p.name = o.name;
  if (!p.name.empty() && !valid_name(p.name))
    throw Error(Errc::usage, "invalid pod name " + quote(p.name) +
                                 ": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  p.labels = collect_labels(o.label_files, o.labels);
  auto in_use = [&] {
    auto old = find_pod(containers_.paths(), p.name);
    if (!old || old->name != p.name) return std::optional<Pod>();
    if (!o.replace)
      throw Error(Errc::exists, "the pod name \"" + p.name + "\" is already in use by " + old->id,
                  "remove that pod or use --replace / a different --name");
    return old;
  };
  if (!p.name.empty()) in_use();
  std::string pause = ensure_pause_image(images_);
  make_dirs(containers_.paths().pods(), 0700);
  FileLock lock(containers_.paths().data + "/pods.lock");
  if (auto old = p.name.empty() ? std::nullopt : in_use()) remove(*old, true);
  for (int i = 0; p.name.empty() && i < 100; ++i)
    if (std::string n = random_name(); !find_pod(containers_.paths(), n)) p.name = n;
  p.id = random_hex64();
  p.created = now_rfc3339();
  p.hostname = o.hostname.empty() ? p.name : o.hostname;
  p.exit_policy = exit_policy;
  p.create_command = o.create_command;
  CreateOptions c;
  c.image = pause;
  c.name = p.id.substr(0, 12) + "-infra";
  c.hostname = p.hostname;
  c.network = o.network;
  c.publish = o.publish;
  c.add_hosts = o.add_hosts;
  c.dns = o.dns;
  c.infra_of_pod = p.id;
  c.conmon_pidfile = o.infra_conmon_pidfile;
  make_dirs(dir(p.id), 0700);
  try {
    p.infra_id = container::create(containers_, images_, c).id;
    write_json_atomic(dir(p.id) + "/pod.json", json(p));
    // Replaced, not refused when it exists (podman's rule for pods): a
    // unit's pod is created anew at each start.
    if (!o.pod_id_file.empty()) write_file(o.pod_id_file, p.id);
    events::emit(containers_.paths(), "pod", "create", p.id, {{"name", p.name}});
  } catch (...) {
    if (!p.infra_id.empty()) {
      if (auto r = containers_.find(p.infra_id)) container::remove(containers_, *r, true);
    }
    remove_tree(dir(p.id));
    throw;
  }
  return p;
}

std::optional<Pod> PodStore::find(const std::string& key) const {
  return find_pod(containers_.paths(), key);
}

Pod PodStore::get(const std::string& key) const {
  auto p = find(key);
  if (!p)
    throw Error(Errc::not_found, "no pod with name or ID " + key + " found: no such pod", {},
                1);  // docker exits 1 for an object that does not exist
  return *p;
}

std::vector<Pod> PodStore::list() const {
  std::vector<Pod> out;
  for (const auto& id : list_dir(containers_.paths().pods()))
    if (auto j = read_store_record(dir(id) + "/pod.json")) out.push_back(j->get<Pod>());
  std::sort(out.begin(), out.end(),
            [](const Pod& a, const Pod& b) { return a.created > b.created; });
  return out;
}

std::vector<Record> PodStore::members(const Pod& p) const {
  std::vector<Record> out;
  for (auto& s : containers_.summaries()) {
    if (s.pod != p.id) continue;
    if (auto r = containers_.find(s.id)) out.push_back(std::move(*r));
  }
  // The infra container first, then the members in the order they were
  // made (a listing's order is the directory's).
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    return std::tuple(!a.infra, a.created, a.id) < std::tuple(!b.infra, b.created, b.id);
  });
  return out;
}

void PodStore::start(const Pod& p) {
  for (const Record& r : members(p)) {
    if (containers_.state(r.id).status == "running") continue;
    container::start(containers_, images_, r, {});
  }
  events::emit(containers_.paths(), "pod", "start", p.id, {{"name", p.name}});
}

void PodStore::stop(const Pod& p, int timeout) {
  auto ms = members(p);
  for (auto it = ms.rbegin(); it != ms.rend(); ++it) container::stop(containers_, *it, timeout);
  events::emit(containers_.paths(), "pod", "stop", p.id, {{"name", p.name}});
}

void PodStore::remove(const Pod& p, bool force) {
  auto ms = members(p);
  if (!force)
    for (const Record& r : ms)
      if (containers_.state(r.id).status == "running")
        throw Error(Errc::in_use, "pod " + p.name + " has running containers (" + r.name + ")",
                    "stop the pod first, or use pod rm -f");
  // A --rm member's monitor removes it as it dies: gone is fine.
  auto remove_member = [this](const Record& r) {
    try {
      container::remove(containers_, r, true);
    } catch (const Error& e) {
      if (e.code() != Errc::not_found) throw;
    }
  };
  for (auto it = ms.rbegin(); it != ms.rend(); ++it)
    if (!it->infra) remove_member(*it);
  // The record first: the infra container may only go with its pod.
  remove_tree(dir(p.id));
  for (const Record& r : ms)
    if (r.infra) remove_member(r);
  events::emit(containers_.paths(), "pod", "remove", p.id, {{"name", p.name}});
}

std::string PodStore::status(const Pod& p) const {
  auto ms = members(p);
  size_t running = 0, created = 0;
  for (const Record& r : ms) {
    std::string s = containers_.state(r.id).status;
    if (s == "running") ++running;
    if (s == "created") ++created;
  }
  if (ms.empty() || created == ms.size()) return "Created";
  if (running == ms.size()) return "Running";
  if (running > 0) return "Degraded";
  return "Exited";
}

void PodStore::member_exited(const Pod& p) {
  if (p.exit_policy != "stop") return;
  auto ms = members(p);
  for (const Record& r : ms)
    if (!r.infra && containers_.state(r.id).status == "running") return;
  for (const Record& r : ms)
    if (r.infra) container::stop(containers_, r);
}

}  // namespace tug::container
