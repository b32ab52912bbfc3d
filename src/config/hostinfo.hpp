#pragma once
// Host checks for `tug info`: what this machine offers a rootless container
// tool, and for each thing that is missing, what tug does instead. Pure
// parsers are separate from the probes so they can be unit-tested.
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "userns/userns.hpp"
#include "util/json.hpp"

namespace tug::hostinfo {

// The unified-hierarchy path of this process from /proc/self/cgroup text
// ("0::/user.slice/..."); empty when there is none.
std::string cgroup2_path(const std::string& proc_self_cgroup);
// Controllers named in a cgroup.controllers file.
std::vector<std::string> parse_controllers(const std::string& text);
// Filesystem name for a statfs f_type (ext4, xfs, nfs, lustre, gpfs, ...).
std::string fs_type_name(long magic);
// Network and cluster filesystems cannot hold overlay upper dirs or xattrs.
bool is_network_fs(const std::string& name);

// One condition `tug system check` (and `tug info`) reports: what was
// found and, unless it is fine, what to do about it.
struct Check {
  enum class Status { ok, warn, fail };  // fail: containers cannot run
  std::string name;
  Status status = Status::ok;
  std::string detail;
  std::string advice;
};
std::string status_name(Check::Status s);  // "ok", "warn", "fail"

// The conditions tug depends on, in a fixed order: user namespaces, id
// mapping, newuidmap/newgidmap, runtime dir, storage filesystem, /dev/fuse,
// /dev/net/tun and the network helpers, cgroups, unprivileged ports.
std::vector<Check> checks(const Paths& paths, const userns::Mapping& mapping);

// The default socket of `tug system service` (the Docker Engine API):
// <runtime dir>/tug.sock. `tug info` names it for DOCKER_HOST.
std::string api_socket(const Paths& paths);

// Everything `tug info` reports, as a JSON object with podman-like keys
// (host, store, registries...); degraded items carry a "note" in words.
json collect(const Paths& paths, const userns::Mapping& mapping);

}  // namespace tug::hostinfo
