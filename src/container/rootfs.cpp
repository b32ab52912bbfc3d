#include "container/rootfs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/executor.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace tug::container {

storage::RootfsPlan rootfs_plan_of(const Store& store, const image::Store& images,
                                   const Record& rec) {
  std::string dir = store.dir(rec.id);
  storage::RootfsPlan p;
  p.driver = storage::parse_driver(rec.driver);
  p.data_root = store.paths().data;
  for (auto it = rec.layers.rbegin(); it != rec.layers.rend(); ++it)
    p.lowers.push_back(images.layer_link(*it));
  p.upper = dir + "/upper";
  p.work = dir + "/work";
  p.target = dir + "/merged";
  p.vfs_dir = dir + "/rootfs";
  p.volatile_upper = rec.auto_remove;
  apply_rootfs_source(p, rec, dir);
  return p;
}

void apply_rootfs_source(storage::RootfsPlan& p, const Record& rec, const std::string& dir) {
  if (!rec.squashfs.empty()) {
    p.squashfs = rec.squashfs;
    p.squashfs_mount = dir + "/sqfs";
    p.scratch = dir + "/scratch";
  } else if (!rec.rootfs_dir.empty()) {
    // podman's --rootfs: the directory itself is the container's /, bound
    // onto itself as the mount point (no directory of the record's).
    p.driver = storage::Driver::vfs;
    p.vfs_dir = rec.rootfs_dir;
    p.target = rec.rootfs_dir;
  }
}

void require_stopped(const Store& store, const Record& rec, const std::string& what) {
  if (store.state(rec.id).status == "running")
    throw Error(Errc::in_use, what + " a running container is not supported yet",
                "stop " + rec.name + " first");
}

namespace {

long openat2_in_root(int rootfd, const std::string& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return ::syscall(SYS_openat2, rootfd, path.c_str(), &how, sizeof how);
}

// The mount point of dest below rootfd, resolved inside the rootfs (a
// symlink in the image cannot send a mount to the host) and created if
// missing: a directory, or an empty file when the source is a file.
UniqueFd mount_point(int rootfd, const std::string& dest, bool file) {
  std::vector<std::string> comps;
  for (auto& c : split(dest, '/'))
    if (!c.empty() && c != ".") comps.push_back(c);
  UniqueFd cur(static_cast<int>(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0)));
  std::string so_far;
  for (size_t i = 0; i < comps.size(); ++i) {
    so_far += "/" + comps[i];
    long fd = openat2_in_root(rootfd, so_far, O_PATH);
    if (fd < 0 && errno == ENOENT) {
      if (i + 1 == comps.size() && file) {
        int f = ::openat(cur.get(), comps[i].c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                         0644);
        if (f >= 0) ::close(f);
      } else {
        ::mkdirat(cur.get(), comps[i].c_str(), 0755);
      }
      fd = openat2_in_root(rootfd, so_far, O_PATH);
    }
    if (fd < 0) throw_errno("resolving the mount point " + so_far + " in the container");
    cur.reset(static_cast<int>(fd));
  }
  return cur;
}

// Binds rec's volumes and bind mounts into the rootfs mounted at root (in
// the caller's private mount namespace). tmpfs mounts exist only while the
// container runs: a stopped container has none.
void bind_mounts(const Record& rec, const std::string& root) {
  UniqueFd rootfd = open_or_throw(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (const auto& m : rec.spec.mounts) {
    if (m.type != runtime::MountSpec::Type::bind || m.source.empty()) continue;
    struct stat st;
    if (::stat(m.source.c_str(), &st) != 0) continue;  // start reports it
    UniqueFd at = mount_point(rootfd.get(), m.destination, !S_ISDIR(st.st_mode));
    std::string target = "/proc/self/fd/" + std::to_string(at.get());
    if (::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      throw_errno("binding " + m.source + " onto " + m.destination);
    if (!m.readonly) continue;
    // The kernel locks the flags a bind inherits in a user namespace: a
    // read-only remount must repeat them.
    struct statvfs vfs {};
    unsigned long locked = 0;
    if (::statvfs(m.source.c_str(), &vfs) == 0) {
      if (vfs.f_flag & ST_NOSUID) locked |= MS_NOSUID;
      if (vfs.f_flag & ST_NODEV) locked |= MS_NODEV;
      if (vfs.f_flag & ST_NOEXEC) locked |= MS_NOEXEC;
      if (vfs.f_flag & ST_NOATIME) locked |= MS_NOATIME;
      if (vfs.f_flag & ST_RELATIME) locked |= MS_RELATIME;
    }
    // The old fd names the covered directory: resolving the path again
    // reaches the new mount.
    UniqueFd mounted = mount_point(rootfd.get(), m.destination, !S_ISDIR(st.st_mode));
    std::string again = "/proc/self/fd/" + std::to_string(mounted.get());
    if (::mount(nullptr, again.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | locked,
                nullptr) != 0)
      throw_errno("making " + m.destination + " read-only");
  }
}

}  // namespace

void with_rootfs(const Store& store, const image::Store& images, const Record& rec,
                 const std::function<void(const std::string&)>& fn, bool mounts) {
  storage::RootfsPlan plan = rootfs_plan_of(store, images, rec);
  userns::run_in_userns(store.mapping(), [&] {
    storage::mount_rootfs(plan);
    if (mounts) bind_mounts(rec, plan.target);
    fn(plan.target);
  });
}

void with_running_root(const Store& store, const Record& rec,
                       const std::function<void(int root_fd)>& fn) {
  State st = store.state(rec.id);
  if (st.status != "running" || st.pid <= 0)
    throw Error(Errc::invalid, "container " + rec.name + " is not running");
  std::string proc = "/proc/" + std::to_string(st.pid);
  UniqueFd userns_fd = open_or_throw(proc + "/ns/user", O_RDONLY | O_CLOEXEC);
  UniqueFd root = open_or_throw(proc + "/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  // Both were opened by pid: if it is no longer the container's process
  // (exited, pid reused), they may belong to anything.
  if (runtime::process_start_time(st.pid) != st.pid_start_time)
    throw Error(Errc::invalid, "container " + rec.name + " is not running");
  userns::run_joined(userns_fd.get(), [&] { fn(root.get()); });
}

std::string collect_in_userns(const userns::Mapping& m, const std::function<void(int)>& fn) {
  UniqueFd mem(::memfd_create("tug-collect", MFD_CLOEXEC));
  if (!mem) throw_errno("memfd_create");
  userns::run_in_userns(m, [&] { fn(mem.get()); });
  std::string text;
  char buf[1 << 16];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(mem.get(), buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading collected output");
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return text;
}

}  // namespace tug::container
