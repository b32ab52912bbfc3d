#pragma once
// `image inspect`'s object: docker's shape (Id, RepoTags, RepoDigests,
// Config, RootFS, GraphDriver...) with podman's keys docker lacks. The CLI's
// `tug inspect`/`tug image inspect` and the API's GET /images/{name}/json
// both print it.
#include "image/store.hpp"
#include "util/json.hpp"

namespace tug::image {

json inspect_json(const Store& store, const Image& img);

}  // namespace tug::image
