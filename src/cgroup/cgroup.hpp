#pragma once
// cgroup v2 for rootless containers. A user can only use the controllers
// that systemd (or the administrator) delegated to its own cgroup: tug
// detects them, gives each container a cgroup under that subtree with the
// requested limits, and otherwise runs the container without limits and
// says which ones were not applied (the policy lives in unapplied()).
// Every function takes the cgroupfs root as a parameter, so unit tests run
// against a directory laid out like /sys/fs/cgroup.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug::cgroup {

struct Limits {
  std::optional<int64_t> memory;       // bytes (--memory)
  std::optional<int64_t> memory_swap;  // bytes of memory+swap (--memory-swap), -1 = unlimited
  std::optional<double> cpus;          // --cpus
  std::optional<int64_t> cpu_shares;   // --cpu-shares (docker's 2..262144, 1024 default)
  std::optional<int64_t> pids;         // --pids-limit
  std::optional<int64_t> memory_reservation;  // bytes (--memory-reservation): memory.low
  std::optional<int64_t> cpu_period;          // microseconds (--cpu-period)
  std::optional<int64_t> cpu_quota;           // microseconds per period (--cpu-quota), -1 = none
  std::optional<std::string> cpuset_cpus;     // --cpuset-cpus ("0-3,5")
  std::optional<std::string> cpuset_mems;     // --cpuset-mems
  std::optional<int64_t> blkio_weight;        // --blkio-weight (docker's 10..1000)
  bool any() const {
    return memory || memory_swap || cpus || cpu_shares || pids || memory_reservation ||
           cpu_period || cpu_quota || cpuset_cpus || cpuset_mems || blkio_weight;
  }
  // Each limit set in `newer` replaces this one's.
  void merge(const Limits& newer);
};

// Docker's checks of the values themselves (at least 6MB of memory, a
// period of 1ms..1s, --cpus not with --cpu-period or --cpu-quota, a
// cpuset of CPUs this host has, ...), in its words. Throws Error(invalid).
void validate(const Limits& l);

// The record's form (runtime::Spec::limits): {"memory": bytes, "cpus": 0.5, ...}.
json to_json(const Limits& l);
Limits limits_from_json(const json& j);

struct Host {
  bool v2 = false;                  // a unified hierarchy is mounted
  std::string root;                 // its mount point ("/sys/fs/cgroup" or ".../unified")
  std::string own;                  // our cgroup, relative to root ("/user.slice/...")
  std::set<std::string> delegated;  // controllers enabled for our subtree
  bool writable = false;            // we may create child cgroups of `own`
};

// Reads /proc/self/cgroup-style text and the cgroupfs under root.
Host detect(const std::string& proc_self_cgroup, const std::string& root);
// The real host: /proc/self/cgroup, /sys/fs/cgroup or /sys/fs/cgroup/unified.
Host detect_host();

// Limits that cannot be applied on this host, each with the reason, in
// words ("--memory: the memory controller is not delegated to you").
std::vector<std::string> unapplied(const Limits& l, const Host& h);

// cgroup v2 file contents for the limits (memory.max, cpu.max, ...).
std::vector<std::pair<std::string, std::string>> limit_files(const Limits& l);

// Writes the files of the limits into an existing cgroup (a running
// container's: `tug update`). A file the cgroup lacks (its controller was
// not enabled for it when it was made) or refuses is skipped; the flags not
// applied come back, each with the reason.
std::vector<std::string> apply(const std::string& cgroup_path, const Limits& l);

// Creates <root><own>/tug-<id> (moving our own processes into a leaf first
// if the kernel's no-internal-processes rule requires it), enables the
// controllers the limits need and writes the limit files. Returns the
// cgroup's absolute path. Throws Error naming the file on failure.
std::string create(const Host& h, const std::string& id, const Limits& l);

// Writes pid into the cgroup (0 = the caller).
void join(const std::string& cgroup_path, pid_t pid);
// cgroup.freeze: 1 or 0.
void freeze(const std::string& cgroup_path, bool frozen);
// cgroup.kill (Linux 5.14+): SIGKILL to every process in the cgroup, those
// that `exec` added included. False where the file does not exist.
bool kill_all(const std::string& cgroup_path);
// Removes an empty cgroup directory (after the container ended).
void remove(const std::string& cgroup_path);

}  // namespace tug::cgroup
