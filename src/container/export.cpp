// export: a container's root filesystem as a tar stream.
#include "container/lifecycle.hpp"
#include "container/rootfs.hpp"
#include "image/layer.hpp"
#include "storage/driver.hpp"

namespace tug::container {

void export_rootfs(Store& store, const image::Store& images, const Record& rec, int out_fd) {
  storage::RootfsPlan rootfs = rootfs_plan_of(store, images, rec);
  userns::run_in_userns(store.mapping(), [&] {
    storage::mount_rootfs(rootfs);
    image::write_tar(rootfs.target, out_fd);
  });
}

}  // namespace tug::container
