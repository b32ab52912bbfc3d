#include "cgroup/cgroup.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cgroup {

namespace {

std::set<std::string> controllers(const std::string& file) {
  std::set<std::string> out;
  std::istringstream in(read_file_if_exists(file).value_or(""));
  std::string c;
  while (in >> c) out.insert(c);
  return out;
}

void write_cg(const std::string& file, const std::string& value) {
  try {
    write_file(file, value);
  } catch (Error& e) {
    e.add_context("writing " + value + " to " + file);
    throw;
  }
}

}  // namespace

Host detect(const std::string& proc_self_cgroup, const std::string& root) {
  Host h;
  std::istringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line))
    if (starts_with(line, "0::")) h.own = line.substr(3);
  h.root = root;
  h.v2 = !h.own.empty() && path_exists(root + "/cgroup.controllers");
  if (!h.v2) return h;
  std::string dir = root + (h.own == "/" ? "" : h.own);
  // What our cgroup may hand to children is what is enabled in its subtree
  // control; what could be enabled is in its own cgroup.controllers.
  h.delegated = controllers(dir + "/cgroup.controllers");
  h.writable = ::access(dir.c_str(), W_OK) == 0 &&
               ::access((dir + "/cgroup.subtree_control").c_str(), W_OK) == 0;
  return h;
}

Host detect_host() {
  std::string self = read_file_if_exists("/proc/self/cgroup").value_or("");
  struct statfs sf;
  bool unified_root =
      ::statfs("/sys/fs/cgroup", &sf) == 0 && static_cast<unsigned long>(sf.f_type) == 0x63677270UL;
  return detect(self, unified_root ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified");
}

std::vector<std::string> unapplied(const Limits& l, const Host& h) {
  std::vector<std::string> out;
  auto need = [&](bool wanted, const char* flag, const char* ctrl) {
    if (!wanted) return;
    std::string why;
    if (!h.v2)
      why = "this host has no cgroup v2 hierarchy";
    else if (!h.writable)
      why = "your cgroup (" + h.own + ") is not delegated to you";
    else if (!h.delegated.count(ctrl))
      why = std::string("the ") + ctrl + " controller is not delegated to you";
    if (!why.empty()) out.push_back(std::string(flag) + ": " + why);
  };
  need(l.memory.has_value(), "--memory", "memory");
  need(l.memory_swap.has_value(), "--memory-swap", "memory");
  need(l.cpus.has_value(), "--cpus", "cpu");
  need(l.cpu_shares.has_value(), "--cpu-shares", "cpu");
  need(l.pids.has_value(), "--pids-limit", "pids");
  return out;
}

std::vector<std::pair<std::string, std::string>> limit_files(const Limits& l) {
  std::vector<std::pair<std::string, std::string>> f;
  if (l.memory) f.emplace_back("memory.max", std::to_string(*l.memory));
  if (l.memory_swap) {
    // docker's --memory-swap is memory plus swap; v2 limits swap alone.
    std::string v =
        *l.memory_swap < 0
            ? "max"
            : std::to_string(std::max<int64_t>(0, *l.memory_swap - l.memory.value_or(0)));
    f.emplace_back("memory.swap.max", v);
  }
  if (l.cpus) {
    const int64_t period = 100000;
    f.emplace_back("cpu.max", std::to_string(static_cast<int64_t>(std::llround(*l.cpus * period))) +
                                  " " + std::to_string(period));
  }
  if (l.cpu_shares) {
    // The mapping runc and crun use from shares (2..262144) to weight (1..10000).
    int64_t s = std::clamp<int64_t>(*l.cpu_shares, 2, 262144);
    f.emplace_back("cpu.weight", std::to_string(1 + ((s - 2) * 9999) / 262142));
  }
  if (l.pids) f.emplace_back("pids.max", *l.pids <= 0 ? "max" : std::to_string(*l.pids));
  return f;
}

std::string create(const Host& h, const std::string& id, const Limits& l) {
  std::string parent = h.root + (h.own == "/" ? "" : h.own);
  std::set<std::string> needed;
  for (const auto& [file, value] : limit_files(l)) needed.insert(split_once(file, '.').first);
  if (!needed.empty()) {
    // No internal processes: a cgroup that hands controllers to children
    // may hold no process itself, so ours move to a leaf first.
    std::string procs = read_file_if_exists(parent + "/cgroup.procs").value_or("");
    if (!trim(procs).empty()) {
      make_dirs(parent + "/tug-cli", 0755);
      std::istringstream in(procs);
      std::string pid;
      while (in >> pid) {
        try {
          write_file(parent + "/tug-cli/cgroup.procs", pid);
        } catch (const Error&) {
          // A process that exited meanwhile, or one we may not move.
        }
      }
    }
    std::string enable;
    for (const auto& c : needed) enable += (enable.empty() ? "+" : " +") + c;
    write_cg(parent + "/cgroup.subtree_control", enable);
  }
  std::string path = parent + "/tug-" + id.substr(0, 12);
  make_dirs(path, 0755);
  for (const auto& [file, value] : limit_files(l)) write_cg(path + "/" + file, value);
  return path;
}

void join(const std::string& path, pid_t pid) {
  write_cg(path + "/cgroup.procs", std::to_string(pid));
}

void freeze(const std::string& path, bool frozen) {
  write_cg(path + "/cgroup.freeze", frozen ? "1" : "0");
}

bool kill_all(const std::string& path) {
  if (!path_exists(path + "/cgroup.kill")) return false;
  write_cg(path + "/cgroup.kill", "1");
  return true;
}

void remove(const std::string& path) {
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw_errno("removing cgroup " + path);
}

}  // namespace tug::cgroup
