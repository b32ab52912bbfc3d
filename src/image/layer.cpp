#include "image/layer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/libarchive.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::image {

namespace {

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";
// Kernel overlay mounted with "userxattr" reads user.overlay.*; fuse-overlayfs
// reads its own user.fuseoverlayfs.* names (and trusted.*, which a user
// namespace cannot set).
constexpr const char* kOpaqueXattrs[] = {"user.overlay.opaque", "user.fuseoverlayfs.opaque"};

bool is_overlay_xattr(const std::string& name) {
  return starts_with(name, "user.overlay.") || starts_with(name, "trusted.overlay.") ||
         starts_with(name, "user.fuseoverlayfs.");
}

struct ArchiveDeleter {
  void operator()(archive* a) const { dl::archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveDeleter>;

struct WriteArchiveDeleter {
  void operator()(archive* a) const { dl::archive_write_free(a); }
};
using WriteArchive = std::unique_ptr<archive, WriteArchiveDeleter>;

// blob fd -> (decompression, hashing the blob) -> raw stream A -> (hashing
// the diff) -> tar reader B. Both digests come from one pass over the data.
class LayerReader {
 public:
  explicit LayerReader(int fd) : fd_(fd) {
    raw_.reset(dl::archive_read_new());
    dl::archive_read_support_filter_all(raw_.get());
    dl::archive_read_support_format_raw(raw_.get());
    if (dl::archive_read_open(raw_.get(), this, nullptr, &LayerReader::read_blob, nullptr) !=
        ARCHIVE_OK)
      fail(raw_.get(), "reading layer");
    archive_entry* e = nullptr;
    int r = dl::archive_read_next_header(raw_.get(), &e);
    if (r == ARCHIVE_EOF)
      raw_eof_ = true;
    else if (r < ARCHIVE_WARN)
      fail(raw_.get(), "reading layer");
    // An uncompressed blob is its own tar stream: one hash gives both
    // digests (what was hashed of it while the format was detected is
    // dropped).
    plain_ = dl::archive_filter_code(raw_.get(), 0) == ARCHIVE_FILTER_NONE;
  }

  // The tar reader over the decompressed stream.
  archive* tar() {
    if (!tar_) {
      tar_.reset(dl::archive_read_new());
      dl::archive_read_support_format_tar(tar_.get());
      if (dl::archive_read_open(tar_.get(), this, nullptr, &LayerReader::read_diff, nullptr) !=
          ARCHIVE_OK)
        fail(tar_.get(), "reading layer tar");
    }
    return tar_.get();
  }

  // Reads the decompressed stream; 0 at its end.
  ssize_t read_decompressed(void* buf, size_t n) {
    if (raw_eof_) return 0;
    la_ssize_t r = dl::archive_read_data(raw_.get(), buf, n);
    if (r < 0) fail(raw_.get(), "decompressing layer");
    if (r == 0) raw_eof_ = true;
    diff_hash_.update(buf, static_cast<size_t>(r));
    diff_bytes_ += r;
    return r;
  }

  // Consumes whatever the tar reader left (end-of-archive padding, trailing
  // bytes) so the digests cover the whole blob, then returns them.
  LayerDigests finish() {
    std::vector<char> buf(1 << 16);
    while (read_decompressed(buf.data(), buf.size()) > 0) {
    }
    for (;;) {
      ssize_t r = ::read(fd_, buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw_errno("reading layer blob");
      if (r == 0) break;
      blob_hash_.update(buf.data(), static_cast<size_t>(r));
      blob_bytes_ += r;
      if (plain_) {
        // Bytes after what the raw reader gave: not part of the tar, but of the blob.
        plain_ = false;
        throw Error(Errc::corrupt, "reading layer: trailing data after the uncompressed tar");
      }
    }
    LayerDigests d;
    d.diff_id = "sha256:" + diff_hash_.hex();
    d.digest = plain_ ? d.diff_id : "sha256:" + blob_hash_.hex();
    d.blob_size = blob_bytes_;
    d.size = diff_bytes_;
    return d;
  }

  [[noreturn]] static void fail(archive* a, const std::string& what) {
    dl::throw_if_out_of_space(a, what);
    const char* msg = dl::archive_error_string(a);
    throw Error(Errc::corrupt, what + ": " + (msg ? msg : "unreadable data"));
  }

 private:
  static la_ssize_t read_blob(archive* a, void* self_ptr, const void** out) {
    auto* self = static_cast<LayerReader*>(self_ptr);
    for (;;) {
      ssize_t r = ::read(self->fd_, self->in_buf_, sizeof self->in_buf_);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        dl::archive_set_error(a, errno, "read: %s", std::strerror(errno));
        return -1;
      }
      if (!self->plain_) self->blob_hash_.update(self->in_buf_, static_cast<size_t>(r));
      self->blob_bytes_ += r;
      *out = self->in_buf_;
      return r;
    }
  }

  static la_ssize_t read_diff(archive* a, void* self_ptr, const void** out) {
    auto* self = static_cast<LayerReader*>(self_ptr);
    try {
      ssize_t r = self->read_decompressed(self->mid_buf_, sizeof self->mid_buf_);
      *out = self->mid_buf_;
      return r;
    } catch (const Error& e) {
      dl::archive_set_error(a, EIO, "%s", e.what());
      return -1;
    }
  }

  int fd_;
  ReadArchive raw_;
  ReadArchive tar_;
  bool raw_eof_ = false;
  bool plain_ = false;  // no compression: the blob digest is the diff_id
  Sha256 blob_hash_;
  Sha256 diff_hash_;
  int64_t blob_bytes_ = 0;
  int64_t diff_bytes_ = 0;
  char in_buf_[1 << 16];
  char mid_buf_[1 << 16];
};

std::string entry_path(archive_entry* e) {
  const char* p = dl::archive_entry_pathname(e);
  if (!p) p = dl::archive_entry_pathname_utf8(e);
  return p ? p : "";
}

// Splits a tar path into components: a leading "/" and "." parts are dropped
// (as tar does); ".." is refused because it could climb out of the root.
std::vector<std::string> safe_components(const std::string& path, const std::string& what) {
  std::vector<std::string> out;
  for (auto& c : split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..")
      throw Error(Errc::invalid, what + " " + quote(path) + ": path escapes the layer root");
    out.push_back(std::move(c));
  }
  return out;
}

std::string join_components(const std::vector<std::string>& c, size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < c.size(); ++i) s += (i ? "/" : "") + c[i];
  return s;
}

// openat2 with RESOLVE_BENEATH: follows symlinks only while they stay under
// root (absolute symlinks count as leaving). -1 with errno on failure.
int open_beneath(int rootfd, const std::string& rel, uint64_t flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | resolve;
  return static_cast<int>(
      ::syscall(SYS_openat2, rootfd, rel.empty() ? "." : rel.c_str(), &how, sizeof how));
}

// Opens component i of comps in cur (the directory of components [0, i)),
// creating it (mode 0755, fixed later by its own entry) when missing and
// create is set. A symlinked component is followed only while it stays
// inside the root; anything else is an escape attempt.
UniqueFd open_component(int rootfd, int cur, const std::vector<std::string>& comps, size_t i,
                        bool create, const std::string& entry) {
  const std::string& c = comps[i];
  int fd = ::openat(cur, c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(cur, c.c_str(), 0755) != 0 && errno != EEXIST)
      throw_errno("layer entry " + quote(entry) + ": mkdir " + join_components(comps, i + 1));
    fd = ::openat(cur, c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
    struct stat st;
    bool is_link = ::fstatat(cur, c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
    if (!is_link)
      throw Error(Errc::invalid, "layer entry " + quote(entry) + ": " +
                                     join_components(comps, i + 1) + " is not a directory");
    fd = open_beneath(rootfd, join_components(comps, i + 1), O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
      throw Error(Errc::invalid,
                  "layer entry " + quote(entry) + ": refusing to write through symlink " +
                      join_components(comps, i + 1) + " that points outside the layer root");
  }
  if (fd < 0 && errno == ENOENT)
    throw Error(Errc::invalid, "layer entry " + quote(entry) + ": " +
                                   join_components(comps, i + 1) + " does not exist in the layer");
  if (fd < 0)
    throw_errno("layer entry " + quote(entry) + ": open " + join_components(comps, i + 1));
  return UniqueFd(fd);
}

// Opens the directory holding components [0, n) of comps under rootfd (see
// open_component).
UniqueFd open_parent(int rootfd, const std::vector<std::string>& comps, size_t n, bool create,
                     const std::string& entry) {
  UniqueFd cur(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
  if (!cur) throw_errno("dup");
  for (size_t i = 0; i < n; ++i) cur = open_component(rootfd, cur.get(), comps, i, create, entry);
  return cur;
}

// Removes name in dirfd, recursively for directories, never following links.
void remove_at(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    remove_tree("/proc/self/fd/" + std::to_string(dirfd) + "/" + name);
  } else if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    throw_errno("unlink " + name);
  }
}

void set_opaque(int dirfd, const std::string& where) {
  for (const char* x : kOpaqueXattrs)
    if (::fsetxattr(dirfd, x, "y", 1, 0) != 0)
      throw_errno("marking " + quote(where) + " opaque (" + x + ")");
}

bool is_opaque(int fd) {
  for (const char* x :
       {"user.overlay.opaque", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque"}) {
    char v[4];
    ssize_t n = ::fgetxattr(fd, x, v, sizeof v);
    if (n == 1 && v[0] == 'y') return true;
  }
  return false;
}

struct timespec mtime_of(archive_entry* e) {
  return {dl::archive_entry_mtime(e), dl::archive_entry_mtime_nsec(e)};
}

class Extractor {
 public:
  Extractor(int rootfd, const ExtractOptions& opts) : root_(rootfd), opts_(opts) {
    umask_ = ::umask(0);
    ::umask(umask_);
    struct stat st;
    root_sgid_ = ::fstat(root_, &st) == 0 && (st.st_mode & S_ISGID);
  }

  void entry(archive* a, archive_entry* e) {
    std::string path = entry_path(e);
    auto comps = safe_components(path, "layer entry");
    if (comps.empty()) {
      // "./": the layer's root directory itself.
      if (dl::archive_entry_filetype(e) == AE_IFDIR) {
        own(root_, "", e, path, true, false);
        root_sgid_ = dl::archive_entry_perm(e) & S_ISGID;
        dir_times_.push_back({{}, mtime_of(e)});
      }
      return;
    }
    const std::string& name = comps.back();
    bool parent_sgid = false;
    int parent = parent_dir(comps, comps.size() - 1, path, &parent_sgid);

    if (starts_with(name, kWhiteoutPrefix)) {
      if (name == kOpaqueMarker) {
        set_opaque(parent, path);
      } else if (starts_with(name, ".wh..wh.")) {
        // aufs bookkeeping (.wh..wh.plnk and friends): not part of the tree.
      } else {
        std::string hidden = name.substr(std::strlen(kWhiteoutPrefix));
        if (hidden.empty() || hidden == "." || hidden == "..")
          throw Error(Errc::invalid, "layer entry " + quote(path) + ": invalid whiteout");
        remove_at(parent, hidden);
        if (::mknodat(parent, hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
          throw_errno("layer entry " + quote(path) + ": creating whiteout");
      }
      return;
    }

    if (const char* link = dl::archive_entry_hardlink(e)) {
      auto tcomps = safe_components(link, "hardlink target of " + quote(path) + ":");
      if (tcomps.empty())
        throw Error(Errc::invalid, "layer entry " + quote(path) + ": hardlink to the root");
      UniqueFd tparent = open_parent(root_, tcomps, tcomps.size() - 1, false, path);
      struct stat st;
      if (::fstatat(tparent.get(), tcomps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw Error(Errc::invalid, "layer entry " + quote(path) + ": hardlink target " +
                                       quote(link) + " does not exist in the layer");
      if (S_ISDIR(st.st_mode))
        throw Error(Errc::invalid, "layer entry " + quote(path) + ": hardlink to a directory");
      remove_at(parent, name);
      if (::linkat(tparent.get(), tcomps.back().c_str(), parent, name.c_str(), 0) != 0)
        throw_errno("layer entry " + quote(path) + ": link");
      return;
    }

    // Layers are extracted into empty directories: create first and look at
    // what is in the way only when something is (EEXIST), instead of a stat
    // per entry. A fresh inode is ours (0:0, the mode asked for minus the
    // umask), so chown and chmod are needed only when the entry says else.
    mode_t type = dl::archive_entry_filetype(e);
    mode_t perm = dl::archive_entry_perm(e) & 07777;
    switch (type) {
      case AE_IFDIR: {
        bool fresh = true;
        if (::mkdirat(parent, name.c_str(), perm & 0777) != 0) {
          if (errno != EEXIST) throw_errno("layer entry " + quote(path) + ": mkdir");
          struct stat st;
          if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISDIR(st.st_mode)) {
            fresh = false;
          } else {
            remove_at(parent, name);
            if (::mkdirat(parent, name.c_str(), perm & 0777) != 0)
              throw_errno("layer entry " + quote(path) + ": mkdir");
          }
        }
        bool xattrs = dl::archive_entry_xattr_reset(e) > 0;
        if (!fresh || xattrs || needs_owner(e, parent_sgid) || needs_mode(perm, parent_sgid)) {
          UniqueFd fd(
              ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!fd) throw_errno("layer entry " + quote(path) + ": open");
          own(fd.get(), "", e, path, true, fresh && !needs_owner(e, parent_sgid));
          if (xattrs) set_xattrs(fd.get(), e, path);
        }
        dir_times_.push_back({comps, mtime_of(e)});
        break;
      }
      case AE_IFREG: {
        int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        UniqueFd fd(::openat(parent, name.c_str(), flags, perm & 0777));
        if (!fd && errno == EEXIST) {
          remove_at(parent, name);
          fd = UniqueFd(::openat(parent, name.c_str(), flags, perm & 0777));
        }
        if (!fd) throw_errno("layer entry " + quote(path) + ": create");
        write_data(a, fd.get(), dl::archive_entry_size(e), path);
        bool owner = needs_owner(e, parent_sgid);
        if (owner || needs_mode(perm, parent_sgid)) own(fd.get(), "", e, path, true, !owner);
        if (dl::archive_entry_xattr_reset(e) > 0) set_xattrs(fd.get(), e, path);
        struct timespec ts[2] = {{dl::archive_entry_atime(e), dl::archive_entry_atime_nsec(e)},
                                 {dl::archive_entry_mtime(e), dl::archive_entry_mtime_nsec(e)}};
        if (!dl::archive_entry_atime_is_set(e)) ts[0] = ts[1];
        ::futimens(fd.get(), ts);
        break;
      }
      case AE_IFLNK: {
        const char* target = dl::archive_entry_symlink(e);
        if (!target) target = dl::archive_entry_symlink_utf8(e);
        if (!target)
          throw Error(Errc::invalid, "layer entry " + quote(path) + ": symlink without target");
        // The target is stored verbatim: it is resolved inside the container
        // root at run time, and extraction never writes through it (see
        // open_component).
        if (::symlinkat(target, parent, name.c_str()) != 0) {
          if (errno != EEXIST) throw_errno("layer entry " + quote(path) + ": symlink");
          remove_at(parent, name);
          if (::symlinkat(target, parent, name.c_str()) != 0)
            throw_errno("layer entry " + quote(path) + ": symlink");
        }
        if (needs_owner(e, parent_sgid)) own(parent, name, e, path, false, false);
        struct timespec ts[2] = {{dl::archive_entry_mtime(e), dl::archive_entry_mtime_nsec(e)},
                                 {dl::archive_entry_mtime(e), dl::archive_entry_mtime_nsec(e)}};
        ::utimensat(parent, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        remove_at(parent, name);
        dev_t dev = makedev(dl::archive_entry_rdevmajor(e), dl::archive_entry_rdevminor(e));
        mode_t m = (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600;
        if (::mknodat(parent, name.c_str(), m, type == AE_IFIFO ? 0 : dev) != 0) {
          if ((errno == EPERM || errno == EACCES) && type != AE_IFIFO) {
            // A user namespace may create only the 0/0 whiteout device;
            // containers get their /dev from the runtime anyway.
            log_debug("layer entry " + quote(path) + ": skipping device node (rootless)");
            return;
          }
          throw_errno("layer entry " + quote(path) + ": mknod");
        }
        own(parent, name, e, path, false, false);
        break;
      }
      default:
        log_debug("layer entry " + quote(path) + ": skipping unsupported file type");
        return;
    }
  }

  // Directory mtimes change while their children are created, so they are
  // set last, deepest first. Paths are reopened without following symlinks.
  void finish() {
    chain_names_.clear();
    chain_.clear();
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      int fd = open_beneath(root_, join_components(it->first, it->first.size()),
                            O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
      if (fd < 0) continue;
      UniqueFd owner(fd);
      struct timespec ts[2] = {it->second, it->second};
      ::futimens(fd, ts);
    }
  }

  int64_t chown_failures() const { return chown_failures_; }

 private:
  struct OpenDir {
    UniqueFd fd;
    bool sgid = false;
  };

  // The directory holding components [0, n) of comps. Tar lists a
  // directory's entries together, so the directories of the previous entry's
  // path stay open and only the part that differs is looked up again. The
  // chain is always cut back to the common prefix first: an entry can only
  // replace or remove things below its own parent, never a directory still
  // held open above it.
  int parent_dir(const std::vector<std::string>& comps, size_t n, const std::string& entry,
                 bool* sgid) {
    size_t k = 0;
    while (k < n && k < chain_names_.size() && chain_names_[k] == comps[k]) ++k;
    chain_names_.resize(k);
    chain_.resize(k);
    for (size_t i = k; i < n; ++i) {
      OpenDir d;
      d.fd = open_component(root_, i == 0 ? root_ : chain_[i - 1].fd.get(), comps, i, true, entry);
      struct stat st;
      d.sgid = ::fstat(d.fd.get(), &st) == 0 && (st.st_mode & S_ISGID);
      chain_names_.push_back(comps[i]);
      chain_.push_back(std::move(d));
    }
    *sgid = n == 0 ? root_sgid_ : chain_[n - 1].sgid;
    return n == 0 ? root_ : chain_[n - 1].fd.get();
  }

  // A new inode belongs to 0:0 unless its directory is set-group-id.
  bool needs_owner(archive_entry* e, bool parent_sgid) const {
    return parent_sgid || dl::archive_entry_uid(e) != 0 || dl::archive_entry_gid(e) != 0;
  }
  // open/mkdir applied perm minus the umask; set-id and sticky bits, and
  // what a set-group-id parent adds, need an explicit chmod.
  bool needs_mode(mode_t perm, bool parent_sgid) const {
    return parent_sgid || (perm & 07000) != 0 || (perm & umask_) != 0;
  }

  // Owner first, then mode: chown clears set-id bits. owned: the inode is
  // fresh and already 0:0 as the entry wants (only the mode is set).
  void own(int fd, const std::string& name, archive_entry* e, const std::string& path,
           bool set_mode, bool owned) {
    uid_t uid = static_cast<uid_t>(dl::archive_entry_uid(e));
    gid_t gid = static_cast<gid_t>(dl::archive_entry_gid(e));
    if (!owned) {
      int r = name.empty() ? ::fchown(fd, uid, gid)
                           : ::fchownat(fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
      if (r != 0) {
        if (!opts_.ignore_chown_errors || (errno != EINVAL && errno != EPERM))
          throw_errno("layer entry " + quote(path) + ": chown " + std::to_string(uid) + ":" +
                      std::to_string(gid));
        ++chown_failures_;
      }
    }
    if (set_mode && ::fchmod(fd, dl::archive_entry_perm(e) & 07777) != 0)
      throw_errno("layer entry " + quote(path) + ": chmod");
  }

  void set_xattrs(int fd, archive_entry* e, const std::string& path) {
    if (dl::archive_entry_xattr_reset(e) == 0) return;
    const char* name;
    const void* value;
    size_t size;
    while (dl::archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      // A layer must not smuggle in overlay metadata of its own choosing.
      if (is_overlay_xattr(name)) continue;
      if (::fsetxattr(fd, name, value, size, 0) != 0)
        log_debug("layer entry " + quote(path) + ": xattr " + name +
                  " not set: " + std::strerror(errno));
    }
  }

  void write_data(archive* a, int fd, int64_t size, const std::string& path) {
    const void* buf;
    size_t len;
    la_int64_t off;
    int64_t end = 0;
    for (;;) {
      int r = dl::archive_read_data_block(a, &buf, &len, &off);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) LayerReader::fail(a, "layer entry " + quote(path));
      const char* p = static_cast<const char*>(buf);
      while (len > 0) {
        ssize_t w = ::pwrite(fd, p, len, off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw_errno("layer entry " + quote(path) + ": write");
        p += w;
        off += w;
        len -= static_cast<size_t>(w);
      }
      end = std::max<int64_t>(end, off);
    }
    // Sparse files end in a hole that no data block covers.
    if (end != size && ::ftruncate(fd, size) != 0)
      throw_errno("layer entry " + quote(path) + ": truncate");
  }

  int root_;
  ExtractOptions opts_;
  mode_t umask_ = 022;
  bool root_sgid_ = false;
  std::vector<std::string> chain_names_;
  std::vector<OpenDir> chain_;
  int64_t chown_failures_ = 0;
  std::vector<std::pair<std::vector<std::string>, struct timespec>> dir_times_;
};

}  // namespace

Compression detect_compression(const std::string& file) {
  UniqueFd fd = open_or_throw(file, O_RDONLY);
  unsigned char m[4] = {};
  ssize_t n = ::read(fd.get(), m, sizeof m);
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return Compression::gzip;
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return Compression::zstd;
  if (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return Compression::other;
  if (n >= 4 && m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X')
    return Compression::other;
  return Compression::none;
}

std::string oci_layer_media_type(Compression c) {
  switch (c) {
    case Compression::gzip:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::zstd:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
    default:
      return "application/vnd.oci.image.layer.v1.tar";
  }
}

LayerDigests extract_layer(int blob_fd, const std::string& dest, const ExtractOptions& opts) {
  UniqueFd root = open_or_throw(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  LayerReader reader(blob_fd);
  archive* tar = reader.tar();
  Extractor x(root.get(), opts);
  for (;;) {
    archive_entry* e = nullptr;
    int r = dl::archive_read_next_header(tar, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) LayerReader::fail(tar, "reading layer tar");
    x.entry(tar, e);
  }
  x.finish();
  LayerDigests d = reader.finish();
  d.chown_failures = x.chown_failures();
  return d;
}

LayerDigests digest_layer(int blob_fd) {
  LayerReader reader(blob_fd);
  return reader.finish();
}

void decompress_layer(int blob_fd, const std::function<void(const char*, size_t)>& sink) {
  LayerReader reader(blob_fd);
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = reader.read_decompressed(buf.data(), buf.size());
    if (n == 0) break;
    sink(buf.data(), static_cast<size_t>(n));
  }
}

// ---- tar of a tree ----------------------------------------------------------

namespace {

std::vector<std::string> sorted_names(int dirfd) {
  std::vector<std::string> names;
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw_errno("dup");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw_errno("opendir");
  }
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// xattrs of an open file, minus overlay's own.
std::vector<std::pair<std::string, std::string>> read_xattrs(int fd) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t n = ::flistxattr(fd, nullptr, 0);
  if (n <= 0) return out;
  std::string names(static_cast<size_t>(n), '\0');
  n = ::flistxattr(fd, names.data(), names.size());
  if (n <= 0) return out;
  for (size_t i = 0; i < static_cast<size_t>(n);) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (name.empty() || is_overlay_xattr(name)) continue;
    ssize_t vn = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (vn < 0) continue;
    std::string v(static_cast<size_t>(vn), '\0');
    vn = ::fgetxattr(fd, name.c_str(), v.data(), v.size());
    if (vn < 0) continue;
    v.resize(static_cast<size_t>(vn));
    out.emplace_back(name, v);
  }
  return out;
}

class TarWriter {
 public:
  TarWriter(int out_fd, const TarOptions& opts) : opts_(opts) {
    a_.reset(dl::archive_write_new());
    dl::archive_write_set_format_pax_restricted(a_.get());
    // No padding of the last block beyond the tar format's own end marker.
    dl::archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (dl::archive_write_open_fd(a_.get(), out_fd) != ARCHIVE_OK) fail("opening tar output");
  }

  void tree(int dirfd, const std::string& rel) {
    for (const auto& name : sorted_names(dirfd)) {
      std::string path = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("stat " + path);
      if (opts_.overlay_whiteouts && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        struct stat wst = st;
        wst.st_mode = S_IFREG | 0;
        wst.st_size = 0;
        add(path.substr(0, path.size() - name.size()) + kWhiteoutPrefix + name, wst, nullptr, {},
            -1);
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        UniqueFd sub(
            ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) throw_errno("open " + path);
        add(path + "/", st, nullptr, read_xattrs(sub.get()), -1);
        if (opts_.overlay_whiteouts && is_opaque(sub.get())) {
          struct stat wst = st;
          wst.st_mode = S_IFREG | 0;
          wst.st_size = 0;
          add(path + "/" + kOpaqueMarker, wst, nullptr, {}, -1);
        }
        tree(sub.get(), path);
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0) throw_errno("readlink " + path);
        target.resize(static_cast<size_t>(n));
        add(path, st, target.c_str(), {}, -1);
      } else if (S_ISREG(st.st_mode)) {
        if (st.st_nlink > 1) {
          auto key = std::make_pair(st.st_dev, st.st_ino);
          auto it = links_.find(key);
          if (it != links_.end()) {
            add_hardlink(path, st, it->second);
            continue;
          }
          links_[key] = path;
        }
        UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw_errno("open " + path);
        add(path, st, nullptr, read_xattrs(fd.get()), fd.get());
      } else if (S_ISSOCK(st.st_mode)) {
        continue;  // sockets are not archived (tar cannot hold them)
      } else {
        add(path, st, nullptr, {}, -1);
      }
    }
  }

  void close() {
    if (dl::archive_write_close(a_.get()) != ARCHIVE_OK) fail("writing tar");
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    dl::throw_if_out_of_space(a_.get(), what);
    const char* m = dl::archive_error_string(a_.get());
    throw Error(Errc::io, what + ": " + (m ? m : "write failed"));
  }

  void add(const std::string& path, const struct stat& st, const char* symlink,
           const std::vector<std::pair<std::string, std::string>>& xattrs, int data_fd) {
    archive_entry* e = dl::archive_entry_new();
    ScopeExit free_entry([e] { dl::archive_entry_free(e); });
    dl::archive_entry_copy_stat(e, &timed(st));
    dl::archive_entry_set_pathname(e, path.c_str());
    if (symlink) dl::archive_entry_set_symlink(e, symlink);
    if (!S_ISREG(st.st_mode)) dl::archive_entry_set_size(e, 0);
    for (const auto& [k, v] : xattrs)
      dl::archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    if (dl::archive_write_header(a_.get(), e) < ARCHIVE_WARN) fail("tar entry " + quote(path));
    if (data_fd < 0) return;
    std::vector<char> buf(1 << 16);
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(data_fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read " + path);
      if (n == 0) {
        // The file shrank while we read it: pad so the header stays true.
        std::fill(buf.begin(), buf.end(), 0);
        n = static_cast<ssize_t>(std::min<int64_t>(left, static_cast<int64_t>(buf.size())));
      }
      n = static_cast<ssize_t>(std::min<int64_t>(n, left));
      if (dl::archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0)
        fail("tar entry " + quote(path));
      left -= n;
    }
  }

  void add_hardlink(const std::string& path, const struct stat& st, const std::string& target) {
    archive_entry* e = dl::archive_entry_new();
    ScopeExit free_entry([e] { dl::archive_entry_free(e); });
    dl::archive_entry_copy_stat(e, &timed(st));
    dl::archive_entry_set_pathname(e, path.c_str());
    dl::archive_entry_set_hardlink(e, target.c_str());
    dl::archive_entry_set_size(e, 0);
    if (dl::archive_write_header(a_.get(), e) < ARCHIVE_WARN) fail("tar entry " + quote(path));
  }

  // st with its times set to opts_.mtime, when given.
  const struct stat& timed(const struct stat& st) {
    if (opts_.mtime < 0) return st;
    timed_ = st;
    timed_.st_atim = timed_.st_mtim = timed_.st_ctim = {opts_.mtime, 0};
    return timed_;
  }

  TarOptions opts_;
  struct stat timed_ {};
  WriteArchive a_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

void write_tar(const std::string& dir, int out_fd, const TarOptions& opts) {
  UniqueFd root = open_or_throw(dir, O_RDONLY | O_DIRECTORY);
  TarWriter w(out_fd, opts);
  w.tree(root.get(), "");
  w.close();
}

void write_tar_file(const std::string& dir, const std::string& out_path, const TarOptions& opts) {
  with_context("writing " + out_path, [&] {
    UniqueFd out = open_or_throw(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    write_tar(dir, out.get(), opts);
  });
}

// ---- vfs: flatten layers ------------------------------------------------------

namespace {

void copy_xattrs(int from, int to) {
  for (const auto& [k, v] : read_xattrs(from)) ::fsetxattr(to, k.c_str(), v.data(), v.size(), 0);
}

class Flattener {
 public:
  void dir(int src, int dst, const std::string& rel) {
    for (const auto& name : sorted_names(src)) {
      std::string path = rel + "/" + name;
      struct stat st;
      if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat " + path);
      if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        remove_at(dst, name);
        continue;
      }
      struct stat dst_st;
      bool exists = ::fstatat(dst, name.c_str(), &dst_st, AT_SYMLINK_NOFOLLOW) == 0;
      if (S_ISDIR(st.st_mode)) {
        UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s) throw_errno("open " + path);
        if (exists && (!S_ISDIR(dst_st.st_mode) || is_opaque(s.get()))) {
          remove_at(dst, name);
          exists = false;
        }
        if (!exists && ::mkdirat(dst, name.c_str(), 0700) != 0) throw_errno("mkdir " + path);
        UniqueFd d(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) throw_errno("open " + path);
        this->dir(s.get(), d.get(), path);
        meta(s.get(), d.get(), st, path);
        continue;
      }
      if (exists) remove_at(dst, name);
      if (S_ISREG(st.st_mode)) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (st.st_nlink > 1) {
          auto it = links_.find(key);
          if (it != links_.end() &&
              ::linkat(dest_root_, it->second.c_str(), dst, name.c_str(), 0) == 0)
            continue;
        }
        UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!s) throw_errno("open " + path);
        UniqueFd d(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            0600));
        if (!d) throw_errno("create " + path);
        copy_fd_contents(s.get(), d.get(), path);
        meta(s.get(), d.get(), st, path);
        if (st.st_nlink > 1) links_[key] = path.substr(1);
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
        if (n < 0) throw_errno("readlink " + path);
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) throw_errno("symlink " + path);
        ::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        ::utimensat(dst, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
      } else if (!S_ISSOCK(st.st_mode)) {
        if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) != 0) {
          log_debug("vfs: skipping device " + path + ": " + std::strerror(errno));
          continue;
        }
        ::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        ::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0);
      }
    }
  }

  void meta(int src, int dst, const struct stat& st, const std::string& path) {
    // Single-uid mappings cannot chown to other ids; the layer already
    // carries the only owner that exists there.
    if (::fchown(dst, st.st_uid, st.st_gid) != 0 && errno != EINVAL && errno != EPERM)
      throw_errno("chown " + path);
    if (::fchmod(dst, st.st_mode & 07777) != 0) throw_errno("chmod " + path);
    copy_xattrs(src, dst);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::futimens(dst, ts);
  }

  int dest_root_ = -1;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // per layer: source inode -> dest path
};

}  // namespace

void apply_layers(const std::vector<std::string>& layer_dirs, const std::string& dest) {
  UniqueFd d = open_or_throw(dest, O_RDONLY | O_DIRECTORY);
  for (const auto& layer : layer_dirs) {
    with_context("applying layer " + layer, [&] {
      UniqueFd s = open_or_throw(layer, O_RDONLY | O_DIRECTORY);
      Flattener f;
      f.dest_root_ = d.get();
      f.dir(s.get(), d.get(), "");
      struct stat st;
      if (::fstat(s.get(), &st) == 0) f.meta(s.get(), d.get(), st, "/");
    });
  }
}

}  // namespace tug::image

// ---- verifying an extracted layer against its blob ----------------------------

namespace tug::image {

namespace {

// What extracting the blob makes at one path.
struct Expected {
  enum class Type { dir, file, symlink, whiteout, fifo, device };
  Type type = Type::dir;
  int perm = -1;  // permission bits (with set-id and sticky); -1: not compared
  int64_t size = 0;
  std::string sha256;  // regular files
  std::string target;  // symlinks
  bool opaque = false;
  bool seen = false;
};

const char* type_name(Expected::Type t) {
  switch (t) {
    case Expected::Type::dir:
      return "a directory";
    case Expected::Type::file:
      return "a regular file";
    case Expected::Type::symlink:
      return "a symlink";
    case Expected::Type::whiteout:
      return "a whiteout";
    case Expected::Type::fifo:
      return "a fifo";
    case Expected::Type::device:
      return "a device node";
  }
  return "?";
}

const char* type_name(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISREG(m)) return "a regular file";
  if (S_ISLNK(m)) return "a symlink";
  if (S_ISFIFO(m)) return "a fifo";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device node";
  return "a socket";
}

std::string octal(int perm) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", perm);
  return buf;
}

// The tree extract_layer makes of a tar, replayed in memory with the same
// rules (see Extractor::entry): later entries replace earlier ones, a
// whiteout replaces what it hides, entries below a symlinked directory land
// where the symlink points.
class ExpectedTree {
 public:
  ExpectedTree() { entries_[""] = Expected{}; }

  void entry(archive* a, archive_entry* e) {
    std::string path = entry_path(e);
    auto comps = safe_components(path, "layer entry");
    if (comps.empty()) {
      if (dl::archive_entry_filetype(e) == AE_IFDIR)
        entries_[""].perm = static_cast<int>(dl::archive_entry_perm(e) & 07777);
      return;
    }
    const std::string& name = comps.back();
    std::string parent = resolve({comps.begin(), comps.end() - 1});
    ensure_dirs(parent);
    std::string full = parent.empty() ? name : parent + "/" + name;

    if (starts_with(name, kWhiteoutPrefix)) {
      if (name == kOpaqueMarker) {
        entries_[parent].opaque = true;
      } else if (!starts_with(name, ".wh..wh.")) {
        std::string hidden = parent.empty() ? name.substr(4) : parent + "/" + name.substr(4);
        put(hidden, Expected{Expected::Type::whiteout});
      }
      return;
    }
    if (const char* link = dl::archive_entry_hardlink(e)) {
      auto t = safe_components(link, "hardlink target of " + quote(path) + ":");
      if (t.empty()) return;
      std::string tparent = resolve({t.begin(), t.end() - 1});
      auto it = entries_.find(tparent.empty() ? t.back() : tparent + "/" + t.back());
      if (it == entries_.end()) return;  // extraction refuses it: no stored layer has it
      Expected copy = it->second;
      put(full, copy);
      return;
    }
    Expected x;
    int perm = static_cast<int>(dl::archive_entry_perm(e) & 07777);
    switch (dl::archive_entry_filetype(e)) {
      case AE_IFDIR: {
        auto it = entries_.find(full);
        if (it != entries_.end() && it->second.type == Expected::Type::dir) {
          it->second.perm = perm;  // an existing directory keeps its contents
          return;
        }
        x.type = Expected::Type::dir;
        x.perm = perm;
        break;
      }
      case AE_IFREG:
        x.type = Expected::Type::file;
        x.perm = perm;
        x.size = dl::archive_entry_size(e);
        x.sha256 = hash_data(a, x.size, path);
        break;
      case AE_IFLNK: {
        const char* target = dl::archive_entry_symlink(e);
        if (!target) target = dl::archive_entry_symlink_utf8(e);
        x.type = Expected::Type::symlink;
        x.target = target ? target : "";
        break;
      }
      case AE_IFIFO:
        x.type = Expected::Type::fifo;
        break;
      case AE_IFCHR:
      case AE_IFBLK:
        x.type = Expected::Type::device;
        break;
      default:
        return;  // extraction skips these too
    }
    put(full, x);
  }

  std::map<std::string, Expected>& entries() { return entries_; }

 private:
  // The path that directory components comps lead to, following the
  // layer's relative symlinks as open_component does (RESOLVE_BENEATH).
  std::string resolve(std::vector<std::string> comps, int depth = 0) const {
    std::vector<std::string> cur;
    for (size_t i = 0; i < comps.size(); ++i) {
      cur.push_back(comps[i]);
      auto it = entries_.find(join_components(cur, cur.size()));
      if (it == entries_.end() || it->second.type != Expected::Type::symlink) continue;
      const std::string& target = it->second.target;
      if (depth > 40 || target.empty() || target[0] == '/')
        return join_components(comps, comps.size());  // extraction refuses these
      cur.pop_back();
      for (const auto& c : split(target, '/')) {
        if (c.empty() || c == ".") continue;
        if (c == "..") {
          if (!cur.empty()) cur.pop_back();
          continue;
        }
        cur.push_back(c);
      }
      cur.insert(cur.end(), comps.begin() + static_cast<std::ptrdiff_t>(i) + 1, comps.end());
      return resolve(cur, depth + 1);
    }
    return join_components(cur, cur.size());
  }

  // Directories an entry's path needs that no entry made: extraction
  // creates them (0755 minus the umask, not compared).
  void ensure_dirs(const std::string& dir) {
    if (dir.empty()) return;
    size_t pos = 0;
    for (;;) {
      size_t slash = dir.find('/', pos);
      std::string p = dir.substr(0, slash);
      auto it = entries_.find(p);
      if (it == entries_.end() || it->second.type != Expected::Type::dir)
        put(p, Expected{Expected::Type::dir});
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
  }

  void put(const std::string& p, Expected x) {
    auto it = entries_.lower_bound(p + "/");
    while (it != entries_.end() && starts_with(it->first, p + "/")) it = entries_.erase(it);
    entries_[p] = std::move(x);
  }

  static std::string hash_data(archive* a, int64_t size, const std::string& path) {
    static const char zeros[1 << 16] = {};
    Sha256 h;
    int64_t pos = 0;
    auto pad = [&](int64_t to) {
      while (pos < to) {
        size_t n = static_cast<size_t>(std::min<int64_t>(to - pos, sizeof zeros));
        h.update(zeros, n);
        pos += static_cast<int64_t>(n);
      }
    };
    for (;;) {
      const void* buf;
      size_t len;
      la_int64_t off;
      int r = dl::archive_read_data_block(a, &buf, &len, &off);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) LayerReader::fail(a, "layer entry " + quote(path));
      pad(off);  // a sparse file's hole
      h.update(buf, len);
      pos += static_cast<int64_t>(len);
    }
    pad(size);
    return h.hex();
  }

  std::map<std::string, Expected> entries_;
};

std::string hash_file(int fd, const std::string& path) {
  Sha256 h;
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + path);
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return h.hex();
}

class TreeComparer {
 public:
  TreeComparer(std::map<std::string, Expected>& expected, LayerVerification& out, size_t max)
      : expected_(expected), out_(out), max_(max) {}

  void walk(int dirfd, const std::string& rel) {
    for (const auto& name : sorted_names(dirfd)) {
      std::string p = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        differ(p, std::string("cannot stat: ") + std::strerror(errno));
        continue;
      }
      auto it = expected_.find(p);
      if (it == expected_.end()) {
        differ(p, "not in the layer's archive");
        continue;
      }
      Expected& x = it->second;
      x.seen = true;
      if (!same_type(x.type, st)) {
        differ(p, std::string("is ") + type_name(st.st_mode) + ", the layer's archive has " +
                      type_name(x.type));
        if (x.type == Expected::Type::dir) mark_seen_below(p);
        continue;
      }
      if (x.perm >= 0 && (x.type == Expected::Type::dir || x.type == Expected::Type::file) &&
          static_cast<int>(st.st_mode & 07777) != x.perm) {
        differ(p, "mode " + octal(static_cast<int>(st.st_mode & 07777)) +
                      ", the layer's archive has " + octal(x.perm));
      }
      switch (x.type) {
        case Expected::Type::dir: {
          UniqueFd sub(
              ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!sub) {
            differ(p, std::string("cannot open: ") + std::strerror(errno));
            mark_seen_below(p);
            break;
          }
          if (x.opaque && !is_opaque(sub.get())) differ(p, "lost its opaque mark");
          walk(sub.get(), p);
          break;
        }
        case Expected::Type::file: {
          if (st.st_size != x.size) {
            differ(p, "size " + std::to_string(st.st_size) + ", the layer's archive has " +
                          std::to_string(x.size));
            break;
          }
          UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
          if (!fd) {
            differ(p, std::string("cannot open: ") + std::strerror(errno));
            break;
          }
          if (hash_file(fd.get(), p) != x.sha256) differ(p, "content differs");
          break;
        }
        case Expected::Type::symlink: {
          std::string target = read_link_at(dirfd, name);
          if (target != x.target)
            differ(p,
                   "symlink to " + quote(target) + ", the layer's archive has " + quote(x.target));
          break;
        }
        default:
          break;
      }
    }
  }

  // Whatever the archive has that the tree lacks (a missing directory is
  // named once, not with everything below it).
  void missing() {
    std::string gone;
    for (const auto& [p, x] : expected_) {
      if (p.empty() || x.seen || x.type == Expected::Type::device) continue;
      if (!gone.empty() && starts_with(p, gone + "/")) continue;
      differ(p, "missing");
      gone = p;
    }
  }

 private:
  static bool same_type(Expected::Type t, const struct stat& st) {
    switch (t) {
      case Expected::Type::dir:
        return S_ISDIR(st.st_mode);
      case Expected::Type::file:
        return S_ISREG(st.st_mode);
      case Expected::Type::symlink:
        return S_ISLNK(st.st_mode);
      case Expected::Type::whiteout:
        return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
      case Expected::Type::fifo:
        return S_ISFIFO(st.st_mode);
      case Expected::Type::device:
        return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
    }
    return false;
  }

  void mark_seen_below(const std::string& p) {
    for (auto it = expected_.lower_bound(p + "/");
         it != expected_.end() && starts_with(it->first, p + "/"); ++it)
      it->second.seen = true;
  }

  void differ(const std::string& p, const std::string& what) {
    if (out_.differences.size() < max_)
      out_.differences.push_back("/" + p + ": " + what);
    else
      ++out_.more;
  }

  std::map<std::string, Expected>& expected_;
  LayerVerification& out_;
  size_t max_;
};

}  // namespace

LayerVerification verify_layer(int blob_fd, const std::string& dir, size_t max_differences) {
  LayerVerification out;
  LayerReader reader(blob_fd);
  archive* tar = reader.tar();
  ExpectedTree tree;
  for (;;) {
    archive_entry* e = nullptr;
    int r = dl::archive_read_next_header(tar, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) LayerReader::fail(tar, "reading layer tar");
    tree.entry(tar, e);
  }
  out.digests = reader.finish();
  UniqueFd root = open_or_throw(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  struct stat st;
  TreeComparer cmp(tree.entries(), out, max_differences);
  const Expected& top = tree.entries()[""];
  if (top.perm >= 0 && ::fstat(root.get(), &st) == 0 &&
      static_cast<int>(st.st_mode & 07777) != top.perm)
    out.differences.push_back("/: mode " + octal(static_cast<int>(st.st_mode & 07777)) +
                              ", the layer's archive has " + octal(top.perm));
  if (top.opaque && !is_opaque(root.get())) out.differences.push_back("/: lost its opaque mark");
  cmp.walk(root.get(), "");
  cmp.missing();
  return out;
}

}  // namespace tug::image
