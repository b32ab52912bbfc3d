// tug network: user-defined networks are not implemented yet. The verbs
// exist so that a docker user's `network create` gets a clear answer, not
// a usage error.
#include "cli/commands.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_network(CLI::App& app, Globals&) {
  CLI::App* net = add_command(app, "network", "Manage networks (user-defined networks: not yet)");
  net->require_subcommand(1);
  for (const char* verb : {"create", "ls", "inspect", "rm", "connect", "disconnect", "prune"}) {
    CLI::App* c = add_command(*net, verb, std::string("Not implemented yet: ") + verb);
    c->fallthrough(false);
    c->prefix_command();  // whatever follows the verb is not parsed: it all gets the answer
    c->callback([verb] {
      throw Error(
          Errc::unsupported,
          std::string("tug network ") + verb + ": user-defined networks are not implemented yet",
          "containers get a network of their own (slirp4netns, or --network pasta); "
          "containers that must talk to each other can share a pod (tug pod create, run "
          "--pod) or a network (--network container:NAME)");
    });
  }
}

}  // namespace tug::cli
