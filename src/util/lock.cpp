#include "util/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "util/error.hpp"

namespace tug {

FileLock::FileLock(const std::string& path, Mode mode) {
  UniqueFd fd = open_or_throw(path, O_RDWR | O_CREAT, 0600);
  int op = mode == Mode::exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) throw_errno("lock " + path);
  }
  fd_ = std::move(fd);
}

FileLock FileLock::directory(const std::string& path) {
  FileLock l;
  UniqueFd fd = open_or_throw(path, O_RDONLY | O_DIRECTORY);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw_errno("lock " + path);
  }
  l.fd_ = std::move(fd);
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
