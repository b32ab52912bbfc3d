#pragma once
// RAII owners for file descriptors and small scope guards. No raw owning fd
// leaves this header's types.
#include <unistd.h>

#include <string>
#include <utility>

namespace tug {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe(2) pair, O_CLOEXEC by default.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
  static Pipe make(bool cloexec = true);
};

// Opens path with flags; throws Error naming the path on failure.
UniqueFd open_or_throw(const std::string& path, int flags, int mode = 0644);
UniqueFd openat_or_throw(int dirfd, const std::string& path, int flags, int mode = 0644);

// Writes/reads exactly n bytes, retrying on EINTR and short transfers.
// read_exact returns false on EOF before anything was read.
void write_all(int fd, const void* buf, size_t n);
bool read_exact(int fd, void* buf, size_t n);

// One message on a SOCK_SEQPACKET socket, with an fd riding along
// (SCM_RIGHTS) when fd >= 0. recv_packet returns false at EOF; a received
// fd lands in *fd (close-on-exec). Messages are at most 64 KiB.
void send_packet(int sock, const std::string& data, int fd = -1);
bool recv_packet(int sock, std::string& data, UniqueFd* fd = nullptr);

template <class F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (armed_) f_();
  }
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace tug
