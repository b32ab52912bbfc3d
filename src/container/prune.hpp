#pragma once
// Reclaiming space: `container prune`, `system prune` and the numbers of
// `system df`. Sizes are measured as root of the user namespace, where the
// files of subordinate uids in layers and upper dirs can be read.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::container {

struct PruneReport {
  std::vector<std::string> containers;   // ids removed
  std::vector<std::string> untagged;     // image names dropped
  std::vector<std::string> images;       // image ids removed
  std::vector<std::string> build_cache;  // build cache objects removed (builder prune)
  int64_t reclaimed = 0;                 // bytes
};

// Removes every container that is not running (created or exited), and
// the stale build containers (below). A live build's containers stay.
void prune_containers(Store& store, PruneReport& report);

// Whether r is a build container (Record::build) whose building process is
// gone: what a killed `tug build` left, running or not.
bool stale_build(const Record& r);
// The stale build containers of the store.
std::vector<Record> stale_build_containers(const Store& store);
// Removes them, killing those still running; returns their ids. `tug
// build`, `container prune`, `system prune` and `system check --repair`
// call it. A container another command removed meanwhile is skipped.
std::vector<std::string> remove_stale_build_containers(Store& store);

// Which image each image was built on (child id -> parent id): the
// builder records it (build::image_parents); other images have none.
using Parents = std::map<std::string, std::string>;

// Removes images that no container uses: only dangling ones (untagged, and
// no image's parent), or every unused one with all; then the blobs no image
// refers to (kept by failed pulls), unless a pull is in progress
// (image::Store::prune_blobs). A removed image takes along its orphaned
// parents (below). keep: images not to remove (a running build's).
void prune_images(const Store& store, image::Store& images, bool all, PruneReport& report,
                  const Parents& parents = {}, const std::set<std::string>& keep = {});

// Adds to going the parents, grandparents... of the images in it that would
// be left with no child: untagged, used by no container, not in keep, and
// every child of theirs going. Docker's and podman's rmi and prune take
// such a chain of build steps along with the image built on it.
void add_orphaned_parents(const Store& store, const image::Store& images, const Parents& parents,
                          const std::set<std::string>& keep, std::set<std::string>& going);

// Removes these images (their names first), measuring into report the
// space that goes: layers and blobs no remaining image has. Images a
// container uses are skipped with a warning.
void remove_images(const Store& store, image::Store& images, const std::vector<std::string>& ids,
                   PruneReport& report);

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
// An image of the build cache (a step's image no build named).
struct DfCache {
  image::Image image;
  int64_t size = 0;     // its layers that no image outside the cache has
  bool shared = false;  // it has a layer that an image outside the cache has too
  bool in_use = false;  // a container was made from it
};
struct DiskUsage {
  std::vector<DfRow> rows;  // Images, Containers, Local Volumes, Build Cache
  std::vector<DfImage> images;
  std::vector<DfContainer> containers;
  std::vector<DfVolume> volumes;
  std::vector<DfCache> cache;
};

// cache_images (build::intermediate_images) are the build cache's: counted
// in its row, not in Images, with the space only they hold (a step's layer
// that the built image has too is the image's) and the bytes of the
// cache's own records under cache_dir.
DiskUsage store_usage(const Store& store, const image::Store& images,
                      const std::set<std::string>& cache_images = {},
                      const std::string& cache_dir = {});

// Bytes in each container's writable layer (`ps -s`), by id, measured in
// one user namespace for all of them.
std::map<std::string, int64_t> writable_sizes(const Store& store, const std::vector<Record>& recs);

}  // namespace tug::container
