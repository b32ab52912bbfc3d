#pragma once
// COPY and ADD's file work (internal to build/). Paths on both sides are
// resolved inside a root (the build context, a stage's rootfs) with
// openat2(RESOLVE_IN_ROOT), so a symlink in the context or an image never
// leads a copy out of it; below the named source nothing is followed
// (symlinks are copied as symlinks). The writing side runs as root of the
// build's user namespace, where owners are container ids.
#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build/ignore.hpp"
#include "util/digest.hpp"
#include "util/fd.hpp"

namespace tug::build {

// Opens path (absolute or relative, both taken from the root) inside root.
// -1 with errno set on failure.
int open_in_root(int root, const std::string& path, int flags);

// The sources a COPY source word names inside root: itself, or every match
// of a wildcard ('*', '?', '[') component by component. Paths come back
// relative to root and cleaned; excluded ones (ign) are left out, and a
// literal source that does not exist gives none.
std::vector<std::string> match_sources(int root, const std::string& pattern,
                                       const IgnoreMatcher* ign);
bool has_wildcard(const std::string& pattern);

// Remembers content hashes of context files by (device, inode, size, mtime,
// ctime), so a cached rebuild stats a large context instead of reading it.
class HashMemo {
 public:
  explicit HashMemo(std::string file);
  // sha256 of the file's bytes; open() is called only when not remembered.
  std::string file_hash(const struct stat& st, const std::function<int()>& open);
  void save();

 private:
  std::string file_;
  struct Entry {
    std::string hash;
    bool used = false;
  };
  std::map<std::string, Entry> entries_;
  bool dirty_ = false;
};

// Hashes what copying rel would copy: names, types, modes, owners, sizes,
// link targets and contents, in sorted order.
void hash_source(int root, const std::string& rel, const IgnoreMatcher* ign, HashMemo& memo,
                 Sha256& h);

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};
// "user[:group]", names looked up in root's /etc/passwd and /etc/group
// (a name alone takes its primary group; a number alone is uid and gid).
Owner resolve_owner(int root, const std::string& spec);

struct CopyOptions {
  std::optional<Owner> owner;             // --chown; default 0:0
  std::optional<mode_t> chmod;            // --chmod
  const IgnoreMatcher* ignore = nullptr;  // context sources only, context-relative
  IgnoreMatcher exclude;                  // --exclude, relative to each source
};

// Parses --chmod (octal only). Error(invalid) otherwise.
mode_t parse_chmod(const std::string& text);

// Makes the directory at path inside root (and missing parents, owned by
// owner), returning it opened O_DIRECTORY.
UniqueFd make_dir_in_root(int root, const std::string& path, const Owner& owner);

// Copies source rel of src_root to dest in dst_root with docker's rules: a
// directory's contents go into dest; a file goes to dest, or under it
// when dest ends in '/' or is a directory (basename as name).
void copy_source(int src_root, const std::string& rel, int dst_root, const std::string& dest,
                 const CopyOptions& opts);

// Writes content as a file at dest (or dest/name when dest is a directory
// or ends in '/'), for COPY <<EOF heredocs and ADD of a URL.
void write_content(int dst_root, const std::string& dest, const std::string& name,
                   const std::string& content, mode_t mode, const CopyOptions& opts,
                   int64_t mtime = -1);

// True when the file looks like a tar archive (plain, gzip, bzip2, xz or
// zstd): ADD extracts those.
bool is_archive(int fd);

// Extracts an archive file into the directory dest of dst_root (made if
// missing), keeping the archive's owners and modes.
void extract_archive(int archive_fd, int dst_root, const std::string& dest, const Owner& dir_owner);

}  // namespace tug::build
