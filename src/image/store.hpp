#pragma once
// The image store: content-addressed blobs, extracted layers and image
// records, on the layout of config/paths.hpp:
//   blobs/sha256/<hex>          verified blobs (layer tarballs as received,
//                               configs, manifests)
//   layers/<diffid-hex>/diff    extracted layer (overlay lower dir)
//   layers/<diffid-hex>/layer.json
//   l/<short>  -> ../layers/<diffid-hex>/diff   short names for mount options
//   images/<id>.json            image record; id = hex of the config digest
// Changes take the store lock (Paths::store_lock()). Layers are extracted
// into tmp/ inside the user namespace and renamed into place only when
// complete, so a crash never leaves a half layer under layers/.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "userns/userns.hpp"
#include "util/json.hpp"

namespace tug::image {

struct Layer {
  std::string diff_id;      // "sha256:..." of the uncompressed tar
  std::string digest;       // "sha256:..." of the blob as stored (maybe compressed)
  std::string media_type;   // OCI/docker media type of the blob
  int64_t blob_size = 0;    // bytes of the blob
  int64_t size = 0;         // bytes of extracted content (for `images` SIZE)
};

struct Image {
  std::string id;                  // 64 hex digits (config digest without "sha256:")
  std::vector<std::string> names;  // fully qualified refs, "docker.io/library/busybox:latest"
  std::string digest;              // manifest digest "sha256:..." (as saved by `tug save`)
  std::string created;             // RFC 3339, from the config
  json config;                     // the whole OCI image config (architecture, config, rootfs, history)
  std::vector<Layer> layers;       // bottom first
  int64_t size = 0;                // sum of layer sizes

  // Config.Env, Config.Cmd ... of the image config, empty when absent.
  const json& runtime_config() const;
};

class Store {
 public:
  Store(const Paths& paths, const userns::Mapping& mapping);

  // Finds by full or short name ("busybox", "busybox:1.36",
  // "localhost:5000/x@sha256:..."), full id, "sha256:<id>", or a unique id
  // prefix. nullopt if nothing matches.
  std::optional<Image> find(const std::string& name_or_id) const;
  // As find(), but throws Error(not_found) "NAME: image not known".
  Image get(const std::string& name_or_id) const;
  std::vector<Image> list() const;

  // Path of a layer's extracted tree, and its short link relative to the data
  // root ("l/ABCDEFGHIJ") used in overlay lowerdir options.
  std::string layer_dir(const std::string& diff_id) const;
  std::string layer_link(const std::string& diff_id) const;
  std::string blob_path(const std::string& digest) const;

  // Points name at image id (moving it from any other image).
  void tag(const std::string& id, const std::string& name);
  // Removes name from its image; returns the image id it pointed at.
  std::string untag(const std::string& name);
  // Deletes the image record and the layers and blobs no other image uses.
  // Returns the removed layer diff ids (for rmi's Deleted: lines).
  void remove(const std::string& id);

  const Paths& paths() const { return paths_; }
  const userns::Mapping& mapping() const { return mapping_; }

 private:
  Paths paths_;
  userns::Mapping mapping_;
};

}  // namespace tug::image
