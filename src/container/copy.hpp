#pragma once
// `tug cp`: files between a container and the host, with docker's rules.
// The container side is resolved with openat2(RESOLVE_IN_ROOT) below the
// container's "/", so a symlink in the container ("/escape -> /", "../..",
// "/x -> /home/user") stays inside it; below the top-level path nothing is
// followed (symlinks are copied as symlinks). A stopped container's rootfs
// is mounted privately with its volumes and bind mounts on top (a user
// namespace with the store's mapping); a running container is reached
// through its own root (/proc/PID/root: its overlay, volumes and tmpfs
// mounts) by a helper that joined its user namespace. Either way files
// copied in belong to the container's root, files copied out to the user.
#include <string>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::container {

// One side of `tug cp`: "CTR:/path" (container set) or a host path / "-".
struct CopyArg {
  std::string container;  // empty: host
  std::string path;
};

// Docker's rule: a path that starts with '/' or '.' is local; otherwise the
// text before the first ':' names a container.
CopyArg parse_copy_arg(const std::string& text);

// How a source lands at a destination (docker cp's table):
//   replace   the destination path itself becomes the copy
//             (file onto a file or a new name; directory onto a new name)
//   into      the source is copied under the destination directory, by name
//   contents  the source directory's contents go into the destination
//             directory (source written as "DIR/.")
enum class CopyMode { replace, into, contents };

// Pure: decides the mode from the paths as typed and what exists, or throws
// Error(invalid) with docker's complaint ("cannot copy a directory to a
// file", "destination directory ... must exist", "... is not a directory").
CopyMode plan_copy(const std::string& src, bool src_is_dir, const std::string& dst, bool dst_exists,
                   bool dst_is_dir);

struct CopyOptions {
  bool follow_link = false;  // -L: follow a symlink given as the source
};

// src/dst as parsed; exactly one side names rec. A host side of "-" means a
// tar stream on stdout (copy out) or stdin (copy in, into an existing
// directory).
void copy(const Store& store, const image::Store& images, const Record& rec, const CopyArg& src,
          const CopyArg& dst, const CopyOptions& opts);

}  // namespace tug::container
