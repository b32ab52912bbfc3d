// tug stop / kill / restart / wait: signals and exits of running containers.
#include <signal.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "runtime/spec.hpp"
#include "util/error.hpp"

namespace tug::cli {

namespace {

// Applies fn to each named container; errors are reported per name and the
// command exits 125 if any failed (docker's behaviour for multi-target verbs).
template <class F>
void for_each_container(Globals& g, const std::vector<std::string>& names, F fn) {
  container::Store store(g.paths(), g.mapping());
  int failures = 0;
  for (const auto& name : names) {
    try {
      fn(store, store.get(name), name);
    } catch (const Error& e) {
      std::fputs(("Error: " + std::string(e.what()) + "\n").c_str(), stderr);
      ++failures;
    }
  }
  if (failures) g.exit_code = kExitToolError;
}

}  // namespace

void register_stop(CLI::App& app, Globals& g) {
  struct Flags {
    int timeout = -1;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "stop", "Stop one or more running containers");
  c->add_option("-t,--time", f->timeout, "Seconds to wait for stop before killing it");
  c->add_option("CONTAINER", f->names, "Containers to stop")->required();
  c->callback([f, &g] {
    for_each_container(
        g, f->names, [&](container::Store& s, const container::Record& r, const std::string& name) {
          container::stop(s, r, f->timeout);
          out(name);
        });
  });
}

void register_kill(CLI::App& app, Globals& g) {
  struct Flags {
    std::string signal = "KILL";
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "kill", "Kill one or more running containers with a signal");
  c->add_option("-s,--signal", f->signal, "Signal to send to the container (default KILL)");
  c->add_option("CONTAINER", f->names, "Containers to signal")->required();
  c->callback([f, &g] {
    int sig = runtime::signal_number(f->signal);
    for_each_container(
        g, f->names, [&](container::Store& s, const container::Record& r, const std::string& name) {
          container::kill(s, r, sig);
          out(name);
        });
  });
}

void register_restart(CLI::App& app, Globals& g) {
  struct Flags {
    int timeout = -1;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "restart", "Restart one or more containers");
  c->add_option("-t,--time", f->timeout, "Seconds to wait for stop before killing it");
  c->add_option("CONTAINER", f->names, "Containers to restart")->required();
  c->callback([f, &g] {
    for_each_container(
        g, f->names, [&](container::Store& s, const container::Record& r, const std::string& name) {
          container::stop(s, r, f->timeout);
          container::start(s, g.images(), r, {});
          container::emit_event(s, r, "restart");
          out(name);
        });
  });
}

void register_wait(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* c =
      add_command(app, "wait", "Block until containers stop, then print their exit codes");
  c->add_option("CONTAINER", *names, "Containers to wait for")->required();
  c->callback([names, &g] {
    for_each_container(g, *names,
                       [&](container::Store& s, const container::Record& r, const std::string&) {
                         out(std::to_string(container::wait_exit(s, r)));
                       });
  });
}

}  // namespace tug::cli
