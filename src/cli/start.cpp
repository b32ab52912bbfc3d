// tug start: start created or exited containers, optionally attached.
#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_start(CLI::App& app, Globals& g) {
  struct Flags {
    bool attach = false, interactive = false;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "start", "Start one or more stopped containers");
  c->add_flag("-a,--attach", f->attach, "Attach STDOUT/STDERR and forward signals");
  c->add_flag("-i,--interactive", f->interactive, "Attach container's STDIN");
  c->add_option("CONTAINER", f->names, "Containers to start")->required();
  c->callback([f, &g] {
    if (f->attach && f->names.size() > 1)
      throw Error(Errc::usage, "you cannot start and attach multiple containers at once");
    container::Store store(g.paths(), g.mapping());
    for (const auto& name : f->names) {
      container::Record rec = store.get(name);
      if (store.state(rec.id).status == "running") {
        if (!f->attach) out(name);
        continue;
      }
      container::StartOptions so;
      so.attach = f->attach;
      container::Running running;
      try {
        running = container::start(store, g.images(), rec, so);
      } catch (const Error& e) {
        // Another start won the race: it runs, which is what was asked.
        if (e.code() != Errc::in_use || f->attach) throw;
        out(name);
        continue;
      }
      if (!f->attach) {
        out(name);
        continue;
      }
      if (!f->interactive) rec.spec.stdin_open = false;
      g.exit_code = container::attach_session(store, rec, running.attach.get(), running.pid);
    }
  });
}

}  // namespace tug::cli
