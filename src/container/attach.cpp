// The client side of the monitor's attach protocol (monitor/protocol.hpp).
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

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

void send_size(int sock) {
  struct winsize ws;
  if (::ioctl(1, TIOCGWINSZ, &ws) != 0 && ::ioctl(0, TIOCGWINSZ, &ws) != 0) return;
  unsigned char b[4] = {
      static_cast<unsigned char>(ws.ws_row), static_cast<unsigned char>(ws.ws_row >> 8),
      static_cast<unsigned char>(ws.ws_col), static_cast<unsigned char>(ws.ws_col >> 8)};
  monitor::write_frame(sock, monitor::kResize, b, sizeof b);
}

}  // namespace

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
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) throw_errno("signalfd");
  std::optional<RawTerminal> raw;
  if (tty && stdin_open) raw.emplace(0);
  if (tty) send_size(sock);

  static char buf[kMaxPayload];
  bool saw_ctrl_p = false;
  for (;;) {
    struct pollfd fds[3] = {
        {sfd.get(), POLLIN, 0}, {sock, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH) {
          if (tty) send_size(sock);
        } else {
          ::kill(pid, streams.forward_as ? streams.forward_as : sig);
        }
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      FrameType type;
      uint32_t len = 0;
      if (!read_frame(sock, &type, buf, &len)) break;
      if ((type == kStdout && streams.out) || (type == kStderr && streams.err)) {
        int out = type == kStdout ? 1 : 2;
        if (!write_fully(out, buf, len)) stdin_open = false;
      } else if (type == kExit && len == 4) {
        auto* b = reinterpret_cast<unsigned char*>(buf);
        return static_cast<int>(b[0] | b[1] << 8 | b[2] << 16 | static_cast<unsigned>(b[3]) << 24);
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0 && tty) {
        // Docker's detach keys, ctrl-p ctrl-q: leave the container running.
        for (ssize_t i = 0; i < n; ++i) {
          if (buf[i] == 0x11 && (i > 0 ? buf[i - 1] == 0x10 : saw_ctrl_p)) {
            if (i > 1) write_frame(sock, kStdin, buf, static_cast<uint32_t>(i - 1));
            return kDetached;
          }
        }
        saw_ctrl_p = buf[n - 1] == 0x10;
        // A lone ctrl-p is held back until we know it does not start the sequence.
        if (saw_ctrl_p) --n;
        if (n > 0) write_frame(sock, kStdin, buf, static_cast<uint32_t>(n));
      } else if (n > 0) {
        write_frame(sock, kStdin, buf, static_cast<uint32_t>(n));
      } else if (n == 0 || errno != EINTR) {
        write_frame(sock, kStdinEof, nullptr, 0);
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
