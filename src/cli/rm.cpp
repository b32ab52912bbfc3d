// tug rm: remove containers (killing running ones with -f).
#include <cstdio>

#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "container/pod.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "volume/volume.hpp"

namespace tug::cli {

void setup_rm(CLI::App* c, Globals& g) {
  struct Flags {
    bool force = false, all = false, volumes = false, ignore = false;
    int timeout = -1;
    std::vector<std::string> names, cidfiles;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-f,--force", f->force, "Force the removal of a running container (uses SIGKILL)");
  c->add_flag("-a,--all", f->all, "Remove all containers");
  c->add_flag("-v,--volumes", f->volumes, "Remove anonymous volumes associated with the container");
  c->add_flag("-i,--ignore", f->ignore, "Ignore errors when a specified container is missing");
  c->add_option("--cidfile", f->cidfiles, "Read the container ID from the file")
      ->allow_extra_args(false);
  c->add_option("-t,--time", f->timeout,
                "Seconds to wait for a running container to stop (with -f) before killing it");
  c->add_option("CONTAINER", f->names, "Containers to remove");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    std::vector<std::string> targets = f->names;
    append_cidfile_ids(f->cidfiles, f->ignore, targets);
    if (targets.empty() && !f->cidfiles.empty()) return;  // --ignore: nothing there
    // rm -f -a: a pod's infra container goes with its pod (after the
    // others), so nothing is left that only `pod rm` could remove.
    std::vector<std::pair<std::string, std::string>> infra_pods;  // infra id, pod id
    if (f->all)
      for (const auto& r : store.list()) {
        if (r.build) continue;  // a build's own (a killed one's go with prune)
        if (f->force && r.infra && path_exists(g.paths().pods() + "/" + r.pod + "/pod.json"))
          infra_pods.emplace_back(r.id, r.pod);
        else
          targets.push_back(r.id);
      }
    container::order_for_removal(store, targets);
    // -a on an empty store has nothing to do, as with podman; no names at all
    // is a usage error.
    if (targets.empty() && !f->all)
      throw Error(Errc::usage, "must specify at least one container to remove");
    int failures = 0;
    for (const auto& name : targets) {
      try {
        container::Record r = store.get(name);
        // -t: a running container gets its stop signal and that long first.
        if (f->force && f->timeout >= 0) container::stop(store, r, f->timeout);
        container::remove(store, r, f->force);
        // -v takes the container's anonymous volumes with it; named ones stay.
        if (f->volumes) container::remove_anonymous_volumes(store, r);
        out(name);
      } catch (const Error& e) {
        if ((f->force || f->ignore) && e.code() == Errc::not_found) continue;
        std::fputs(("Error: " + std::string(e.what()) + "\n").c_str(), stderr);
        ++failures;
      }
    }
    if (!infra_pods.empty()) {
      container::PodStore pods(store, g.images());
      for (const auto& [infra, pod] : infra_pods) {
        try {
          if (auto p = pods.find(pod)) pods.remove(*p, true);
          out(infra);
        } catch (const Error& e) {
          if (e.code() == Errc::not_found) continue;  // another rm was quicker
          std::fputs(("Error: " + std::string(e.what()) + "\n").c_str(), stderr);
          ++failures;
        }
      }
    }
    if (failures) g.exit_code = 1;
  });
}

void register_rm(CLI::App& app, Globals& g) {
  setup_rm(add_command(app, "rm", "Remove one or more containers"), g);
}

}  // namespace tug::cli
