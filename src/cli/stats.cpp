// tug stats: a live table of the containers' resource use (docker's
// columns), refreshed every second until Ctrl-C; --no-stream prints one.
// The figures come from container/stats.hpp (cgroup files, else /proc).
#include "container/stats.hpp"

#include <unistd.h>

#include <cstdio>
#include <map>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/container.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// docker's units: binary with four significant digits for memory
// ("1.5MiB"), decimal with three for network and block I/O ("1.23kB").
std::string binary_size(double v) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (v >= 1024.0 && u < 5) v /= 1024.0, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%s", v, units[u]);
  return buf;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

}  // namespace

void register_stats(CLI::App& app, Globals& g) {
  struct Flags {
    bool no_stream = false, all = false, no_trunc = false;
    std::string format;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "stats", "Display a live stream of container resource usage");
  c->add_flag("--no-stream", f->no_stream, "Print one sample and exit");
  c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
  c->add_flag("--no-trunc", f->no_trunc, "Do not truncate output");
  c->add_option("--format", f->format, "Format output using a template, table or json");
  c->add_option("CONTAINER", f->names, "Containers (default: all running)");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    std::vector<container::Record> named;
    for (const auto& n : f->names) named.push_back(store.get(n));
    // Without names the set is looked up at each refresh: containers that
    // start later appear, as in docker.
    auto current = [&] {
      if (!named.empty()) return named;
      std::vector<container::Record> recs;
      for (auto& r : store.list())
        if (!r.build && (f->all || store.state(r.id).status == "running"))
          recs.push_back(std::move(r));
      return recs;
    };
    std::map<std::string, container::Usage> prev;
    auto sample_all = [&](const std::vector<container::Record>& recs) {
      std::map<std::string, container::Usage> out;
      for (const auto& r : recs) out[r.id] = container::sample_usage(store.state(r.id));
      return out;
    };
    std::vector<container::Record> recs = current();
    prev = sample_all(recs);
    for (;;) {
      // CPU % needs two samples: the first table comes after one interval.
      ::usleep(1000000);
      recs = current();
      std::map<std::string, container::Usage> now = sample_all(recs);
      std::vector<json> rows;
      for (const auto& r : recs) {
        const container::Usage& u = now[r.id];
        auto p = prev.find(r.id);
        bool running = u.running;
        double cpu = p == prev.end() ? 0.0 : container::cpu_percent(p->second, u);
        double mem_pct = u.mem_limit > 0 ? 100.0 * static_cast<double>(u.mem_usage) /
                                               static_cast<double>(u.mem_limit)
                                         : 0.0;
        std::string id = f->no_trunc ? r.id : r.id.substr(0, 12);
        rows.push_back(
            json{{"ID", id},
                 {"Container", id},
                 {"Name", r.name},
                 {"CPUPerc", running ? percent(cpu) : "--"},
                 {"MemUsage", running ? binary_size(static_cast<double>(u.mem_usage)) + " / " +
                                            binary_size(static_cast<double>(u.mem_limit))
                                      : "-- / --"},
                 {"MemPerc", running ? percent(mem_pct) : "--"},
                 {"NetIO", running ? human_size(static_cast<int64_t>(u.net_rx)) + " / " +
                                         human_size(static_cast<int64_t>(u.net_tx))
                                   : "-- / --"},
                 {"BlockIO", running ? human_size(static_cast<int64_t>(u.blk_read)) + " / " +
                                           human_size(static_cast<int64_t>(u.blk_write))
                                     : "-- / --"},
                 {"PIDs", running ? std::to_string(u.pids) : "--"},
                 // Raw figures for scripts (not in docker's output).
                 {"CPUTimeUsec", u.cpu_usec},
                 {"MemBytes", u.mem_usage},
                 {"MemLimitBytes", u.mem_limit},
                 {"CPUSource", u.cpu_from_cgroup ? "cgroup" : "proc"},
                 {"MemSource", u.mem_from_cgroup ? "cgroup" : "proc"}});
      }
      prev = std::move(now);
      if (!f->no_stream) std::fputs("\033[2J\033[H", stdout);
      std::string format = f->format == "table" ? "" : f->format;
      print_rows(rows, format,
                 {{"CONTAINER ID", "ID"},
                  {"NAME", "Name"},
                  {"CPU %", "CPUPerc"},
                  {"MEM USAGE / LIMIT", "MemUsage"},
                  {"MEM %", "MemPerc"},
                  {"NET I/O", "NetIO"},
                  {"BLOCK I/O", "BlockIO"},
                  {"PIDS", "PIDs"}});
      std::fflush(stdout);
      if (f->no_stream || std::ferror(stdout)) return;
    }
  });
}

}  // namespace tug::cli
