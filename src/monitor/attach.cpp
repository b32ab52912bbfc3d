#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>

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

void AttachServer::add_poll_fds(std::vector<struct pollfd>& fds) const {
  if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
  for (int c : clients_) fds.push_back({c, POLLIN, 0});
}

void AttachServer::handle(const std::vector<struct pollfd>& fds, int& stdin_fd, int terminal_fd) {
  std::vector<int> gone;
  for (const auto& p : fds) {
    if (!p.revents) continue;
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
    int in = terminal_fd >= 0 ? terminal_fd : stdin_fd;
    if (type == kStdin && in >= 0) {
      write_fully(in, buf, len);
    } else if (type == kStdinEof && stdin_fd >= 0 && terminal_fd < 0) {
      ::close(stdin_fd);
      stdin_fd = -1;
    } else if (type == kResize && terminal_fd >= 0 && len == 4) {
      struct winsize ws = {};
      ws.ws_row = static_cast<unsigned short>(static_cast<unsigned char>(buf[0]) |
                                              static_cast<unsigned char>(buf[1]) << 8);
      ws.ws_col = static_cast<unsigned short>(static_cast<unsigned char>(buf[2]) |
                                              static_cast<unsigned char>(buf[3]) << 8);
      ::ioctl(terminal_fd, TIOCSWINSZ, &ws);
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
