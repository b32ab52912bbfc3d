// tug __monitor-restart ID COUNT: not for users. tug-monitor execs it to
// start its container again under the restart policy; it execs tug-monitor
// back, so the monitor's pid never changes.
#include "cli/commands.hpp"
#include "container/lifecycle.hpp"

namespace tug::cli {

void register_monitor_restart(CLI::App& app, Globals& g) {
  struct Flags {
    std::string id;
    int count = 0;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "__monitor-restart", "");  // empty: hidden from help
  c->add_option("ID", f->id)->required();
  c->add_option("COUNT", f->count)->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    container::restart_in_place(store, g.images(), store.get(f->id), f->count);
  });
}

}  // namespace tug::cli
