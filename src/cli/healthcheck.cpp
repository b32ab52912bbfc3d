// tug healthcheck run CONTAINER: runs the container's check once now and
// records it, as the monitor does every interval. Exit 0 when the check
// passed, 1 (and "unhealthy") when it failed, as podman's.
#include "cli/commands.hpp"
#include "container/health.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_healthcheck(CLI::App& app, Globals& g) {
  CLI::App* hc = add_command(app, "healthcheck", "Manage health checks on containers");
  hc->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  CLI::App* run = add_command(*hc, "run", "Run the health check of a container");
  run->add_option("CONTAINER", *name, "Container")->required();
  run->callback([name, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record r = store.get(*name);
    container::Health h = container::run_healthcheck(store, r);
    // podman's rule: this run's result decides, whatever the streak says.
    if (!h.log.empty() && h.log.back().exit_code == 0) return;
    out("unhealthy");
    g.exit_code = 1;
  });
}

}  // namespace tug::cli
