#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "monitor/monitor.hpp"
#include "monitor/protocol.hpp"

namespace tug::monitor {

void AttachServer::init(int listen_fd, const std::vector<int>& clients) {
  listen_fd_ = listen_fd;
  for (int c : clients)
    if (c >= 0) clients_.push_back(c);
}

void AttachServer::drop(int fd) {
  ::close(fd);
  clients_.erase(std::remove(clients_.begin(), clients_.end(), fd), clients_.end());
  if (fd == watched_) watched_lost_ = true;
}

namespace {
int stdin_target(const AttachServer::Streams& s) {
  return s.terminal >= 0 ? s.terminal : s.in;
}
}  // namespace

void AttachServer::add_poll_fds(std::vector<struct pollfd>& fds, Streams s) const {
  if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
  if (!stdin_pending_.empty() && stdin_target(s) >= 0) {
    fds.push_back({stdin_target(s), POLLOUT, 0});
    return;
  }
  for (int c : clients_) fds.push_back({c, POLLIN, 0});
}

void AttachServer::feed_stdin(Streams s, const char* data, size_t n) {
  int fd = stdin_target(s);
  if (fd < 0) {
    stdin_pending_.clear();
    return;
  }
  if (n > 0) stdin_pending_.append(data, n);
  while (!stdin_pending_.empty()) {
    ssize_t w = ::write(fd, stdin_pending_.data(), stdin_pending_.size());
    if (w > 0) {
      stdin_pending_.erase(0, static_cast<size_t>(w));
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      return;
    } else {
      // EPIPE: the container closed its stdin; EIO: its terminal is gone.
      stdin_pending_.clear();
      if (fd == s.in) {
        ::close(s.in);
        s.in = -1;
      }
      return;
    }
  }
}

void AttachServer::handle(const std::vector<struct pollfd>& fds, Streams s) {
  std::vector<int> gone;
  for (const auto& p : fds) {
    if (!p.revents) continue;
    if (p.events == POLLOUT) {
      feed_stdin(s, nullptr, 0);
      continue;
    }
    if (p.fd == listen_fd_) {
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) clients_.push_back(c);
      continue;
    }
    if (std::find(clients_.begin(), clients_.end(), p.fd) == clients_.end()) continue;
    static char buf[kMaxPayload];
    FrameType type;
    uint32_t len = 0;
    if (!read_frame(p.fd, &type, buf, &len)) {
      gone.push_back(p.fd);
      continue;
    }
    if (type == kStdin) {
      feed_stdin(s, buf, len);
    } else if (type == kStdinEof && s.in >= 0 && s.terminal < 0) {
      ::close(s.in);
      s.in = -1;
    } else if (type == kReaderGone && len == 1) {
      int& fd = buf[0] == kStderr ? s.err : s.terminal >= 0 ? s.terminal : s.out;
      if (fd >= 0) ::close(fd);
      fd = -1;
    } else if (type == kResize && s.terminal >= 0 && len == 4) {
      struct winsize ws = {};
      ws.ws_row = static_cast<unsigned short>(static_cast<unsigned char>(buf[0]) |
                                              static_cast<unsigned char>(buf[1]) << 8);
      ws.ws_col = static_cast<unsigned short>(static_cast<unsigned char>(buf[2]) |
                                              static_cast<unsigned char>(buf[3]) << 8);
      ::ioctl(s.terminal, TIOCSWINSZ, &ws);
    }
  }
  for (int g : gone) drop(g);
}

void AttachServer::broadcast(uint8_t type, const char* data, size_t n) {
  std::vector<int> gone;
  for (int c : clients_)
    if (!write_frame(c, static_cast<FrameType>(type), data, static_cast<uint32_t>(n)))
      gone.push_back(c);
  for (int g : gone) drop(g);
}

void AttachServer::close_all() {
  for (int c : clients_) ::close(c);
  clients_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

}  // namespace tug::monitor
