#include "util/error.hpp"

#include <cstring>

namespace tug {

[[noreturn]] void throw_errno(const std::string& what, int err) {
  Errc code = Errc::io;
  switch (err) {
    case ENOENT:
      code = Errc::not_found;
      break;
    case EEXIST:
      code = Errc::exists;
      break;
    case EACCES:
    case EPERM:
      code = Errc::permission;
      break;
    case EBUSY:
      code = Errc::in_use;
      break;
    case EINVAL:
      code = Errc::invalid;
      break;
    default:
      break;
  }
  throw Error(code, what + ": " + std::strerror(err));
}

}  // namespace tug
