#pragma once
// Resource use of a running container for `tug stats`. Each figure comes
// from the container's own cgroup v2 files where it has a cgroup and the
// file exists (cpu.stat is always there; memory.current, io.stat and
// pids.current need their controllers delegated), else from /proc: the
// processes sharing the container's pid namespace (CPU ticks, RSS, count,
// /proc/PID/io where readable). Network counters come from
// /proc/<pid>/net/dev, which shows the container's network namespace.
#include <stdint.h>

#include <string>

#include "container/container.hpp"

namespace tug::container {

struct Usage {
  int64_t taken_ns = 0;   // CLOCK_MONOTONIC when sampled
  uint64_t cpu_usec = 0;  // CPU time used, all processes
  int64_t mem_usage = 0;  // bytes
  int64_t mem_limit = 0;  // bytes: memory.max, else the host's memory
  uint64_t net_rx = 0, net_tx = 0;
  uint64_t blk_read = 0, blk_write = 0;
  int64_t pids = 0;
  bool running = false;
  bool cpu_from_cgroup = false, mem_from_cgroup = false;
};

// Samples a running container (st.pid, st.cgroup); zeros if it is gone.
Usage sample_usage(const State& st);

// docker's CPU %: CPU time between two samples over the wall time, 100%
// being one core busy.
double cpu_percent(const Usage& before, const Usage& after);

// Parsers of the cgroup and /proc files (unit-tested).
uint64_t parse_cpu_stat_usage(const std::string& cpu_stat);  // usage_usec
void parse_io_stat(const std::string& io_stat, uint64_t* read, uint64_t* write);
// Sum over the interfaces but lo of /proc/net/dev's receive and transmit bytes.
void parse_net_dev(const std::string& net_dev, uint64_t* rx, uint64_t* tx);

}  // namespace tug::container
