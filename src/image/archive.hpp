#pragma once
// Image archives: `tug load` / `tug save` in docker-archive and oci-archive
// formats (what docker, podman and skopeo read and write), and `tug import`
// of flat rootfs tarballs.
//
// Loading verifies everything before anything is stored: the config digest,
// every OCI blob against its descriptor, every layer's diff_id against the
// config's rootfs.diff_ids. A mismatch, a corrupt or a truncated archive
// throws Error(corrupt) with a one-line message and leaves the store as it was
// (the work happens in an image::Staging, committed only at the end).
#include <functional>
#include <string>
#include <vector>

#include "image/store.hpp"
#include "util/json.hpp"

namespace tug::image {

enum class ArchiveFormat { docker, oci };

// "docker-archive" / "oci-archive" (also "docker", "oci"); Error(usage) otherwise.
ArchiveFormat parse_archive_format(const std::string& s);

struct LoadedImage {
  std::string id;                  // 64 hex
  std::vector<std::string> names;  // fully qualified; empty when untagged
};

// Loads every image of a docker-archive or oci-archive (detected from the
// content; the outer tar may be gzip/zstd compressed). path "-" or empty
// reads stdin. Names in the archive move to the loaded images.
// admit, when given, sees the archive's format once it is known and before
// anything is stored (the image trust policy of `load`); it throws to refuse.
std::vector<LoadedImage> load_archive(Store& store, const std::string& path,
                                      const std::function<void(ArchiveFormat)>& admit = {});

// Writes the images to out_fd. Each entry of refs is resolved with
// Store::get; a name given by the user becomes the image's tag in the
// archive (RepoTags / ref.name annotation), an id saves it untagged.
// docker-archive holds uncompressed layers (digest = diff_id, what docker
// load expects); oci-archive keeps the blobs and manifest exactly as stored.
void save_archive(const Store& store, const std::vector<std::string>& refs, ArchiveFormat format,
                  int out_fd);

struct ImportOptions {
  std::vector<std::string> changes;  // Dockerfile-style: "CMD [\"sh\"]", "ENV A=b", ...
  std::string message;               // history comment
  std::string name;                  // reference to tag the image with (optional)
  std::string source_label;          // shown in history ("-" for stdin, else the file)
};

// Imports a flat rootfs tarball (plain, gzip or zstd; "-" = stdin) as a
// one-layer image for this host's platform. Returns the new image.
Image import_tarball(Store& store, const std::string& path, const ImportOptions& opts);

// Applies Dockerfile-style changes (CMD, ENTRYPOINT, ENV, WORKDIR, USER,
// EXPOSE, LABEL, VOLUME, STOPSIGNAL) to an image config's "config" object.
// Throws Error(usage) naming an unsupported or malformed change. Shared with
// `tug commit --change`.
void apply_config_changes(json& config, const std::vector<std::string>& changes);

// "amd64", "arm64", ... for this host (OCI platform names).
std::string host_architecture();

}  // namespace tug::image
