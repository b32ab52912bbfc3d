#pragma once
// Reaching a stopped container's files from the CLI (diff, cp, commit): the
// upper dir and the layers hold files of subordinate uids, so the work runs
// as root of a throw-away user namespace with the store's mapping, where
// owners read and written are container ids.
#include <functional>
#include <string>

#include "container/container.hpp"
#include "image/store.hpp"
#include "storage/driver.hpp"

namespace tug::container {

// The rootfs of rec as its start would mount it.
storage::RootfsPlan rootfs_plan_of(const Store& store, const image::Store& images,
                                   const Record& rec);

// Points p at rec's squashfs file or --rootfs directory, if it has one
// (dir: the container's directory).
void apply_rootfs_source(storage::RootfsPlan& p, const Record& rec, const std::string& dir);

// Error(in_use) naming `what` unless the container is stopped: mounting the
// overlay a second time while the container runs is not safe.
void require_stopped(const Store& store, const Record& rec, const std::string& what);

// Runs fn(merged_dir) in a user namespace where the container's rootfs is
// mounted privately (gone when fn returns). The container must be stopped.
// With mounts, its volumes and bind mounts are bound onto their
// destinations as a start would (read-only ones read-only; missing mount
// points are created, as a start creates them), so `cp` reaches what the
// container would see; diff and commit see the rootfs alone.
void with_rootfs(const Store& store, const image::Store& images, const Record& rec,
                 const std::function<void(const std::string& root)>& fn, bool mounts = false);

// Runs fn(root_fd) with root_fd an O_PATH descriptor of the running
// container's "/" (its /proc/PID/root), in a helper that joined the
// container's user namespace. Paths resolved below root_fd with
// RESOLVE_IN_ROOT stay in the container and cross its mounts (volumes,
// tmpfs), while the helper's own view (host paths) is the caller's.
// Error(in_use)-free: Error(invalid) if the container is not running.
void with_running_root(const Store& store, const Record& rec,
                       const std::function<void(int root_fd)>& fn);

// Runs fn(out_fd) in a user namespace with mapping m and returns what fn
// wrote to out_fd (a memfd, so output of any size never blocks the child).
std::string collect_in_userns(const userns::Mapping& m, const std::function<void(int)>& fn);

}  // namespace tug::container
