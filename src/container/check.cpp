#include "container/check.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include "container/container.hpp"
#include "container/lifecycle.hpp"
#include "container/prune.hpp"
#include "image/store.hpp"
#include "network/networks.hpp"
#include "runtime/executor.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

using image::Problem;

// A directory younger than this may be a create at work between its mkdir
// and its record (the rule of Store::remove_if_abandoned).
constexpr time_t kSettleSeconds = 2;

bool settled(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime >= kSettleSeconds;
}

// Whether no process holds the lock file. It is opened, not made (an
// absent one is free): looking must not change the directory it is in.
bool lock_free(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno == ENOENT;
  return ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0;  // released as fd closes
}

bool alive(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && runtime::process_start_time(pid) == start_time;
}

std::string label(const std::string& id, const std::string& name) {
  return id.substr(0, 12) + (name.empty() ? "" : " (" + name + ")");
}

// Removes a tree that may hold files of container ids.
void remove_any(const userns::Mapping& m, const std::string& path) {
  try {
    remove_tree(path);
  } catch (const Error&) {
    if (m.single) throw;
    userns::run_in_userns(m, [&] { remove_tree(path); });
  }
}

bool image_known(const Paths& paths, const std::string& id) {
  if (path_exists(paths.images() + "/" + id + ".json")) return true;
  for (const auto& s : paths.additional_stores)
    if (path_exists(s + "/images/" + id + ".json")) return true;
  return false;
}

}  // namespace

StoreCheckReport check_store(const Paths& paths, const userns::Mapping& mapping,
                             const StoreCheckOptions& o) {
  StoreCheckReport rep;
  auto& problems = rep.problems;
  // As rmi: no create may start using an image while repair removes images
  // (create holds this lock shared from its image lookup to its record).
  FileLock no_creates =
      image_use_lock(paths, o.repair ? FileLock::Mode::exclusive : FileLock::Mode::shared);
  Store store(paths, mapping);
  image::Store images(paths, mapping);
  image::CheckOptions io;
  io.quick = o.quick;
  io.repair = o.repair;

  // Containers.
  std::map<std::string, Record> records;  // by id, those that parse
  for (const auto& id : list_dir(paths.containers())) {
    std::string d = store.dir(id);
    if (!is_directory(d)) continue;
    ++rep.containers;
    image::check_temp_files(d, "containers/" + id, o.repair, problems);
    std::string config = d + "/config.json";
    std::optional<std::string> text = read_file_if_exists(config);
    if (!text) {
      if (!settled(d) || !lock_free(d + "/lock")) continue;  // a create or rm at work
      Problem p{"container", id.substr(0, 12),
                "a directory without its record (a create or rm that was killed)", "removed",
                false};
      if (o.repair) p.fixed = store.remove_damaged(id);
      problems.push_back(std::move(p));
      continue;
    }
    std::optional<Record> rec;
    std::string error;
    try {
      rec = parse_json(*text, config).get<Record>();
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::optional<State> state;
    std::string state_error;
    try {
      if (auto s = read_file_if_exists(d + "/state.json"))
        state = parse_json(*s, d + "/state.json").get<State>();
      else
        state = State{};
    } catch (const std::exception& e) {
      state_error = e.what();
    }
    bool running = state && state->status == "running" &&
                   (alive(state->pid, state->pid_start_time) ||
                    alive(state->monitor_pid, state->monitor_start_time));
    if (!rec) {
      Problem p{"container", id.substr(0, 12), "its record does not parse: " + error,
                "removed the container", false};
      if (running) {
        p.fix.clear();
        p.what += " (kept: it is running; stop it with tug kill " + id.substr(0, 12) + ")";
        io.containers_unknown = true;
      } else if (o.repair) {
        p.fixed = store.remove_damaged(id);
        if (!p.fixed) p.what += " (kept: a live process holds its lock)";
      }
      if (!p.fixed) io.containers_unknown = true;
      problems.push_back(std::move(p));
      continue;
    }
    const Record& r = *rec;
    // The container of a killed `tug build`: removed, and not counted below
    // as a user of its image and layers.
    if (stale_build(r)) {
      Problem p{"container", label(id, r.name),
                "a build container whose build is gone (a killed tug build)",
                "removed the container", false};
      if (o.repair) {
        try {
          remove(store, r, true);
          p.fixed = true;
        } catch (const Error& e) {
          p.fixed = e.code() == Errc::not_found;
          if (!p.fixed) p.what += " (" + std::string(e.what()) + ")";
        }
      }
      if (!p.fixed) {
        io.container_layers.insert(r.layers.begin(), r.layers.end());
        io.container_images.emplace(r.image_id, r.name);
      }
      problems.push_back(std::move(p));
      continue;
    }
    records[id] = r;
    std::string who = label(id, r.name);
    if (!state) {
      Problem p{"container", who, "its state does not parse: " + state_error,
                "recorded it as exited (exit code unknown)", false};
      if (o.repair) {
        // The monitor of a running container writes its state; it is
        // gone, or the record would parse. Only its pid file tells.
        auto pidtext = read_file_if_exists(d + "/monitor.pid");
        pid_t mpid = pidtext ? static_cast<pid_t>(std::atol(pidtext->c_str())) : 0;
        if (mpid > 0 && image::process_alive(mpid)) {
          p.what += " (kept: its monitor, pid " + std::to_string(mpid) + ", still runs)";
        } else {
          State s;
          s.status = "exited";
          s.exit_code = -1;
          s.finished_at = now_rfc3339();
          FileLock lock(d + "/lock");
          write_json_atomic(d + "/state.json", json(s));
          p.fixed = true;
        }
      }
      problems.push_back(std::move(p));
    }
    std::string rm =
        " (remove it with tug rm " + (r.name.empty() ? id.substr(0, 12) : r.name) + ")";
    if (!r.squashfs.empty()) {
      if (!path_exists(r.squashfs))
        problems.push_back(Problem{"container", who,
                                   "its squashfs file " + r.squashfs + " is gone" + rm, "", false});
    } else if (!r.rootfs_dir.empty()) {
      if (!is_directory(r.rootfs_dir))
        problems.push_back(Problem{
            "container", who, "its --rootfs directory " + r.rootfs_dir + " is gone", "", false});
    } else {
      if (!r.image_id.empty() && r.image_id != std::string(64, '0') &&
          !image_known(paths, r.image_id))
        problems.push_back(Problem{"container", who,
                                   "its image " + r.image_id.substr(0, 12) + " is gone" + rm, "",
                                   false});
      for (const auto& l : r.layers) {
        std::string damage = images.layer_damage(l);
        if (!damage.empty())
          problems.push_back(Problem{
              "container", who,
              "layer " + digest_hex(l).substr(0, 12) + ": " + damage + ": it cannot start" + rm, "",
              false});
      }
    }
    io.container_layers.insert(r.layers.begin(), r.layers.end());
    io.container_images.emplace(r.image_id, r.name.empty() ? id.substr(0, 12) : r.name);
  }

  // Name claims: each points at a container of that name.
  std::set<std::string> claimed;
  for (const auto& name : list_dir(paths.names())) {
    std::string claim = paths.names() + "/" + name;
    char target[128];
    ssize_t n = ::readlink(claim.c_str(), target, sizeof target - 1);
    std::string id = n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
    if (!id.empty() && id.find('/') == std::string::npos && is_directory(store.dir(id))) {
      claimed.insert(name);
      continue;
    }
    Problem p{"name", name, id.empty() ? "not a name claim" : "claims a container that is gone",
              "released", false};
    if (o.repair) {
      FileLock guard(paths.data + "/names.lock");
      char again[128];
      ssize_t m = ::readlink(claim.c_str(), again, sizeof again - 1);
      if (m == n && (m <= 0 || std::string(again, static_cast<size_t>(m)) == id) &&
          (id.empty() || !is_directory(store.dir(id))))
        p.fixed = ::unlink(claim.c_str()) == 0 || errno == ENOENT;
    }
    problems.push_back(std::move(p));
  }
  for (const auto& [id, r] : records) {
    if (r.name.empty() || claimed.count(r.name)) continue;
    Problem p{"container", label(id, r.name), "its name is not claimed (another could take it)",
              "claimed it", false};
    if (o.repair) {
      std::string claim = paths.names() + "/" + r.name;
      p.fixed = ::symlink(id.c_str(), claim.c_str()) == 0;
    }
    problems.push_back(std::move(p));
  }

  // Volumes.
  for (const auto& name : list_dir(paths.volumes())) {
    std::string d = paths.volumes() + "/" + name;
    if (!is_directory(d)) continue;
    ++rep.volumes;
    image::check_temp_files(d, "volumes/" + name, o.repair, problems);
    std::string path = d + "/volume.json";
    auto text = read_file_if_exists(path);
    if (!text) {
      if (!settled(d)) continue;
      Problem p{"volume", name, "a directory without its record (a create or rm that was killed)",
                "removed", false};
      if (o.repair) {
        remove_any(mapping, d);
        p.fixed = true;
      }
      problems.push_back(std::move(p));
      continue;
    }
    try {
      parse_json(*text, path);
    } catch (const Error& e) {
      Problem p{"volume", name, std::string("its record does not parse: ") + e.what(),
                "rewrote the record (its files are kept; labels and options are lost)", false};
      if (o.repair) {
        write_json_atomic(path, json{{"name", name},
                                     {"created", now_rfc3339()},
                                     {"anonymous", false},
                                     {"labels", json::object()},
                                     {"options", json::object()}});
        p.fixed = true;
      }
      problems.push_back(std::move(p));
    }
  }

  // Networks.
  std::map<std::string, std::string> network_users;  // network -> a container's name
  for (const auto& [id, r] : records)
    for (const auto& m : r.spec.networks) network_users.emplace(m.network, r.name);
  image::check_temp_files(paths.networks(), "networks", o.repair, problems);
  for (const auto& f : list_dir(paths.networks())) {
    if (!ends_with(f, ".json")) continue;
    ++rep.networks;
    std::string path = paths.networks() + "/" + f;
    std::string name = f.substr(0, f.size() - 5);
    try {
      parse_json(read_file(path), path);
      continue;
    } catch (const Error& e) {
      Problem p{"network", name, std::string("its record does not parse: ") + e.what(),
                "removed the record", false};
      if (auto u = network_users.find(name); u != network_users.end()) {
        p.fix.clear();
        p.what += " (container " + u->second + " uses it: remove the container, then repair)";
      } else if (o.repair) {
        p.fixed = ::unlink(path.c_str()) == 0 || errno == ENOENT;
      }
      problems.push_back(std::move(p));
    }
  }

  // A member of a network without its address: a create of an older tug,
  // which wrote the record first, killed before the allocation.
  for (const auto& [id, r] : records)
    for (const auto& m : r.spec.networks) {
      if (!m.address.empty()) continue;
      Problem p{"container", label(id, r.name),
                "no address on network " + m.network + " (its create was interrupted)",
                "gave it one", false};
      if (o.repair) {
        try {
          std::string ip = network::NetworkStore(paths).allocate(m.network, id);
          store.modify(id, [&](Record& rec) {
            for (auto& a : rec.spec.networks)
              if (a.network == m.network && a.address.empty()) a.address = ip;
          });
          p.fixed = true;
        } catch (const Error& e) {
          p.what += std::string(" (cannot give it one: ") + e.what() + ")";
        }
      }
      problems.push_back(std::move(p));
    }

  // Pods.
  std::map<std::string, std::string> pod_users;  // pod id -> a member's name (not the infra)
  std::map<std::string, std::vector<Record>> pod_infra;  // pod id -> its infra container
  for (const auto& [id, r] : records) {
    if (r.pod.empty()) continue;
    if (r.infra)
      pod_infra[r.pod].push_back(r);
    else
      pod_users.emplace(r.pod, r.name);
  }
  for (const auto& id : list_dir(paths.pods())) {
    std::string d = paths.pods() + "/" + id;
    if (!is_directory(d)) continue;
    ++rep.pods;
    image::check_temp_files(d, "pods/" + id, o.repair, problems);
    std::string path = d + "/pod.json";
    std::string what;
    if (auto text = read_file_if_exists(path)) {
      try {
        parse_json(*text, path);
        continue;
      } catch (const Error& e) {
        what = std::string("its record does not parse: ") + e.what();
      }
    } else {
      if (!settled(d)) continue;
      what = "a directory without its record (a pod create or rm that was killed)";
    }
    Problem p{"pod", id.substr(0, 12), what, "removed", false};
    // Its infra container is the pod's own (a pod create killed before its
    // record was written leaves one): it goes with the pod.
    auto infra = pod_infra.find(id);
    if (infra != pod_infra.end()) p.fix = "removed, with its infra container";
    if (auto u = pod_users.find(id); u != pod_users.end()) {
      p.fix.clear();
      p.what += " (container " + u->second + " belongs to it: remove the container, then repair)";
    } else if (o.repair) {
      try {
        if (infra != pod_infra.end())
          for (const auto& r : infra->second) remove(store, r, true);
        remove_any(mapping, d);
        p.fixed = true;
      } catch (const Error& e) {
        p.what += std::string(" (removing its infra container: ") + e.what() + ")";
      }
    }
    problems.push_back(std::move(p));
  }

  image::CheckReport ir = image::check_store(images, io);
  problems.insert(problems.end(), ir.problems.begin(), ir.problems.end());
  rep.images = ir.images;
  rep.layers = ir.layers;
  rep.verified = ir.verified;
  rep.removed_images = ir.removed_images;
  return rep;
}

}  // namespace tug::container
