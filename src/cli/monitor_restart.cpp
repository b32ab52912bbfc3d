// tug __monitor-restart ID COUNT: not for users. tug-monitor execs it to
// start its container again under the restart policy; it execs tug-monitor
// back, so the monitor's pid never changes.
// tug __pod-member-exited POD: not for users either. The monitor of a pod's
// member runs it after the member's final exit (pod exit policy stop).
#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "container/pod.hpp"

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
  auto pod = std::make_shared<std::string>();
  CLI::App* p = add_command(app, "__pod-member-exited", "");
  p->add_option("POD", *pod)->required();
  p->callback([pod, &g] {
    container::Store store(g.paths(), g.mapping());
    container::PodStore pods(store, g.images());
    // Removed meanwhile (pod rm): nothing left to stop.
    if (auto found = pods.find(*pod)) pods.member_exited(*found);
  });
}

}  // namespace tug::cli
