#pragma once
// `tug commit`: a new image made of the container's image plus one layer
// holding the container's changes (its overlay upper dir, with overlay
// whiteouts written as ".wh." entries so any OCI tool reads the deletions).
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::container {

struct CommitOptions {
  std::string reference;             // REPO[:TAG]; empty = untagged
  std::vector<std::string> changes;  // -c: Dockerfile-style CMD, ENV, ...
  std::string message;               // -m: history comment
  std::string author;                // -a
};

// The image config of the commit: the parent's, with the container's own
// settings (docker's rule: Env, Cmd, Entrypoint, WorkingDir, User, Labels
// as the container ran), then the -c changes, the new layer's diff_id and a
// history entry. Pure, for unit tests.
json commit_config(const json& parent_config, const Record& rec, const std::string& diff_id,
                   const CommitOptions& opts, const std::string& now);

// Builds and stores the image; returns it. Containers of the vfs driver
// have no record of their changes: Error(unsupported).
image::Image commit(const Store& store, image::Store& images, const Record& rec,
                    const CommitOptions& opts);

}  // namespace tug::container
