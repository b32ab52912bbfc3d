#pragma once
// The image store: content-addressed blobs, extracted layers and image
// records, on the layout of config/paths.hpp:
//   blobs/sha256/<hex>          verified blobs (layer tarballs as received,
//                               configs, manifests), so save/push reproduce
//                               the exact digests
//   layers/<diffid-hex>/diff    extracted layer (overlay lower dir)
//   layers/<diffid-hex>/layer.json   {"diff_id", "link", "size"}
//   l/<short>  -> ../layers/<diffid-hex>/diff   short names for mount options
//   images/<id>.json            image record; id = hex of the config digest
// Changes take the store lock (Paths::store_lock()). Layers are extracted
// into tmp/ inside the user namespace and renamed into place only when
// complete and verified, so a crash never leaves a half layer under layers/;
// staging directories of dead processes are removed by the next writer.
// Additional image stores (Paths::additional_stores, other tug roots) are
// read, never written: their images are found and listed after the store's
// own, and their layers used in place as lower dirs (by absolute path).
// Readers take no lock: every record is replaced atomically.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "userns/userns.hpp"
#include "util/json.hpp"
#include "util/lock.hpp"

namespace tug::image {

struct Layer {
  std::string diff_id;     // "sha256:..." of the uncompressed tar
  std::string digest;      // "sha256:..." of the blob as stored (maybe compressed)
  std::string media_type;  // OCI/docker media type of the blob
  int64_t blob_size = 0;   // bytes of the blob
  int64_t size = 0;        // bytes of the uncompressed tar (for `images` SIZE)
};

struct Image {
  std::string id;                  // 64 hex digits (config digest without "sha256:")
  std::vector<std::string> names;  // fully qualified refs, "docker.io/library/busybox:latest"
  std::string digest;              // manifest digest "sha256:..." (as saved by `tug save`)
  std::string created;             // RFC 3339, from the config
  json config;                // the whole OCI image config (architecture, config, rootfs, history)
  std::vector<Layer> layers;  // bottom first
  int64_t size = 0;           // sum of layer sizes (a squashfs image: the file's size)
  // A squashfs-backed entry (`tug load` of a `save --format squashfs` file):
  // no layers; the file (absolute path) is mounted as the rootfs, never
  // unpacked nor copied, and rmi leaves it alone.
  std::string squashfs;
  // "" for the store's own images; else the read-only additional image
  // store (storage.conf additionalimagestores) it was found in.
  std::string store;

  // Config.Env, Config.Cmd ... of the image config, empty when absent.
  const json& runtime_config() const;
};

class Store {
 public:
  Store(const Paths& paths, const userns::Mapping& mapping);

  // Finds by full or short name ("busybox", "busybox:1.36",
  // "localhost:5000/x@sha256:..."), full id, "sha256:<id>", or a unique id
  // prefix (podman's order: id, name, short name, id prefix). nullopt if
  // nothing matches; Error(invalid) if a prefix or short name is ambiguous.
  std::optional<Image> find(const std::string& name_or_id) const;
  // As find(), but throws Error(not_found) "NAME: image not known".
  Image get(const std::string& name_or_id) const;
  // The name of img that text refers to ("busybox" -> its
  // "docker.io/library/busybox:latest"); nullopt when text names it by id.
  std::optional<std::string> matching_name(const Image& img, const std::string& text) const;
  // Every image, newest first.
  std::vector<Image> list() const;

  // Path of a layer's extracted tree, and its short link relative to the data
  // root ("l/ABCDEFGHIJKLMNOP") used in overlay lowerdir options. layer_link
  // recreates a link lost in a crash. A layer only an additional store has
  // is its absolute diff path there.
  std::string layer_dir(const std::string& diff_id) const;
  std::string layer_link(const std::string& diff_id) const;
  std::string blob_path(const std::string& digest) const;
  bool has_layer(const std::string& diff_id) const;
  // What keeps a layer of the store's own from being used: "" when it is
  // complete, else "missing", "incomplete (no layer.json)" or "its files
  // (diff) are missing". A layer only an additional store has is complete.
  std::string layer_damage(const std::string& diff_id) const;
  // Error(corrupt) for an image that cannot be used because a layer is
  // damaged, naming the image and the layer and pointing to `tug system
  // check --repair`; nothing when every layer is complete.
  void require_complete(const Image& img) const;
  // The manifest bytes recorded for an image (stored at load or generated).
  std::string manifest(const Image& img) const;

  // Points name (fully qualified, see parse_reference) at image id, moving it
  // from any other image.
  void tag(const std::string& id, const std::string& name);
  // Removes name from its image; returns the image id it pointed at.
  std::string untag(const std::string& name);
  // Deletes the image record and the layers and blobs no other image uses;
  // with no Staging open anywhere, also every other blob no image uses (as
  // prune_blobs).
  // The caller checks that no container uses the image.
  void remove(const std::string& id);
  // Under the store lock (the caller holds it): makes the layers invisible
  // at once (each renamed whole into a trash directory of tmp/ named like a
  // staging one, its short link removed), then deletes them, so that no
  // load or pull ever reuses a half-deleted layer.
  void discard_layers_locked(const std::vector<std::string>& diff_ids);

  // Records a squashfs-backed image whose config is config_bytes (its id is
  // their sha256, as for any image), moving names to it. Error(exists) when
  // the store holds that image unpacked already.
  Image add_squashfs(const std::string& config_bytes, const std::vector<std::string>& names,
                     const std::string& file);

  // Removes staging directories left in tmp/ by processes that died.
  void clean_stale_staging();

  // The image an image record describes (its config read from the blob).
  Image from_record(const json& rec) const;

  // Removes the blobs no image refers to: layers that failed or interrupted
  // pulls verified and kept for the next pull. Only while no Staging is open
  // anywhere (each holds staging.lock shared): a running pull may be about
  // to use or record them. Returns the bytes freed, or nullopt when a pull
  // (load, import, build) is in progress and nothing was removed.
  std::optional<int64_t> prune_blobs();

  const Paths& paths() const { return paths_; }
  const userns::Mapping& mapping() const { return mapping_; }

 private:
  friend class Staging;
  std::vector<json> records() const;
  std::optional<json> additional_record(const std::string& id) const;
  void write_record(const Image& img, const std::string& manifest_digest) const;
  void drop_name_locked(const std::string& name, const std::string& keep_id);
  // Under the store lock: unlinks the blobs whose hex is not in used_hex;
  // returns the bytes freed.
  int64_t remove_unused_blobs_locked(const std::set<std::string>& used_hex);

  Paths paths_;
  userns::Mapping mapping_;
};

// A set of new layers, blobs and images built in tmp/ and moved into the
// store in one step by commit(); destroying an uncommitted Staging removes
// everything it extracted (inside the user namespace). This is how load,
// import (and later commit and pull) add images: stage, verify, commit.
class Staging {
 public:
  explicit Staging(Store& store);
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  // Scratch directory for blobs being received; files placed here can be
  // handed to add_layer/add_blob_file without a copy.
  const std::string& dir() const { return dir_; }

  // Extracts a layer blob (gzip, zstd or plain tar) into staging, or, when
  // the store or this staging already has expected_diff_id, only hashes it.
  // The returned Layer holds the measured digests: the caller compares them
  // with what the manifest and config promise. media_type empty = derived
  // from the compression. The blob file is moved into the store at commit.
  // With a stream, the blob's bytes are read from stream->read_fd instead of
  // blob_file (a pull extracts a layer while it downloads); the writer is
  // another thread of this process, so the extraction child closes its copy
  // of stream->write_fd to see the end of the stream.
  struct BlobStream {
    int read_fd = -1;
    int write_fd = -1;
  };
  Layer add_layer(const std::string& blob_file, const std::string& media_type = {},
                  const std::string& expected_diff_id = {}, const BlobStream* stream = nullptr);
  // Stores small blobs (config, manifest) by content; returns "sha256:<hex>".
  std::string add_blob(const std::string& bytes);

  // Records an image to create at commit. manifest empty = generate an OCI
  // manifest from config and layers. names are fully qualified references.
  void add_image(const std::string& config_bytes, const std::string& manifest,
                 const std::vector<Layer>& layers, const std::vector<std::string>& names);

  // Under the store lock: moves layers and blobs into place, writes the image
  // records, moves names. Returns the images as now stored.
  std::vector<Image> commit();

 private:
  struct Pending {
    std::string config;
    std::string manifest;
    std::vector<Layer> layers;
    std::vector<std::string> names;
  };
  Store& store_;
  FileLock in_progress_;  // staging.lock, shared: keeps prune_blobs away
  std::string dir_;
  std::map<std::string, std::string> staged_layers_;  // diff_id -> staged layer dir
  std::map<std::string, std::string> staged_blobs_;   // digest -> staged file
  std::vector<Pending> images_;
  bool committed_ = false;
};

// Generates the OCI manifest tug records for an image that came without one
// (docker-archive, import): config and layer descriptors in order.
std::string make_oci_manifest(const std::string& config_bytes, const std::vector<Layer>& layers);

}  // namespace tug::image
