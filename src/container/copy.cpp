#include "container/copy.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "container/rootfs.hpp"
#include "image/layer.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/libarchive.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::container {

CopyArg parse_copy_arg(const std::string& text) {
  if (text.empty() || text[0] == '/' || text[0] == '.') return {"", text};
  size_t colon = text.find(':');
  if (colon == std::string::npos) return {"", text};
  // "a/b:c" is a local file whose name has a colon: names of containers
  // have no '/'.
  if (text.find('/') < colon) return {"", text};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

namespace {

bool names_contents(const std::string& p) {
  return p == "." || ends_with(p, "/.");
}

bool names_directory(const std::string& p) {
  return names_contents(p) || ends_with(p, "/");
}

}  // namespace

CopyMode plan_copy(const std::string& src, bool src_is_dir, const std::string& dst, bool dst_exists,
                   bool dst_is_dir) {
  if (names_directory(src) && !src_is_dir)
    throw Error(Errc::invalid, "source " + quote(src) + " is not a directory");
  if (dst_exists && !dst_is_dir && ends_with(dst, "/"))
    throw Error(Errc::invalid, "destination " + quote(dst) + " is not a directory");
  if (!src_is_dir) {
    if (dst_exists) return dst_is_dir ? CopyMode::into : CopyMode::replace;
    if (ends_with(dst, "/"))
      throw Error(Errc::not_found, "destination directory " + quote(dst) + " must exist");
    return CopyMode::replace;
  }
  if (!dst_exists) return CopyMode::replace;
  if (!dst_is_dir) throw Error(Errc::invalid, "cannot copy a directory to a file");
  return names_contents(src) ? CopyMode::contents : CopyMode::into;
}

namespace {

// Where paths of one side are resolved: the host as it is, or a container
// root where "/" and ".." stop at the root and symlinks resolve inside it.
struct Side {
  int root = AT_FDCWD;
  bool contained = false;
  std::string label;  // for messages: "container x" / "host"
};

// Opens path (following symlinks as the side allows). -1 with errno set.
int open_on(const Side& s, const std::string& path, int flags) {
  if (!s.contained) return ::open(path.empty() ? "." : path.c_str(), flags | O_CLOEXEC);
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, s.root, rel.c_str(), &how, sizeof how));
}

[[noreturn]] void missing(const Side& s, const std::string& path, int err) {
  if (err == ENOENT || err == ENOTDIR)
    throw Error(Errc::not_found, "could not find the file " + path + " in the " + s.label);
  throw_errno("opening " + path + " in the " + s.label, err);
}

// A node to copy: the entry `name` of directory `dir`, or, with name empty,
// the object dir (an O_PATH fd) itself.
struct Node {
  UniqueFd dir;
  std::string name;
  struct stat st {};
  bool contents = false;  // "DIR/.": what is inside, not the directory
  std::string top_name;   // name of the copy when it goes "into" a directory
};

std::string clean_base(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && (ends_with(p, "/") || ends_with(p, "/.")))
    p.resize(p.size() - (p.back() == '.' ? 2 : 1));
  std::string b = basename_of(p);
  return b.empty() || b == "." || b == ".." ? std::string() : b;
}

Node locate_source(const Side& s, const std::string& path, bool follow) {
  Node n;
  n.contents = names_contents(path);
  n.top_name = clean_base(path);
  std::string base = basename_of(path);
  bool whole =
      names_directory(path) || follow || base.empty() || base == "." || base == ".." || path == "/";
  if (whole) {
    int fd = open_on(s, path, O_PATH);
    if (fd < 0) missing(s, path, errno);
    n.dir = UniqueFd(fd);
    if (::fstatat(fd, "", &n.st, AT_EMPTY_PATH) != 0) throw_errno("stat " + path);
    if (names_directory(path) && !S_ISDIR(n.st.st_mode))
      throw Error(Errc::invalid, "source " + quote(path) + " is not a directory");
    return n;
  }
  std::string parent = dirname_of(path);
  int fd = open_on(s, parent, O_PATH | O_DIRECTORY);
  if (fd < 0) missing(s, path, errno);
  n.dir = UniqueFd(fd);
  n.name = base;
  if (::fstatat(fd, base.c_str(), &n.st, AT_SYMLINK_NOFOLLOW) != 0) missing(s, path, errno);
  return n;
}

struct Dest {
  UniqueFd full;    // the destination itself, when it exists
  UniqueFd parent;  // its directory
  std::string name;
  bool exists = false, is_dir = false;
};

Dest locate_dest(const Side& s, const std::string& path) {
  Dest d;
  int fd = open_on(s, path, O_PATH);
  if (fd >= 0) {
    d.full = UniqueFd(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) throw_errno("stat " + path);
    d.exists = true;
    d.is_dir = S_ISDIR(st.st_mode);
  } else if (errno != ENOENT) {
    throw_errno("opening " + path + " in the " + s.label);
  }
  std::string base = clean_base(path);
  if (!base.empty()) {
    std::string parent = dirname_of(path);
    int pfd = open_on(s, parent, O_PATH | O_DIRECTORY);
    if (pfd < 0) {
      if (!d.exists)
        throw Error(Errc::not_found,
                    "destination directory " + parent + " does not exist in the " + s.label);
    } else {
      d.parent = UniqueFd(pfd);
      d.name = base;
    }
  }
  return d;
}

// Opens a node for reading or listing. An entry is never followed.
UniqueFd open_node(int dir, const std::string& name, int flags) {
  if (name.empty()) return open_or_throw("/proc/self/fd/" + std::to_string(dir), flags | O_CLOEXEC);
  int fd = ::openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw_errno("open " + name);
  return UniqueFd(fd);
}

std::vector<std::string> entries(int dirfd) {
  std::vector<std::string> names = list_dir("/proc/self/fd/" + std::to_string(dirfd));
  std::sort(names.begin(), names.end());
  return names;
}

// Makes room for a new entry: an existing non-directory is replaced, an
// existing directory is kept for a directory and refused for anything else.
bool prepare_target(int ddir, const std::string& dname, bool want_dir, const std::string& what) {
  struct stat st;
  if (::fstatat(ddir, dname.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (S_ISDIR(st.st_mode)) {
    if (want_dir) return true;
    throw Error(Errc::invalid,
                "cannot overwrite directory " + quote(what) + " with a non-directory");
  }
  // unlinkat never follows: a symlink planted at the target is replaced,
  // not written through.
  if (::unlinkat(ddir, dname.c_str(), 0) != 0) throw_errno("replacing " + what);
  return false;
}

// Copies a node to ddir/dname with its mode and times; the owner is whoever
// copies (root of the container, or the user on the host).
void copy_node(int sdir, const std::string& sname, const struct stat& st, int ddir,
               const std::string& dname, const std::string& what) {
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (S_ISDIR(st.st_mode)) {
    bool exists = prepare_target(ddir, dname, true, what);
    if (!exists && ::mkdirat(ddir, dname.c_str(), 0700) != 0) throw_errno("mkdir " + what);
    UniqueFd dst(::openat(ddir, dname.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst) throw_errno("open " + what);
    UniqueFd src = open_node(sdir, sname, O_RDONLY | O_DIRECTORY);
    for (const auto& name : entries(src.get())) {
      struct stat cst;
      if (::fstatat(src.get(), name.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("stat " + what + "/" + name);
      copy_node(src.get(), name, cst, dst.get(), name, what + "/" + name);
    }
    if (::fchmod(dst.get(), st.st_mode & 07777) != 0) throw_errno("chmod " + what);
    ::futimens(dst.get(), times);
  } else if (S_ISREG(st.st_mode)) {
    prepare_target(ddir, dname, false, what);
    UniqueFd src = open_node(sdir, sname, O_RDONLY);
    UniqueFd dst(
        ::openat(ddir, dname.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!dst) throw_errno("create " + what);
    copy_fd_contents(src.get(), dst.get(), what);
    if (::fchmod(dst.get(), st.st_mode & 07777) != 0) throw_errno("chmod " + what);
    ::futimens(dst.get(), times);
  } else if (S_ISLNK(st.st_mode)) {
    prepare_target(ddir, dname, false, what);
    // The target is copied verbatim; it is resolved wherever it lands.
    if (::symlinkat(read_link_at(sdir, sname).c_str(), ddir, dname.c_str()) != 0)
      throw_errno("symlink " + what);
    ::utimensat(ddir, dname.c_str(), times, AT_SYMLINK_NOFOLLOW);
  } else if (S_ISFIFO(st.st_mode)) {
    prepare_target(ddir, dname, false, what);
    if (::mknodat(ddir, dname.c_str(), S_IFIFO | (st.st_mode & 07777), 0) != 0)
      throw_errno("mkfifo " + what);
  } else {
    log_debug("cp: skipping device or socket " + what);
  }
}

// ---- tar streams ("-") --------------------------------------------------------

struct ArchiveFree {
  void operator()(archive* a) const { dl::archive_write_free(a); }
};

class TarOut {
 public:
  explicit TarOut(int fd) : a_(dl::archive_write_new()) {
    dl::archive_write_set_format_pax_restricted(a_.get());
    dl::archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (dl::archive_write_open_fd(a_.get(), fd) != ARCHIVE_OK) fail("opening tar output");
  }

  void node(int sdir, const std::string& sname, const struct stat& st, const std::string& path) {
    archive_entry* e = dl::archive_entry_new();
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> owner(
        e, [](archive_entry* x) { dl::archive_entry_free(x); });
    dl::archive_entry_copy_stat(e, &st);
    dl::archive_entry_set_pathname(e, (S_ISDIR(st.st_mode) ? path + "/" : path).c_str());
    UniqueFd data;
    if (S_ISLNK(st.st_mode)) {
      dl::archive_entry_set_symlink(e, read_link_at(sdir, sname).c_str());
    } else if (S_ISREG(st.st_mode)) {
      data = open_node(sdir, sname, O_RDONLY);
    } else if (S_ISSOCK(st.st_mode)) {
      return;
    }
    if (!S_ISREG(st.st_mode)) dl::archive_entry_set_size(e, 0);
    if (dl::archive_write_header(a_.get(), e) < ARCHIVE_WARN) fail("tar entry " + quote(path));
    if (data) write_data(data.get(), st.st_size, path);
    if (S_ISDIR(st.st_mode)) children(open_node(sdir, sname, O_RDONLY | O_DIRECTORY).get(), path);
  }

  void children(int dirfd, const std::string& prefix) {
    for (const auto& name : entries(dirfd)) {
      struct stat cst;
      if (::fstatat(dirfd, name.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("stat " + name);
      node(dirfd, name, cst, prefix.empty() ? name : prefix + "/" + name);
    }
  }

  void close() {
    if (dl::archive_write_close(a_.get()) != ARCHIVE_OK) fail("writing tar");
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    const char* m = dl::archive_error_string(a_.get());
    throw Error(Errc::io, what + ": " + (m ? m : "write failed"));
  }

  void write_data(int fd, int64_t size, const std::string& path) {
    std::vector<char> buf(1 << 16);
    for (int64_t left = size; left > 0;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read " + path);
      if (n == 0) {  // shrank while read: pad so the header stays true
        std::fill(buf.begin(), buf.end(), 0);
        n = static_cast<ssize_t>(std::min<int64_t>(left, static_cast<int64_t>(buf.size())));
      }
      n = static_cast<ssize_t>(std::min<int64_t>(n, left));
      if (dl::archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0)
        fail("tar entry " + quote(path));
      left -= n;
    }
  }

  std::unique_ptr<archive, ArchiveFree> a_;
};

void copy_between(const Side& from, const std::string& src, const Side& to, const std::string& dst,
                  const CopyOptions& opts) {
  if (src == "-") {
    Dest d = locate_dest(to, dst);
    if (!d.exists || !d.is_dir)
      throw Error(Errc::invalid, "destination " + quote(dst) + " must be a directory",
                  "a tar stream on stdin is extracted into an existing directory");
    image::ExtractOptions eo;
    eo.ignore_chown_errors = true;  // owners beyond the mapping stay root's
    // extract_layer takes a path and opens it without following symlinks:
    // "." after fchdir is the resolved directory itself. (This runs in the
    // user namespace's child; its working directory is its own.)
    if (::fchdir(d.full.get()) != 0) throw_errno("chdir " + dst);
    image::extract_layer(0, ".", eo);
    return;
  }
  Node n = locate_source(from, src, opts.follow_link);
  if (dst == "-") {
    TarOut tar(1);
    if (n.contents)
      tar.children(open_node(n.dir.get(), n.name, O_RDONLY | O_DIRECTORY).get(), "");
    else
      tar.node(n.dir.get(), n.name, n.st, n.top_name.empty() ? "." : n.top_name);
    tar.close();
    return;
  }
  Dest d = locate_dest(to, dst);
  CopyMode mode = plan_copy(src, S_ISDIR(n.st.st_mode), dst, d.exists, d.is_dir);
  switch (mode) {
    case CopyMode::replace:
      if (!d.parent)
        throw Error(Errc::invalid, "cannot replace " + quote(dst), "name a path below it");
      copy_node(n.dir.get(), n.name, n.st, d.parent.get(), d.name, dst);
      break;
    case CopyMode::into: {
      if (n.top_name.empty()) throw Error(Errc::invalid, "cannot copy " + quote(src) + " by name");
      UniqueFd dir = open_node(d.full.get(), "", O_RDONLY | O_DIRECTORY);
      copy_node(n.dir.get(), n.name, n.st, dir.get(), n.top_name, path_join(dst, n.top_name));
      break;
    }
    case CopyMode::contents: {
      UniqueFd sdir = open_node(n.dir.get(), n.name, O_RDONLY | O_DIRECTORY);
      UniqueFd ddir = open_node(d.full.get(), "", O_RDONLY | O_DIRECTORY);
      for (const auto& name : entries(sdir.get())) {
        struct stat cst;
        if (::fstatat(sdir.get(), name.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0)
          throw_errno("stat " + name);
        copy_node(sdir.get(), name, cst, ddir.get(), name, path_join(dst, name));
      }
      break;
    }
  }
}

}  // namespace

void copy(const Store& store, const image::Store& images, const Record& rec, const CopyArg& src,
          const CopyArg& dst, const CopyOptions& opts) {
  bool out = !src.container.empty();
  if (out == !dst.container.empty())
    throw Error(Errc::usage, out ? "copying between containers is not supported"
                                 : "must specify at least one container source");
  if (out && src.path.empty()) throw Error(Errc::usage, "no source path given in the container");
  // Mounting the rootfs changes the working directory: host paths are
  // made absolute first.
  CopyArg host = out ? dst : src;
  if (host.path != "-" && (host.path.empty() || host.path[0] != '/')) {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
    host.path = path_join(cwd, host.path.empty() ? "." : host.path);
  }
  std::string cpath = (out ? src.path : dst.path);
  if (cpath.empty() || cpath[0] != '/') cpath = "/" + cpath;  // relative to the container's /
  auto run = [&](int rootfd) {
    Side ctr{rootfd, true, "container " + rec.name};
    Side host_side{AT_FDCWD, false, "host"};
    if (out)
      copy_between(ctr, cpath, host_side, host.path, opts);
    else
      copy_between(host_side, host.path, ctr, cpath, opts);
  };
  if (store.state(rec.id).status == "running") {
    // Through the running container's own root: its overlay as mounted,
    // its volumes and tmpfs mounts, with RESOLVE_IN_ROOT keeping every
    // symlink inside it.
    with_running_root(store, rec, run);
    return;
  }
  with_rootfs(
      store, images, rec,
      [&](const std::string& root) {
        UniqueFd rootfd = open_or_throw(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        run(rootfd.get());
      },
      true);
}

}  // namespace tug::container
