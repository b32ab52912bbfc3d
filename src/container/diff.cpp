#include "container/diff.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "container/rootfs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

// Kernel overlay with userxattr, fuse-overlayfs, and overlay mounted by
// real root mark opaque directories with different xattrs.
bool has_opaque_xattr(const std::string& path) {
  for (const char* x :
       {"user.overlay.opaque", "user.fuseoverlayfs.opaque", "trusted.overlay.opaque"}) {
    char v[4];
    ssize_t n = ::lgetxattr(path.c_str(), x, v, sizeof v);
    if (n == 1 && v[0] == 'y') return true;
  }
  return false;
}

std::string child_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  for (auto& c : split(path, '/'))
    if (!c.empty() && c != ".") out.push_back(c);
  return out;
}

bool layers_have(const std::vector<std::string>& layers, const std::string& path) {
  auto comps = components(path);
  if (comps.empty()) return true;
  for (const auto& layer : layers) {
    std::string cur = layer;
    bool stop_below = false;
    for (size_t i = 0; i < comps.size(); ++i) {
      cur += "/" + comps[i];
      struct stat st;
      if (::lstat(cur.c_str(), &st) != 0) break;  // this layer says nothing about it
      if (is_whiteout(st)) return false;
      if (i + 1 == comps.size()) return true;
      if (!S_ISDIR(st.st_mode)) return false;  // a file here hides the directory below
      if (has_opaque_xattr(cur)) stop_below = true;
    }
    if (stop_below) return false;
  }
  return false;
}

class UpperWalker {
 public:
  UpperWalker(const LowerView& lower, std::vector<Change>& out) : lower_(lower), out_(out) {}

  // Returns whether anything under host_dir was a stub, for the caller to
  // drop a directory that was only copied up to hold stubs.
  bool walk(const std::string& host_dir, const std::string& path) {
    bool stubs = false;
    for (const auto& name : list_dir(host_dir)) {
      if (name == kOpaqueMarker) continue;
      if (starts_with(name, kWhiteoutPrefix)) {
        out_.push_back({ChangeKind::deleted, child_path(path, name.substr(4))});
        continue;
      }
      std::string host = host_dir + "/" + name;
      std::string p = child_path(path, name);
      struct stat st;
      if (::lstat(host.c_str(), &st) != 0) throw_errno("stat " + host);
      if (is_whiteout(st)) {
        out_.push_back({ChangeKind::deleted, p});
        continue;
      }
      bool in_lower = lower_.exists(p);
      if (!in_lower && is_runtime_stub(host, p, st)) {
        stubs = true;
        continue;
      }
      size_t mark = out_.size();
      out_.push_back({in_lower ? ChangeKind::changed : ChangeKind::added, p});
      if (!S_ISDIR(st.st_mode)) continue;
      bool opaque = has_opaque_xattr(host) || path_exists(host + "/" + kOpaqueMarker);
      if (opaque && in_lower) {
        auto inner = list_dir(host);
        std::set<std::string> kept(inner.begin(), inner.end());
        for (const auto& c : lower_.children(p))
          if (!kept.count(c)) out_.push_back({ChangeKind::deleted, child_path(p, c)});
      }
      bool had_stubs = walk(host, p);
      // A directory copied up (or made) only to hold stubs is no change.
      if (had_stubs && (in_lower || is_stub_parent(p)) && !opaque && out_.size() == mark + 1)
        out_.pop_back();
    }
    return stubs;
  }

 private:
  const LowerView& lower_;
  std::vector<Change>& out_;
};

}  // namespace

bool is_runtime_stub(const std::string& host_path, const std::string& path, const struct stat& st) {
  if (S_ISREG(st.st_mode) && st.st_size == 0)
    return path == "/etc/hosts" || path == "/etc/hostname" || path == "/etc/resolv.conf" ||
           path == "/run/.containerenv";
  if (S_ISLNK(st.st_mode) && path == "/etc/mtab") {
    char target[32];
    ssize_t n = ::readlink(host_path.c_str(), target, sizeof target);
    return n == 12 && std::string(target, 12) == "/proc/mounts";
  }
  return false;
}

bool is_stub_parent(const std::string& path) {
  return path == "/etc" || path == "/run";
}

char change_letter(ChangeKind k) {
  switch (k) {
    case ChangeKind::changed:
      return 'C';
    case ChangeKind::added:
      return 'A';
    case ChangeKind::deleted:
      return 'D';
  }
  return '?';
}

LowerView layers_view(const std::vector<std::string>& layers) {
  LowerView v;
  v.exists = [layers](const std::string& path) { return layers_have(layers, path); };
  v.children = [layers](const std::string& path) {
    std::set<std::string> names;
    for (const auto& layer : layers) {
      std::string dir = layer + (path == "/" ? "" : path);
      struct stat st;
      // lstat: a symlink in a layer must not lead the listing out of it.
      if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      for (const auto& n : list_dir(dir))
        if (layers_have(layers, child_path(path, n))) names.insert(n);
    }
    return std::vector<std::string>(names.begin(), names.end());
  };
  return v;
}

std::vector<Change> upper_changes(const std::string& upper_dir, const LowerView& lower) {
  std::vector<Change> out;
  UpperWalker(lower, out).walk(upper_dir, "/");
  std::sort(out.begin(), out.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return out;
}

std::vector<Change> diff(const Store& store, const image::Store& images, const Record& rec) {
  if (!rec.rootfs_dir.empty())
    throw Error(
        Errc::unsupported, "diff is not supported for --rootfs containers",
        "the directory " + rec.rootfs_dir + " is changed in place, with no record of what changed");
  if (rec.driver == "vfs")
    throw Error(Errc::unsupported, "diff is not supported for containers of the vfs storage driver",
                "vfs keeps a full copy of the rootfs, with no record of what changed");
  std::vector<std::string> layers;
  for (auto it = rec.layers.rbegin(); it != rec.layers.rend(); ++it)
    layers.push_back(images.layer_dir(*it));
  std::string upper = store.dir(rec.id) + "/upper";
  // Upper dirs and layers hold directories of subordinate uids that only
  // root of the user namespace can read.
  std::string text = collect_in_userns(store.mapping(), [&](int fd) {
    std::string buf;
    for (const auto& c : upper_changes(upper, layers_view(layers))) {
      buf += change_letter(c.kind);
      buf += c.path;
      buf += '\0';
    }
    write_all(fd, buf.data(), buf.size());
  });
  std::vector<Change> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\0', pos);
    if (end == std::string::npos) end = text.size();
    char k = text[pos];
    out.push_back({k == 'C'   ? ChangeKind::changed
                   : k == 'A' ? ChangeKind::added
                              : ChangeKind::deleted,
                   text.substr(pos + 1, end - pos - 1)});
    pos = end + 1;
  }
  return out;
}

}  // namespace tug::container
