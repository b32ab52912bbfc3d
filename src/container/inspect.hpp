#pragma once
// `tug inspect` for containers: the record and state in docker's JSON shape
// (Id, State, Config, HostConfig, Mounts, GraphDriver, ...), so scripts
// written for `docker inspect --format '{{.State.Pid}}'` keep working.
#include <string>

#include "container/container.hpp"
#include "network/networks.hpp"
#include "util/json.hpp"

namespace tug::container {

// What inspect shows that is not in the record itself.
struct InspectContext {
  std::string container_dir;  // containers/<id>
  std::string lower_dirs;     // image layer dirs, top first, ':'-separated
  // The image's runtime config (Entrypoint, Cmd); lets inspect split the
  // recorded argv back into Entrypoint and Cmd. Null when the image is gone.
  json image_config;
  // The image's manifest digest ("sha256:..."; podman's ImageDigest), empty
  // when the image is gone.
  std::string image_digest;
  // The user-defined networks the container is on (NetworkSettings.Networks).
  std::vector<network::Network> networks;
  // health.json (container/health.hpp) when the container has a check.
  json health;
};

// Pure: the docker-shaped object for one container.
json inspect_json(const Record& r, const State& s, const InspectContext& ctx);

// Docker's zero time, shown for times that never happened.
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

}  // namespace tug::container
