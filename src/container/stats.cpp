#include "container/stats.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "container/processes.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

int64_t mono_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t host_memory() {
  auto text = read_file_if_exists("/proc/meminfo").value_or("");
  std::istringstream in(text);
  std::string key;
  int64_t kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") return kb * 1024;
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

std::optional<int64_t> read_number(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  std::string t = trim(*text);
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::atoll(t.c_str());
}

}  // namespace

uint64_t parse_cpu_stat_usage(const std::string& text) {
  std::istringstream in(text);
  std::string key;
  uint64_t v = 0;
  while (in >> key >> v)
    if (key == "usage_usec") return v;
  return 0;
}

void parse_io_stat(const std::string& text, uint64_t* read, uint64_t* write) {
  *read = *write = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0"
    for (const auto& field : split(line, ' ')) {
      auto [k, v] = split_once(field, '=');
      if (k == "rbytes") *read += std::strtoull(v.c_str(), nullptr, 10);
      if (k == "wbytes") *write += std::strtoull(v.c_str(), nullptr, 10);
    }
  }
}

void parse_net_dev(const std::string& text, uint64_t* rx, uint64_t* tx) {
  *rx = *tx = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    if (trim(line.substr(0, colon)) == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    uint64_t v[9] = {};
    for (auto& x : v) f >> x;
    *rx += v[0];  // receive bytes
    *tx += v[8];  // transmit bytes
  }
}

Usage sample_usage(const State& st) {
  Usage u;
  u.taken_ns = mono_ns();
  if (st.status != "running" || st.pid <= 0) return u;
  std::vector<ProcessInfo> procs = processes_of(st.pid);
  if (procs.empty()) return u;  // ended since the state was read
  u.running = true;
  const std::string& cg = st.cgroup;
  if (auto text = cg.empty() ? std::nullopt : read_file_if_exists(cg + "/cpu.stat")) {
    u.cpu_usec = parse_cpu_stat_usage(*text);
    u.cpu_from_cgroup = true;
  } else {
    uint64_t ticks = 0;
    for (const auto& p : procs) ticks += p.utime + p.stime;
    u.cpu_usec = ticks * 1000000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  }
  if (auto cur = cg.empty() ? std::nullopt : read_number(cg + "/memory.current")) {
    u.mem_usage = *cur;
    u.mem_from_cgroup = true;
    if (auto max = read_number(cg + "/memory.max")) u.mem_limit = *max;
  } else {
    for (const auto& p : procs) u.mem_usage += p.rss;
  }
  if (u.mem_limit <= 0) u.mem_limit = host_memory();
  if (auto n = cg.empty() ? std::nullopt : read_number(cg + "/pids.current"))
    u.pids = *n;
  else
    u.pids = static_cast<int64_t>(procs.size());
  if (auto io = cg.empty() ? std::nullopt : read_file_if_exists(cg + "/io.stat")) {
    parse_io_stat(*io, &u.blk_read, &u.blk_write);
  } else {
    // Readable only for processes we may ptrace: those of our own uid.
    for (const auto& p : procs) {
      auto text = read_file_if_exists("/proc/" + std::to_string(p.pid) + "/io");
      if (!text) continue;
      std::istringstream in(*text);
      std::string key;
      uint64_t v = 0;
      while (in >> key >> v) {
        if (key == "read_bytes:") u.blk_read += v;
        if (key == "write_bytes:") u.blk_write += v;
      }
    }
  }
  if (auto net = read_file_if_exists("/proc/" + std::to_string(st.pid) + "/net/dev"))
    parse_net_dev(*net, &u.net_rx, &u.net_tx);
  return u;
}

double cpu_percent(const Usage& before, const Usage& after) {
  int64_t wall = after.taken_ns - before.taken_ns;
  if (wall <= 0 || after.cpu_usec < before.cpu_usec) return 0.0;
  return 100.0 * static_cast<double>(after.cpu_usec - before.cpu_usec) * 1000.0 /
         static_cast<double>(wall);
}

}  // namespace tug::container
