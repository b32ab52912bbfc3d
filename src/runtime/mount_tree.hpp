#pragma once
// Sharing a mount of a running container with another one: a detached copy
// of the mount (open_tree's OPEN_TREE_CLONE) is taken from inside the
// container's namespaces and later attached (MountOp::Kind::tree) in the
// new container's mount namespace. The copy is the same filesystem: files
// written through either are seen through both. It is how `--ipc
// container:NAME` and a pod's members share the owner's /dev/shm.
#include <sys/types.h>

#include <string>

#include "util/fd.hpp"

namespace tug::runtime {

// A detached copy of the mount at path (absolute, in the process's own
// root; the last component not followed if a symlink) in process pid's
// mount namespace. A helper enters pid's user namespace (whose root may
// copy mounts of its mount namespaces) and mount namespace, and passes the
// copy back over a socket. Error naming the step on failure.
UniqueFd clone_mount_of(pid_t pid, const std::string& path);

}  // namespace tug::runtime
