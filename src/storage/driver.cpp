#include "storage/driver.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace tug::storage {

std::string driver_name(Driver d) {
  switch (d) {
    case Driver::overlay:
      return "overlay";
    case Driver::fuse_overlayfs:
      return "fuse-overlayfs";
    case Driver::vfs:
      return "vfs";
  }
  return "?";
}

Driver parse_driver(const std::string& name) {
  if (name == "overlay" || name == "overlay2") return Driver::overlay;
  if (name == "fuse-overlayfs") return Driver::fuse_overlayfs;
  if (name == "vfs") return Driver::vfs;
  throw Error(Errc::invalid, "unknown storage driver " + name,
              "use overlay, fuse-overlayfs or vfs");
}

std::string overlay_options(const RootfsPlan& plan) {
  // A layer may come twice (two build steps that changed nothing have the
  // same empty layer); overlayfs refuses a repeated lowerdir (ELOOP). The
  // top-most occurrence alone gives the same tree.
  std::string lower;
  std::set<std::string> seen;
  for (const auto& l : plan.lowers) {
    if (!seen.insert(l).second) continue;
    if (!lower.empty()) lower += ':';
    lower += l;
  }
  std::string opts = "lowerdir=" + lower;
  if (!plan.readonly) opts += ",upperdir=" + plan.upper + ",workdir=" + plan.work;
  if (plan.driver == Driver::overlay) opts += ",userxattr";
  if (plan.driver == Driver::overlay && plan.volatile_upper && !plan.readonly) opts += ",volatile";
  if (plan.driver == Driver::fuse_overlayfs && !plan.uidmapping.empty())
    opts += ",uidmapping=" + plan.uidmapping + ",gidmapping=" + plan.gidmapping;
  return opts;
}

namespace {

void mount_fuse_overlayfs(const RootfsPlan& plan) {
  std::string bin = find_in_path("fuse-overlayfs");
  if (bin.empty())
    throw Error(Errc::not_found, "fuse-overlayfs not found",
                "install package fuse-overlayfs or use --storage-driver vfs");
  int fuse = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse < 0)
    throw Error(Errc::permission, std::string("cannot open /dev/fuse: ") + std::strerror(errno),
                "fuse-overlayfs needs /dev/fuse readable and writable by you (mode 0666 on most "
                "distributions); or use --storage-driver vfs");
  ::close(fuse);
  std::string opts = overlay_options(plan);
  // Its stderr goes to a pipe: shown only when the mount fails (it warns
  // about mount options it ignores, "lazytime", on every run).
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // fuse-overlayfs daemonises after the mount is in place (and points its
    // stdio at /dev/null), so its exit status tells whether the mount worked.
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) ::dup2(devnull, 1);
    ::dup2(err_write.get(), 2);
    ::execl(bin.c_str(), "fuse-overlayfs", "-o", opts.c_str(), plan.target.c_str(), nullptr);
    ::_exit(127);
  }
  err_write.reset();
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::string msg;
    char buf[4096];
    ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(err_read.get(), buf, sizeof buf)) > 0;) msg.append(buf, n);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    throw Error(Errc::io, "fuse-overlayfs failed to mount the rootfs (status " +
                              std::to_string(exit_code_of(st)) + ")" +
                              (msg.empty() ? "" : ": " + msg));
  }
}

void make_dir_if_missing(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

// The squashfs image through FUSE: the fuse device is opened and mounted
// here, in the container's namespaces (so the mount belongs to its user
// namespace and dies with its mount namespace), and only then handed to a
// squashfuse, which needs no namespace of the container to serve it: uids
// in its replies are read in the mount's user namespace by the kernel.
void mount_squashfs_rootfs(const RootfsPlan& plan, const FuseServer& serve) {
  if (plan.driver == Driver::vfs)
    throw Error(Errc::unsupported,
                "running from a squashfs image is not implemented with the vfs storage driver",
                "it needs kernel overlay or fuse-overlayfs (--storage-driver)");
  make_dir_if_missing(plan.scratch, 0700);
  make_dir_if_missing(plan.squashfs_mount, 0700);
  if (::mount("tmpfs", plan.scratch.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
    throw_errno("mounting the tmpfs for the container's writable layer");
  make_dir_if_missing(plan.scratch + "/upper", 0755);
  make_dir_if_missing(plan.scratch + "/work", 0700);
  UniqueFd fuse(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  if (!fuse)
    throw Error(Errc::permission, std::string("cannot open /dev/fuse: ") + std::strerror(errno),
                "a squashfs image is mounted with squashfuse, which needs /dev/fuse readable "
                "and writable by you");
  std::string opts = "fd=" + std::to_string(fuse.get()) +
                     ",rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions";
  if (::mount("squashfuse", plan.squashfs_mount.c_str(), "fuse.squashfuse",
              MS_RDONLY | MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
    throw_errno("mounting fuse for " + plan.squashfs);
  if (serve)
    serve(fuse.get());
  else
    spawn_squashfuse(plan.squashfs, fuse.get());
  // Only the daemon holds the device now: should it die, the mount fails
  // (ENOTCONN) instead of waiting forever.
  fuse.reset();
  RootfsPlan over = plan;
  over.lowers = {plan.squashfs_mount};
  over.upper = plan.scratch + "/upper";
  over.work = plan.scratch + "/work";
  std::string o = overlay_options(over);
  if (plan.driver == Driver::fuse_overlayfs) {
    mount_fuse_overlayfs(over);
    return;
  }
  if (::mount("overlay", plan.target.c_str(), "overlay", plan.readonly ? MS_RDONLY : 0,
              o.c_str()) != 0) {
    int e = errno;
    if (e == ENOTCONN || e == ECONNABORTED)
      throw Error(Errc::corrupt,
                  "squashfuse could not read " + plan.squashfs + ": not a valid squashfs image",
                  "check the file, or make it again with tug save --format squashfs");
    throw Error(Errc::io,
                std::string("mounting overlay on the squashfs image: ") + std::strerror(e),
                "try --storage-driver fuse-overlayfs");
  }
}

}  // namespace

pid_t spawn_squashfuse(const std::string& image, int fuse_fd, int err_fd) {
  std::string bin = find_in_path("squashfuse_ll");
  if (bin.empty()) bin = find_in_path("squashfuse");
  if (bin.empty())
    throw Error(Errc::not_found, "squashfuse not found: it serves squashfs images",
                "install package squashfuse");
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(err_fd >= 0 ? err_fd : devnull, 2);
    // The device on fd 3, everything else of ours closed: the daemon lives
    // as long as the container and must hold none of its pipes open.
    if (fuse_fd == 3)
      ::fcntl(3, F_SETFD, 0);
    else if (::dup2(fuse_fd, 3) < 0)
      ::_exit(127);
    close_fds_from(4);
    ::execl(bin.c_str(), bin.c_str(), "-f", image.c_str(), "/dev/fd/3", nullptr);
    ::_exit(127);
  }
  return pid;
}

void mount_rootfs(const RootfsPlan& plan, const FuseServer& serve) {
  if (!plan.squashfs.empty()) {
    mount_squashfs_rootfs(plan, serve);
    return;
  }
  switch (plan.driver) {
    case Driver::overlay: {
      if (::chdir(plan.data_root.c_str()) != 0) throw_errno("chdir " + plan.data_root);
      if (plan.volatile_upper) {
        // A previous volatile mount's marker (see RootfsPlan::volatile_upper).
        remove_tree(plan.work + "/work/incompat");
      }
      std::string opts = overlay_options(plan);
      unsigned long flags = plan.readonly ? MS_RDONLY : 0;
      if (::mount("overlay", plan.target.c_str(), "overlay", flags, opts.c_str()) != 0)
        throw Error(Errc::io, std::string("mounting overlay rootfs: ") + std::strerror(errno),
                    "the kernel may not allow overlay in user namespaces (needs Linux >= 5.11); "
                    "try --storage-driver fuse-overlayfs or vfs");
      return;
    }
    case Driver::fuse_overlayfs:
      if (::chdir(plan.data_root.c_str()) != 0) throw_errno("chdir " + plan.data_root);
      mount_fuse_overlayfs(plan);
      return;
    case Driver::vfs:
      if (::mount(plan.vfs_dir.c_str(), plan.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) !=
          0)
        throw_errno("bind-mounting vfs rootfs " + plan.vfs_dir);
      if (plan.readonly && ::mount(nullptr, plan.target.c_str(), nullptr,
                                   MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
        throw_errno("remounting rootfs read-only");
      return;
  }
}

namespace {

// Trial mount of a one-layer overlay in a throw-away user namespace.
bool probe_overlay(const Paths& paths, const userns::Mapping& mapping) {
  TempDir t(paths.tmp(), "probe-");
  for (const char* d : {"lower", "upper", "work", "merged"}) make_dirs(t.path() + "/" + d, 0700);
  RootfsPlan plan;
  plan.driver = Driver::overlay;
  plan.data_root = t.path();
  plan.lowers = {"lower"};
  plan.upper = t.path() + "/upper";
  plan.work = t.path() + "/work";
  plan.target = t.path() + "/merged";
  try {
    userns::run_in_userns(mapping, [&] { mount_rootfs(plan); });
    return true;
  } catch (const Error& e) {
    log_debug("overlay probe failed: " + std::string(e.what()));
    return false;
  }
}

}  // namespace

bool fuse_overlayfs_usable() {
  if (find_in_path("fuse-overlayfs").empty()) return false;
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

Driver select_driver(const Paths& paths, const userns::Mapping& mapping,
                     const std::string& requested) {
  if (!requested.empty()) return parse_driver(requested);
  if (const char* env = std::getenv("TUG_STORAGE_DRIVER"); env && *env) return parse_driver(env);
  std::string file = paths.data + "/storage.json";
  if (auto j = read_json_if_exists(file); j && j->contains("driver"))
    return parse_driver(json_str(*j, "driver"));
  Driver d = Driver::vfs;
  if (probe_overlay(paths, mapping)) {
    d = Driver::overlay;
  } else if (fuse_overlayfs_usable()) {
    d = Driver::fuse_overlayfs;
    log_warn("kernel overlay is not available in a user namespace here; using fuse-overlayfs");
  } else {
    log_warn(
        "neither kernel overlay nor fuse-overlayfs is usable; using the vfs driver "
        "(every container gets a full copy of its image)");
  }
  write_json_atomic(file, json{{"driver", driver_name(d)}});
  return d;
}

}  // namespace tug::storage
