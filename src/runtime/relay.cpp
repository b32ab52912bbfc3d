#include "runtime/relay.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>

namespace tug::runtime {

namespace {

// A pipe holds 64 KiB by default; splice moves at most what it holds.
constexpr size_t kSpliceMax = 1 << 20;
constexpr size_t kBufSize = 1 << 16;

void set_nonblock(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

}  // namespace

Pump::Pump(int from, int to, UniqueFd owned, Owned which)
    : from_(from), to_(to), owned_(std::move(owned)), which_(which) {}

struct pollfd Pump::want() const {
  if (from_ < 0) return {-1, 0, 0};
  if (wait_out_ || off_ < len_) return {to_, POLLOUT, 0};
  return {from_, POLLIN, 0};
}

void Pump::end() {
  from_ = to_ = -1;
  owned_.reset();
  buf_ = {};
  off_ = len_ = 0;
  wait_out_ = false;
}

bool Pump::flush() {
  while (off_ < len_) {
    ssize_t w = ::write(to_, buf_.data() + off_, len_ - off_);
    if (w > 0) {
      off_ += static_cast<size_t>(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      wait_out_ = true;
      return true;
    } else {
      end();  // EPIPE: the reader is gone
      return false;
    }
  }
  off_ = len_ = 0;
  return true;
}

long Pump::transfer(size_t max) {
  if (from_ < 0) return -1;
  if (use_splice_) {
    // SPLICE_F_NONBLOCK applies to the pipe ends, the caller's too: a full
    // destination pipe is EAGAIN here, never a stalled relay.
    ssize_t n = ::splice(from_, nullptr, to_, nullptr, max, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
    if (n > 0) return n;
    if (n == 0) {
      end();
      return -1;
    }
    if (errno == EINTR) return 0;
    if (errno == EAGAIN) {
      // The source was readable, so the destination is full (or, rarely,
      // someone else read the source first: POLLOUT comes at once then).
      wait_out_ = true;
      return 0;
    }
    // EINVAL: an end splice cannot serve (a terminal, a file opened with
    // O_APPEND, no pipe on either side): copy through the buffer.
    if (errno != EINVAL && errno != ENOSYS && errno != ESPIPE) {
      end();  // EPIPE from a gone reader, EIO from a hung-up terminal
      return -1;
    }
    use_splice_ = false;
  }
  if (buf_.empty()) buf_.resize(kBufSize);
  ssize_t n = ::read(from_, buf_.data(), std::min(max, buf_.size()));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) {
    end();
    return -1;
  }
  off_ = 0;
  len_ = static_cast<size_t>(n);
  return flush() ? n : -1;
}

void Pump::step(short revents) {
  if (from_ < 0 || !revents) return;
  if (wait_out_ || off_ < len_) {
    // POLLERR on a pipe's write end: its reader is gone.
    if (revents & POLLERR) {
      end();
      return;
    }
    wait_out_ = false;
    if (off_ < len_ && !flush()) return;
    if (wait_out_ || off_ < len_) return;
    // The source may hold more: fall through to one transfer.
  }
  transfer(use_splice_ ? kSpliceMax : kBufSize);
}

void Pump::drain() {
  int avail = 0;
  if (from_ < 0 || ::ioctl(from_, FIONREAD, &avail) != 0) avail = 0;
  long left = avail;
  int idle = 0;  // rounds without progress: FIONREAD promised more than came
  while (from_ >= 0 && (left > 0 || off_ < len_) && idle < 100) {
    if (wait_out_) {
      struct pollfd p = {to_, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) break;
      if (p.revents & POLLERR) break;
      wait_out_ = false;
    }
    if (off_ < len_) {
      if (!flush()) return;
      continue;
    }
    long moved = transfer(static_cast<size_t>(left));
    if (moved < 0) return;
    left -= moved;
    idle = moved > 0 ? 0 : idle + 1;
  }
  end();
}

StdioRelay StdioRelay::pipes(UniqueFd in, UniqueFd out, UniqueFd err, int caller_in, int caller_out,
                             int caller_err) {
  StdioRelay r;
  if (in) {
    set_nonblock(in.get());
    int fd = in.get();
    r.pumps_[0] = Pump(caller_in, fd, std::move(in), Pump::Owned::to);
  }
  if (out) {
    set_nonblock(out.get());
    int fd = out.get();
    r.pumps_[1] = Pump(fd, caller_out, std::move(out), Pump::Owned::from);
  }
  if (err) {
    set_nonblock(err.get());
    int fd = err.get();
    r.pumps_[2] = Pump(fd, caller_err, std::move(err), Pump::Owned::from);
  }
  return r;
}

StdioRelay StdioRelay::terminal(UniqueFd master, bool relay_input, int caller_in, int caller_out) {
  StdioRelay r;
  if (!master) return r;
  set_nonblock(master.get());
  if (relay_input) r.pumps_[0] = Pump(caller_in, master.get(), UniqueFd(), Pump::Owned::none);
  r.pumps_[1] = Pump(master.get(), caller_out, UniqueFd(), Pump::Owned::none);
  r.terminal_ = std::move(master);
  return r;
}

size_t StdioRelay::add_poll_fds(std::vector<struct pollfd>& fds) const {
  size_t first = fds.size();
  for (const Pump& p : pumps_) fds.push_back(p.want());
  return first;
}

void StdioRelay::handle(const std::vector<struct pollfd>& fds, size_t first) {
  for (size_t i = 0; i < pumps_.size() && first + i < fds.size(); ++i)
    if (fds[first + i].fd >= 0) pumps_[i].step(fds[first + i].revents);
  // A terminal whose output nobody takes any more (its reader went away)
  // is hung up, as a closed terminal window is: the process hears SIGHUP
  // rather than blocking on a full terminal for ever.
  if (terminal_ && pumps_[1].done()) {
    pumps_[0].end();
    terminal_.reset();
  }
}

void StdioRelay::finish() {
  pumps_[0].end();
  pumps_[1].drain();
  pumps_[2].drain();
  terminal_.reset();
}

bool StdioRelay::output_open() const {
  return !pumps_[1].done() || !pumps_[2].done();
}

}  // namespace tug::runtime
