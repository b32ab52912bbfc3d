#include "util/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "util/error.hpp"

namespace tug {

namespace {

UniqueFd locked(UniqueFd fd, int op, const std::string& path) {
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) throw_errno("lock " + path);
  }
  return fd;
}

}  // namespace

FileLock::FileLock(const std::string& path, Mode mode) {
  fd_ = locked(open_or_throw(path, O_RDWR | O_CREAT, 0600),
               mode == Mode::exclusive ? LOCK_EX : LOCK_SH, path);
}

FileLock FileLock::directory(const std::string& path) {
  FileLock l;
  l.fd_ = locked(open_or_throw(path, O_RDONLY | O_DIRECTORY), LOCK_EX, path);
  return l;
}

FileLock FileLock::try_lock(const std::string& path, Mode mode) {
  FileLock l;
  UniqueFd fd = open_or_throw(path, O_RDWR | O_CREAT, 0600);
  int op = (mode == Mode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  if (::flock(fd.get(), op) == 0)
    l.fd_ = std::move(fd);
  else if (errno != EWOULDBLOCK)
    throw_errno("lock " + path);
  return l;
}

}  // namespace tug
