// tug attach: connect the terminal to a running container's monitor.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

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
    std::string path = container::attach_socket_path(store.paths(), rec.id);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (!sock || ::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
      throw_errno("connecting to the monitor of " + rec.name + " (" + path + ")");
    if (f->no_stdin) rec.spec.stdin_open = false;
    container::emit_event(store, rec, "attach");
    container::AttachStreams streams;
    streams.owner = false;
    int code = container::attach_session(store, rec, sock.get(), st.pid, streams);
    g.exit_code = code == container::kDetached ? 0 : code;
  });
}

}  // namespace tug::cli
