// tug start: start created or exited containers, optionally attached.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/container_flags.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

std::vector<std::string> select_containers(container::Store& store,
                                           const std::vector<std::string>& filters) {
  std::vector<std::pair<std::string, std::string>> want;
  for (const auto& f : filters) {
    auto [k, v] = split_once(f, '=');
    if (k != "restart-policy" && k != "label" && k != "name" && k != "id")
      throw Error(Errc::usage, "invalid filter " + quote(f),
                  "use restart-policy=POLICY, label=KEY[=VALUE], name=NAME or id=ID");
    want.emplace_back(k, v);
  }
  std::vector<std::string> ids;
  for (const auto& r : store.list()) {
    if (r.infra) continue;  // started with its pod's members
    bool ok = true;
    for (const auto& [k, v] : want) {
      if (k == "restart-policy")
        ok &= r.spec.restart_policy == v || split_once(r.spec.restart_policy, ':').first == v;
      else if (k == "name")
        ok &= r.name == v;
      else if (k == "id")
        ok &= r.id.rfind(v, 0) == 0;
      else {
        auto [lk, lv] = split_once(v, '=');
        auto it = r.labels.find(lk);
        ok &= it != r.labels.end() && (v.find('=') == std::string::npos || it->second == lv);
      }
    }
    if (ok) ids.push_back(r.name);
  }
  return ids;
}

void register_start(CLI::App& app, Globals& g) {
  struct Flags {
    bool attach = false, interactive = false, all = false;
    std::vector<std::string> names, filters;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "start", "Start one or more stopped containers");
  c->add_flag("-a,--attach", f->attach, "Attach STDOUT/STDERR and forward signals");
  c->add_flag("-i,--interactive", f->interactive, "Attach container's STDIN");
  c->add_flag("--all", f->all, "Start all containers (those --filter selects)");
  c->add_option("--filter", f->filters,
                "With --all: restart-policy=POLICY, label=KEY[=VALUE], name=NAME, id=ID")
      ->allow_extra_args(false);
  c->add_option("CONTAINER", f->names, "Containers to start");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    if (!f->filters.empty() && !f->all) throw Error(Errc::usage, "--filter works with --all only");
    if (f->all) {
      if (!f->names.empty()) throw Error(Errc::usage, "--all and container names conflict");
      f->names = select_containers(store, f->filters);
    } else if (f->names.empty()) {
      throw Error(Errc::usage, "requires at least 1 container, or --all");
    }
    if (f->attach && f->names.size() > 1)
      throw Error(Errc::usage, "you cannot start and attach multiple containers at once");
    int failures = 0;
    for (const auto& name : f->names) {
      container::Record rec = store.get(name);
      if (store.state(rec.id).status == "running") {
        if (!f->attach) out(name);
        continue;
      }
      container::StartOptions so = start_options(g, rec, f->attach);
      container::Running running;
      try {
        running = container::start(store, g.images(), rec, so);
      } catch (const Error& e) {
        // Another start won the race: it runs, which is what was asked.
        if (e.code() != Errc::in_use || f->attach) {
          if (!f->all) throw;
          // --all (tug-restart.service): one failure must not keep the others down.
          std::fputs(("Error: " + name + ": " + e.what() + "\n").c_str(), stderr);
          ++failures;
          continue;
        }
        out(name);
        continue;
      }
      if (!f->attach) {
        out(name);
        continue;
      }
      if (!f->interactive) rec.spec.stdin_open = false;
      int code = container::attach_session(store, rec, running.attach.get(), running.pid);
      if (code == container::kDetached) return;  // it runs on; as in run
      if (rec.auto_remove) container::remove(store, rec, true);
      g.exit_code = code;
    }
    if (failures) g.exit_code = kExitToolError;
  });
}

}  // namespace tug::cli
