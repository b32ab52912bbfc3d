#include "util/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

std::string read_file(const std::string& path) {
  auto r = read_file_if_exists(path);
  if (!r) throw Error(Errc::not_found, "open " + path + ": no such file or directory");
  return *r;
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open " + path);
  }
  UniqueFd owner(fd);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

void atomic_write(const std::string& path, const std::string& data, mode_t mode, bool durable) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  try {
    UniqueFd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    with_context(tmp, [&] { write_all(fd.get(), data.data(), data.size()); });
    if (::fchmod(fd.get(), mode) != 0) throw_errno("chmod " + tmp);
    if (durable && ::fsync(fd.get()) != 0) throw_errno("fsync " + tmp);
  } catch (...) {
    ::unlink(tmp.c_str());  // a full disk leaves no empty temp file behind
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno("rename " + tmp, e);
  }
  if (!durable) return;
  int dfd = ::open(dirname_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file(const std::string& path, const std::string& data, mode_t mode) {
  UniqueFd fd = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  write_all(fd.get(), data.data(), data.size());
}

void make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw Error(Errc::exists, path + " exists and is not a directory");
    return;
  }
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

namespace {

// Removes the contents of dirfd (dev is the device of the tree's root; a
// directory on another device is a mount point and is left alone).
void remove_contents(int dirfd, dev_t dev, const std::string& where) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw_errno("dup");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw_errno("opendir " + where);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) {
    struct stat st;
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        throw Error(Errc::in_use,
                    "refusing to remove " + where + "/" + n + ": it is a mount point");
      }
      int sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0 && errno == EACCES) {
        // A directory without r/x for us (layer content such as mode 0000):
        // we own it, so make it traversable first.
        ::fchmodat(dirfd, n.c_str(), 0700, 0);
        sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (sub < 0) throw_errno("open " + where + "/" + n);
      UniqueFd subfd(sub);
      if ((st.st_mode & 0700) != 0700) ::fchmod(sub, st.st_mode | 0700);
      remove_contents(sub, dev, where + "/" + n);
      if (::unlinkat(dirfd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw_errno("rmdir " + where + "/" + n);
    } else if (::unlinkat(dirfd, n.c_str(), 0) != 0 && errno != ENOENT) {
      throw_errno("unlink " + where + "/" + n);
    }
  }
}

}  // namespace

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_errno("stat " + path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("unlink " + path);
    return;
  }
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES) {
      ::chmod(path.c_str(), 0700);
      fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) throw_errno("open " + path);
    UniqueFd dir(fd);
    if ((st.st_mode & 0700) != 0700) ::fchmod(fd, st.st_mode | 0700);
    remove_contents(fd, st.st_dev, path);
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw_errno("rmdir " + path);
}

namespace {

void copy_entries(int sfd, int dfd, const std::string& where) {
  int dup = ::fcntl(sfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw_errno("dup");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw_errno("opendir " + where);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      names.emplace_back(e->d_name);
  ::closedir(d);
  for (const auto& n : names) {
    struct stat st;
    if (::fstatat(sfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    std::string path = where + "/" + n;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dfd, n.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
      UniqueFd s2(::openat(sfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd d2(::openat(dfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s2 || !d2) throw_errno("open " + path);
      copy_entries(s2.get(), d2.get(), path);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(::openat(sfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd out(
          ::openat(dfd, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!in || !out) throw_errno("copy " + path);
      char buf[65536];
      for (;;) {
        ssize_t r = ::read(in.get(), buf, sizeof buf);
        if (r < 0) throw_errno("read " + path);
        if (r == 0) break;
        write_all(out.get(), buf, static_cast<size_t>(r));
      }
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t len = ::readlinkat(sfd, n.c_str(), target, sizeof target - 1);
      if (len < 0) throw_errno("readlink " + path);
      target[len] = 0;
      if (::symlinkat(target, dfd, n.c_str()) != 0) throw_errno("symlink " + path);
    } else if (S_ISFIFO(st.st_mode)) {
      if (::mkfifoat(dfd, n.c_str(), 0600) != 0) throw_errno("mkfifo " + path);
    } else {
      continue;
    }
    ::fchownat(dfd, n.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    if (!S_ISLNK(st.st_mode)) ::fchmodat(dfd, n.c_str(), st.st_mode & 07777, 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(dfd, n.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

}  // namespace

void copy_tree(const std::string& src, const std::string& dst) {
  UniqueFd s(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!s) throw_errno("open " + src);
  UniqueFd d(::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d) throw_errno("open " + dst);
  copy_entries(s.get(), d.get(), src);
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    throw_errno("opendir " + path);
  }
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  return out;
}

namespace {
int64_t usage_at(int dirfd) {
  int64_t total = 0;
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return 0;
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return 0;
  }
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    total += static_cast<int64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        total += usage_at(sub);
        ::close(sub);
      }
    }
  }
  ::closedir(d);
  return total;
}
}  // namespace

int64_t disk_usage(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  UniqueFd dir(fd);
  return usage_at(fd);
}

std::string path_join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  bool as = a.back() == '/', bs = b.front() == '/';
  if (as && bs) return a + b.substr(1);
  if (as || bs) return a + b;
  return a + "/" + b;
}

std::string dirname_of(const std::string& path) {
  auto p = path.find_last_of('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

std::string basename_of(const std::string& path) {
  auto p = path.find_last_of('/');
  return p == std::string::npos ? path : path.substr(p + 1);
}

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) throw_errno("readlink /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
  // The pid in the name tells `tug system check` whether its owner lives.
  std::string tmpl = path_join(parent, prefix + std::to_string(::getpid()) + "-XXXXXX");
  if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (keep_) return;
  try {
    remove_tree(path_);
  } catch (...) {
  }
}

void copy_fd_contents(int from, int to, const std::string& what) {
  for (;;) {
    ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      throw_errno("copying " + what);
    break;
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(from, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading " + what);
    if (n == 0) return;
    write_all(to, buf.data(), static_cast<size_t>(n));
  }
}

std::string read_link_at(int dir, const std::string& name) {
  std::string target(PATH_MAX, '\0');
  ssize_t n = ::readlinkat(dir, name.c_str(), target.data(), target.size());
  if (n < 0) throw_errno("readlink " + name);
  target.resize(static_cast<size_t>(n));
  return target;
}

}  // namespace tug
