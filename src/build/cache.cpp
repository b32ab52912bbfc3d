#include "build/cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "container/lifecycle.hpp"
#include "userns/userns.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::build {

namespace {

std::optional<std::string> id_in(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  std::string id = trim(*text);
  if (!is_hex64(id)) return std::nullopt;
  return id;
}

std::set<std::string> present_ids(const image::Store& images) {
  std::set<std::string> out;
  for (const auto& img : images.list()) out.insert(img.id);
  return out;
}

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    log_warn("cannot remove " + path + ": " + std::strerror(errno));
}

// Bytes of the files under dir the invoking user can see.
int64_t usage(const std::string& dir) {
  int64_t total = 0;
  std::vector<std::string> names;
  try {
    names = list_dir(dir);
  } catch (const Error&) {
    return 0;  // a directory of another id of the user namespace
  }
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      total += usage(path);
    else if (S_ISREG(st.st_mode))
      total += static_cast<int64_t>(st.st_blocks) * 512;
  }
  return total;
}

}  // namespace

std::string cache_dir(const Paths& p) {
  return p.data + "/build-cache";
}

std::set<std::string> intermediate_images(const Paths& paths) {
  std::set<std::string> out;
  for (const auto& n : list_dir(cache_dir(paths) + "/intermediate"))
    if (is_hex64(n)) out.insert(n);
  return out;
}

container::Parents image_parents(const Paths& paths) {
  container::Parents out;
  std::string dir = cache_dir(paths) + "/parent";
  for (const auto& n : list_dir(dir))
    if (is_hex64(n))
      if (auto parent = id_in(dir + "/" + n)) out[n] = *parent;
  return out;
}

FileLock build_lock(const Paths& paths, FileLock::Mode mode) {
  return FileLock(paths.data + "/build.lock", mode);
}

std::optional<FileLock> try_removal_lock(const Paths& paths) {
  FileLock lock = FileLock::try_lock(paths.data + "/build.lock", FileLock::Mode::exclusive);
  if (lock.held()) return lock;
  log_warn("a build is in progress: the build cache is kept");
  return std::nullopt;
}

void forget_removed_images(const Paths& paths, const image::Store& images) {
  std::string dir = cache_dir(paths);
  if (!is_directory(dir)) return;
  std::set<std::string> present = present_ids(images);
  bool cached = false;
  for (const auto& n : list_dir(dir)) {
    if (!is_hex64(n)) continue;
    auto id = id_in(dir + "/" + n);
    if (id && present.count(*id))
      cached = true;
    else
      remove_file(dir + "/" + n);
  }
  for (const auto& n : list_dir(dir + "/intermediate"))
    if (!present.count(n)) remove_file(dir + "/intermediate/" + n);
  // A record whose parent went is a chain no longer to follow.
  for (const auto& [child, parent] : image_parents(paths))
    if (!present.count(child) || !present.count(parent)) remove_file(dir + "/parent/" + child);
  // The hashes only serve cache lookups of COPY steps.
  if (!cached) remove_file(dir + "/file-hashes");
  for (const char* sub : {"/intermediate", "/parent", "/mounts", ""}) ::rmdir((dir + sub).c_str());
}

std::vector<std::string> remove_orphaned_parents(const container::Store& store,
                                                 image::Store& images, const std::string& id) {
  std::optional<FileLock> lock = try_removal_lock(store.paths());
  if (!lock) return {};
  container::Parents parents = image_parents(store.paths());
  std::set<std::string> going = {id};
  container::add_orphaned_parents(store, images, parents, {}, going);
  std::vector<std::string> removed;
  for (auto it = parents.find(id); it != parents.end() && going.count(it->second);
       it = parents.find(it->second)) {
    try {
      images.remove(it->second);
      removed.push_back(it->second);
    } catch (const Error& e) {
      if (e.code() != Errc::not_found) throw;
    }
  }
  forget_removed_images(store.paths(), images);
  return removed;
}

void prune_images(const container::Store& store, image::Store& images, bool all,
                  container::PruneReport& report) {
  std::optional<FileLock> lock = try_removal_lock(store.paths());
  // While a build runs, its step images (children of nothing yet) stay.
  std::set<std::string> keep;
  if (!lock) keep = intermediate_images(store.paths());
  container::prune_images(store, images, all, report, image_parents(store.paths()), keep);
  if (lock) forget_removed_images(store.paths(), images);
}

void prune_cache(container::Store& store, image::Store& images, bool all,
                 container::PruneReport& report) {
  container::remove_stale_build_containers(store);
  std::optional<FileLock> lock = try_removal_lock(store.paths());
  if (!lock) return;
  FileLock no_creates = container::image_use_lock(store.paths(), FileLock::Mode::exclusive);
  std::set<std::string> intermediate = intermediate_images(store.paths());
  container::Parents parents = image_parents(store.paths());
  std::vector<image::Image> present = images.list();
  // Without all, a kept image's steps are its cache: the ancestors of
  // every image that is not an unnamed step stay.
  std::set<std::string> needed;
  if (!all) {
    for (const auto& img : present) {
      if (img.names.empty() && intermediate.count(img.id)) continue;
      for (auto it = parents.find(img.id); it != parents.end() && needed.insert(it->second).second;
           it = parents.find(it->second)) {
      }
    }
  }
  std::set<std::string> used;
  for (const auto& r : store.list()) used.insert(r.image_id);
  std::vector<std::string> victims;  // newest first: children before parents
  for (const auto& img : present)
    if (img.names.empty() && intermediate.count(img.id) && !needed.count(img.id) &&
        !used.count(img.id))
      victims.push_back(img.id);
  container::PruneReport removed;
  container::remove_images(store, images, victims, removed);
  report.build_cache.insert(report.build_cache.end(), removed.images.begin(), removed.images.end());
  report.reclaimed += removed.reclaimed;
  // RUN --mount=type=cache directories: no build runs (the removal lock
  // says so), so none is in use. Their files have the ids of the steps
  // that wrote them: removed in the user namespace.
  std::string mounts = cache_dir(store.paths()) + "/mounts";
  if (is_directory(mounts)) {
    for (const auto& n : list_dir(mounts)) {
      if (!ends_with(n, ".id")) continue;
      std::string id = trim(read_file_if_exists(mounts + "/" + n).value_or(""));
      report.build_cache.push_back(n.substr(0, n.size() - 3) + (id.empty() ? "" : " (" + id + ")"));
    }
    int64_t before = usage(mounts);
    userns::run_in_userns(store.mapping(), [&] { remove_tree(mounts); });
    report.reclaimed += before;
  }
  if (all) {
    // Every step key and the context's hashes: the next build runs every step.
    std::string dir = cache_dir(store.paths());
    for (const auto& n : list_dir(dir))
      if (is_hex64(n)) remove_file(dir + "/" + n);
  }
  forget_removed_images(store.paths(), images);
}

}  // namespace tug::build
