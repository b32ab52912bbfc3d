// `tug auto-update`: newer images for containers that run as systemd units.
// tug cannot restart a unit's container behind systemd's back (the unit
// would see its main process die and act on it), so the update goes through
// systemctl: the unit's ExecStart runs the container again from the image
// name, which now names the new image.
#include <algorithm>
#include <map>

#include "systemd/systemd.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::systemd {

namespace {

const char* kPolicyLabel = "io.containers.autoupdate";
const char* kUnitLabel = "PODMAN_SYSTEMD_UNIT";

// Runs `systemctl --user restart unit`; the error text when it fails.
std::optional<std::string> restart_unit(const AutoUpdateOptions& o, const std::string& unit) {
  CommandResult r;
  try {
    r = run_command({o.systemctl, "--user", "restart", unit});
  } catch (const Error& e) {
    return std::string(e.what());
  }
  if (r.status == 0) return std::nullopt;
  std::string why = r.err.empty() ? r.out : r.err;
  while (!why.empty() && why.back() == '\n') why.pop_back();
  return o.systemctl + " --user restart " + unit + " exited " + std::to_string(r.status) +
         (why.empty() ? "" : ": " + why);
}

}  // namespace

std::vector<AutoUpdateResult> auto_update(container::Store& containers, image::Store& images,
                                          const AutoUpdateOptions& o) {
  // One update per unit: several containers of one unit (a pod) share it.
  std::map<std::string, std::vector<container::Record>> by_unit;
  std::vector<AutoUpdateResult> results;
  for (auto& r : containers.list()) {
    auto policy = r.labels.find(kPolicyLabel);
    if (policy == r.labels.end()) continue;
    AutoUpdateResult res;
    res.container_id = r.id;
    res.container_name = r.name;
    res.image = r.image_name;
    res.policy = policy->second;
    auto unit = r.labels.find(kUnitLabel);
    if (policy->second != "registry" && policy->second != "image" && policy->second != "local") {
      res.updated = "failed";
      res.error =
          "unknown auto-update policy " + quote(policy->second) + " (use registry or local)";
    } else if (unit == r.labels.end() || unit->second.empty()) {
      res.updated = "failed";
      res.error = "container " + r.name + " does not run in a systemd unit (no " + kUnitLabel +
                  " label): generate one with `tug generate systemd --new` or a .container file";
    } else if (containers.state(r.id).status != "running") {
      continue;  // podman's rule: only running containers are updated
    } else {
      by_unit[unit->second].push_back(r);
      continue;
    }
    results.push_back(res);
  }
  for (auto& [unit, recs] : by_unit) {
    const container::Record& r = recs.front();
    AutoUpdateResult res;
    res.unit = unit;
    res.container_id = r.id;
    res.container_name = r.name;
    res.image = r.image_name;
    res.policy = r.labels.at(kPolicyLabel) == "local" ? "local" : "registry";
    try {
      auto local = images.find(r.image_name);
      bool newer = false;
      if (res.policy == "local") {
        // podman's local policy: the name now names another image of the
        // local store (a build, a load, a tag) than the one the container runs.
        if (!local)
          throw Error(Errc::not_found, "no image " + r.image_name + " in the local store");
        newer = local->id != r.image_id;
      } else {
        std::string local_digest = local ? local->digest : "";
        auto remote = registry::remote_digest(r.image_name, o.registry);
        if (!remote) throw Error(Errc::not_found, "the registry has no image " + r.image_name);
        newer = !(local && *remote == local_digest && local->id == r.image_id);
      }
      if (!newer) {
        res.updated = "false";
      } else if (o.dry_run) {
        res.updated = "pending";
      } else {
        // The image this container runs, to go back to.
        std::string previous = r.image_id;
        if (res.policy == "registry") {
          registry::Options ro = o.registry;
          ro.quiet = true;
          registry::pull(images, r.image_name, ro);
        }
        if (auto err = restart_unit(o, unit)) {
          log_warn("restarting " + unit + " with the new image of " + r.image_name + " failed (" +
                   *err + "): rolling back");
          images.tag(previous, r.image_name);
          if (auto err2 = restart_unit(o, unit))
            throw Error(Errc::generic, "rolling back " + unit + ": " + *err2);
          res.updated = "rolled back";
          res.error = *err;
        } else {
          res.updated = "true";
        }
      }
    } catch (const Error& e) {
      res.updated = "failed";
      res.error = e.what();
    }
    results.push_back(res);
  }
  return results;
}

}  // namespace tug::systemd
