#pragma once
// containers.conf's defaults for a new container, applied to the options a
// front end (the CLI, a future API) built from what the user asked for:
// whatever the user gave wins, the configuration fills the rest.
#include "config/containers_conf.hpp"
#include "container/lifecycle.hpp"

namespace tug::container {

// Fills o from conf: env (and env_host) as default_env, the lowest priority
// below the image's Env and -e; default_capabilities as drops and adds ahead
// of --cap-drop/--cap-add; ulimits, volumes and devices ahead of the user's
// (a --ulimit of the same name or a -v on the same destination wins); dns_*
// when no --dns* is given; init; log_driver, log_size_max (max-size), log_tag
// (tag); pids_limit; userns; stop_timeout; default_rootless_network_cmd as the
// network when none is given and the container is in no pod.
void apply_conf_defaults(const ContainersConf& conf, CreateOptions& o);

}  // namespace tug::container
