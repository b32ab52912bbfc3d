#pragma once
// `tug update` (docker update): new resource limits and a new restart
// policy for an existing container. The record keeps them (inspect shows
// them, each start applies them); a running container's cgroup gets the
// limits at once where it can take them, and its monitor reads the restart
// policy from restart_policy_file() at each exit of the container.
#include <optional>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "container/container.hpp"

namespace tug::container {

struct UpdateOptions {
  cgroup::Limits limits;               // the limits to change, nothing else
  std::optional<std::string> restart;  // --restart
  bool any() const { return limits.any() || restart.has_value(); }
};

// Checks the new values, alone and against the record (docker's rules and
// words), then writes them. Throws Error(invalid) and changes nothing on a
// conflict. Returns warnings for the limits that do not take effect now:
// those this host cannot enforce at all, and for a running container those
// its cgroup cannot take (they apply from its next start).
std::vector<std::string> update(Store& store, const Record& r, const UpdateOptions& opts);

// containers/<id>/restart-policy: the policy `tug update --restart` set.
std::string restart_policy_file(const Store& store, const std::string& id);

}  // namespace tug::container
