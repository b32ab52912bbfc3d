// tug top: a running container's processes, read from /proc (no cgroup
// needed); pause and unpause.
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <map>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/container.hpp"
#include "container/lifecycle.hpp"
#include "container/processes.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

container::State running_state(container::Store& store, const container::Record& r) {
  container::State st = store.state(r.id);
  if (st.status != "running") throw Error(Errc::invalid, "container " + r.name + " is not running");
  return st;
}

std::string user_name(uid_t uid) {
  if (struct passwd* pw = ::getpwuid(uid)) return pw->pw_name;
  return std::to_string(uid);
}

std::string cpu_time(uint64_t ticks) {
  long hz = ::sysconf(_SC_CLK_TCK);
  uint64_t s = ticks / static_cast<uint64_t>(hz);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                static_cast<unsigned long long>(s / 60 % 60),
                static_cast<unsigned long long>(s % 60));
  return buf;
}

}  // namespace

void register_top(CLI::App& app, Globals& g) {
  auto name = std::make_shared<std::string>();
  CLI::App* c = add_command(app, "top", "Display the running processes of a container");
  c->add_option("CONTAINER", *name, "Container")->required();
  c->callback([name, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record r = store.get(*name);
    container::State st = running_state(store, r);
    std::vector<std::vector<std::string>> rows = {
        {"UID", "PID", "PPID", "C", "TTY", "TIME", "CMD"}};
    for (const auto& p : container::processes_of(st.pid))
      rows.push_back({user_name(p.uid), std::to_string(p.pid), std::to_string(p.ppid), "0", p.tty,
                      cpu_time(p.utime + p.stime), p.cmd});
    std::fputs(align_table(rows).c_str(), stdout);
  });
}

void register_pause(CLI::App& app, Globals& g) {
  for (const char* verb : {"pause", "unpause"}) {
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* c = add_command(app, verb,
                              std::string(verb == std::string("pause") ? "Pause" : "Unpause") +
                                  " all processes within one or more containers");
    c->add_option("CONTAINER", *names, "Containers")->required();
    c->callback([names, verb, &g] {
      container::Store store(g.paths(), g.mapping());
      bool pause = std::string(verb) == "pause";
      for (const auto& n : *names) {
        container::set_paused(store, store.get(n), pause);
        out(n);
      }
    });
  }
}

}  // namespace tug::cli
