// tug top and tug stats: a running container's processes and their use of
// CPU and memory, read from /proc (no cgroup needed).
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

void register_stats(CLI::App& app, Globals& g) {
  struct Flags {
    bool no_stream = false, all = false;
    std::string format;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "stats", "Display a live stream of container resource usage");
  c->add_flag("--no-stream", f->no_stream, "Print one sample and exit");
  c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
  c->add_option("--format", f->format, "Format output using a template or json");
  c->add_option("CONTAINER", f->names, "Containers (default: all running)");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    std::vector<container::Record> recs;
    if (f->names.empty()) {
      for (const auto& r : store.list())
        if (store.state(r.id).status == "running") recs.push_back(r);
    } else {
      for (const auto& n : f->names) recs.push_back(store.get(n));
    }
    long hz = ::sysconf(_SC_CLK_TCK);
    for (;;) {
      // CPU % over a 500 ms window, docker's way: 100% is one core busy.
      std::map<std::string, uint64_t> before;
      for (const auto& r : recs) {
        uint64_t t = 0;
        if (store.state(r.id).status == "running")
          for (const auto& p : container::processes_of(store.state(r.id).pid))
            t += p.utime + p.stime;
        before[r.id] = t;
      }
      struct timespec a, b;
      ::clock_gettime(CLOCK_MONOTONIC, &a);
      ::usleep(500000);
      ::clock_gettime(CLOCK_MONOTONIC, &b);
      double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
      std::vector<json> rows;
      for (const auto& r : recs) {
        container::State st = store.state(r.id);
        uint64_t t = 0;
        int64_t rss = 0;
        size_t pids = 0;
        if (st.status == "running") {
          for (const auto& p : container::processes_of(st.pid)) {
            t += p.utime + p.stime;
            rss += p.rss;
            ++pids;
          }
        }
        double cpu = 100.0 * static_cast<double>(t - std::min(t, before[r.id])) / hz / secs;
        char cpu_text[32];
        std::snprintf(cpu_text, sizeof cpu_text, "%.2f%%", cpu);
        rows.push_back(json{{"ID", r.id.substr(0, 12)},
                            {"Name", r.name},
                            {"CPUPerc", cpu_text},
                            {"MemUsage", human_size(rss) + " / -"},
                            {"MemBytes", rss},
                            {"PIDs", std::to_string(pids)},
                            // No cgroup on this path: limits and I/O counters are unknown.
                            {"MemPerc", "--"},
                            {"NetIO", "--"},
                            {"BlockIO", "--"}});
      }
      if (!f->no_stream) std::fputs("\033[2J\033[H", stdout);
      print_rows(rows, f->format,
                 {{"CONTAINER ID", "ID"},
                  {"NAME", "Name"},
                  {"CPU %", "CPUPerc"},
                  {"MEM USAGE / LIMIT", "MemUsage"},
                  {"MEM %", "MemPerc"},
                  {"NET I/O", "NetIO"},
                  {"BLOCK I/O", "BlockIO"},
                  {"PIDS", "PIDs"}});
      std::fflush(stdout);
      if (f->no_stream) return;
    }
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
