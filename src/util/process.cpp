#include "util/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "build_info.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace tug {

Child::Child(Child&& o) noexcept : pid_(o.pid_), policy_(o.policy_) {
  o.pid_ = -1;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    this->~Child();
    pid_ = o.pid_;
    policy_ = o.policy_;
    o.pid_ = -1;
  }
  return *this;
}

Child::~Child() {
  if (pid_ <= 0) return;
  if (policy_ == OnDestroy::detach) return;
  if (policy_ == OnDestroy::kill_and_wait) ::kill(pid_, SIGKILL);
  int st;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
}

int Child::wait() {
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  pid_ = -1;
  return st;
}

void Child::kill(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

pid_t Child::detach() {
  pid_t p = pid_;
  pid_ = -1;
  return p;
}

int exit_code_of(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* p = std::getenv("PATH");
  std::string path = p ? p : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string cand = dir + "/" + name;
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    start = end + 1;
  }
  return "";
}

CommandResult run_command(const std::vector<std::string>& argv) {
  std::string prog = find_in_path(argv.at(0));
  if (prog.empty()) throw Error(Errc::not_found, argv[0] + ": executable file not found in $PATH");
  Pipe out = Pipe::make(), err = Pipe::make(), exec_err = Pipe::make();
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::dup2(out.write.get(), 1);
    ::dup2(err.write.get(), 2);
    ::execv(prog.c_str(), cargv.data());
    int e = errno;
    ssize_t ignored = ::write(exec_err.write.get(), &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  Child child(pid, Child::OnDestroy::kill_and_wait);
  out.write.reset();
  err.write.reset();
  exec_err.write.reset();
  CommandResult res;
  struct pollfd pfd[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
  int open_count = 2;
  char buf[8192];
  while (open_count > 0) {
    if (::poll(pfd, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    for (int i = 0; i < 2; ++i) {
      if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(pfd[i].fd, buf, sizeof buf);
      if (r <= 0) {
        pfd[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? res.out : res.err).append(buf, static_cast<size_t>(r));
      }
    }
  }
  int e = 0;
  bool exec_failed = read_exact(exec_err.read.get(), &e, sizeof e);
  res.status = exit_code_of(child.wait());
  if (exec_failed) throw_errno("exec " + prog, e);
  return res;
}

std::string libexec_path(const std::string& name) {
  if (const char* d = std::getenv("TUG_LIBEXEC_DIR"); d && *d) return path_join(d, name);
  return path_join(path_join(dirname_of(self_exe()), TUG_LIBEXEC_RELATIVE), name);
}

void close_fds_from(int lowfd) {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, lowfd, ~0U, 0) == 0) return;
#endif
  for (int fd = lowfd; fd < 65536; ++fd) ::close(fd);
}

void reset_as_exec() {
  std::vector<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (struct dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') fds.push_back(std::atoi(e->d_name));
    ::closedir(d);
  } else {
    for (int fd = 3; fd < 1024; ++fd) fds.push_back(fd);
  }
  for (int fd : fds) {
    int flags = fd > 2 ? ::fcntl(fd, F_GETFD) : -1;
    if (flags >= 0 && (flags & FD_CLOEXEC)) ::close(fd);
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    if (sig == SIGKILL || sig == SIGSTOP || ::sigaction(sig, nullptr, &sa) != 0) continue;
    if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) ::signal(sig, SIG_DFL);
  }
}

}  // namespace tug
