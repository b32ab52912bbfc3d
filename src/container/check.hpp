#pragma once
// `tug system check`'s look at the store (cli/system_check.cpp adds the
// host): the image store through image::check_store, and here what lives
// above it. Checked:
//   - containers: build containers whose build is gone (a killed `tug
//     build`; repair removes them, killing them if they still run), a
//     directory without its record (a create or rm that was
//     killed; its lock free), a record or state that does not parse, a
//     record whose image is gone or whose layers are damaged (it cannot
//     start again), a name claim that points at no container or at one of
//     another name, "NAME.tmp-PID" files of processes that are gone, a
//     member of a network without its address (an older tug's create,
//     killed; repair allocates one);
//   - volumes, networks, pods: records that parse, directories with their
//     record, temp files.
// Repair, under the image-use lock and the store lock (as rmi takes them):
// removes container directories without a usable record unless the
// container runs or a live process holds its lock, replaces a state.json
// that does not parse with an exited one (exit unknown), removes stale
// name claims, rewrites a volume record that does not parse (its files are
// kept: its labels and options are lost), removes network and pod records
// that do not parse when no container names them, then repairs the image
// store (image/check.hpp). A container whose image is gone or damaged is
// named, never removed: `tug rm` is the user's call. A running container's
// files are never touched.
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "image/check.hpp"
#include "userns/userns.hpp"

namespace tug::container {

struct StoreCheckOptions {
  bool quick = false;
  bool repair = false;
};

struct StoreCheckReport {
  std::vector<image::Problem> problems;
  int images = 0, layers = 0, verified = 0;
  int containers = 0, volumes = 0, networks = 0, pods = 0;
  std::vector<std::string> removed_images;  // "NAME (ID)": pull or load them again
};

StoreCheckReport check_store(const Paths& paths, const userns::Mapping& mapping,
                             const StoreCheckOptions& o);

}  // namespace tug::container
