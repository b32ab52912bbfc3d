#pragma once
// The image store's half of `tug system check` (container/check.hpp does the
// rest and calls this): what a crash, a full disk or a hand in the store
// left behind, named one problem at a time, and with repair removed so that
// a later pull or load restores what was lost.
//
// What is checked (the store's own images only: additional stores are read,
// never judged):
//   - every image record parses, is named by its id, and has its config blob;
//     a squashfs-backed image still has its file;
//   - every layer of every image is complete: its directory, its layer.json
//     (written last, see Staging::commit) and its diff; its blob is present;
//   - unless quick: each layer's files against its blob (image::verify_layer:
//     the blob is re-read, its digest and diff id compared with the record,
//     and every file of the extracted tree compared by type, size, sha256 of
//     its content, symlink target and mode with what extracting the blob
//     makes), so a changed, missing or added file is found;
//   - no orphaned layer (one no image and no container uses), no dangling
//     short link in l/, no staging or trash directory in tmp/ of a process
//     that is gone, no "NAME.tmp-PID" file of atomic_write's whose process
//     is gone.
// Repair removes a damaged image (its record: its layers then go as
// orphans) unless a container uses it, records that do not parse, orphaned
// layers (made invisible first: Store::discard_layers_locked), dangling
// links, stale staging and temp files.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "image/store.hpp"

namespace tug::image {

struct Problem {
  std::string kind;    // image, layer, link, temp (container/check adds its kinds)
  std::string object;  // a short id with a name, or a path under the data root
  std::string what;    // what is wrong
  std::string fix;     // what repair does ("removed the image"); empty: repair cannot
  bool fixed = false;
};

struct CheckOptions {
  bool quick = false;
  bool repair = false;
  // What the containers use (found by the layer above): their layers are
  // never orphans, and an image a container uses is never removed. With
  // containers_unknown (a container record that does not parse survives),
  // no layer counts as orphaned and no damaged image is removed: the
  // unreadable record may use them.
  std::set<std::string> container_layers;               // diff ids
  std::map<std::string, std::string> container_images;  // image id -> a container's name
  bool containers_unknown = false;
};

struct CheckReport {
  std::vector<Problem> problems;
  int images = 0;    // image records looked at
  int layers = 0;    // layer directories looked at
  int verified = 0;  // layers whose files were compared with their blob
  // Images repair removed, as "NAME (ID)": a pull or load restores them.
  std::vector<std::string> removed_images;
};

// Checks (and with o.repair repairs) the image store, under the store lock:
// shared to look, exclusive to repair. The caller holds the image-use lock
// (container::image_use_lock) when repairing, so no create starts using an
// image being removed.
CheckReport check_store(Store& store, const CheckOptions& o);

// The process a name of tug's temporary files belongs to: "NAME.tmp-PID"
// (atomic_write), "img-PID-XXXXXX" and "PREFIX-PID-XXXXXX" (staging and
// TempDir). 0 when the name carries none.
pid_t temp_owner(const std::string& name);
// Whether a process with that pid exists.
bool process_alive(pid_t pid);
// Adds a problem of kind "temp" for each "NAME.tmp-PID" file in dir whose
// process is gone (rel: how dir is shown, relative to the data root), and
// with repair removes it.
void check_temp_files(const std::string& dir, const std::string& rel, bool repair,
                      std::vector<Problem>& out);

}  // namespace tug::image
