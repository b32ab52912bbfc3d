#pragma once
// `tug diff`: what a container changed, as docker prints it ("A /new",
// "C /etc", "D /gone"), computed from the overlay upper dir:
//   a 0/0 character device (or a ".wh.NAME" file, fuse-overlayfs's
//   fallback) is a deletion; a path that the image's layers also have is a
//   change; anything else is an addition. An opaque directory that replaced
//   one of the image's is a change, and what the image had under it that
//   the upper dir does not have again is deleted.
#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::container {

enum class ChangeKind { changed, added, deleted };

struct Change {
  ChangeKind kind;
  std::string path;  // absolute inside the container, "/etc/passwd"
  bool operator==(const Change&) const = default;
};

// 'C', 'A', 'D'.
char change_letter(ChangeKind k);

// The image's view of a path, below the container's changes.
struct LowerView {
  std::function<bool(const std::string& path)> exists;
  // Names directly under a directory of the image (empty if none).
  std::function<std::vector<std::string>(const std::string& path)> children;
};

// The merged view of extracted layers (top-most first), honouring their
// whiteouts and opaque directories. Reads the layer dirs lazily.
LowerView layers_view(const std::vector<std::string>& layer_dirs_top_first);

// What the runtime makes in a container's rootfs when the image lacks it,
// and which is not the container's work (docker keeps such files in an
// init layer, podman leaves them out of its diff): the empty mount points
// of /etc/hosts, /etc/hostname, /etc/resolv.conf and /run/.containerenv,
// and /etc/mtab as a link to /proc/mounts. host_path is the entry in the
// upper dir, path its name inside the container.
bool is_runtime_stub(const std::string& host_path, const std::string& path, const struct stat& st);
// Directories a stub may have been made in (the image has no /run).
bool is_stub_parent(const std::string& path);

// Walks an overlay upper dir and classifies every entry against lower.
// Sorted by path, as docker prints them.
std::vector<Change> upper_changes(const std::string& upper_dir, const LowerView& lower);

// The changes of a container (overlay or fuse-overlayfs storage; vfs has no
// upper dir to compare: Error(unsupported)).
std::vector<Change> diff(const Store& store, const image::Store& images, const Record& rec);

}  // namespace tug::container
