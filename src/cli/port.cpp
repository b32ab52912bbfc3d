// tug port / tug container port: the published ports of a container.
#include <cstdio>

#include "cli/commands.hpp"
#include "container/container.hpp"
#include "network/ports.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

void setup_port(CLI::App* c, Globals& g) {
  struct Flags {
    std::string container, port;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("CONTAINER", f->container, "Container")->required();
  c->add_option("PRIVATE_PORT", f->port, "A container port, PORT[/PROTOCOL]");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record r = store.get(f->container);
    container::State st = store.state(r.id);
    std::string want = f->port;
    if (!want.empty() && want.find('/') == std::string::npos) want += "/tcp";
    bool found = false;
    // Only a running container has ports: free host ports are chosen at
    // each start.
    if (st.status == "running") {
      for (const std::string& d : st.ports) {
        auto p = network::parse_described(d);
        if (!p) continue;
        std::string key = std::to_string(p->container_port) + "/" + p->protocol;
        std::string host =
            (p->host_ip.empty() ? "0.0.0.0" : p->host_ip) + ":" + std::to_string(p->host_port);
        if (want.empty()) {
          std::printf("%s -> %s\n", key.c_str(), host.c_str());
        } else if (key == want) {
          std::printf("%s\n", host.c_str());
          found = true;
        }
      }
    }
    if (!want.empty() && !found)
      throw Error(Errc::not_found, "no public port " + quote(want) + " published for " + r.name, "",
                  1);
  });
}

void register_port(CLI::App& app, Globals& g) {
  setup_port(add_command(app, "port", "List port mappings or a specific mapping for the container"),
             g);
}

}  // namespace tug::cli
