#include "container/rootfs.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug::container {

storage::RootfsPlan rootfs_plan_of(const Store& store, const image::Store& images,
                                   const Record& rec) {
  std::string dir = store.dir(rec.id);
  storage::RootfsPlan p;
  p.driver = storage::parse_driver(rec.driver);
  p.data_root = store.paths().data;
  for (auto it = rec.layers.rbegin(); it != rec.layers.rend(); ++it)
    p.lowers.push_back(images.layer_link(*it));
  p.upper = dir + "/upper";
  p.work = dir + "/work";
  p.target = dir + "/merged";
  p.vfs_dir = dir + "/rootfs";
  p.volatile_upper = rec.auto_remove;
  apply_rootfs_source(p, rec, dir);
  return p;
}

void apply_rootfs_source(storage::RootfsPlan& p, const Record& rec, const std::string& dir) {
  if (!rec.squashfs.empty()) {
    p.squashfs = rec.squashfs;
    p.squashfs_mount = dir + "/sqfs";
    p.scratch = dir + "/scratch";
  } else if (!rec.rootfs_dir.empty()) {
    // podman's --rootfs: the directory itself is the container's /, bound
    // onto itself as the mount point (no directory of the record's).
    p.driver = storage::Driver::vfs;
    p.vfs_dir = rec.rootfs_dir;
    p.target = rec.rootfs_dir;
  }
}

void require_stopped(const Store& store, const Record& rec, const std::string& what) {
  if (store.state(rec.id).status == "running")
    throw Error(Errc::in_use, what + " a running container is not supported yet",
                "stop " + rec.name + " first");
}

void with_rootfs(const Store& store, const image::Store& images, const Record& rec,
                 const std::function<void(const std::string&)>& fn) {
  storage::RootfsPlan plan = rootfs_plan_of(store, images, rec);
  userns::run_in_userns(store.mapping(), [&] {
    storage::mount_rootfs(plan);
    fn(plan.target);
  });
}

std::string collect_in_userns(const userns::Mapping& m, const std::function<void(int)>& fn) {
  UniqueFd mem(::memfd_create("tug-collect", MFD_CLOEXEC));
  if (!mem) throw_errno("memfd_create");
  userns::run_in_userns(m, [&] { fn(mem.get()); });
  std::string text;
  char buf[1 << 16];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(mem.get(), buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading collected output");
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return text;
}

}  // namespace tug::container
