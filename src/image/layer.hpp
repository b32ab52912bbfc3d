#pragma once
// Layer tarballs: extraction into a directory (with overlay whiteouts), tars
// of directory trees (export, commit) and the "vfs" fallback that flattens
// extracted layers into one plain directory.
//
// Every function here touches files owned by container ids, so it must run
// inside the user namespace with the store's mapping (userns::run_in_userns);
// then owners read and written are container ids. image::Store wraps the
// calls it needs; these are the building blocks.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tug::image {

enum class Compression { none, gzip, zstd, other };

// Looks at the first bytes of a blob (gzip 1f8b, zstd 28b52ffd).
Compression detect_compression(const std::string& file);
// OCI layer media type for a blob of that compression ("...tar", "...tar+gzip").
std::string oci_layer_media_type(Compression c);

// What streaming a layer blob measured.
struct LayerDigests {
  std::string diff_id;         // "sha256:..." of the uncompressed tar stream
  std::string digest;          // "sha256:..." of the blob bytes as read
  int64_t blob_size = 0;       // bytes of the blob
  int64_t size = 0;            // bytes of the uncompressed tar stream
  int64_t chown_failures = 0;  // entries whose owner could not be set
};

struct ExtractOptions {
  // Single-uid mapping: only id 0 exists, so chown to other ids fails. Count
  // those failures (the caller warns once) instead of failing the layer.
  bool ignore_chown_errors = false;
};

// Streams the blob read from blob_fd (gzip, zstd or plain tar, detected from
// the data) into dest, an existing empty directory, computing both digests on
// the way. Owners, modes, mtimes, symlinks, hardlinks, fifos, xattrs (where
// the kernel allows) are kept; device nodes that cannot be created (rootless)
// are skipped with a debug log. Whiteouts become overlay whiteouts: ".wh.X"
// -> character device 0/0 named X; ".wh..wh..opq" -> the directory gets the
// opaque xattrs user.overlay.opaque=y (kernel overlay with userxattr) and
// user.fuseoverlayfs.opaque=y (fuse-overlayfs).
// Refuses, with Error(invalid) naming the entry, anything that would land
// outside dest: ".." components, writing through a symlink that leaves dest
// (absolute symlinks included), hardlinks to targets outside dest. A leading
// "/" is stripped as tar does. On error dest is left partly filled: callers
// extract into a staging directory and discard it.
LayerDigests extract_layer(int blob_fd, const std::string& dest, const ExtractOptions& opts = {});

// Reads the whole blob and computes its digests without writing anything
// (the store already has the layer; only the archive needs verifying).
LayerDigests digest_layer(int blob_fd);

// What verify_layer found: the blob's digests, and how the extracted tree
// differs from what extracting the blob gives ("etc/passwd: content
// differs", "bin/ls: missing", "tmp/x: not in the layer's archive").
struct LayerVerification {
  LayerDigests digests;
  std::vector<std::string> differences;  // at most max_differences
  int64_t more = 0;                      // differences beyond those listed
};

// Compares the extracted tree at dir with the layer blob read from blob_fd,
// entry by entry, as extract_layer would have made it (whiteouts, opaque
// directories, hardlinks, entries written through the layer's own
// symlinks): every path present with the same type, regular files with the
// same size and sha256 of their content, symlinks with the same target,
// directories and files with the same permission bits, and nothing else
// under dir. Owners, times and xattrs are not compared (owners differ by
// design in single-uid mode); device nodes may be absent (rootless
// extraction skips them). Run inside the store's user namespace: layer
// files belong to container ids and some are readable only by them.
LayerVerification verify_layer(int blob_fd, const std::string& dir, size_t max_differences = 20);

// Streams the uncompressed tar of a (possibly compressed) blob to sink.
void decompress_layer(int blob_fd, const std::function<void(const char*, size_t)>& sink);

struct TarOptions {
  // For diffs of an overlay upper dir (commit): turn 0/0 character devices
  // into ".wh.NAME" entries and opaque directories into ".wh..wh..opq".
  bool overlay_whiteouts = false;
  // Every entry's times become this (seconds since the epoch): reproducible
  // layers (`build --timestamp`). Negative: the files' own.
  int64_t mtime = -1;
};

// Writes a pax tar of the tree at dir to out_fd: entries sorted by name,
// paths relative to dir, hardlinks kept, overlay xattrs dropped.
void write_tar(const std::string& dir, int out_fd, const TarOptions& opts = {});
// As write_tar, into a new file out_path (which must not exist); a failure
// names the file ("writing X: tar entry "a": no space left on device").
void write_tar_file(const std::string& dir, const std::string& out_path,
                    const TarOptions& opts = {});

// The vfs fallback: copies extracted layer directories (bottom first) into
// dest, honouring whiteouts (remove the lower path) and opaque directories
// (drop the lower contents). dest must exist; files are copied, never
// hardlinked, so a container cannot modify the layers.
void apply_layers(const std::vector<std::string>& layer_dirs, const std::string& dest);

}  // namespace tug::image
