#pragma once
// The build cache, on the layout of config/paths.hpp:
//   build-cache/<key>                the image a step with that key made
//   build-cache/intermediate/<id>    a step's image the build did not name
//                                    (`images` hides it unless -a)
//   build-cache/parent/<id>          the image id was built on (the step
//                                    before it): what rmi and prune follow
//   build-cache/file-hashes          context files' hashes (copier.hpp)
//   build.lock                       flock: shared by each running build,
//                                    exclusive by whatever removes
//                                    intermediate images
// An entry is worth keeping only while the images it names are: rmi and
// the prunes remove an image's orphaned parents with it (the chain of its
// build steps no other image needs) and then forget_removed_images().
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "container/container.hpp"
#include "container/prune.hpp"
#include "image/store.hpp"
#include "util/lock.hpp"

namespace tug::build {

std::string cache_dir(const Paths& paths);

// Ids of images the builder keeps as cache (`tug images` lists them with -a).
std::set<std::string> intermediate_images(const Paths& paths);

// child id -> parent id, for every image a build made (with --layers).
container::Parents image_parents(const Paths& paths);

// Held shared by a build for its whole run: its step images, not yet
// anyone's parent, must not be pruned under it.
FileLock build_lock(const Paths& paths, FileLock::Mode mode);
// For a removal: the exclusive lock, or nullopt (with a warning naming
// what is kept) while a build runs.
std::optional<FileLock> try_removal_lock(const Paths& paths);

// Drops the entries naming images the store no longer has (step keys,
// intermediate marks, parent records), and the context's file hashes once
// no step is cached at all. Called after every removal of images.
void forget_removed_images(const Paths& paths, const image::Store& images);

// rmi: after image id was removed, its orphaned parents go too (unless a
// build runs); returns their ids, nearest first, and forgets what went.
std::vector<std::string> remove_orphaned_parents(const container::Store& store,
                                                 image::Store& images, const std::string& id);

// `image prune` and `system prune`: container::prune_images with the
// builder's parent records (an intermediate image of a kept build is its
// cache, not dangling; a removed image takes its orphaned steps along),
// then the entries of what went.
void prune_images(const container::Store& store, image::Store& images, bool all,
                  container::PruneReport& report);

// `tug builder prune`: the stale build containers, then the dangling build
// cache (intermediate images that no other image is built on: what failed,
// killed or superseded builds left) or, with all, every intermediate image
// no container uses and every entry. Removed images go into
// report.build_cache, the space into report.reclaimed.
void prune_cache(container::Store& store, image::Store& images, bool all,
                 container::PruneReport& report);

}  // namespace tug::build
