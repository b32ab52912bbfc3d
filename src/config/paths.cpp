#include "config/paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "config/hostinfo.hpp"
#include "config/storage_conf.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

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

// Node-local storage for a user whose default root is on a network
// filesystem: TMPDIR is what batch systems point at local scratch.
std::string local_storage_dir() {
  const char* t = std::getenv("TMPDIR");
  std::string base =
      (t && *t ? std::string(t) : std::string("/tmp")) + "/tug-" + std::to_string(::getuid());
  if (::mkdir(base.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + base);
  struct stat st;
  if (::lstat(base.c_str(), &st) != 0) throw_errno("stat " + base);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    throw Error(Errc::permission,
                base + " is not a directory owned by uid " + std::to_string(::getuid()),
                "remove it, or choose the storage with --root");
  return base + "/storage";
}

// A store the user cannot enter, list (or, when its layout is still to be
// made, write) fails at the first of its subdirectories otherwise ("mkdir
// DIR/blobs: permission denied"), which reads as a problem inside the
// store: name the store and who may use it. A complete store that is only
// read-only serves the commands that read (and `system check` says why
// containers cannot run).
void check_store_access(const std::string& dir, int need) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != EACCES) return;  // absent: created below
    throw Error(Errc::permission,
                "the storage root " + dir +
                    ": permission denied: a directory above it cannot "
                    "be searched by uid " +
                    std::to_string(::getuid()),
                "use --root DIR on a directory you own");
  }
  if (!S_ISDIR(st.st_mode)) return;  // make_dirs says it is not a directory
  if (::access(dir.c_str(), need) == 0 || errno != EACCES) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  bool own = st.st_uid == ::getuid();
  throw Error(Errc::permission,
              "the storage root " + dir + ": permission denied: it is owned by uid " +
                  std::to_string(st.st_uid) + " with mode " + mode + ", and uid " +
                  std::to_string(::getuid()) + " cannot read and write it",
              own ? "give yourself access (chmod u+rwx " + dir + ") or use another --root"
                  : "use --root DIR on a directory you own");
}

}  // namespace

std::string fs_type_of(const std::string& path) {
  if (const char* hook = std::getenv("TUG_TEST_FS_TYPE"); hook && *hook)
    for (const auto& entry : split(hook, ':')) {
      auto [prefix, type] = split_once(entry, '=');
      if (!prefix.empty() && (path == prefix || starts_with(path, prefix + "/"))) return type;
    }
  std::string p = path;
  struct statfs sf;
  while (::statfs(p.c_str(), &sf) != 0) {
    if (p == "/" || p.empty()) return "unknown";
    p = dirname_of(p);
  }
  return hostinfo::fs_type_name(sf.f_type);
}

Paths resolve_paths(const std::string& root_flag, const std::string& runroot_flag) {
  Paths p;
  StorageConf conf = load_storage_conf();
  p.additional_stores = conf.additional_image_stores;
  bool chosen = true;
  if (!root_flag.empty()) {
    p.data = root_flag;
  } else if (!conf.graphroot.empty()) {
    p.data = conf.graphroot;
  } else {
    chosen = false;
    const char* x = std::getenv("XDG_DATA_HOME");
    p.data = x && *x ? std::string(x) + "/tug" : home_dir() + "/.local/share/tug";
  }
  p.data_fs = fs_type_of(p.data);
  if (hostinfo::is_network_fs(p.data_fs)) {
    if (chosen)
      throw Error(Errc::unsupported,
                  "the storage root " + p.data + " is on " + p.data_fs +
                      ", a network filesystem: overlay upper directories and extracted layers "
                      "cannot live there",
                  "point --root (or graphroot in " +
                      (conf.origin.empty() ? std::string("storage.conf") : conf.origin) +
                      ") at a node-local disk, e.g. /tmp/tug-" + std::to_string(::getuid()) +
                      "/storage or the node's scratch directory");
    p.data_fallback_from = p.data;
    p.data_fallback_fs = p.data_fs;
    p.data = local_storage_dir();
    p.data_fs = fs_type_of(p.data);
    if (!path_exists(p.data))
      log_warn(p.data_fallback_from + " is on " + p.data_fallback_fs +
               " (a network filesystem): images and containers are kept on this node in " + p.data +
               " (choose with --root)");
  }
  if (!runroot_flag.empty()) {
    p.run = runroot_flag;
  } else if (!conf.runroot.empty()) {
    p.run = conf.runroot;
  } else {
    const char* x = std::getenv("XDG_RUNTIME_DIR");
    if (x && usable_runtime_dir(x)) {
      p.run = std::string(x) + "/tug";
    } else {
      p.run = fallback_runtime_dir() + "/run";
      p.run_is_fallback = true;
    }
  }
  check_store_access(p.data, R_OK | X_OK);
  try {
    make_dirs(p.data, 0700);
    for (const auto& d : {p.blobs(), p.layers(), p.links(), p.images(), p.containers(), p.names(),
                          p.volumes(), p.tmp()})
      make_dirs(d, 0700);
    make_dirs(p.run, 0700);
  } catch (Error& e) {
    check_store_access(p.data, R_OK | W_OK | X_OK);
    e.add_context("preparing storage");
    if (e.hint().empty()) e.set_hint("use --root DIR on a writable local disk");
    throw;
  }
  return p;
}

}  // namespace tug
