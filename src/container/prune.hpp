#pragma once
// Reclaiming space: `container prune`, `system prune` and the numbers of
// `system df`. Sizes are measured as root of the user namespace, where the
// files of subordinate uids in layers and upper dirs can be read.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::container {

struct PruneReport {
  std::vector<std::string> containers;  // ids removed
  std::vector<std::string> untagged;    // image names dropped
  std::vector<std::string> images;      // image ids removed
  int64_t reclaimed = 0;                // bytes
};

// Removes every container that is not running (created or exited).
void prune_containers(Store& store, PruneReport& report);

// Removes images that no container uses: only untagged ("dangling") ones,
// or every unused one with all; then the blobs no image refers to (kept by
// failed pulls), unless a pull is in progress (image::Store::prune_blobs).
void prune_images(const Store& store, image::Store& images, bool all, PruneReport& report);

// One line of `system df`.
struct DfRow {
  std::string type;  // "Images", "Containers", "Local Volumes", "Build Cache"
  int total = 0;
  int active = 0;
  int64_t size = 0;
  int64_t reclaimable = 0;
};

// The items behind the rows, for `system df -v`. An image's shared size
// is that of its layers another image has too; its unique size the rest.
struct DfImage {
  image::Image image;
  int64_t size = 0, shared = 0, unique = 0;
  int containers = 0;  // that use it
};
struct DfContainer {
  Record record;
  int64_t size = 0;  // the writable layer
  int volumes = 0;   // named volumes it mounts
};
struct DfVolume {
  std::string name;
  int links = 0;  // containers that mount it
  int64_t size = 0;
};
struct DiskUsage {
  std::vector<DfRow> rows;  // Images, Containers, Local Volumes, Build Cache
  std::vector<DfImage> images;
  std::vector<DfContainer> containers;
  std::vector<DfVolume> volumes;
};

DiskUsage store_usage(const Store& store, const image::Store& images);

// Bytes in each container's writable layer (`ps -s`), by id, measured in
// one user namespace for all of them.
std::map<std::string, int64_t> writable_sizes(const Store& store, const std::vector<Record>& recs);

}  // namespace tug::container
