// The client side of the monitor's attach protocol (monitor/protocol.hpp).
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "container/lifecycle.hpp"
#include "monitor/protocol.hpp"
#include "util/error.hpp"

namespace tug::container {

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
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

// Frames for the monitor wait here and leave with MSG_DONTWAIT: a monitor
// busy writing the container's output to us must never find us blocked on
// a write to it (each would wait for the other). While frames wait, the
// CLI's stdin is not read.
class Outbox {
 public:
  explicit Outbox(int sock) : sock_(sock) {}
  void add(monitor::FrameType type, const void* data, uint32_t len) {
    unsigned char hdr[5] = {
        type, static_cast<unsigned char>(len), static_cast<unsigned char>(len >> 8),
        static_cast<unsigned char>(len >> 16), static_cast<unsigned char>(len >> 24)};
    buf_.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
    if (len) buf_.append(static_cast<const char*>(data), len);
    flush();
  }
  void flush() {
    while (!buf_.empty()) {
      ssize_t w = ::send(sock_, buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) {
        buf_.erase(0, static_cast<size_t>(w));
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else {
        // EAGAIN: later, at POLLOUT. Anything else: the monitor is gone,
        // and reading its socket says so.
        if (w < 0 && errno != EAGAIN) buf_.clear();
        return;
      }
    }
  }
  bool empty() const { return buf_.empty(); }
  // Before leaving the session: what waits goes out, within a second.
  void finish() {
    for (int i = 0; i < 100 && !buf_.empty(); ++i) {
      struct pollfd p = {sock_, POLLOUT, 0};
      ::poll(&p, 1, 10);
      flush();
    }
  }

 private:
  int sock_;
  std::string buf_;
};

void send_size(Outbox& outbox) {
  struct winsize ws;
  if (::ioctl(1, TIOCGWINSZ, &ws) != 0 && ::ioctl(0, TIOCGWINSZ, &ws) != 0) return;
  unsigned char b[4] = {
      static_cast<unsigned char>(ws.ws_row), static_cast<unsigned char>(ws.ws_row >> 8),
      static_cast<unsigned char>(ws.ws_col), static_cast<unsigned char>(ws.ws_col >> 8)};
  outbox.add(monitor::kResize, b, sizeof b);
}

// Writes all of buf to the CLI's fd, waiting for room when someone made
// it non-blocking; false when it cannot take it (EPIPE: its reader is gone).
bool write_out(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, buf, n);
    if (w > 0) {
      buf += w;
      n -= static_cast<size_t>(w);
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else if (w < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

}  // namespace

UniqueFd connect_attach(const Paths& paths, const Record& r) {
  std::string path = attach_socket_path(paths, r.id);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (!sock || ::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("connecting to the monitor of " + r.name + " (" + path + ")");
  return sock;
}

void resize_terminal(const Paths& paths, const Record& r, unsigned rows, unsigned cols) {
  UniqueFd sock = connect_attach(paths, r);
  unsigned char b[4] = {static_cast<unsigned char>(rows), static_cast<unsigned char>(rows >> 8),
                        static_cast<unsigned char>(cols), static_cast<unsigned char>(cols >> 8)};
  monitor::write_frame(sock.get(), monitor::kResize, b, sizeof b);
}

int attach_session(Store& store, const Record& rec, int sock, pid_t pid, AttachStreams streams) {
  using namespace monitor;
  const bool tty = rec.spec.tty;
  // passthrough: the container reads the caller's stdin itself.
  bool stdin_open = rec.spec.stdin_open && rec.spec.log_driver != "passthrough";
  static const int kForward[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  sigset_t set, old;
  sigemptyset(&set);
  for (int s : kForward) sigaddset(&set, s);
  sigaddset(&set, SIGWINCH);
  ::sigprocmask(SIG_BLOCK, &set, &old);
  ScopeExit restore([&] { ::sigprocmask(SIG_SETMASK, &old, nullptr); });
  // A gone reader of our stdout is EPIPE here, not our death: the
  // container hears of it (AttachStreams::owner).
  struct sigaction ign = {}, old_pipe = {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old_pipe);
  ScopeExit restore_pipe([&] { ::sigaction(SIGPIPE, &old_pipe, nullptr); });
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) throw_errno("signalfd");
  std::optional<RawTerminal> raw;
  if (tty && stdin_open) raw.emplace(0);
  Outbox outbox(sock);
  if (tty) send_size(outbox);

  static char buf[kMaxPayload];
  bool saw_ctrl_p = false;
  for (;;) {
    bool read_stdin = stdin_open && outbox.empty();
    struct pollfd fds[3] = {{sfd.get(), POLLIN, 0},
                            {sock, static_cast<short>(POLLIN | (outbox.empty() ? 0 : POLLOUT)), 0},
                            {read_stdin ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH) {
          if (tty) send_size(outbox);
        } else {
          ::kill(pid, streams.forward_as ? streams.forward_as : sig);
        }
      }
    }
    if (fds[1].revents & POLLOUT) outbox.flush();
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      FrameType type;
      uint32_t len = 0;
      if (!read_frame(sock, &type, buf, &len)) break;
      if ((type == kStdout && streams.out) || (type == kStderr && streams.err)) {
        int out = type == kStdout ? 1 : 2;
        if (!write_out(out, buf, len)) {
          if (!streams.owner) return 128 + SIGPIPE;
          (type == kStdout ? streams.out : streams.err) = false;
          unsigned char which = type;
          outbox.add(kReaderGone, &which, 1);
        }
      } else if (type == kExit && len == 4) {
        auto* b = reinterpret_cast<unsigned char*>(buf);
        return static_cast<int>(b[0] | b[1] << 8 | b[2] << 16 | static_cast<unsigned>(b[3]) << 24);
      }
    }
    if (read_stdin && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0 && tty) {
        // Docker's detach keys, ctrl-p ctrl-q: leave the container running.
        for (ssize_t i = 0; i < n; ++i) {
          if (buf[i] == 0x11 && (i > 0 ? buf[i - 1] == 0x10 : saw_ctrl_p)) {
            if (i > 1) outbox.add(kStdin, buf, static_cast<uint32_t>(i - 1));
            outbox.finish();
            return kDetached;
          }
        }
        saw_ctrl_p = buf[n - 1] == 0x10;
        // A lone ctrl-p is held back until we know it does not start the sequence.
        if (saw_ctrl_p) --n;
        if (n > 0) outbox.add(kStdin, buf, static_cast<uint32_t>(n));
      } else if (n > 0) {
        outbox.add(kStdin, buf, static_cast<uint32_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        outbox.add(kStdinEof, nullptr, 0);
        stdin_open = false;
      }
    }
  }
  // The monitor went away without reporting: the state file says what it
  // recorded (exited with -1 if it was killed).
  State st = store.state(rec.id);
  if (st.status == "exited") return st.exit_code;
  throw Error(Errc::io, "lost the connection to the monitor of container " + rec.name);
}

}  // namespace tug::container
