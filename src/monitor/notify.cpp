// sd_notify for units that run containers (--sdnotify): the monitor is the
// unit's main process, so it is what systemd must hear from.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "monitor/monitor.hpp"

namespace tug::monitor {

void Notifier::init(const std::string& target, const std::string& mode, int container_fd) {
  target_ = target;
  mode_ = mode;
  container_fd_ = container_fd;
  if (!target_.empty()) fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

bool Notifier::send(const std::string& msg) {
  if (fd_ < 0 || target_.empty()) return false;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (target_.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, target_.data(), target_.size());
  // "@name" is an abstract socket: its name starts with a NUL byte and is
  // exactly as long as given (no terminating NUL counted).
  if (target_[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + target_.size() +
                                         (target_[0] == '@' ? 0 : 1));
  return ::sendto(fd_, msg.data(), msg.size(), MSG_NOSIGNAL,
                  reinterpret_cast<struct sockaddr*>(&addr), len) >= 0;
}

void Notifier::started() {
  if (!active()) return;
  std::string msg = "MAINPID=" + std::to_string(::getpid()) + "\n";
  if (mode_ == "conmon") msg += "READY=1\n";
  send(msg);
}

bool health_is_healthy(const std::string& text) {
  // health.json is compact JSON; a check's output is a string in it, with
  // its quotes escaped, so this pair can only be the Status field.
  return text.find("\"Status\":\"healthy\"") != std::string::npos;
}

int Notifier::watch_health(const std::string& dir) {
  if (!active() || mode_ != "healthy") return -1;
  health_waiting_ = true;
  health_file_ = dir + "/health.json";
  health_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  // tug replaces health.json by a rename (IN_MOVED_TO).
  if (health_fd_ >= 0 &&
      ::inotify_add_watch(health_fd_, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    ::close(health_fd_);
    health_fd_ = -1;
  }
  // A check may have passed before the watch was in place.
  if (check_healthy()) return -1;
  return health_fd_;
}

bool Notifier::check_healthy() {
  int fd = ::open(health_file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (!health_is_healthy(text)) return false;
  send("READY=1\n");
  health_waiting_ = false;
  if (health_fd_ >= 0) ::close(health_fd_);
  health_fd_ = -1;
  return true;
}

bool Notifier::health_changed() {
  if (health_fd_ < 0) return false;
  alignas(struct inotify_event) char buf[4096];
  bool ours = false;
  ssize_t n;
  while ((n = ::read(health_fd_, buf, sizeof buf)) > 0) {
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      if (ev->len > 0 && std::strcmp(ev->name, "health.json") == 0) ours = true;
      p += sizeof(struct inotify_event) + ev->len;
    }
  }
  return ours && check_healthy();
}

std::string rewrite_notification(const std::string& msg, long pid) {
  std::string out;
  size_t pos = 0;
  while (pos < msg.size()) {
    size_t nl = msg.find('\n', pos);
    std::string line = msg.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? msg.size() : nl + 1;
    if (line.empty()) continue;
    if (line.rfind("MAINPID=", 0) == 0) line = "MAINPID=" + std::to_string(pid);
    out += line + "\n";
  }
  return out;
}

void Notifier::relay() {
  if (container_fd_ < 0) return;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(container_fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) return;
    std::string msg = rewrite_notification(std::string(buf, static_cast<size_t>(n)), ::getpid());
    if (!msg.empty()) send(msg);
  }
}

void Notifier::close_container_socket() {
  if (container_fd_ >= 0) ::close(container_fd_);
  container_fd_ = -1;
}

}  // namespace tug::monitor
