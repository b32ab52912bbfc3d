#include "build/copier.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <sstream>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/libarchive.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::build {

namespace {

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

std::vector<std::string> sorted_entries(int dirfd) {
  auto names = list_dir(fd_path(dirfd));
  std::sort(names.begin(), names.end());
  return names;
}

std::string child_rel(const std::string& rel, const std::string& name) {
  return rel.empty() || rel == "." ? name : rel + "/" + name;
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  for (auto& c : split(path, '/'))
    if (!c.empty() && c != ".") out.push_back(c);
  return out;
}

UniqueFd open_dir_in_root(int root, const std::string& path) {
  int fd = open_in_root(root, path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw_errno("opening directory " + path);
  return UniqueFd(fd);
}

bool excluded(const CopyOptions& o, const std::string& ctx_rel, const std::string& src_rel) {
  if (o.ignore && o.ignore->excluded(ctx_rel)) return true;
  return !o.exclude.empty() && o.exclude.excluded(src_rel);
}

// Makes room for a non-directory at dir/name: anything but a directory there goes.
void clear_for_file(int dir, const std::string& name) {
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode))
    throw Error(Errc::invalid, "cannot overwrite directory " + quote(name) + " with a file");
  if (::unlinkat(dir, name.c_str(), 0) != 0) throw_errno("replacing " + name);
}

void write_file_at(int dir, const std::string& name, int src_fd, const std::string* content,
                   mode_t mode, const Owner& owner, const struct timespec* times) {
  clear_for_file(dir, name);
  int fd = ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("creating " + name);
  UniqueFd out(fd);
  if (content)
    write_all(out.get(), content->data(), content->size());
  else
    copy_fd_contents(src_fd, out.get(), name);
  // chown clears set-id bits: the mode comes after it.
  if (::fchown(out.get(), owner.uid, owner.gid) != 0) throw_errno("chown " + name);
  if (::fchmod(out.get(), mode) != 0) throw_errno("chmod " + name);
  if (times && ::futimens(out.get(), times) != 0) throw_errno("setting times of " + name);
}

struct Copier {
  const CopyOptions& o;
  Owner owner;
  // Files with more than one link, by source inode: the first copy (an
  // O_PATH fd) and how many more names to expect. Later names become hard
  // links to it, as docker's COPY keeps them.
  struct Linked {
    UniqueFd file;
    nlink_t left = 0;
  };
  std::map<std::pair<dev_t, ino_t>, Linked> links = {};

  void entry(int sdir, const std::string& name, const struct stat& st, int ddir,
             const std::string& dname, const std::string& ctx_rel, const std::string& src_rel) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (S_ISDIR(st.st_mode)) {
      struct stat dst;
      bool exists = ::fstatat(ddir, dname.c_str(), &dst, AT_SYMLINK_NOFOLLOW) == 0;
      if (exists && !S_ISDIR(dst.st_mode)) {
        if (::unlinkat(ddir, dname.c_str(), 0) != 0) throw_errno("replacing " + dname);
        exists = false;
      }
      if (!exists) {
        if (::mkdirat(ddir, dname.c_str(), 0700) != 0) throw_errno("mkdir " + dname);
      }
      int sfd = ::openat(sdir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sfd < 0) throw_errno("opening " + ctx_rel);
      UniqueFd s(sfd);
      int dfd = ::openat(ddir, dname.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0) throw_errno("opening " + dname);
      UniqueFd d(dfd);
      contents(s.get(), d.get(), ctx_rel, src_rel);
      if (!exists) {
        if (::fchown(d.get(), owner.uid, owner.gid) != 0) throw_errno("chown " + dname);
        mode_t m = o.chmod ? *o.chmod : st.st_mode & 07777;
        if (::fchmod(d.get(), m) != 0) throw_errno("chmod " + dname);
        ::futimens(d.get(), times);
      }
    } else if (S_ISREG(st.st_mode)) {
      const std::pair<dev_t, ino_t> key{st.st_dev, st.st_ino};
      if (st.st_nlink > 1) {
        if (auto it = links.find(key); it != links.end()) {
          clear_for_file(ddir, dname);
          // Through /proc: linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH of
          // the host's user namespace.
          std::string first = "/proc/self/fd/" + std::to_string(it->second.file.get());
          if (::linkat(AT_FDCWD, first.c_str(), ddir, dname.c_str(), AT_SYMLINK_FOLLOW) != 0)
            throw_errno("hard-linking " + dname);
          if (--it->second.left == 0) links.erase(it);
          return;
        }
      }
      int sfd = ::openat(sdir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (sfd < 0) throw_errno("opening " + ctx_rel);
      UniqueFd s(sfd);
      write_file_at(ddir, dname, s.get(), nullptr, o.chmod ? *o.chmod : st.st_mode & 07777, owner,
                    times);
      if (st.st_nlink > 1) {
        UniqueFd copy(::openat(ddir, dname.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (copy) links[key] = Linked{std::move(copy), st.st_nlink - 1};
      }
    } else if (S_ISLNK(st.st_mode)) {
      std::string target = read_link_at(sdir, name);
      clear_for_file(ddir, dname);
      if (::symlinkat(target.c_str(), ddir, dname.c_str()) != 0) throw_errno("symlink " + dname);
      if (::fchownat(ddir, dname.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("chown " + dname);
      ::utimensat(ddir, dname.c_str(), times, AT_SYMLINK_NOFOLLOW);
    } else {
      log_debug("COPY: skipping special file " + ctx_rel);
    }
  }

  void contents(int sdir, int ddir, const std::string& ctx_rel, const std::string& src_rel) {
    for (const auto& name : sorted_entries(sdir)) {
      std::string crel = child_rel(ctx_rel, name), srel = child_rel(src_rel, name);
      struct stat st;
      if (::fstatat(sdir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat " + crel);
      if (excluded(o, crel, srel)) {
        bool look_inside = S_ISDIR(st.st_mode) && o.ignore && o.ignore->has_exceptions();
        if (!look_inside) continue;
      }
      entry(sdir, name, st, ddir, name, crel, srel);
    }
  }
};

bool dest_is_dir(int root, const std::string& dest) {
  if (ends_with(dest, "/") || dest == "." || ends_with(dest, "/.")) return true;
  int fd = open_in_root(root, dest, O_PATH);
  if (fd < 0) return false;
  UniqueFd f(fd);
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

// The directory a file lands in and its name there.
std::pair<UniqueFd, std::string> file_target(int root, const std::string& dest,
                                             const std::string& name, const Owner& owner) {
  if (dest_is_dir(root, dest)) return {make_dir_in_root(root, dest, owner), name};
  std::string parent = dirname_of(dest);
  return {make_dir_in_root(root, parent.empty() ? "/" : parent, owner), basename_of(dest)};
}

std::optional<std::string> field_lookup(int root, const std::string& file, const std::string& name,
                                        size_t id_field, std::string* extra, size_t extra_field) {
  int fd = open_in_root(root, file, O_RDONLY);
  if (fd < 0) return std::nullopt;
  UniqueFd f(fd);
  std::string text = read_file(fd_path(fd));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto parts = split(line, ':');
    if (parts.size() <= std::max(id_field, extra_field) || parts[0] != name) continue;
    if (extra) *extra = parts[extra_field];
    return parts[id_field];
  }
  return std::nullopt;
}

bool numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int open_in_root(int root, const std::string& path, int flags) {
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, rel.c_str(), &how, sizeof how));
}

bool has_wildcard(const std::string& p) {
  return p.find_first_of("*?[") != std::string::npos;
}

std::vector<std::string> match_sources(int root, const std::string& pattern,
                                       const IgnoreMatcher* ign) {
  std::string clean = clean_relative(pattern);
  std::vector<std::string> out;
  if (!has_wildcard(clean)) {
    int fd = open_in_root(root, clean, O_PATH);
    if (fd < 0) return out;
    ::close(fd);
    if (clean != "." && ign && ign->excluded(clean)) return out;
    out.push_back(clean);
    return out;
  }
  std::vector<std::string> cur = {"."};
  for (const auto& comp : components(clean)) {
    std::vector<std::string> next;
    for (const auto& prefix : cur) {
      if (!has_wildcard(comp)) {
        std::string p = child_rel(prefix, comp);
        int fd = open_in_root(root, p, O_PATH);
        if (fd >= 0) {
          ::close(fd);
          next.push_back(p);
        }
        continue;
      }
      int fd = open_in_root(root, prefix, O_RDONLY | O_DIRECTORY);
      if (fd < 0) continue;
      UniqueFd d(fd);
      for (const auto& name : sorted_entries(fd))
        if (::fnmatch(comp.c_str(), name.c_str(), 0) == 0) next.push_back(child_rel(prefix, name));
    }
    cur = std::move(next);
  }
  for (const auto& p : cur)
    if (!(ign && ign->excluded(p))) out.push_back(p);
  return out;
}

HashMemo::HashMemo(std::string file) : file_(std::move(file)) {
  auto text = read_file_if_exists(file_);
  if (!text) return;
  std::istringstream in(*text);
  std::string key, hash;
  while (in >> key >> hash) entries_[key].hash = hash;
}

std::string HashMemo::file_hash(const struct stat& st, const std::function<int()>& open) {
  std::ostringstream k;
  k << st.st_dev << '/' << st.st_ino << '/' << st.st_size << '/' << st.st_mtim.tv_sec << '.'
    << st.st_mtim.tv_nsec << '/' << st.st_ctim.tv_sec << '.' << st.st_ctim.tv_nsec;
  auto it = entries_.find(k.str());
  if (it != entries_.end()) {
    it->second.used = true;
    return it->second.hash;
  }
  int fd = open();
  if (fd < 0) throw_errno("opening a file to hash");
  UniqueFd f(fd);
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading a file to hash");
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  Entry& e = entries_[k.str()];
  e.hash = h.hex();
  e.used = true;
  dirty_ = true;
  return e.hash;
}

void HashMemo::save() {
  if (!dirty_) return;
  std::string text;
  // Entries not used by this build are kept only while the memo is small.
  bool prune = entries_.size() > 200000;
  for (const auto& [k, e] : entries_)
    if (e.used || !prune) text += k + " " + e.hash + "\n";
  try {
    make_dirs(dirname_of(file_), 0700);
    atomic_write(file_, text, 0600, false);
  } catch (const Error& e) {
    log_debug(std::string("cannot save the build's file hashes: ") + e.what());
  }
}

void hash_source(int root, const std::string& rel, const IgnoreMatcher* ign, HashMemo& memo,
                 Sha256& h) {
  int top = open_in_root(root, rel, O_PATH);
  if (top < 0) throw_errno("opening " + rel);
  UniqueFd t(top);
  std::function<void(int, const std::string&, const struct stat&, const std::string&, int)> node;
  node = [&](int fd_or_dir, const std::string& name, const struct stat& st, const std::string& crel,
             int opened) {
    std::ostringstream meta;
    meta << crel << '\0' << std::oct << st.st_mode << ' ' << std::dec << st.st_uid << ' '
         << st.st_gid << ' ' << (S_ISREG(st.st_mode) ? st.st_size : 0) << '\0';
    h.update(meta.str());
    if (S_ISREG(st.st_mode)) {
      h.update(memo.file_hash(st, [&] {
        if (opened >= 0) return ::open(fd_path(opened).c_str(), O_RDONLY | O_CLOEXEC);
        return ::openat(fd_or_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      }));
    } else if (S_ISLNK(st.st_mode)) {
      h.update(read_link_at(fd_or_dir, name));
    } else if (S_ISDIR(st.st_mode)) {
      int dfd = opened >= 0 ? ::open(fd_path(opened).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                            : ::openat(fd_or_dir, name.c_str(),
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0) throw_errno("opening " + crel);
      UniqueFd d(dfd);
      for (const auto& n : sorted_entries(dfd)) {
        std::string c = child_rel(crel, n);
        struct stat cst;
        if (::fstatat(dfd, n.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat " + c);
        if (ign && ign->excluded(c) && !(S_ISDIR(cst.st_mode) && ign->has_exceptions())) continue;
        node(dfd, n, cst, c, -1);
      }
    }
  };
  struct stat st;
  if (::fstat(top, &st) != 0) throw_errno("stat " + rel);
  node(-1, "", st, rel, top);
}

Owner resolve_owner(int root, const std::string& spec) {
  bool has_group = false;
  auto [user, group] = split_once(spec, ':', &has_group);
  Owner o;
  bool primary_known = false;
  if (numeric(user)) {
    o.uid = static_cast<uid_t>(std::stoul(user));
    o.gid = static_cast<gid_t>(o.uid);
  } else {
    std::string gid;
    auto uid = field_lookup(root, "/etc/passwd", user, 2, &gid, 3);
    if (!uid || !numeric(*uid))
      throw Error(Errc::not_found,
                  "unable to find user " + user + ": no matching entries in passwd file");
    o.uid = static_cast<uid_t>(std::stoul(*uid));
    if (numeric(gid)) {
      o.gid = static_cast<gid_t>(std::stoul(gid));
      primary_known = true;
    }
  }
  (void)primary_known;
  if (has_group && !group.empty()) {
    if (numeric(group)) {
      o.gid = static_cast<gid_t>(std::stoul(group));
    } else {
      auto gid = field_lookup(root, "/etc/group", group, 2, nullptr, 0);
      if (!gid || !numeric(*gid))
        throw Error(Errc::not_found,
                    "unable to find group " + group + ": no matching entries in group file");
      o.gid = static_cast<gid_t>(std::stoul(*gid));
    }
  }
  return o;
}

mode_t parse_chmod(const std::string& text) {
  if (text.empty() || text.size() > 4 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; }))
    throw Error(Errc::invalid,
                "invalid --chmod " + quote(text) + ": only octal modes are supported");
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

UniqueFd make_dir_in_root(int root, const std::string& path, const Owner& owner) {
  UniqueFd cur = open_dir_in_root(root, "/");
  std::string prefix;
  for (const auto& comp : components(path)) {
    if (comp == "..") {
      // Resolved inside the root: ".." of "/" is "/".
      prefix = dirname_of(prefix.empty() ? "/" : prefix);
      cur = open_dir_in_root(root, prefix);
      continue;
    }
    prefix += "/" + comp;
    int fd = open_in_root(root, prefix, O_RDONLY | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("mkdir " + prefix);
      if (::fchownat(cur.get(), comp.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("chown " + prefix);
      fd = open_in_root(root, prefix, O_RDONLY | O_DIRECTORY);
    }
    if (fd < 0) {
      if (errno == ENOTDIR) throw Error(Errc::invalid, prefix + " is not a directory");
      throw_errno("opening " + prefix);
    }
    cur = UniqueFd(fd);
  }
  return cur;
}

void copy_source(int src_root, const std::string& rel, int dst_root, const std::string& dest,
                 const CopyOptions& opts) {
  int fd = open_in_root(src_root, rel, O_PATH);
  if (fd < 0) throw_errno("opening " + rel);
  UniqueFd src(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_errno("stat " + rel);
  Owner owner = opts.owner.value_or(Owner{});
  Copier c{opts, owner};
  if (S_ISDIR(st.st_mode)) {
    UniqueFd d = make_dir_in_root(dst_root, dest, owner);
    UniqueFd s = open_or_throw(fd_path(fd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    c.contents(s.get(), d.get(), rel, ".");
    return;
  }
  std::string name = basename_of(rel);
  auto [dir, target] = file_target(dst_root, dest, name, owner);
  // The source itself was followed: copy what it names, by its own name.
  std::string parent_rel = dirname_of(rel);
  UniqueFd s = open_or_throw(fd_path(fd), O_RDONLY | O_CLOEXEC);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (S_ISREG(st.st_mode)) {
    write_file_at(dir.get(), target, s.get(), nullptr,
                  opts.chmod ? *opts.chmod : st.st_mode & 07777, owner, times);
  } else {
    throw Error(Errc::unsupported, rel + " is not a regular file or directory");
  }
}

void write_content(int dst_root, const std::string& dest, const std::string& name,
                   const std::string& content, mode_t mode, const CopyOptions& opts,
                   int64_t mtime) {
  Owner owner = opts.owner.value_or(Owner{});
  auto [dir, target] = file_target(dst_root, dest, name, owner);
  struct timespec times[2];
  times[0].tv_nsec = UTIME_OMIT;
  times[0].tv_sec = 0;
  times[1].tv_sec = mtime;
  times[1].tv_nsec = 0;
  write_file_at(dir.get(), target, -1, &content, opts.chmod ? *opts.chmod : mode, owner,
                mtime >= 0 ? times : nullptr);
}

bool is_archive(int fd) {
  archive* a = dl::archive_read_new();
  dl::archive_read_support_filter_all(a);
  dl::archive_read_support_format_tar(a);
  dl::archive_read_support_format_gnutar(a);
  bool ok = false;
  if (dl::archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK) {
    archive_entry* e = nullptr;
    ok = dl::archive_read_next_header(a, &e) == ARCHIVE_OK;
  }
  dl::archive_read_free(a);
  ::lseek(fd, 0, SEEK_SET);
  return ok;
}

void extract_archive(int archive_fd, int dst_root, const std::string& dest,
                     const Owner& dir_owner) {
  UniqueFd dir = make_dir_in_root(dst_root, dest, dir_owner);
  UniqueFd back = open_or_throw(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (::fchdir(dir.get()) != 0) throw_errno("chdir " + dest);
  ScopeExit restore([&] { (void)::fchdir(back.get()); });
  archive* a = dl::archive_read_new();
  archive* w = dl::archive_write_disk_new();
  ScopeExit free_both([&] {
    dl::archive_read_free(a);
    dl::archive_write_free(w);
  });
  dl::archive_read_support_filter_all(a);
  dl::archive_read_support_format_tar(a);
  dl::archive_read_support_format_gnutar(a);
  // Entries stay below dest: no "..", no absolute paths, no writing through
  // symlinks the archive made.
  dl::archive_write_disk_set_options(
      w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
             ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
             ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK);
  if (dl::archive_read_open_fd(a, archive_fd, 1 << 16) != ARCHIVE_OK)
    throw Error(Errc::invalid, std::string("reading archive: ") + dl::archive_error_string(a));
  for (;;) {
    archive_entry* e = nullptr;
    int r = dl::archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      throw Error(Errc::invalid, std::string("reading archive: ") + dl::archive_error_string(a));
    if (dl::archive_write_header(w, e) < ARCHIVE_WARN)
      throw Error(Errc::invalid, std::string("extracting ") + dl::archive_entry_pathname(e) + ": " +
                                     dl::archive_error_string(w));
    if (dl::archive_entry_size(e) > 0) {
      const void* buf;
      size_t size;
      la_int64_t off;
      while ((r = dl::archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
        if (dl::archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN)
          throw Error(Errc::io, std::string("extracting ") + dl::archive_entry_pathname(e) + ": " +
                                    dl::archive_error_string(w));
      if (r < ARCHIVE_WARN)
        throw Error(Errc::invalid, std::string("reading archive: ") + dl::archive_error_string(a));
    }
    if (dl::archive_write_finish_entry(w) < ARCHIVE_WARN)
      throw Error(Errc::io, std::string("extracting: ") + dl::archive_error_string(w));
  }
  if (dl::archive_write_close(w) != ARCHIVE_OK)
    throw Error(Errc::io, std::string("extracting: ") + dl::archive_error_string(w));
}

}  // namespace tug::build
