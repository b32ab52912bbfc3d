#include "config/paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace tug {

std::string home_dir() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  throw Error(Errc::not_found, "cannot find the home directory", "set HOME or use --root");
}

std::string current_user_name() {
  if (struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(::getuid());
}

namespace {

bool usable_runtime_dir(const std::string& dir) {
  struct stat st;
  return !dir.empty() && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         st.st_uid == ::getuid() && ::access(dir.c_str(), W_OK | X_OK) == 0;
}

// /tmp/tug-<uid> is in a world-writable directory: someone else could have
// created it first, so insist that it is a real directory we own with 0700.
std::string fallback_runtime_dir() {
  std::string dir = "/tmp/tug-" + std::to_string(::getuid());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + dir);
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) throw_errno("stat " + dir);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    throw Error(Errc::permission,
                dir + " is not a directory owned by uid " + std::to_string(::getuid()),
                "remove it, or set XDG_RUNTIME_DIR or --runroot");
  if ((st.st_mode & 0777) != 0700) ::chmod(dir.c_str(), 0700);
  return dir;
}

}  // namespace

Paths resolve_paths(const std::string& root_flag, const std::string& runroot_flag) {
  Paths p;
  if (!root_flag.empty()) {
    p.data = root_flag;
  } else if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    p.data = std::string(x) + "/tug";
  } else {
    p.data = home_dir() + "/.local/share/tug";
  }
  if (!runroot_flag.empty()) {
    p.run = runroot_flag;
  } else {
    const char* x = std::getenv("XDG_RUNTIME_DIR");
    if (x && usable_runtime_dir(x)) {
      p.run = std::string(x) + "/tug";
    } else {
      p.run = fallback_runtime_dir() + "/run";
      p.run_is_fallback = true;
    }
  }
  try {
    make_dirs(p.data, 0700);
    for (const auto& d : {p.blobs(), p.layers(), p.links(), p.images(), p.containers(), p.names(),
                          p.volumes(), p.tmp()})
      make_dirs(d, 0700);
    make_dirs(p.run, 0700);
  } catch (Error& e) {
    e.add_context("preparing storage");
    if (e.hint().empty()) e.set_hint("use --root DIR on a writable local disk");
    throw;
  }
  return p;
}

}  // namespace tug
