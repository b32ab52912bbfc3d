// tug update / tug container update (docker update): new resource limits
// and restart policy for containers, created or running.
#include "container/update.hpp"

#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

struct UpdateFlags {
  std::string memory, memory_swap, memory_reservation, kernel_memory, cpus, cpuset_cpus,
      cpuset_mems, restart;
  int64_t cpu_shares = 0, cpu_period = 0, cpu_quota = 0, pids_limit = 0, blkio_weight = 0;
  std::vector<std::string> containers;
};

// docker's flag errors: exit 125, the flag named as its help names it.
[[noreturn]] void bad_value(const std::string& value, const std::string& flag,
                            const std::string& why) {
  throw Error(Errc::usage,
              "invalid argument " + quote(value) + " for " + quote(flag) + " flag: " + why,
              "see 'tug update --help'");
}

std::optional<int64_t> size_flag(const std::string& v, const char* flag) {
  if (v.empty()) return std::nullopt;
  int64_t n = 0;
  try {
    n = parse_size(v);
  } catch (const Error& e) {
    bad_value(v, flag, e.what());
  }
  // docker: 0 leaves the value as it is.
  return n == 0 ? std::nullopt : std::optional<int64_t>(n);
}

std::optional<int64_t> nonzero(int64_t v) {
  return v == 0 ? std::nullopt : std::optional<int64_t>(v);
}

container::UpdateOptions options_of(const UpdateFlags& f, CLI::App* c) {
  container::UpdateOptions o;
  auto& l = o.limits;
  l.memory = size_flag(f.memory, "-m, --memory");
  if (f.memory_swap == "-1")
    l.memory_swap = -1;
  else
    l.memory_swap = size_flag(f.memory_swap, "--memory-swap");
  l.memory_reservation = size_flag(f.memory_reservation, "--memory-reservation");
  if (!f.kernel_memory.empty()) {
    size_flag(f.kernel_memory, "--kernel-memory");
    // docker's words (its daemon ignores the limit on cgroup v2 too).
    log_warn(
        "Specifying a kernel memory limit is deprecated and will be removed in a future "
        "release.");
  }
  if (!f.cpus.empty()) {
    char* end = nullptr;
    double v = std::strtod(f.cpus.c_str(), &end);
    if (end == f.cpus.c_str() || *end || v < 0) bad_value(f.cpus, "--cpus", "invalid number");
    if (v > 0) l.cpus = v;
  }
  l.cpu_shares = nonzero(f.cpu_shares);
  l.cpu_period = nonzero(f.cpu_period);
  l.cpu_quota = nonzero(f.cpu_quota);
  l.pids = nonzero(f.pids_limit);
  if (f.blkio_weight < 0 || f.blkio_weight > 65535)
    bad_value(std::to_string(f.blkio_weight), "--blkio-weight", "value out of range");
  l.blkio_weight = nonzero(f.blkio_weight);
  if (!f.cpuset_cpus.empty()) l.cpuset_cpus = f.cpuset_cpus;
  if (!f.cpuset_mems.empty()) l.cpuset_mems = f.cpuset_mems;
  if (c->count("--restart")) o.restart = f.restart;
  return o;
}

}  // namespace

void setup_update(CLI::App* c, Globals& g) {
  auto f = std::make_shared<UpdateFlags>();
  c->add_option("--blkio-weight", f->blkio_weight,
                "Block IO (relative weight), between 10 and 1000, or 0 to disable");
  c->add_option("--cpu-period", f->cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
  c->add_option("--cpu-quota", f->cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
  c->add_option("-c,--cpu-shares", f->cpu_shares, "CPU shares (relative weight)");
  c->add_option("--cpus", f->cpus, "Number of CPUs");
  c->add_option("--cpuset-cpus", f->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  c->add_option("--cpuset-mems", f->cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  c->add_option("--kernel-memory", f->kernel_memory,
                "Kernel memory limit (accepted and ignored, as docker does on cgroup v2)");
  c->add_option("-m,--memory", f->memory, "Memory limit");
  c->add_option("--memory-reservation", f->memory_reservation, "Memory soft limit");
  c->add_option("--memory-swap", f->memory_swap,
                "Swap limit equal to memory plus swap: -1 to enable unlimited swap");
  c->add_option("--pids-limit", f->pids_limit, "Tune container pids limit (-1 for unlimited)");
  c->add_option("--restart", f->restart, "Restart policy to apply when a container exits");
  c->add_option("CONTAINER", f->containers, "Containers to update");
  c->callback([f, c, &g] {
    if (f->containers.empty())
      throw Error(Errc::usage, "requires at least 1 argument", "see 'tug update --help'");
    // docker counts the flags given, a 0 (no change) included.
    size_t given = 0;
    for (const CLI::Option* opt : c->get_options())
      if (opt->get_positional() == false && opt->count() > 0) ++given;
    if (given == 0)
      throw Error(Errc::usage, "you must provide one or more flags when using this command", "", 1);
    container::UpdateOptions opts = options_of(*f, c);
    container::Store store(g.paths(), g.mapping());
    for (const auto& name : f->containers) {
      try {
        for (const auto& w : container::update(store, store.get(name), opts)) log_warn(w);
        out(name);
      } catch (const Error& e) {
        // docker: every failure of the daemon's exits 1.
        std::fputs(("Error: " + std::string(e.what()) + "\n").c_str(), stderr);
        g.exit_code = 1;
      }
    }
  });
}

void register_update(CLI::App& app, Globals& g) {
  setup_update(add_command(app, "update", "Update configuration of one or more containers"), g);
}

}  // namespace tug::cli
