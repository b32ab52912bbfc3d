#include "api/streams.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace tug::api {

std::string frame_header(int stream, size_t n) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  h[4] = static_cast<char>((n >> 24) & 0xff);
  h[5] = static_cast<char>((n >> 16) & 0xff);
  h[6] = static_cast<char>((n >> 8) & 0xff);
  h[7] = static_cast<char>(n & 0xff);
  return h;
}

bool send_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

long write_quietly(int fd, const char* data, size_t n) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t w;
  do {
    w = ::write(fd, data, n);
  } while (w < 0 && errno == EINTR);
  int saved = errno;
  if (w < 0 && saved == EPIPE) {
    // The SIGPIPE this thread got waits, blocked: take it before unblocking.
    struct timespec zero = {0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return static_cast<long>(w);
}

bool send_output(int fd, bool raw, int stream, const char* data, size_t n) {
  if (n == 0) return true;
  if (raw) return send_all(fd, data, n);
  std::string h = frame_header(stream, n);
  return send_all(fd, h.data(), h.size()) && send_all(fd, data, n);
}

bool client_gone(int fd, bool may_half_close) {
  // A unix socket whose peer closed both ways says POLLHUP; a peer that
  // only shut down its writing says POLLRDHUP.
  struct pollfd p = {fd, static_cast<short>(may_half_close ? 0 : POLLRDHUP), 0};
  if (::poll(&p, 1, 0) < 0) return errno != EINTR;
  return (p.revents & (POLLHUP | POLLERR | POLLNVAL | POLLRDHUP)) != 0;
}

}  // namespace tug::api
