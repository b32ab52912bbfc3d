#include "util/fd.hpp"

#include <fcntl.h>

#include <cerrno>

#include "util/error.hpp"

namespace tug {

Pipe Pipe::make(bool cloexec) {
  int fds[2];
  if (::pipe2(fds, cloexec ? O_CLOEXEC : 0) != 0) throw_errno("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd open_or_throw(const std::string& path, int flags, int mode) {
  return openat_or_throw(AT_FDCWD, path, flags, mode);
}

UniqueFd openat_or_throw(int dirfd, const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno("open " + path);
  return UniqueFd(fd);
}

void write_all(int fd, const void* buf, size_t n) {
  auto p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("write");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

bool read_exact(int fd, void* buf, size_t n) {
  auto p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("read");
    }
    if (r == 0) {
      if (got == 0) return false;
      throw Error(Errc::io, "short read");
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace tug
