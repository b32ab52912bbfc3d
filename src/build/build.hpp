#pragma once
// `tug build`: runs a Containerfile/Dockerfile the way docker's classic
// builder does. Every instruction of a stage is a step that commits an
// image: RUN runs in a real container (container::create/start on the
// previous step's image) and COPY/ADD write into the previous image's
// rootfs mounted privately in a user namespace; either makes one layer from
// the overlay upper dir (whiteouts for deletions). The other instructions
// only change the config and add a history entry marked empty_layer.
//
// The cache: every step's image is kept (untagged, marked as a build
// intermediate) under a key of its parent image, the instruction as
// resolved (args substituted, build args in effect for RUN) and, for
// COPY/ADD, a hash of every copied file (name, mode, owners, bytes).
// <data>/build-cache/<key> names the image; a step whose key has an image
// still in the store is skipped ("--> Using cache").
//
// RUN --mount (build/mounts.hpp) gives a step's container bind, cache,
// tmpfs, secret and ssh mounts outside its overlay: none of them reaches
// the layer, and the mount points the runtime made are removed from it.
// Cache mounts live in the store (build-cache/mounts/) across builds.
//
// Nothing outlives a failed build but the cache: RUN containers are removed,
// rootfs mounts live only in the user namespace of the step that made them,
// and scratch directories are under tmp/ (swept by the image store if the
// CLI is killed).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::build {

struct Options {
  std::string context;    // directory
  std::string file;       // -f; empty: CONTEXT/Containerfile, else CONTEXT/Dockerfile
  std::string file_text;  // the Dockerfile's text when file is "-" (read by the caller)
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> build_args;  // --build-arg K=V
  std::string target;                                           // --target
  std::vector<std::string> labels;                              // --label K=V
  std::string network;  // RUN containers' network; empty: host (see docs/architecture.md)
  std::vector<std::string> ulimits;  // --ulimit NAME=SOFT[:HARD] of RUN containers
  bool no_cache = false, layers = true, squash = false, quiet = false, pull = false;
  bool squash_all = false;  // --squash-all: the base image's layers too, into one
  // --secret: id -> the bytes RUN --mount=type=secret gives (never stored,
  // logged or part of a cache key).
  std::map<std::string, std::string> secrets;
  // --ssh: id -> an agent socket (absolute path) RUN --mount=type=ssh binds.
  std::map<std::string, std::string> ssh;
  // --timestamp: every created time and every file time of the new layers
  // (the same context then gives the same image id).
  std::optional<int64_t> timestamp;
  // --output: "local" (dest a directory) or "tar" (dest a file) of the
  // final stage's files; empty: none.
  std::string output_type, output_dest;
  // Makes a base image named in FROM (or COPY --from) available: called
  // when the store lacks it, and for every base with --pull. The builder
  // never talks to a registry itself.
  std::function<void(const std::string& reference)> pull_image;
};

struct Result {
  std::string id;                  // 64 hex
  std::vector<std::string> names;  // fully qualified tags
};

// Builds; progress lines and RUN output go to stdout/stderr unless quiet.
// Error(...) names the Dockerfile and line of the failing instruction.
Result build(container::Store& containers, image::Store& images, const Options& opts);

}  // namespace tug::build
