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
// command exits with the last failure's code (1 for a container that does
// not exist, as docker; else 125).
// With ignore (podman's --ignore), a container that does not exist is not
// an error: a unit's ExecStop runs whether or not its container is there.
template <class F>
void for_each_container(Globals& g, const std::vector<std::string>& names, F fn,
                        bool ignore = false) {
  container::Store store(g.paths(), g.mapping());
  for (const auto& name : names) {
    try {
      fn(store, store.get(name), name);
    } catch (const Error& e) {
      if (ignore && e.code() == Errc::not_found) continue;
      std::fputs(("Error: " + std::string(e.what()) + "\n").c_str(), stderr);
      g.exit_code = e.exit_code();
    }
  }
}

}  // namespace

void register_stop(CLI::App& app, Globals& g) {
  struct Flags {
    int timeout = -1;
    bool ignore = false, all = false;
    std::vector<std::string> names, cidfiles, filters;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "stop", "Stop one or more running containers");
  c->add_flag("-a,--all", f->all, "Stop all containers (those --filter selects)");
  c->add_option("--filter", f->filters,
                "Stop the containers selected by restart-policy=, label=KEY[=VALUE], name=, "
                "id=, status= or exited=")
      ->allow_extra_args(false);
  c->add_option("-t,--time,--timeout", f->timeout, "Seconds to wait for stop before killing it");
  c->add_flag("-i,--ignore", f->ignore, "Ignore errors when a specified container is missing");
  c->add_option("--cidfile", f->cidfiles, "Read the container ID from the file")
      ->allow_extra_args(false);
  c->add_option("CONTAINER", f->names, "Containers to stop");
  c->callback([f, &g] {
    std::vector<std::string> names = f->names;
    append_cidfile_ids(f->cidfiles, f->ignore, names);
    // --all and --filter select every matching container, stopped ones too
    // (stopping them only keeps a restart policy from bringing them back),
    // and print full ids, as podman does.
    if (f->all || !f->filters.empty()) {
      if (!names.empty())
        throw Error(Errc::usage, "--all or --filter and container names conflict");
      container::Store store(g.paths(), g.mapping());
      names = select_containers(store, f->filters);
      if (names.empty()) return;
    }
    if (names.empty() && f->cidfiles.empty())
      throw Error(Errc::usage, "requires at least 1 container, or --cidfile");
    for_each_container(
        g, names,
        [&](container::Store& s, const container::Record& r, const std::string& name) {
          container::stop(s, r, f->timeout);
          out(name);
        },
        f->ignore);
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
  c->add_option("-t,--time,--timeout", f->timeout, "Seconds to wait for stop before killing it");
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
