#include "runtime/mount_tree.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/process.hpp"

namespace tug::runtime {

namespace {

bool same_file(int a, const char* path) {
  struct stat x, y;
  return ::fstat(a, &x) == 0 && ::stat(path, &y) == 0 && x.st_dev == y.st_dev &&
         x.st_ino == y.st_ino;
}

}  // namespace

UniqueFd clone_mount_of(pid_t pid, const std::string& path) {
  std::string proc = "/proc/" + std::to_string(pid);
  UniqueFd userns = open_or_throw(proc + "/ns/user", O_RDONLY | O_CLOEXEC);
  UniqueFd mntns = open_or_throw(proc + "/ns/mnt", O_RDONLY | O_CLOEXEC);
  // The helper may already be in that user namespace (setns would refuse it).
  bool enter_userns = !same_file(userns.get(), "/proc/self/ns/user");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  pid_t c = ::fork();
  if (c < 0) throw_errno("fork");
  if (c == 0) {
    // Reports "ok" and the copy (an empty packet would read as the end), or
    // what failed; never throws (a forked child).
    parent_end.reset();
    const char* step = nullptr;
    int fd = -1;
    if (enter_userns && ::setns(userns.get(), CLONE_NEWUSER) != 0)
      step = "entering its user namespace";
    else if (::setns(mntns.get(), CLONE_NEWNS) != 0)
      step = "entering its mount namespace";
    else if ((fd = ::open_tree(AT_FDCWD, path.c_str(),
                               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW)) < 0)
      step = "copying the mount";
    std::string msg = step ? std::string(step) + ": " + std::strerror(errno) : std::string("ok");
    try {
      send_packet(child_end.get(), msg, step ? -1 : fd);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  Child helper(c, Child::OnDestroy::kill_and_wait);
  child_end.reset();
  std::string msg;
  UniqueFd tree;
  bool got = recv_packet(parent_end.get(), msg, &tree);
  helper.wait();
  std::string what = "sharing " + path + " of process " + std::to_string(pid);
  if (!got) throw Error(Errc::generic, what + ": the helper ended without an answer");
  if (msg != "ok") throw Error(Errc::permission, what + ": " + msg);
  if (!tree) throw Error(Errc::generic, what + ": no mount came back");
  return tree;
}

}  // namespace tug::runtime
