// kill, stop, wait, pause and unpause of a running container.
#include <signal.h>
#include <unistd.h>

#include "cgroup/cgroup.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_internal.hpp"
#include "runtime/executor.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"

namespace tug::container {

void set_paused(Store& store, const Record& r, bool paused) {
  FileLock lock(store.dir(r.id) + "/lock");
  State st = store.state(r.id);
  if (st.status != "running") throw Error(Errc::invalid, "container " + r.name + " is not running");
  if (st.paused == paused)
    throw Error(Errc::invalid,
                "container " + r.name + (paused ? " is already paused" : " is not paused"));
  if (st.cgroup.empty() && r.spec.cgroups == "disabled")
    throw Error(Errc::unsupported, "pausing needs the cgroup v2 freezer, and container " + r.name +
                                       " was created with --cgroups=disabled");
  if (st.cgroup.empty())
    throw Error(Errc::unsupported,
                "pausing needs the cgroup v2 freezer, and container " + r.name +
                    " has no cgroup of its own: this host delegates no cgroup v2 subtree to you",
                "see 'tug info' for the cgroup delegation this host offers");
  cgroup::freeze(st.cgroup, paused);
  st.paused = paused;
  store.save_state(r.id, st, true);
  emit_event(store, r, paused ? "pause" : "unpause");
}

namespace {

// A manual stop or kill: the monitor must not apply the restart policy.
// Written under the container's lock, which a restarting monitor holds
// while it records the new process: either the restart sees the marker, or
// the caller then reads the restarted pid and signals that.
void mark_stopped(Store& store, const Record& r) {
  FileLock lock(store.dir(r.id) + "/lock");
  write_file(store.dir(r.id) + "/stopped", "");
}

}  // namespace

void wake_waiting_monitor(const State& st) {
  if (st.status == "running" || !lives(st.monitor_pid, st.monitor_start_time)) return;
  ::kill(st.monitor_pid, SIGTERM);
  for (int i = 0; i < 400 && lives(st.monitor_pid, st.monitor_start_time); ++i) ::usleep(5000);
}

namespace {

// A frozen container handles no signal but SIGKILL: like docker, stop and
// kill of a paused container thaw it once the signal is queued.
void thaw_to_deliver(const State& st) {
  if (!st.paused || st.cgroup.empty()) return;
  try {
    cgroup::freeze(st.cgroup, false);
  } catch (const Error& e) {
    log_warn(std::string("thawing the paused container: ") + e.what());
  }
}

// SIGKILL through cgroup.kill: every process of the container at once,
// frozen or not. False when the container has no cgroup (or the kernel no
// cgroup.kill): the caller signals the first process instead.
bool kill_cgroup(const State& st) {
  if (st.cgroup.empty()) return false;
  try {
    return cgroup::kill_all(st.cgroup);
  } catch (const Error& e) {
    log_debug(std::string("cgroup.kill: ") + e.what());
    return false;
  }
}

}  // namespace

void kill(Store& store, const Record& r, int sig) {
  std::string status = store.state(r.id).status;
  if (status != "running")
    throw Error(Errc::invalid,
                "can only kill running containers. " + r.id + " is in state " + status);
  mark_stopped(store, r);
  State st = store.state(r.id);
  emit_event(store, r, "kill", {{"signal", std::to_string(sig)}});
  if (sig == SIGKILL && kill_cgroup(st)) return;
  if (::kill(st.pid, sig) != 0) throw_errno("sending signal to container " + r.name);
  thaw_to_deliver(st);
}

namespace {

// Polls until the state file no longer says running (the monitor records
// the exit) or deadline_ms passes; true if it stopped.
bool wait_not_running(Store& store, const Record& r, int64_t deadline_ms) {
  for (int64_t waited = 0;; waited += 10) {
    if (store.state(r.id).status != "running") return true;
    if (deadline_ms >= 0 && waited >= deadline_ms) return false;
    ::usleep(10000);
  }
}

}  // namespace

void stop(Store& store, const Record& r, int timeout) {
  if (timeout < 0) timeout = r.spec.stop_timeout;
  // Marked even when it is not running: it may be between two restarts.
  mark_stopped(store, r);
  State st = store.state(r.id);  // read after the marker: see mark_stopped
  if (st.status != "running") return wake_waiting_monitor(st);
  int sig = runtime::signal_number(r.spec.stop_signal);
  emit_event(store, r, "kill", {{"signal", std::to_string(sig)}});
  ::kill(st.pid, sig);
  thaw_to_deliver(st);
  if (!wait_not_running(store, r, static_cast<int64_t>(timeout) * 1000)) {
    // PID 1 of a pid namespace ignores signals it has no handler for, so a
    // shell that traps nothing needs SIGKILL, as docker does after the timeout.
    emit_event(store, r, "kill", {{"signal", std::to_string(SIGKILL)}});
    if (!kill_cgroup(st)) ::kill(st.pid, SIGKILL);
    if (!wait_not_running(store, r, 10000))
      throw Error(Errc::io, "container " + r.name + " did not stop after SIGKILL");
  }
  emit_event(store, r, "stop");
}

int wait_exit(Store& store, const Record& r) {
  wait_not_running(store, r, -1);
  return store.state(r.id).exit_code;
}

}  // namespace tug::container
