// rm: a container's record, its addresses and anonymous volumes.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "container/lifecycle.hpp"
#include "container/lifecycle_internal.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/strings.hpp"
#include "volume/volume.hpp"

namespace tug::container {

std::vector<std::string> volumes_of(const Record& r) {
  std::vector<std::string> out;
  for (const auto& m : r.spec.mounts)
    if (!m.volume.empty()) out.push_back(m.volume);
  return out;
}

void remove_anonymous_volumes(const Store& store, const Record& r) {
  volume::Store volumes(store.paths(), store.mapping());
  std::set<std::string> shared;
  for (const auto& other : store.list())
    if (other.id != r.id)
      for (const auto& v : volumes_of(other)) shared.insert(v);
  for (const auto& v : volumes_of(r)) {
    if (shared.count(v)) continue;  // --volumes-from: another container's too
    if (auto vol = volumes.find(v); vol && vol->anonymous) volumes.remove(v);
  }
}

std::vector<Record> dependents(const Store& store, const Record& r) {
  // Each user left its id in the owner's users/ at create: no scan of every
  // record at each rm. Entries of containers gone since are stale.
  std::vector<Record> out;
  std::string dir = store.dir(r.id) + "/users";
  if (!is_directory(dir)) return out;
  for (const auto& id : list_dir(dir)) {
    auto other = store.find(id);
    if (!other || other->id != id || (!r.pod.empty() && other->pod == r.pod)) continue;
    if (joined_id(other->spec.network) == r.id || joined_id(other->spec.ipc) == r.id)
      out.push_back(std::move(*other));
  }
  return out;
}

void order_for_removal(const Store& store, std::vector<std::string>& targets) {
  // Users of another's namespace first: a joined container cannot itself
  // be joined (create refuses it), so one pass is enough.
  std::stable_partition(targets.begin(), targets.end(), [&](const std::string& t) {
    auto r = store.find(t);
    return r && (!joined_id(r->spec.network).empty() || !joined_id(r->spec.ipc).empty());
  });
}

void remove(Store& store, const Record& r, bool force) {
  auto gone = [&] {
    return Error(Errc::not_found, "no container with name or ID \"" + r.id + "\" found");
  };
  if (auto users = dependents(store, r); !users.empty()) {
    std::vector<std::string> ids;
    for (const auto& u : users) ids.push_back(u.id);
    throw Error(Errc::in_use,
                "container " + r.id +
                    " has dependent containers which must be removed before it: " +
                    join(ids, ", ") + ": container already exists",
                "remove them first (they use its network or IPC namespace)");
  }
  // The state is checked, the stop marker written and the record removed in
  // one hold of the lock, as stop writes its marker: a monitor about to
  // restart the container, or a start, either comes after (and finds the
  // marker, or no record) or has recorded the new pid that is read here.
  for (int round = 0;; ++round) {
    State st;
    {
      std::optional<FileLock> lock;
      try {
        lock.emplace(store.dir(r.id) + "/lock");
      } catch (const Error& e) {
        if (e.code() == Errc::not_found) throw gone();  // another rm was quicker
        throw;
      }
      if (!path_exists(store.dir(r.id) + "/config.json")) throw gone();
      st = store.state_locked(r.id);
      if (r.infra && path_exists(store.paths().pods() + "/" + r.pod + "/pod.json"))
        throw Error(Errc::in_use,
                    "container " + r.name + " is the infra container of a pod and goes with it",
                    "remove the pod: tug pod rm");
      if (st.status == "running" && !force)
        throw Error(Errc::in_use,
                    "cannot remove container " + r.id +
                        " as it is running - running or paused containers cannot be removed "
                        "without force",
                    "stop it first, or use rm -f");
      if (st.status != "running") {
        // No marker: a monitor waiting to restart finds the record gone,
        // which stops it as well (and the marker would go with the record).
        store.remove_locked(r);
        emit_event(store, r, "destroy");
      } else {
        write_file(store.dir(r.id) + "/stopped", "");
      }
    }
    if (st.status != "running") {
      release_addresses(store, r);
      return wake_waiting_monitor(st);
    }
    if (round == 5)
      throw Error(Errc::io, "container " + r.name + " keeps being started while it is removed");
    // Killed without the lock: its monitor takes it to record the exit.
    // Neither is our child (another CLI started them): poll until the
    // container's process, then its monitor, are gone, and look again.
    ::kill(st.pid, SIGKILL);
    for (int i = 0; i < 400 && lives(st.pid, st.pid_start_time); ++i) ::usleep(5000);
    for (int i = 0; i < 400 && lives(st.monitor_pid, st.monitor_start_time); ++i) ::usleep(5000);
  }
}

}  // namespace tug::container
