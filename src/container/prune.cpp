#include "container/prune.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "container/lifecycle.hpp"
#include "container/rootfs.hpp"
#include "runtime/executor.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

// Sizes of many directories, measured in one user namespace.
std::map<std::string, int64_t> usage_of(const userns::Mapping& m,
                                        const std::vector<std::string>& dirs) {
  std::map<std::string, int64_t> out;
  if (dirs.empty()) return out;
  std::string text = collect_in_userns(m, [&](int fd) {
    json j = json::object();
    for (const auto& d : dirs) j[d] = disk_usage(d);
    std::string s = j.dump();
    write_all(fd, s.data(), s.size());
  });
  json j = parse_json(text, "disk usage");
  for (const auto& d : dirs) out[d] = j.value(d, int64_t{0});
  return out;
}

// A container's own layer: its upper dir, or its full copy under vfs.
std::string writable_dir(const Store& store, const Record& r) {
  return store.dir(r.id) + (r.driver == "vfs" ? "/rootfs" : "/upper");
}

int64_t file_size(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_blocks) * 512 : 0;
}

}  // namespace

bool stale_build(const Record& r) {
  return r.build &&
         (r.build->pid <= 0 || runtime::process_start_time(r.build->pid) != r.build->start_time);
}

std::vector<Record> stale_build_containers(const Store& store) {
  std::vector<Record> out;
  for (auto& r : store.list())
    if (stale_build(r)) out.push_back(std::move(r));
  return out;
}

std::vector<std::string> remove_stale_build_containers(Store& store) {
  std::vector<std::string> removed;
  for (const auto& r : stale_build_containers(store)) {
    try {
      remove(store, r, true);
      removed.push_back(r.id);
    } catch (const Error& e) {
      if (e.code() != Errc::not_found)
        log_warn("cannot remove the container of a killed build " + r.id.substr(0, 12) + ": " +
                 e.what());
    }
  }
  return removed;
}

void prune_containers(Store& store, PruneReport& report) {
  std::vector<Record> victims;
  // A pod's infra container goes only with its pod (tug pod rm); a build's
  // only when its build is gone, running or not.
  for (const auto& r : store.list()) {
    if (r.infra || (r.build && !stale_build(r))) continue;
    if (stale_build(r) || store.state(r.id).status != "running") victims.push_back(r);
  }
  std::vector<std::string> dirs;
  // Reclaimed as docker counts it: the containers' writable layers.
  for (const auto& r : victims) dirs.push_back(writable_dir(store, r));
  auto sizes = usage_of(store.mapping(), dirs);
  for (const auto& r : victims) {
    try {
      remove(store, r, r.build.has_value());
      report.containers.push_back(r.id);
      report.reclaimed += sizes[writable_dir(store, r)];
    } catch (const Error& e) {
      // Started meanwhile, or removed by another prune: not ours to report.
      log_warn("cannot remove container " + r.name + ": " + e.what());
    }
  }
}

void add_orphaned_parents(const Store& store, const image::Store& images, const Parents& parents,
                          const std::set<std::string>& keep, std::set<std::string>& going) {
  std::map<std::string, image::Image> present;
  for (auto& img : images.list()) present.emplace(img.id, std::move(img));
  std::set<std::string> used;
  for (const auto& r : store.list()) used.insert(r.image_id);
  std::map<std::string, std::vector<std::string>> children;
  for (const auto& [child, parent] : parents)
    if (present.count(child)) children[parent].push_back(child);
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [child, parent] : parents) {
      if (!going.count(child) || going.count(parent)) continue;
      auto it = present.find(parent);
      if (it == present.end() || !it->second.names.empty() || used.count(parent) ||
          keep.count(parent))
        continue;
      const auto& kids = children[parent];
      if (std::all_of(kids.begin(), kids.end(),
                      [&](const std::string& k) { return going.count(k) > 0; })) {
        going.insert(parent);
        grew = true;
      }
    }
  }
}

void remove_images(const Store& store, image::Store& images, const std::vector<std::string>& ids,
                   PruneReport& report) {
  if (ids.empty()) return;
  std::set<std::string> used;
  for (const auto& r : store.list()) used.insert(r.image_id);
  // What goes is measured as what is missing afterwards: layers and blobs
  // shared with a kept image stay and are not counted.
  std::set<std::string> layer_dirs;
  std::map<std::string, int64_t> blob_sizes;
  for (const auto& img : images.list())
    for (const auto& l : img.layers) {
      layer_dirs.insert(images.layer_dir(l.diff_id));
      blob_sizes[images.blob_path(l.digest)] = file_size(images.blob_path(l.digest));
    }
  auto sizes = usage_of(store.mapping(), {layer_dirs.begin(), layer_dirs.end()});

  for (const auto& id : ids) {
    try {
      if (used.count(id)) throw Error(Errc::in_use, "image is in use by a container");
      image::Image img = images.get(id);
      for (const auto& n : img.names) {
        images.untag(n);
        report.untagged.push_back(n);
      }
      images.remove(img.id);
      report.images.push_back(img.id);
    } catch (const Error& e) {
      if (e.code() != Errc::not_found)
        log_warn("cannot remove image " + id.substr(0, 12) + ": " + e.what());
    }
  }
  for (const auto& [dir, size] : sizes)
    if (!path_exists(dir)) report.reclaimed += size;
  for (const auto& [blob, size] : blob_sizes)
    if (!path_exists(blob)) report.reclaimed += size;
}

void prune_images(const Store& store, image::Store& images, bool all, PruneReport& report,
                  const Parents& parents, const std::set<std::string>& keep) {
  // As rmi: no create may resolve an image between the in-use check and its
  // removal.
  FileLock no_creates = image_use_lock(store.paths(), FileLock::Mode::exclusive);
  std::set<std::string> used = keep;
  for (const auto& r : store.list()) used.insert(r.image_id);
  std::set<std::string> has_child;
  std::vector<image::Image> present = images.list();
  for (const auto& [child, parent] : parents)
    if (std::any_of(present.begin(), present.end(),
                    [&](const image::Image& i) { return i.id == child; }))
      has_child.insert(parent);
  // Dangling: untagged and no image built on it (docker's rule: an
  // intermediate image of a kept build is its cache, not garbage).
  std::set<std::string> going;
  for (const auto& img : present)
    if (!used.count(img.id) && (all || (img.names.empty() && !has_child.count(img.id))))
      going.insert(img.id);
  add_orphaned_parents(store, images, parents, keep, going);
  // Newest first, as listed: a child goes before its parent.
  std::vector<std::string> victims;
  for (const auto& img : present)
    if (going.count(img.id)) victims.push_back(img.id);
  remove_images(store, images, victims, report);
  // Blobs of failed pulls kept for the next one: garbage once no pull runs.
  if (auto freed = images.prune_blobs())
    report.reclaimed += *freed;
  else
    log_warn("a pull, load or build is in progress: the blobs it may use are kept");
}

namespace {

// Bytes in the regular files under dir (the build cache's records: small
// files of the user's own, readable without the user namespace).
int64_t files_usage(const std::string& dir) {
  int64_t total = 0;
  std::vector<std::string> names;
  try {
    names = list_dir(dir);
  } catch (const Error&) {
    return 0;  // e.g. a build cache mount's directory of another id
  }
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      total += files_usage(path);
    else if (S_ISREG(st.st_mode))
      total += static_cast<int64_t>(st.st_blocks) * 512;
  }
  return total;
}

}  // namespace

DiskUsage store_usage(const Store& store, const image::Store& images,
                      const std::set<std::string>& cache_images, const std::string& cache_dir) {
  std::vector<Record> ctrs = store.list();
  std::vector<image::Image> imgs, cached;
  for (auto& img : images.list()) (cache_images.count(img.id) ? cached : imgs).push_back(img);
  std::vector<std::string> vols;
  for (const auto& v : list_dir(store.paths().volumes()))
    if (is_directory(store.paths().volumes() + "/" + v)) vols.push_back(v);

  std::set<std::string> dirs;
  for (const auto& r : ctrs) dirs.insert(writable_dir(store, r));
  for (const auto& list : {&imgs, &cached})
    for (const auto& img : *list)
      for (const auto& l : img.layers) dirs.insert(images.layer_dir(l.diff_id));
  for (const auto& v : vols) dirs.insert(store.paths().volumes() + "/" + v);
  auto sizes = usage_of(store.mapping(), {dirs.begin(), dirs.end()});

  DiskUsage du;
  DfRow ir{"Images"}, cr{"Containers"}, vr{"Local Volumes"}, br{"Build Cache"};
  std::map<std::string, int> image_users, volume_links;
  const std::string prefix = store.paths().volumes() + "/";
  for (const auto& r : ctrs) {
    ++image_users[r.image_id];
    DfContainer dc{r};
    std::set<std::string> mounted;
    for (const auto& m : r.spec.mounts)
      if (starts_with(m.source, prefix))
        mounted.insert(
            m.source.substr(prefix.size(), m.source.find('/', prefix.size()) - prefix.size()));
    for (const auto& v : mounted) ++volume_links[v];
    dc.volumes = static_cast<int>(mounted.size());
    bool running = store.state(r.id).status == "running";
    dc.size = sizes[writable_dir(store, r)];
    ++cr.total;
    cr.size += dc.size;
    if (running)
      ++cr.active;
    else
      cr.reclaimable += dc.size;
    du.containers.push_back(std::move(dc));
  }
  // A layer counts once however many images share it; it is reclaimable
  // when no image in use has it.
  std::set<std::string> all_layers, active_layers;
  std::map<std::string, int> layer_images;
  for (const auto& img : imgs) {
    ++ir.total;
    bool active = image_users.count(img.id) > 0;
    if (active) ++ir.active;
    std::set<std::string> own;  // an image may list a layer twice
    for (const auto& l : img.layers) own.insert(l.diff_id);
    for (const auto& l : own) {
      all_layers.insert(l);
      ++layer_images[l];
      if (active) active_layers.insert(l);
    }
  }
  for (const auto& l : all_layers) {
    int64_t size = sizes[images.layer_dir(l)];
    ir.size += size;
    if (!active_layers.count(l)) ir.reclaimable += size;
  }
  for (const auto& img : imgs) {
    DfImage di{img};
    std::set<std::string> own;
    for (const auto& l : img.layers) own.insert(l.diff_id);
    for (const auto& l : own) {
      int64_t size = sizes[images.layer_dir(l)];
      di.size += size;
      (layer_images[l] > 1 ? di.shared : di.unique) += size;
    }
    if (!img.squashfs.empty()) di.size = di.unique = img.size;
    auto it = image_users.find(img.id);
    di.containers = it == image_users.end() ? 0 : it->second;
    du.images.push_back(std::move(di));
  }
  for (const auto& v : vols) {
    DfVolume dv{v};
    dv.size = sizes[prefix + v];
    auto it = volume_links.find(v);
    dv.links = it == volume_links.end() ? 0 : it->second;
    ++vr.total;
    vr.size += dv.size;
    if (dv.links > 0)
      ++vr.active;
    else
      vr.reclaimable += dv.size;
    du.volumes.push_back(std::move(dv));
  }
  // The cache's own: layers only its images have, each counted once.
  std::set<std::string> counted;
  for (const auto& img : cached) {
    DfCache dc{img};
    dc.in_use = image_users.count(img.id) > 0;
    for (const auto& l : img.layers) {
      if (all_layers.count(l.diff_id)) {
        dc.shared = true;
        continue;
      }
      if (!counted.insert(l.diff_id).second) continue;
      dc.size += sizes[images.layer_dir(l.diff_id)];
    }
    ++br.total;
    br.size += dc.size;
    if (dc.in_use)
      ++br.active;
    else
      br.reclaimable += dc.size;
    du.cache.push_back(std::move(dc));
  }
  if (!cache_dir.empty()) {
    int64_t records = files_usage(cache_dir);
    br.size += records;
    br.reclaimable += records;
  }
  du.rows = {ir, cr, vr, br};
  return du;
}

std::map<std::string, int64_t> writable_sizes(const Store& store, const std::vector<Record>& recs) {
  std::vector<std::string> dirs;
  for (const auto& r : recs) dirs.push_back(writable_dir(store, r));
  auto sizes = usage_of(store.mapping(), dirs);
  std::map<std::string, int64_t> out;
  for (const auto& r : recs) out[r.id] = sizes[writable_dir(store, r)];
  return out;
}

}  // namespace tug::container
