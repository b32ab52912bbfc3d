#pragma once
// Container Device Interface (CDI, spec 0.3-0.8): vendor files in /etc/cdi and
// /var/run/cdi (YAML or JSON) that say what a device named
// "vendor.com/class=name" needs in a container: device nodes, mounts,
// environment and hooks. Pure parsing and resolution; the container module
// turns the edits into the container's Spec.
//
// Test hook / override: TUG_CDI_SPEC_DIRS="DIR[:DIR...]" replaces the
// default directories (later ones win a conflict, as /var/run/cdi wins
// over /etc/cdi).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tug::cdi {

struct DeviceNode {
  std::string path;       // in the container
  std::string host_path;  // on the host (defaults to path)
  std::string permissions;
};

struct Mount {
  std::string host_path;
  std::string container_path;
  std::vector<std::string> options;  // "ro", "bind", "rbind", "nosuid", ...
  std::string type;                  // "" or "bind"
};

struct Hook {
  std::string hook_name;  // createContainer, startContainer, ... (OCI hook stages)
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  int timeout = 0;  // seconds, 0: none
};

struct ContainerEdits {
  std::vector<std::string> env;
  std::vector<DeviceNode> device_nodes;
  std::vector<Mount> mounts;
  std::vector<Hook> hooks;
  void append(const ContainerEdits& other);
};

struct Device {
  std::string name;
  ContainerEdits edits;
};

struct Spec {
  std::string origin;  // the file
  std::string version;
  std::string kind;  // vendor.com/class
  std::vector<Device> devices;
  ContainerEdits edits;  // applied once for any of its devices
};

// Parses one spec file's text (YAML or JSON). Throws Error(invalid) naming
// origin and the problem.
Spec parse_spec(const std::string& text, const std::string& origin);

// Whether text looks like a CDI name: vendor.com/class=name.
bool is_qualified_name(const std::string& text);

// The spec directories in priority order (lowest first).
std::vector<std::string> spec_dirs();

// All specs found in dirs (*.yaml, *.yml, *.json). A file that does not
// parse is an error naming it.
std::vector<Spec> load_specs(const std::vector<std::string>& dirs);

// The merged edits of the named devices (each spec's own edits once, then
// each device's). Throws Error(not_found) for an unknown device, listing
// what the specs offer.
ContainerEdits resolve(const std::vector<Spec>& specs, const std::vector<std::string>& names);

}  // namespace tug::cdi
