#pragma once
// Root filesystems for containers. Three drivers, tried in this order when a
// store is first used and remembered in <data>/storage.json:
//   overlay         kernel overlayfs mounted inside the user namespace (Linux >= 5.11),
//                   with userxattr so opaque dirs use user.overlay.* xattrs
//   fuse-overlayfs  the FUSE implementation, when the kernel refuses
//   vfs             a full copy of the layers per container, the last resort
// mount_rootfs() runs in the container's child, inside its user and mount
// namespaces; everything else runs in the CLI.
#include <functional>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "userns/userns.hpp"

namespace tug::storage {

enum class Driver { overlay, fuse_overlayfs, vfs };

std::string driver_name(Driver d);
// Throws Error(invalid) for an unknown name.
Driver parse_driver(const std::string& name);

// The driver for this store: the TUG_STORAGE_DRIVER environment variable or
// `requested` if set, else the remembered probe result, else a fresh probe
// (a trial mount in a throw-away user namespace) whose result is saved.
Driver select_driver(const Paths& paths, const userns::Mapping& mapping,
                     const std::string& requested = {});

// What the child mounts at `target`.
struct RootfsPlan {
  Driver driver = Driver::overlay;
  std::string data_root;            // cwd while mounting, so lowers can be short
  std::vector<std::string> lowers;  // top-most first, relative to data_root (l/XXXX)
  std::string upper;                // overlay upper dir (absolute)
  std::string work;                 // overlay work dir (absolute)
  std::string target;               // mount point (absolute)
  std::string vfs_dir;              // vfs: the copied tree to bind-mount
  bool readonly = false;
  // The upper dir is thrown away after one run (run --rm): the kernel's
  // overlay is mounted "volatile", which skips the sync of the upper
  // filesystem at unmount (a device cache flush on most disks). The kernel
  // refuses a second mount of a volatile upper (its work dir keeps
  // work/incompat/volatile) until that marker is removed; mount_rootfs
  // removes it, as a --rm container's upper never has to survive a crash.
  bool volatile_upper = false;
  // A single-file image (tug save --format squashfs): the file is mounted
  // read-only at squashfs_mount by squashfuse and is the only lower layer;
  // the upper and work dirs live on a tmpfs mounted at scratch, so the
  // file is never unpacked and nothing the container writes reaches disk.
  std::string squashfs;        // the image file (absolute); empty: layers
  std::string squashfs_mount;  // mount point of the file's tree (absolute)
  std::string scratch;         // tmpfs for upper/ and work/ (absolute)
  // fuse-overlayfs: owners translated between the store's mapping and the
  // container's (userns::fuse_idmapping), for --userns=keep-id.
  std::string uidmapping, gidmapping;
};

// fuse-overlayfs is installed and /dev/fuse opens.
bool fuse_overlayfs_usable();

// Serves the fuse device of a squashfs mount: must start a squashfuse on
// fuse_fd (spawn_squashfuse) that outlives the call. The container's start
// hands the fd to its monitor-to-be, so the daemon is the monitor's child.
using FuseServer = std::function<void(int fuse_fd)>;

// Mounts the rootfs; must run inside the container's user+mount namespace.
// Throws Error with a hint naming the driver on failure. Without a server,
// a squashfs rootfs's squashfuse is this process's child and dies with it.
void mount_rootfs(const RootfsPlan& plan, const FuseServer& serve = {});

// Starts squashfuse (squashfuse_ll when installed) in the foreground on
// the already-mounted fuse device fuse_fd (libfuse's /dev/fd/N), reading
// image. The daemon gets SIGKILL when the calling thread exits. Returns its
// pid; its stderr goes to err_fd (-1: /dev/null).
pid_t spawn_squashfuse(const std::string& image, int fuse_fd, int err_fd = -1);

// The overlay mount option string (exposed for unit tests and the OCI spec).
std::string overlay_options(const RootfsPlan& plan);

}  // namespace tug::storage
