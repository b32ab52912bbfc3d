#pragma once
// Single-file images: a squashfs holding the image's flattened rootfs (all
// layers applied, whiteouts honoured) and, under /.tug/, what `run` needs of
// the image: config.json (the OCI image config byte for byte, so its sha256
// is the image's id) and image.json ({"names": [...]}, for `load`).
// Written by squashfs-tools' sqfstar from a tar stream, mounted by
// squashfuse (storage::RootfsPlan::squashfs); never unpacked.
#include <string>

#include "image/store.hpp"

namespace tug::image {

// "squashfs:PATH" names a squashfs file as an image (the transport syntax of
// docker-archive:PATH): true for that prefix.
bool is_squashfs_ref(const std::string& text);

// True when path's first bytes are a squashfs superblock's magic.
bool looks_like_squashfs(const std::string& path);

// The image in the squashfs file at path ("squashfs:" prefix allowed): its
// absolute path in Image::squashfs, its config from /.tug/config.json (an
// empty config for a squashfs made by another tool: the command must then
// be given). Error(not_found) for a missing file, Error(invalid) for one
// that is not squashfs, Error(corrupt) for one squashfs-tools cannot read.
Image open_squashfs(const std::string& path);

// Writes the image ref names as a squashfs file at out_path (replaced
// atomically). Layers are flattened in a user namespace with the store's
// mapping, so owners in the file are the container's ids.
void save_squashfs(const Store& store, const std::string& ref, const std::string& out_path);

// `tug load` of a squashfs file: a store entry that points at the file
// (open_squashfs rules), named as /.tug/image.json says.
Image load_squashfs(Store& store, const std::string& path);

}  // namespace tug::image
