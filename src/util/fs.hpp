#pragma once
// File helpers. Records are replaced atomically (temp file, fsync, rename),
// never rewritten in place, so a crash leaves the old or the new version.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tug {

std::string read_file(const std::string& path);
std::optional<std::string> read_file_if_exists(const std::string& path);

// Writes data to path.tmp-<pid>, fsyncs it, renames over path, fsyncs the dir.
// durable=false skips both fsyncs: still all-or-nothing for readers and for
// a killed process, but not across a power loss (records of --rm containers).
void atomic_write(const std::string& path, const std::string& data, mode_t mode = 0644,
                  bool durable = true);

// Truncates and writes path without fsync: for files regenerated on every
// start (a container's /etc/hosts), where durability buys nothing.
void write_file(const std::string& path, const std::string& data, mode_t mode = 0644);

// mkdir -p; existing directories are fine.
void make_dirs(const std::string& path, mode_t mode = 0755);

bool path_exists(const std::string& path);   // lstat succeeds
bool is_directory(const std::string& path);  // stat says directory

// Removes a tree without following symlinks and without crossing into other
// mounts (a still-mounted rootfs must not be emptied). Missing is fine.
void remove_tree(const std::string& path);

// Copies the tree under src into the existing directory dst, keeping
// modes, owners (where permitted), times and symlinks; sockets and device
// nodes are skipped. Never follows a symlink.
void copy_tree(const std::string& src, const std::string& dst);

// Copies what remains to be read of `from` to `to`: copy_file_range (reflinks
// and in-kernel copies where the filesystem can), else read and write.
// `what` names the file in errors.
void copy_fd_contents(int from, int to, const std::string& what);

// The target of the symlink dir/name.
std::string read_link_at(int dir, const std::string& name);

// Names in a directory, excluding . and ..; empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);

// Sum of st_blocks*512 of regular files under path (no symlink following).
int64_t disk_usage(const std::string& path);

// Joins with exactly one '/'.
std::string path_join(const std::string& a, const std::string& b);
std::string dirname_of(const std::string& path);
std::string basename_of(const std::string& path);

// Absolute path of the running executable (/proc/self/exe).
std::string self_exe();

// A directory created with mkdtemp under parent (named PREFIX<pid>-XXXXXX),
// removed on destruction unless keep() was called.
class TempDir {
 public:
  explicit TempDir(const std::string& parent, const std::string& prefix = "tmp-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

}  // namespace tug
