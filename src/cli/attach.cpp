// tug attach: connect the terminal to a running container's monitor.
#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug::cli {

void register_attach(CLI::App& app, Globals& g) {
  struct Flags {
    bool no_stdin = false;
    std::string name;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "attach", "Attach to a running container");
  c->add_flag("--no-stdin", f->no_stdin, "Do not attach STDIN");
  c->add_option("CONTAINER", f->name, "Container")->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record rec = store.get(f->name);
    container::State st = store.state(rec.id);
    if (st.status != "running")
      throw Error(Errc::invalid, "you cannot attach to a stopped container, start it first");
    UniqueFd sock = container::connect_attach(store.paths(), rec);
    if (f->no_stdin) rec.spec.stdin_open = false;
    container::emit_event(store, rec, "attach");
    container::AttachStreams streams;
    streams.owner = false;
    int code = container::attach_session(store, rec, sock.get(), st.pid, streams);
    g.exit_code = code == container::kDetached ? 0 : code;
  });
}

}  // namespace tug::cli
