#pragma once
// The processes of a running container, found through /proc: every process
// whose pid namespace is the one of the container's first process. This
// works without cgroups, so top and stats work on hosts that delegate none.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tug::container {

struct ProcessInfo {
  pid_t pid = 0;       // host pid
  pid_t ppid = 0;      // host ppid
  uid_t uid = 0;       // host uid
  uint64_t utime = 0;  // clock ticks
  uint64_t stime = 0;
  uint64_t start = 0;  // ticks since boot
  int64_t rss = 0;     // bytes
  std::string tty;     // "?" or "pts/0"
  std::string cmd;     // cmdline, spaces between arguments
};

// Processes sharing init_pid's pid namespace (init_pid included).
std::vector<ProcessInfo> processes_of(pid_t init_pid);

// Parses one /proc/PID/stat line (for unit tests).
bool parse_proc_stat(const std::string& text, ProcessInfo* out);

}  // namespace tug::container
