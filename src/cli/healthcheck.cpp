// tug healthcheck run CONTAINER: runs the container's check once now and
// records it, as the monitor does every interval. Exit 0 when the
// container is healthy afterwards, 1 when not (podman's convention).
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
    std::string status = container::run_healthcheck(store, r);
    if (status == "healthy") return;
    // Still in its start period a failure leaves it "starting": not healthy either.
    out(status);
    g.exit_code = 1;
  });
}

}  // namespace tug::cli
