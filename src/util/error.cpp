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
  // Go's (docker's, podman's) errno texts are lower-case ("no such file or
  // directory", "permission denied"), and scripts grep for them.
  std::string text = std::strerror(err);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' && (text.size() < 2 || text[1] > 'Z'))
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  throw Error(code, what + ": " + text);
}

}  // namespace tug
