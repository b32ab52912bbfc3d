// tug start: start created or exited containers, optionally attached.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/commands.hpp"
#include "cli/container_flags.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

std::vector<std::string> select_containers(container::Store& store,
                                           const std::vector<std::string>& filters) {
  // podman's rule: values of one key are alternatives, keys all apply.
  std::map<std::string, std::vector<std::string>> want;
  for (const auto& f : filters) {
    bool has_eq = false;
    auto [k, v] = split_once(f, '=', &has_eq);
    if (!has_eq || (k != "restart-policy" && k != "label" && k != "name" && k != "id" &&
                    k != "status" && k != "exited"))
      throw Error(Errc::usage, "invalid filter " + quote(f),
                  "use restart-policy=POLICY, label=KEY[=VALUE], name=NAME, id=ID, "
                  "status=STATUS or exited=CODE");
    want[k].push_back(v);
  }
  std::vector<std::pair<std::string, std::string>> found;  // id, name
  for (const auto& r : store.list()) {
    if (r.infra) continue;  // started with its pod's members
    if (r.build) continue;  // a build's RUN step
    std::optional<container::State> st;
    auto state = [&]() -> const container::State& {
      if (!st) st = store.state(r.id);
      return *st;
    };
    auto matches = [&](const std::string& k, const std::string& v) {
      if (k == "restart-policy")
        return r.spec.restart_policy == v || split_once(r.spec.restart_policy, ':').first == v;
      if (k == "name") return r.name == v;
      if (k == "id") return r.id.rfind(v, 0) == 0;
      if (k == "status") return (state().paused ? std::string("paused") : state().status) == v;
      if (k == "exited")
        return state().status == "exited" && std::to_string(state().exit_code) == v;
      auto [lk, lv] = split_once(v, '=');
      auto it = r.labels.find(lk);
      return it != r.labels.end() && (v.find('=') == std::string::npos || it->second == lv);
    };
    bool ok = true;
    for (const auto& [k, values] : want)
      ok = ok && std::any_of(values.begin(), values.end(),
                             [&](const std::string& v) { return matches(k, v); });
    if (ok) found.emplace_back(r.id, r.name);
  }
  // podman lists them in the order of its database: by id.
  std::sort(found.begin(), found.end());
  std::vector<std::string> ids;
  for (const auto& [id, name] : found) ids.push_back(id);
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
                "Start the containers selected by restart-policy=, label=KEY[=VALUE], name=, "
                "id=, status= or exited=")
      ->allow_extra_args(false);
  c->add_option("CONTAINER", f->names, "Containers to start");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    // --all and --filter print the full ids of what they selected, as podman.
    bool selecting = f->all || !f->filters.empty();
    if (selecting) {
      if (!f->names.empty())
        throw Error(Errc::usage, "--all or --filter and container names conflict");
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
      if (f->attach) container::emit_event(store, rec, "attach");  // before start, as docker
      try {
        running = container::start(store, g.images(), rec, so);
      } catch (const Error& e) {
        // Another start won the race: it runs, which is what was asked.
        if (e.code() != Errc::in_use || f->attach) {
          if (!selecting) throw;
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
