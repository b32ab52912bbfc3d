#pragma once
// flock(2)-based locks. Mutations of a container take its lock; layer and
// image changes take the store lock. Locks vanish with the process that held
// them, so a killed CLI never leaves one behind.
#include <string>

#include "util/fd.hpp"

namespace tug {

class FileLock {
 public:
  enum class Mode { shared, exclusive };
  // Creates path if needed and blocks until the lock is held.
  FileLock(const std::string& path, Mode mode = Mode::exclusive);
  // Returns an unlocked object if the lock is held elsewhere.
  static FileLock try_lock(const std::string& path, Mode mode = Mode::exclusive);
  // Blocks until an exclusive lock on the existing directory path is held:
  // a lock that needs no file of its own (a container's start lock).
  static FileLock directory(const std::string& path);
  bool held() const { return static_cast<bool>(fd_); }

 private:
  FileLock() = default;
  UniqueFd fd_;
};

}  // namespace tug
