// tug system service [--time SECONDS] [URI]: the Docker Engine API for
// docker's own clients (api/). Flags only; the serving is api::serve.
#include "api/server.hpp"
#include "cli/commands.hpp"
#include "util/error.hpp"

namespace tug::cli {

void setup_system_service(CLI::App* c, Globals& g) {
  struct Flags {
    int time = 5;
    std::string uri;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-t,--time", f->time,
                "Seconds without a client before the service exits (0: never)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("URI", f->uri,
                "Where to listen: unix:///path or tcp://127.0.0.1:PORT (default: "
                "unix://$XDG_RUNTIME_DIR/tug/tug.sock, or fd 3 under socket activation)");
  c->callback([f, &g] {
    api::Context ctx(g.paths(), g.mapping());
    api::serve(ctx, {f->uri, f->time});
  });
}

}  // namespace tug::cli
