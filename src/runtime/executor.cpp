#include "runtime/executor.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "network/setup.hpp"
#include "runtime/seccomp.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::runtime {

namespace {

void copy_winsize(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// ---- messages between parent and child ----------------------------------

enum class MsgKind : uint32_t {
  mapping_written = 1,  // parent -> child: uid/gid maps are in place
  network_ready = 5,    // parent -> child: the network is configured, go on to exec
  setup_failed = 2,     // child -> parent: mounts or process setup failed
  exec_failed = 3,      // child -> parent: execve failed with errno
  terminal = 4,         // child -> parent: the pty master rides along (SCM_RIGHTS)
  fuse_device = 6,      // child -> parent: a mounted squashfs's fuse device (SCM_RIGHTS)
  ids_set = 7,          // child -> parent: its ids are final, its /proc files open to the user
  process_failed = 8,   // exec's child -> parent: the user, group or working dir failed
};

struct Msg {
  MsgKind kind;
  int32_t err;  // errno
  char text[1024];
};

// Over a socket, without SIGPIPE: a child that failed its setup has gone
// before the parent's next message, and its report is what matters then.
void send_msg(int fd, MsgKind kind, int err, const std::string& text) {
  Msg m{};
  m.kind = kind;
  m.err = err;
  std::strncpy(m.text, text.c_str(), sizeof m.text - 1);
  if (::send(fd, &m, sizeof m, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof m))
    throw_errno("talking to the container's setup");
}

void send_fd(int sock, int fd, MsgKind kind = MsgKind::terminal) {
  Msg m{};
  m.kind = kind;
  send_packet(sock, std::string(reinterpret_cast<const char*>(&m), sizeof m), fd);
}

// Reads one message; a passed fd lands in *fd. False at EOF (exec happened).
bool recv_msg(int sock, Msg* m, UniqueFd* fd) {
  struct iovec iov = {m, sizeof *m};
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("reading from the container's setup");
  if (n == 0) return false;
  if (n != static_cast<ssize_t>(sizeof *m))
    throw Error(Errc::io, "short message from the container's setup");
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int received;
      std::memcpy(&received, CMSG_DATA(c), sizeof received);
      fd->reset(received);
    }
  return true;
}

// ---- child-side helpers (run after clone, inside the new namespaces) ----

[[noreturn]] void fail(const std::string& what, int err = errno) {
  throw Error(Errc::io, what + ": " + std::strerror(err));
}

long openat2_call(int dirfd, const char* path, int flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = resolve;
  return ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// Opens path inside the rootfs with every symlink resolved as if rootfd were
// "/" (RESOLVE_IN_ROOT), so a malicious image cannot redirect a mount target
// to the host. Missing components are created (the last as a file if
// last_is_file). Returns an O_PATH fd to mount onto via /proc/self/fd/N.
UniqueFd open_in_root(int rootfd, const std::string& path, bool create, bool last_is_file) {
  auto parts = split(path, '/');
  std::vector<std::string> comps;
  for (auto& c : parts)
    if (!c.empty() && c != ".") comps.push_back(c);
  UniqueFd cur(static_cast<int>(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0)));
  std::string so_far;
  for (size_t i = 0; i < comps.size(); ++i) {
    so_far += "/" + comps[i];
    long fd = openat2_call(rootfd, so_far.c_str(), O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno == ENOENT && create) {
      bool last = i + 1 == comps.size();
      if (last && last_is_file) {
        int f = ::openat(cur.get(), comps[i].c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                         0644);
        if (f < 0 && errno != EEXIST) fail("creating mount point " + so_far);
        if (f >= 0) ::close(f);
      } else if (::mkdirat(cur.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST) {
        fail("creating mount point " + so_far);
      }
      fd = openat2_call(rootfd, so_far.c_str(), O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    }
    if (fd < 0) fail("resolving " + so_far + " in the container");
    cur.reset(static_cast<int>(fd));
  }
  return cur;
}

std::string fd_path(const UniqueFd& fd) {
  return "/proc/self/fd/" + std::to_string(fd.get());
}

// A bind mount inherits flags the kernel locks in a user namespace (nosuid,
// nodev, noexec, atime); a read-only remount must repeat them or fail.
unsigned long locked_flags(const std::string& path) {
  struct statvfs sv;
  if (::statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

void remount_readonly(const std::string& path, unsigned long extra = 0) {
  if (::mount(nullptr, path.c_str(), nullptr,
              MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path) | extra, nullptr) != 0)
    fail("remounting " + path + " read-only");
}

void do_mount(int rootfd, const MountOp& op) {
  using K = MountOp::Kind;
  if (op.kind == K::symlink) {
    auto dir = open_in_root(rootfd, dirname_of(op.target), true, false);
    std::string name = basename_of(op.target);
    if (::symlinkat(op.source.c_str(), dir.get(), name.c_str()) != 0 && errno != EEXIST)
      fail("creating symlink " + op.target);
    return;
  }
  if (op.kind == K::file) {
    auto dir = open_in_root(rootfd, dirname_of(op.target), true, false);
    UniqueFd f(::openat(dir.get(), basename_of(op.target).c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!f) fail("creating " + op.target);
    write_all(f.get(), op.source.data(), op.source.size());
    return;
  }
  if (op.kind == K::generated) {
    // Made in the /dev tmpfs build_plan mounts first, bound, then unnamed:
    // the bind keeps the file, which only the container sees.
    std::string name = ".tug-" + basename_of(op.target);
    auto dev = open_in_root(rootfd, "/dev", false, false);
    UniqueFd f(::openat(dev.get(), name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!f) fail("creating the content of " + op.target);
    write_all(f.get(), op.source.data(), op.source.size());
    UniqueFd target = open_in_root(rootfd, op.target, true, true);
    if (::mount(fd_path(f).c_str(), fd_path(target).c_str(), nullptr, MS_BIND, nullptr) != 0)
      fail("bind-mounting " + op.target);
    if (::unlinkat(dev.get(), name.c_str(), 0) != 0) fail("removing /dev/" + name);
    return;
  }
  bool file = op.target_is_file;
  if (op.kind == K::bind) {
    struct stat st;
    if (::stat(op.source.c_str(), &st) != 0) fail("bind source " + op.source);
    file = !S_ISDIR(st.st_mode);
  }
  UniqueFd target = open_in_root(rootfd, op.target, true, file);
  std::string t = fd_path(target);
  const char* type = nullptr;
  switch (op.kind) {
    case K::proc:
      type = "proc";
      break;
    case K::sysfs:
      type = "sysfs";
      break;
    case K::tmpfs:
      type = "tmpfs";
      break;
    case K::devpts:
      type = "devpts";
      break;
    case K::mqueue:
      type = "mqueue";
      break;
    case K::bind:
    case K::symlink:
    case K::file:
    case K::generated:
    case K::tree:
      break;
  }
  if (op.kind == K::tree) {
    if (::move_mount(op.fd, "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      fail("attaching the shared " + op.target);
    return;
  }
  if (op.kind == K::bind) {
    // Docker fills an empty volume with what the image has at its target,
    // the first time it is mounted there.
    if (op.prefill && !file && list_dir(op.source).empty()) {
      copy_tree(t, op.source);
      // Copying changes mtime; the volume's root keeps the image dir's mode.
      struct stat st;
      if (::stat(t.c_str(), &st) == 0) {
        ::chmod(op.source.c_str(), st.st_mode & 07777);
        ::chown(op.source.c_str(), st.st_uid, st.st_gid);
      }
    }
    unsigned long flags = MS_BIND | (op.recursive ? static_cast<unsigned long>(MS_REC) : 0UL);
    if (::mount(op.source.c_str(), t.c_str(), nullptr, flags, nullptr) != 0)
      fail("bind-mounting " + op.source + " on " + op.target);
    if (op.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) {
      // The old fd still names the covered directory; reopen to reach the new mount.
      UniqueFd mounted = open_in_root(rootfd, op.target, false, file);
      std::string m = fd_path(mounted);
      unsigned long keep = op.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (op.flags & MS_RDONLY)
        remount_readonly(m, keep);
      else if (::mount(nullptr, m.c_str(), nullptr, MS_BIND | MS_REMOUNT | locked_flags(m) | keep,
                       nullptr) != 0)
        fail("remounting " + op.target);
    }
    return;
  }
  if (::mount(op.source.c_str(), t.c_str(), type, op.flags,
              op.data.empty() ? nullptr : op.data.c_str()) != 0) {
    int e = errno;
    // Without its own network namespace's ownership the kernel refuses sysfs;
    // fall back to the host's /sys, read-only.
    if (op.kind == K::sysfs && (e == EPERM || e == EACCES)) {
      if (::mount("/sys", t.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) fail("binding /sys");
      remount_readonly(fd_path(open_in_root(rootfd, op.target, false, false)));
      return;
    }
    fail("mounting " + std::string(type) + " on " + op.target, e);
  }
}

void mask_path(int rootfd, const std::string& path) {
  long fd = openat2_call(rootfd, path.c_str(), O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
  if (fd < 0) return;  // absent paths need no mask
  UniqueFd target(static_cast<int>(fd));
  struct stat st;
  if (::fstat(target.get(), &st) != 0) return;
  std::string t = fd_path(target);
  if (S_ISDIR(st.st_mode)) {
    if (::mount("tmpfs", t.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=0") != 0)
      fail("masking " + path);
  } else if (::mount("/dev/null", t.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    fail("masking " + path);
  }
}

void readonly_path(int rootfd, const std::string& path) {
  long fd = openat2_call(rootfd, path.c_str(), O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
  if (fd < 0) return;
  UniqueFd target(static_cast<int>(fd));
  std::string t = fd_path(target);
  if (::mount(t.c_str(), t.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    fail("binding " + path);
  long again = openat2_call(rootfd, path.c_str(), O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
  if (again < 0) fail("reopening " + path);
  UniqueFd mounted(static_cast<int>(again));
  remount_readonly(fd_path(mounted));
}

// ---- user lookup inside the container's /etc ----------------------------

struct Ids {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home = "/";
  bool found_user = false;
};

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::vector<std::string>> read_db(const char* path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') rows.push_back(split(line, ':'));
  return rows;
}

Ids resolve_user(const std::string& spec) {
  Ids ids;
  auto [user, group] = split_once(spec.empty() ? "0" : spec, ':');
  auto passwd = read_db("/etc/passwd");
  std::string user_name;
  if (all_digits(user)) {
    ids.uid = static_cast<uid_t>(std::stoul(user));
    for (auto& r : passwd)
      if (r.size() >= 7 && r[2] == user) {
        ids.gid = static_cast<gid_t>(std::stoul(r[3]));
        ids.home = r[5];
        user_name = r[0];
        ids.found_user = true;
        break;
      }
  } else {
    for (auto& r : passwd)
      if (r.size() >= 7 && r[0] == user) {
        ids.uid = static_cast<uid_t>(std::stoul(r[2]));
        ids.gid = static_cast<gid_t>(std::stoul(r[3]));
        ids.home = r[5];
        user_name = r[0];
        ids.found_user = true;
        break;
      }
    if (!ids.found_user)
      throw Error(Errc::not_found,
                  "unable to find user " + user + ": no matching entries in passwd file");
  }
  auto groups = read_db("/etc/group");
  if (!group.empty()) {
    if (all_digits(group)) {
      ids.gid = static_cast<gid_t>(std::stoul(group));
    } else {
      bool found = false;
      for (auto& r : groups)
        if (r.size() >= 3 && r[0] == group) {
          ids.gid = static_cast<gid_t>(std::stoul(r[2]));
          found = true;
        }
      if (!found)
        throw Error(Errc::not_found,
                    "unable to find group " + group + ": no matching entries in group file");
    }
  }
  // docker's rule: the primary group is also a supplementary one, and a
  // user known to /etc/passwd, given without a group, gets the groups that
  // list it as a member (`id` shows them all).
  ids.groups.push_back(ids.gid);
  if (group.empty() && !user_name.empty()) {
    for (auto& r : groups)
      if (r.size() >= 4 && all_digits(r[2]))
        for (auto& member : split(r[3], ','))
          if (member == user_name) {
            auto g = static_cast<gid_t>(std::stoul(r[2]));
            if (std::find(ids.groups.begin(), ids.groups.end(), g) == ids.groups.end())
              ids.groups.push_back(g);
          }
  }
  return ids;
}

// --group-add: gids as given, names from the image's /etc/group.
void add_groups(Ids& ids, const std::vector<std::string>& extra) {
  if (extra.empty()) return;
  auto groups = read_db("/etc/group");
  for (const auto& g : extra) {
    if (g == "keep-groups") continue;
    gid_t gid = 0;
    if (all_digits(g)) {
      gid = static_cast<gid_t>(std::stoul(g));
    } else {
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& r) {
        return r.size() >= 3 && r[0] == g && all_digits(r[2]);
      });
      if (it == groups.end())
        throw Error(Errc::not_found,
                    "Unable to find group " + g + ": no matching entries in group file");
      gid = static_cast<gid_t>(std::stoul((*it)[2]));
    }
    if (std::find(ids.groups.begin(), ids.groups.end(), gid) == ids.groups.end())
      ids.groups.push_back(gid);
  }
}

// Appends line to the database at path unless an entry has its name or id.
void add_db_entry(const char* path, const std::string& line) {
  auto fields = split(line, ':');
  for (const auto& r : read_db(path))
    if (r.size() >= 3 && (r[0] == fields[0] || r[2] == fields[2])) return;
  auto old = read_file_if_exists(path);
  std::string text = (old && !old->empty() && old->back() != '\n' ? "\n" : "") + line + "\n";
  UniqueFd fd(::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd && errno == EROFS) return;  // a read-only bind over /etc: the image's files stay
  if (!fd) fail(std::string("adding the user to ") + path);
  write_all(fd.get(), text.data(), text.size());
}

// --userns=keep-id: the host user gets a name and a home inside, as podman
// gives them, so tools that look the user up (whoami, ssh, git) work. The
// home is theirs when the image has it (or a volume put it there), else
// the working directory: nothing is made in the image for it.
void add_keep_id_user(const Plan& plan) {
  if (plan.passwd_entry.empty()) return;
  struct stat st;
  if (::stat("/etc", &st) != 0) return;
  bool has_home = !plan.keep_id_home.empty() && ::stat(plan.keep_id_home.c_str(), &st) == 0 &&
                  S_ISDIR(st.st_mode);
  std::string home = has_home ? plan.keep_id_home : plan.cwd.empty() ? "/" : plan.cwd;
  add_db_entry("/etc/passwd", plan.passwd_entry + "::" + home + ":/bin/sh");
  add_db_entry("/etc/group", plan.group_entry);
}

// Runs the hooks of one stage, each with the container's state on stdin,
// and fails the start when one fails or outlives its timeout.
void run_hooks(const Plan& plan, const std::string& stage) {
  for (const auto& h : plan.hooks) {
    if (h.stage != stage) continue;
    Pipe in = Pipe::make();
    pid_t pid = ::fork();
    if (pid < 0) fail("fork for hook " + h.path);
    if (pid == 0) {
      ::dup2(in.read.get(), 0);
#ifdef SYS_close_range
      ::syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
      std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
      std::vector<char*> argv, envp;
      for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      std::vector<std::string> env = h.env;
      for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
      envp.push_back(nullptr);
      ::execve(h.path.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    in.read.reset();
    // A hook that does not read its stdin must not kill us with SIGPIPE.
    struct sigaction ign {
    }, old{};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old);
    ssize_t ignored = ::write(in.write.get(), plan.hook_state.data(), plan.hook_state.size());
    (void)ignored;
    in.write.reset();
    ::sigaction(SIGPIPE, &old, nullptr);
    int st = 0;
    for (long waited_ms = 0;; waited_ms += 10) {
      pid_t r = ::waitpid(pid, &st, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) fail("waiting for hook " + h.path);
      if (h.timeout > 0 && waited_ms >= h.timeout * 1000L) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &st, 0);
        throw Error(Errc::io, stage + " hook " + h.path + " timed out after " +
                                  std::to_string(h.timeout) + "s");
      }
      ::usleep(10000);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      throw Error(Errc::io, stage + " hook " + h.path + " failed (" +
                                (WIFEXITED(st) && WEXITSTATUS(st) == 127
                                     ? std::string("cannot be executed")
                                     : "status " + std::to_string(exit_code_of(st))) +
                                ")");
  }
}

void apply_capabilities(uint64_t keep) {
  for (int cap = 0; cap <= 63; ++cap) {
    if (keep & (1ULL << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      fail("dropping capability " + std::to_string(cap));
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

// The inheritable set stays empty, as docker's: a capability in it would
// survive into a program with file capabilities run by a non-root user of
// the container (the pattern of CVE-2022-24769).
void set_process_caps(uint64_t keep) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(keep);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(keep >> 32);
  if (::syscall(SYS_capset, &hdr, data) != 0) fail("setting capabilities");
}

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (starts_with(e, key + "=")) return e.substr(key.size() + 1);
  return "";
}

// execvpe with the container's PATH; returns errno of the most telling failure.
int exec_command(const Plan& plan, std::vector<std::string>& env) {
  std::vector<char*> argv, envp;
  for (auto& a : plan.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string& cmd = plan.args[0];
  if (cmd.find('/') != std::string::npos) {
    ::execve(cmd.c_str(), argv.data(), envp.data());
    return errno;
  }
  int best = ENOENT;
  for (const auto& dir : split(env_value(env, "PATH"), ':')) {
    std::string p = (dir.empty() ? "." : dir) + "/" + cmd;
    ::execve(p.c_str(), argv.data(), envp.data());
    if (errno != ENOENT && errno != ENOTDIR) best = errno;
  }
  return best;
}

// The terminal comes from the container's own devpts instance, so that
// ttyname() and /dev/pts/0 make sense inside; the master goes to the parent.
void take_terminal(int to_parent, uint16_t rows, uint16_t cols) {
  UniqueFd master(::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) fail("opening /dev/pts/ptmx");
  if (::unlockpt(master.get()) != 0) fail("unlocking the terminal");
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) fail("ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) fail(std::string("opening ") + name);
  if (rows && cols) {
    struct winsize ws {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    ::ioctl(slave.get(), TIOCSWINSZ, &ws);
  }
  send_fd(to_parent, master.get());
  if (::setsid() < 0) fail("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) fail("setting the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) fail("dup2 terminal");
}

// chown -R without following symlinks, as root of the user namespace.
void chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  static uid_t to_uid;
  static gid_t to_gid;
  to_uid = uid;
  to_gid = gid;
  auto one = [](const char* p, const struct stat*, int, struct FTW*) -> int {
    return ::lchown(p, to_uid, to_gid) == 0 ? 0 : -1;
  };
  if (::nftw(path.c_str(), one, 32, FTW_PHYS | FTW_MOUNT) != 0)
    fail("chowning " + path + " to the container's user (:U)");
}

// Inside the container's namespaces and root: takes the terminal, becomes
// the user with the plan's capabilities, chdirs and execs plan.args. Only
// returns by throwing; exec failure is reported to the parent and exits.
[[noreturn]] void become_process(const Plan& plan, int to_parent, std::string& stage) {
  if (plan.tty) take_terminal(to_parent, plan.tty_rows, plan.tty_cols);
  stage = "setting up the process";
  Ids ids = resolve_user(plan.user);
  add_groups(ids, plan.group_add);
  std::vector<std::string> env = plan.env;
  if (env_value(env, "PATH").empty())
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (env_value(env, "HOSTNAME").empty() && !plan.hostname.empty())
    env.push_back("HOSTNAME=" + plan.hostname);
  if (env_value(env, "HOME").empty()) env.push_back("HOME=" + ids.home);
  // Like runc: a missing working directory is created, by root (0755) and
  // before the switch to the user, who may not be able to create it.
  struct stat cwd_st {};
  if (plan.create_cwd && ::stat(plan.cwd.c_str(), &cwd_st) != 0 && errno == ENOENT)
    make_dirs(plan.cwd, 0755);
  for (const auto& path : plan.chown_paths) chown_tree(path, ids.uid, ids.gid);
  for (const auto& u : plan.rlimits) {
    struct rlimit rl {
      u.soft, u.hard
    };
    if (::setrlimit(u.resource, &rl) != 0)
      fail("setting --ulimit (resource " + std::to_string(u.resource) +
           "): a rootless container cannot raise a hard limit above the user's own");
  }
  apply_capabilities(plan.capabilities);
  if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    fail("setting no_new_privs");
  // Loaded while still root with every capability of the namespace (a
  // filter needs CAP_SYS_ADMIN or no_new_privs), before becoming the user.
  if (plan.seccomp) {
    Bpf compiled = plan.seccomp_bpf;
    if (compiled.empty())
      compiled = plan.seccomp_profile ? compile_seccomp_profile(*plan.seccomp_profile)
                                      : compile_seccomp(plan.capabilities);
    load_filter(compiled, plan.seccomp_profile ? "seccomp profile" : "seccomp filter");
  }
  if (plan.fake_chown) {
    // Under the filter, a set*id to an unmapped id would "succeed" and the
    // command run as root: refuse here what the kernel would have refused.
    const FakeIds& f = *plan.fake_chown;
    if (ids.uid < f.uid_lo || ids.uid >= f.uid_hi)
      fail("setuid " + std::to_string(ids.uid) + " (is it mapped in the user namespace?)", EINVAL);
    if (ids.gid < f.gid_lo || ids.gid >= f.gid_hi)
      fail("setgid " + std::to_string(ids.gid) + " (is it mapped in the user namespace?)", EINVAL);
    load_filter(plan.fake_chown_bpf.empty() ? compile_fake_chown(f) : plan.fake_chown_bpf,
                "fake-chown filter");
  }
  // setgroups is denied in single-id mode (the kernel requires it before
  // an unprivileged gid_map); the process then keeps no supplementary groups.
  // keep-groups leaves them alone: the caller's groups stay (unmapped ones
  // show as the overflow gid).
  bool keep_groups = std::find(plan.group_add.begin(), plan.group_add.end(), "keep-groups") !=
                     plan.group_add.end();
  if (!keep_groups && ::setgroups(ids.groups.size(), ids.groups.data()) != 0 && errno != EPERM)
    fail("setgroups (are the --group-add ids mapped in the user namespace?)");
  if (::setresgid(ids.gid, ids.gid, ids.gid) != 0)
    fail("setgid " + std::to_string(ids.gid) + " (is it mapped in the user namespace?)");
  if (::setresuid(ids.uid, ids.uid, ids.uid) != 0)
    fail("setuid " + std::to_string(ids.uid) + " (is it mapped in the user namespace?)");
  if (ids.uid == 0) set_process_caps(plan.capabilities);
  // Changing uid clears the parent-death signal: re-arm it, so the process
  // still dies with its monitor (or exec's relay) when that is killed.
  if (ids.uid != 0) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::chdir(plan.cwd.c_str()) != 0) fail("chdir to working directory " + plan.cwd);
    // Nothing of tug's may leak into the container: every fd above stderr
    // is closed at exec (the sync socket too, which tells the parent exec worked).
#ifdef SYS_close_range
  ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
#endif
  stage = "starting the command";
  int err = exec_command(plan, env);
  send_msg(to_parent, MsgKind::exec_failed, err, plan.args[0]);
  ::_exit(err == ENOENT ? kExitNotFound : kExitCannotInvoke);
}

// The container's first process. Order follows the runtime spec: wait for
// the id mapping, mount the rootfs, populate it, pivot into it, become the
// user, exec. Never returns; never lets an exception leave this frame.
[[noreturn]] void child_main(const Plan& plan, int from_parent, int to_parent, const Stdio& stdio) {
  std::string stage = "setting up the container";
  try {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    Msg m{};
    if (!read_exact(from_parent, &m, sizeof m) || m.kind != MsgKind::mapping_written) ::_exit(125);
    if (::setresgid(plan.setup_gid, plan.setup_gid, plan.setup_gid) != 0 ||
        ::setresuid(plan.setup_uid, plan.setup_uid, plan.setup_uid) != 0)
      fail("becoming root in the user namespace");
    // Changing to ids other than the caller's own host uid (keep-id's root
    // is a subordinate id) makes the process undumpable, and slirp4netns,
    // pasta and exec, running as the user, could no longer open its
    // /proc/PID/ns files.
    ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    // The network helpers open our namespaces as the user: only now may they.
    if (plan.await_network) send_msg(to_parent, MsgKind::ids_set, 0, "");
    if (plan.clone_flags & CLONE_NEWNET) network::loopback_up();

    // Joined first, so everything the container does is accounted there.
    if (!plan.cgroup.empty()) write_file(plan.cgroup + "/cgroup.procs", "0");
    stage = "preparing mounts";
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("making / private");
    if (stdio.in >= 0 && ::dup2(stdio.in, 0) < 0) fail("dup2 stdin");
    if (stdio.out >= 0 && ::dup2(stdio.out, 1) < 0) fail("dup2 stdout");
    if (stdio.err >= 0 && ::dup2(stdio.err, 2) < 0) fail("dup2 stderr");
    if (!plan.stdin_open && !plan.tty && stdio.in < 0) {
      int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (devnull >= 0) ::dup3(devnull, 0, 0), ::close(devnull);
    }
    stage = "mounting the rootfs";
    // The squashfs image's daemon is started by the parent (the monitor),
    // so it is no process of the container and dies with the monitor.
    storage::mount_rootfs(plan.rootfs,
                          [&](int fuse) { send_fd(to_parent, fuse, MsgKind::fuse_device); });
    if (plan.rootfs.driver == storage::Driver::fuse_overlayfs) {
      // The fuse daemon was started in this mount namespace; pivot_root would
      // move its root onto its own mount, and its first absolute path would
      // wait on itself forever. The container moves to a copy of the
      // namespace instead, and the daemon keeps the old root.
      if (::unshare(CLONE_NEWNS) != 0) fail("unsharing the mount namespace from fuse-overlayfs");
    }
    UniqueFd root = open_or_throw(plan.rootfs.target, O_PATH | O_DIRECTORY);
    stage = "populating the rootfs";
    for (const auto& op : plan.mounts) do_mount(root.get(), op);
    for (const auto& p : plan.masked_paths) mask_path(root.get(), p);
    for (const auto& p : plan.readonly_paths) readonly_path(root.get(), p);
    // OCI: createContainer hooks run in the container's mount namespace,
    // before pivot_root, their paths resolved on the host.
    stage = "running createContainer hooks";
    run_hooks(plan, "createContainer");
    if (!plan.hostname.empty() && ::sethostname(plan.hostname.c_str(), plan.hostname.size()) != 0)
      fail("setting hostname");

    stage = "entering the rootfs";
    if (::chdir(plan.rootfs.target.c_str()) != 0) fail("chdir rootfs");
    if (::syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root");
    if (::umount2(".", MNT_DETACH) != 0) fail("detaching the old root");
    if (::chdir("/") != 0) fail("chdir /");
    root.reset();
    add_keep_id_user(plan);
    if (plan.readonly_rootfs) remount_readonly("/");
    stage = "running startContainer hooks";
    run_hooks(plan, "startContainer");
    if (plan.await_network) {
      stage = "waiting for the network";
      if (!read_exact(from_parent, &m, sizeof m) || m.kind != MsgKind::network_ready) ::_exit(125);
    }
    become_process(plan, to_parent, stage);
  } catch (const std::exception& e) {
    try {
      send_msg(to_parent, MsgKind::setup_failed, 0, stage + ": " + e.what());
    } catch (...) {
    }
  }
  ::_exit(kExitToolError);
}

// Reads what the child reports until exec: the terminal (if any), then EOF
// for success or a failure message, which becomes an Error with docker's
// exit code (the child is reaped first).
void receive_start_result(int sock, Started& s, const std::string& squashfs = {},
                          const Msg* first = nullptr) {
  Msg m{};
  UniqueFd passed;
  bool got = first ? (m = *first, true) : recv_msg(sock, &m, &passed);
  if (got && m.kind == MsgKind::fuse_device && !squashfs.empty() && passed) {
    s.squashfuse =
        Child(storage::spawn_squashfuse(squashfs, passed.get()), Child::OnDestroy::kill_and_wait);
    passed.reset();
    got = recv_msg(sock, &m, &passed);
  }
  if (got && m.kind == MsgKind::terminal) {
    s.terminal = std::move(passed);
    copy_winsize(1, s.terminal.get());
    got = recv_msg(sock, &m, &passed);
  }
  if (!got) return;
  s.process.wait();
  std::string text(m.text, strnlen(m.text, sizeof m.text));
  // docker's code for an exec whose process cannot be set up.
  if (m.kind == MsgKind::process_failed) throw Error(Errc::generic, text, "", kExitCannotInvoke);
  if (m.kind == MsgKind::exec_failed) {
    if (m.err == ENOENT)
      throw Error(Errc::not_found,
                  "executable file `" + text + "` not found in $PATH: no such file or directory",
                  "", kExitNotFound);
    // Lower-case, as docker and podman print errno texts.
    std::string why = std::strerror(m.err);
    if (!why.empty() && why[0] >= 'A' && why[0] <= 'Z') why[0] = static_cast<char>(why[0] + 32);
    throw Error(Errc::permission, "cannot invoke `" + text + "`: " + why, "", kExitCannotInvoke);
  }
  throw Error(Errc::generic, text);
}

UniqueFd open_ns(pid_t pid, const char* ns) {
  return open_or_throw("/proc/" + std::to_string(pid) + "/ns/" + ns, O_RDONLY);
}

bool same_ns(pid_t pid, const char* ns) {
  struct stat a, b;
  return ::stat(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), &a) == 0 &&
         ::stat((std::string("/proc/self/ns/") + ns).c_str(), &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

}  // namespace

uint64_t process_start_time(pid_t pid) {
  std::optional<std::string> stat;
  try {
    stat = read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    // The process exited between open and read (ESRCH): it is gone, which
    // is an answer, not an error of whoever asked.
    return 0;
  }
  if (!stat) return 0;
  // Field 22; the command name (field 2) may contain spaces, so skip past ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  // A zombie has exited already; only its parent has not noticed yet.
  if (close + 2 < stat->size() && (*stat)[close + 2] == 'Z') return 0;
  std::istringstream in(stat->substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i)
    if (i == 22) return std::stoull(field);
  return 0;
}

namespace {

int socket_pair(UniqueFd& a, UniqueFd& b) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  a.reset(sv[0]);
  b.reset(sv[1]);
  return 0;
}

// The network namespace at plan.join_netns and the user namespace that
// owns it (the kernel only lets its root enter it).
struct JoinTarget {
  UniqueFd userns, netns, utsns, ipcns;
};

JoinTarget open_join_target(const Plan& plan) {
  JoinTarget t;
  if (plan.join_netns.empty()) {
    // --ipc container:ID: that IPC namespace, from its own user namespace
    // (only its root may enter it), which must then be the one the
    // container is made in.
    if (!plan.join_ipcns.empty()) {
      t.ipcns = open_or_throw(plan.join_ipcns, O_RDONLY | O_CLOEXEC);
      UniqueFd owner(::ioctl(t.ipcns.get(), NS_GET_USERNS));
      if (!owner)
        throw Error(Errc::invalid,
                    plan.join_ipcns + " is not an IPC namespace (" + std::strerror(errno) + ")");
      if (!plan.join_userns.empty()) {
        t.userns = open_or_throw(plan.join_userns, O_RDONLY | O_CLOEXEC);
        struct stat a, b;
        if (::fstat(t.userns.get(), &a) != 0 || ::fstat(owner.get(), &b) != 0 ||
            a.st_ino != b.st_ino || a.st_dev != b.st_dev)
          throw Error(Errc::unsupported,
                      "cannot join the IPC namespace: it belongs to another user namespace than "
                      "the container's network",
                      "put both containers on the same kind of network (both on user-defined "
                      "networks, or neither)");
      } else {
        t.userns = std::move(owner);
      }
      return t;
    }
    t.userns = open_or_throw(plan.join_userns, O_RDONLY | O_CLOEXEC);
    return t;
  }
  t.netns = open_or_throw(plan.join_netns, O_RDONLY);
  t.userns.reset(::ioctl(t.netns.get(), NS_GET_USERNS));
  if (!t.userns)
    throw Error(Errc::invalid,
                plan.join_netns + " is not a network namespace (" + std::strerror(errno) + ")");
  if (!plan.join_utsns.empty()) t.utsns = open_or_throw(plan.join_utsns, O_RDONLY);
  if (!plan.join_ipcns.empty()) t.ipcns = open_or_throw(plan.join_ipcns, O_RDONLY);
  return t;
}

// Clones the container's first process straight into the namespaces of
// join: a helper enters the user namespace (and the network namespace, if
// joined), then clones the rest (made by, and so owned by, that user
// namespace) as a sibling of itself (CLONE_PARENT): the caller is the
// container's parent, as always.
long clone_joined(const Plan& plan, const JoinTarget& join, UniqueFd& to_child_read,
                  UniqueFd& to_parent_write, const Stdio& stdio) {
  Pipe pid_pipe = Pipe::make();
  pid_t helper = ::fork();
  if (helper < 0) throw_errno("fork");
  if (helper == 0) {
    pid_pipe.read.reset();
    unsigned long joined = CLONE_NEWUSER;
    bool ok = ::setns(join.userns.get(), CLONE_NEWUSER) == 0;
    if (ok && join.netns) {
      ok = ::setns(join.netns.get(), CLONE_NEWNET) == 0;
      joined |= CLONE_NEWNET;
    }
    if (ok && join.utsns) {
      ok = ::setns(join.utsns.get(), CLONE_NEWUTS) == 0;
      joined |= CLONE_NEWUTS;
    }
    if (ok && join.ipcns) {
      ok = ::setns(join.ipcns.get(), CLONE_NEWIPC) == 0;
      joined |= CLONE_NEWIPC;
    }
    if (!ok) {
      int32_t err = -errno;
      write_all(pid_pipe.write.get(), &err, sizeof err);
      ::_exit(1);
    }
    unsigned long flags = static_cast<unsigned long>(plan.clone_flags) & ~joined;
    long pid =
        ::syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) {
      pid_pipe.write.reset();
      child_main(plan, to_child_read.get(), to_parent_write.get(), stdio);
    }
    int32_t v = pid > 0 ? static_cast<int32_t>(pid) : -errno;
    write_all(pid_pipe.write.get(), &v, sizeof v);
    ::_exit(0);
  }
  Child h(helper, Child::OnDestroy::wait);
  pid_pipe.write.reset();
  int32_t v = 0;
  if (!read_exact(pid_pipe.read.get(), &v, sizeof v)) v = -EIO;
  h.wait();
  if (v < 0) {
    if (plan.join_netns.empty() && !plan.join_ipcns.empty())
      throw Error(Errc::permission,
                  "joining the IPC namespace " + plan.join_ipcns + ": " + std::strerror(-v));
    if (plan.join_netns.empty())
      throw Error(Errc::permission, "joining the rootless network namespace's user namespace: " +
                                        std::string(std::strerror(-v)));
    throw Error(Errc::permission,
                "joining the network namespace " + plan.join_netns + ": " + std::strerror(-v),
                "only a network namespace of a user namespace you own can be joined");
  }
  return v;
}

}  // namespace

Started start(const Plan& plan, const userns::Mapping& mapping, const Stdio& stdio,
              const std::function<void(pid_t)>& network) {
  if (plan.args.empty()) throw Error(Errc::usage, "no command specified");
  UniqueFd to_child_write, to_child_read, to_parent_read, to_parent_write;
  socket_pair(to_child_write, to_child_read);
  socket_pair(to_parent_read, to_parent_write);
  long pid;
  std::optional<JoinTarget> join;
  if (!plan.join_netns.empty() || !plan.join_userns.empty() || !plan.join_ipcns.empty()) {
    join = open_join_target(plan);
    pid = clone_joined(plan, *join, to_child_read, to_parent_write, stdio);
  } else {
    // A fork-like clone (no new stack): the child continues on a copy of
    // this stack and leaves only through _exit in child_main.
    pid = ::syscall(SYS_clone, static_cast<unsigned long>(plan.clone_flags) | SIGCHLD, nullptr,
                    nullptr, nullptr, nullptr);
    if (pid < 0) {
      int e = errno;
      throw Error(
          Errc::permission, std::string("creating container namespaces: ") + std::strerror(e),
          e == EPERM || e == ENOSPC
              ? "unprivileged user namespaces must be enabled (user.max_user_namespaces > 0)"
              : "");
    }
    if (pid == 0) {
      to_child_write.reset();
      to_parent_read.reset();
      child_main(plan, to_child_read.get(), to_parent_write.get(), stdio);
    }
  }
  Started s;
  s.process = Child(static_cast<pid_t>(pid), Child::OnDestroy::kill_and_wait);
  to_child_read.reset();
  to_parent_write.reset();
  // A joined user namespace is mapped already.
  if (!join) userns::write_id_maps(static_cast<pid_t>(pid), mapping);
  send_msg(to_child_write.get(), MsgKind::mapping_written, 0, "");
  if (plan.await_network) {
    // The helpers start while the child mounts its rootfs; it waits for
    // them only before its exec.
    Msg m{};
    UniqueFd none;
    if (!recv_msg(to_parent_read.get(), &m, &none)) {
      s.process.wait();
      throw Error(Errc::generic, "the container's setup ended before its network was set up");
    }
    if (m.kind != MsgKind::ids_set)
      receive_start_result(to_parent_read.get(), s, plan.rootfs.squashfs, &m);
    try {
      if (network) network(static_cast<pid_t>(pid));
    } catch (const Error&) {
      // A child that failed its setup (a hook, a mount) took its network
      // namespace with it: its own report says why, and wins.
      s.process.kill(SIGKILL);
      receive_start_result(to_parent_read.get(), s);
      throw;
    }
    try {
      send_msg(to_child_write.get(), MsgKind::network_ready, 0, "");
    } catch (const Error&) {
      // The child failed; its report follows.
    }
  }
  receive_start_result(to_parent_read.get(), s, plan.rootfs.squashfs);
  s.start_time = process_start_time(static_cast<pid_t>(pid));
  return s;
}

Started exec_in(pid_t pid, const Plan& plan, bool detach, const Stdio& stdio) {
  if (plan.args.empty()) throw Error(Errc::usage, "no command specified");
  // Opened here, before any fork: the namespaces and the root of exactly the
  // process the caller checked.
  struct NsFd {
    const char* name;
    int flag;
    UniqueFd fd;
  };
  std::vector<NsFd> nss;
  nss.push_back({"user", CLONE_NEWUSER, open_ns(pid, "user")});
  nss.push_back({"mnt", CLONE_NEWNS, open_ns(pid, "mnt")});
  for (auto [name, flag] : {std::pair{"uts", CLONE_NEWUTS}, std::pair{"ipc", CLONE_NEWIPC},
                            std::pair{"net", CLONE_NEWNET}, std::pair{"pid", CLONE_NEWPID}})
    if (!same_ns(pid, name)) nss.push_back({name, flag, open_ns(pid, name)});
  UniqueFd root = open_or_throw("/proc/" + std::to_string(pid) + "/root", O_PATH | O_DIRECTORY);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  // The command's stdio: never the caller's own fds (a container could
  // reopen the caller's file through /proc/self/fd and truncate it).
  Pipe in, out, err;
  bool piped = !detach && !plan.tty;
  if (piped && stdio.in < 0 && plan.stdin_open) in = Pipe::make();
  if (piped && stdio.out < 0) out = Pipe::make();
  if (piped && stdio.err < 0) err = Pipe::make();

  pid_t first = ::fork();
  if (first < 0) throw_errno("fork");
  if (first == 0) {
    // The joining process: enters the namespaces (the user namespace first,
    // which grants the rights to enter the others), then forks, because a
    // new pid namespace applies only to children. It stays to relay the
    // exit status and signals.
    std::string stage = "joining the container";
    bool in_process = false;
    try {
      parent_end.reset();
      in.write.reset();
      out.read.reset();
      err.read.reset();
      // A session of its own: no controlling terminal, so /dev/tty inside
      // is not the caller's (TIOCSTI could type into the caller's shell).
      ::setsid();
      // The container's cgroup, while its path is still reachable: what
      // exec starts is frozen, limited and killed with the container.
      if (!plan.cgroup.empty()) write_file(plan.cgroup + "/cgroup.procs", "0");
      for (auto& n : nss)
        if (::setns(n.fd.get(), n.flag) != 0)
          fail(std::string("joining the ") + n.name + " namespace");
      if (::fchdir(root.get()) != 0 || ::chroot(".") != 0) fail("entering the container's root");
      if (::setresgid(plan.setup_gid, plan.setup_gid, plan.setup_gid) != 0 ||
          ::setresuid(plan.setup_uid, plan.setup_uid, plan.setup_uid) != 0)
        fail("becoming root in the user namespace");
      int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      if (devnull < 0) fail("opening /dev/null");
      auto take = [&](int given, const UniqueFd& pipe_end, bool open, int fd) {
        int src = !piped || !open ? devnull : given >= 0 ? given : pipe_end.get();
        if (::dup2(src, fd) < 0) fail("dup2 stdio");
      };
      take(stdio.in, in.read, plan.stdin_open, 0);
      take(stdio.out, out.write, true, 1);
      take(stdio.err, err.write, true, 2);
      ::close(devnull);
      in.read.reset();
      out.write.reset();
      err.write.reset();
      pid_t second = ::fork();
      if (second < 0) fail("fork");
      if (second == 0) {
        in_process = true;
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        become_process(plan, child_end.get(), stage);
      }
      child_end.reset();
      Child inner(second, Child::OnDestroy::kill_and_wait);
      ::_exit(wait_forwarding_signals(inner));
    } catch (const std::exception& e) {
      try {
        send_msg(child_end.get(), in_process ? MsgKind::process_failed : MsgKind::setup_failed, 0,
                 stage + ": " + e.what());
      } catch (...) {
      }
    }
    ::_exit(kExitToolError);
  }
  Started s;
  s.process = Child(first, detach ? Child::OnDestroy::detach : Child::OnDestroy::kill_and_wait);
  child_end.reset();
  in.read.reset();
  out.write.reset();
  err.write.reset();
  s.in = std::move(in.write);
  s.out = std::move(out.read);
  s.err = std::move(err.read);
  receive_start_result(parent_end.get(), s);
  return s;
}

namespace {

// Puts the CLI's terminal in raw mode while a container owns the screen.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSADRAIN, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

}  // namespace

StdioRelay relay_of(Started& s, bool stdin_open) {
  if (s.terminal) return StdioRelay::terminal(std::move(s.terminal), stdin_open);
  return StdioRelay::pipes(std::move(s.in), std::move(s.out), std::move(s.err));
}

int wait_forwarding_signals(Child& process, StdioRelay* relay) {
  static const int kForward[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  sigset_t set, old;
  sigemptyset(&set);
  for (int s : kForward) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  ::sigprocmask(SIG_BLOCK, &set, &old);
  ScopeExit restore([&] { ::sigprocmask(SIG_SETMASK, &old, nullptr); });
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) throw_errno("signalfd");
  // A reader of ours that went away is EPIPE for the relay, which closes
  // the process's end in turn; set only now, after every fork (an ignored
  // SIGPIPE would be inherited across exec).
  struct sigaction ign = {}, old_pipe = {};
  ign.sa_handler = SIG_IGN;
  if (relay) ::sigaction(SIGPIPE, &ign, &old_pipe);
  ScopeExit restore_pipe([&] {
    if (relay) ::sigaction(SIGPIPE, &old_pipe, nullptr);
  });
  int pty_master = relay ? relay->terminal_fd() : -1;
  std::optional<RawTerminal> raw;
  if (pty_master >= 0 && relay->relays_input()) raw.emplace(0);
  std::vector<struct pollfd> fds;
  // Asked once before the loop (an exit before SIGCHLD was blocked went
  // unseen), then only when SIGCHLD says so: a wait4 per relayed chunk
  // cost a third of the CLI's time on 100 MB.
  bool check_exit = true;
  for (;;) {
    int st;
    if (check_exit && ::waitpid(process.pid(), &st, WNOHANG) == process.pid()) {
      process.detach();
      if (relay) relay->finish();
      return exit_code_of(st);
    }
    check_exit = false;
    fds.assign(1, {sfd.get(), POLLIN, 0});
    size_t first = relay ? relay->add_poll_fds(fds) : 0;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD)
          check_exit = true;
        else if (sig == SIGWINCH && relay && relay->terminal_fd() >= 0)
          copy_winsize(1, relay->terminal_fd());
        else if (sig != SIGWINCH)
          process.kill(sig);
      }
    }
    if (relay) relay->handle(fds, first);
  }
}

}  // namespace tug::runtime
