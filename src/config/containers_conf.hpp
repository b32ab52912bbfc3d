#pragma once
// containers.conf(5), the keys that map to what tug does. Files are read as
// podman reads them: /usr/share/containers/containers.conf, then
// /etc/containers/containers.conf, then $XDG_CONFIG_HOME/containers/
// containers.conf (~/.config/...), each followed by the *.conf files of its
// containers.conf.d/ directory in lexical order. $CONTAINERS_CONF, when set,
// replaces that list (only that file is read); $CONTAINERS_CONF_OVERRIDE is
// read last, on top. A later file overrides an earlier one key by key: a
// key a later file leaves out keeps its earlier value.
//
// The values are defaults: the command line overrides them
// (container/conf_defaults.hpp applies them to CreateOptions).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tug {

struct ContainersConf {
  std::vector<std::string> files;    // read, in order
  std::vector<std::string> ignored;  // "table.key" tug does not use, once each, sorted

  // [containers]
  std::vector<std::string> env;  // KEY=VALUE, the lowest-priority environment
  bool env_host = false;
  // Replaces tug's default capability set; unset keeps docker's set. The
  // copy in /usr/share/containers is podman's packaged default (it leaves
  // out NET_RAW, MKNOD and AUDIT_WRITE), not a choice of this host's admin
  // or user, so only /etc, the user's files and $CONTAINERS_CONF* set it.
  std::optional<std::vector<std::string>> default_capabilities;
  std::vector<std::string> default_ulimits;  // NAME=SOFT[:HARD]
  std::vector<std::string> dns_servers, dns_searches, dns_options;
  std::optional<bool> init;
  std::string log_driver;
  std::optional<int64_t> log_size_max;  // bytes; -1: no limit
  std::string log_tag;
  std::optional<int64_t> pids_limit;  // 0: no limit
  std::string userns;
  std::string shm_size;              // e.g. "65536k"
  std::vector<std::string> volumes;  // SRC:DST[:OPTS], added to every container
  std::vector<std::string> devices;  // SRC[:DST][:PERMS]

  // [engine]
  std::string events_logger;  // file|none|journald
  std::optional<int> stop_timeout;
  std::string pull_policy;              // always|missing|never|newer
  std::string image_default_transport;  // only docker:// is supported

  // [network]
  std::string default_rootless_network_cmd;  // slirp4netns|pasta
};

// One file's text with the path that names it in errors.
struct ConfFile {
  std::string path;
  std::string text;
};

// Merges the files in order (later keys win) and extracts the known keys.
// Throws Error(invalid) naming the file and line of a TOML syntax error,
// or the file, key and expected type of a value of the wrong type, or a
// value tug cannot honour (an image_default_transport other than docker://).
ContainersConf parse_containers_conf(const std::vector<ConfFile>& files);

// The paths to read, in order, from the environment and the file system
// (drop-in directories listed); files that do not exist are left out.
std::vector<std::string> containers_conf_paths();

// The configuration of this process: read once, then cached. Throws as
// parse_containers_conf.
const ContainersConf& containers_conf();

}  // namespace tug
