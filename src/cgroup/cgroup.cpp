#include "cgroup/cgroup.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

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

namespace {

// Every limit with its key in the container's record: the one list that
// merge and both directions of JSON go through (F gets the key and a
// pointer to the member).
template <class F>
void each_limit(F&& f) {
  f("memory", &Limits::memory);
  f("memory_swap", &Limits::memory_swap);
  f("cpus", &Limits::cpus);
  f("cpu_shares", &Limits::cpu_shares);
  f("pids", &Limits::pids);
  f("memory_reservation", &Limits::memory_reservation);
  f("cpu_period", &Limits::cpu_period);
  f("cpu_quota", &Limits::cpu_quota);
  f("cpuset_cpus", &Limits::cpuset_cpus);
  f("cpuset_mems", &Limits::cpuset_mems);
  f("blkio_weight", &Limits::blkio_weight);
}

}  // namespace

void Limits::merge(const Limits& n) {
  each_limit([&](const char*, auto m) {
    if (n.*m) this->*m = n.*m;
  });
}

json to_json(const Limits& l) {
  json j = json::object();
  each_limit([&](const char* key, auto m) {
    if (l.*m) j[key] = *(l.*m);
  });
  return j;
}

Limits limits_from_json(const json& j) {
  Limits l;
  if (!j.is_object()) return l;
  each_limit([&](const char* key, auto m) {
    if (j.contains(key))
      l.*m = j[key].get<typename std::remove_reference_t<decltype(l.*m)>::value_type>();
  });
  return l;
}

namespace {

// "0-3,5" -> the highest number named; nullopt if malformed.
std::optional<long> highest_in_list(const std::string& list) {
  if (list.empty()) return std::nullopt;
  long top = -1;
  for (const auto& part : split(list, ',')) {
    bool range = false;
    auto [a, b] = split_once(part, '-', &range);
    for (const std::string& n : {a, range ? b : a}) {
      if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 6)
        return std::nullopt;
      top = std::max(top, std::stol(n));
    }
    if (range && std::stol(b) < std::stol(a)) return std::nullopt;
  }
  return top;
}

}  // namespace

void validate(const Limits& l) {
  auto fail = [](const std::string& msg) { throw Error(Errc::invalid, msg); };
  const int64_t min_memory = 6 << 20;
  if (l.memory && *l.memory > 0 && *l.memory < min_memory)
    fail("Minimum memory limit allowed is 6MB");
  if (l.memory_reservation && *l.memory_reservation > 0 && *l.memory_reservation < min_memory)
    fail("Minimum memory reservation allowed is 6MB");
  if (l.memory && l.memory_swap && *l.memory > 0 && *l.memory_swap > 0 &&
      *l.memory_swap < *l.memory)
    fail("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (l.memory && l.memory_reservation && *l.memory > 0 && *l.memory < *l.memory_reservation)
    fail("Minimum memory limit can not be less than memory reservation limit, see usage");
  if (l.cpus && l.cpu_period && *l.cpu_period > 0)
    fail("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (l.cpus && l.cpu_quota && *l.cpu_quota > 0)
    fail("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  long ncpu = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  if (l.cpus && (*l.cpus < 0.01 || *l.cpus > static_cast<double>(ncpu)))
    fail("Range of CPUs is from 0.01 to " + std::to_string(ncpu) + ".00, as there are only " +
         std::to_string(ncpu) + " CPUs available");
  if (l.cpu_period && *l.cpu_period != 0 && (*l.cpu_period < 1000 || *l.cpu_period > 1000000))
    fail("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (l.cpu_quota && *l.cpu_quota > 0 && *l.cpu_quota < 1000)
    fail("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (l.cpuset_cpus) {
    auto top = highest_in_list(*l.cpuset_cpus);
    if (!top) fail("Invalid value " + *l.cpuset_cpus + " for cpuset cpus");
    long last = ::sysconf(_SC_NPROCESSORS_CONF) - 1;
    if (*top > last)
      fail("Requested CPUs are not available - requested " + *l.cpuset_cpus + ", available: 0-" +
           std::to_string(last));
  }
  if (l.cpuset_mems && !highest_in_list(*l.cpuset_mems))
    fail("Invalid value " + *l.cpuset_mems + " for cpuset mems");
  if (l.blkio_weight && *l.blkio_weight != 0 && (*l.blkio_weight < 10 || *l.blkio_weight > 1000))
    fail("Range of blkio weight is from 10 to 1000");
}

namespace {

// One cgroup file a limit writes, with the flag that asked for it.
struct LimitFile {
  std::string file, value, flag;
  std::string controller() const { return split_once(file, '.').first; }
};

std::vector<LimitFile> files_of(const Limits& l) {
  std::vector<LimitFile> f;
  if (l.memory) f.push_back({"memory.max", std::to_string(*l.memory), "--memory"});
  if (l.memory_swap) {
    // docker's --memory-swap is memory plus swap; v2 limits swap alone.
    std::string v =
        *l.memory_swap < 0
            ? "max"
            : std::to_string(std::max<int64_t>(0, *l.memory_swap - l.memory.value_or(0)));
    f.push_back({"memory.swap.max", v, "--memory-swap"});
  }
  if (l.memory_reservation)
    f.push_back({"memory.low", std::to_string(*l.memory_reservation), "--memory-reservation"});
  const int64_t default_period = 100000;
  if (l.cpus) {
    int64_t period = l.cpu_period.value_or(default_period);
    f.push_back({"cpu.max",
                 std::to_string(static_cast<int64_t>(std::llround(*l.cpus * period))) + " " +
                     std::to_string(period),
                 "--cpus"});
  } else if (l.cpu_quota || l.cpu_period) {
    int64_t quota = l.cpu_quota.value_or(-1);
    f.push_back({"cpu.max",
                 (quota > 0 ? std::to_string(quota) : std::string("max")) + " " +
                     std::to_string(l.cpu_period.value_or(default_period)),
                 l.cpu_quota ? "--cpu-quota" : "--cpu-period"});
  }
  if (l.cpu_shares) {
    // The mapping runc and crun use from shares (2..262144) to weight (1..10000).
    int64_t s = std::clamp<int64_t>(*l.cpu_shares, 2, 262144);
    f.push_back({"cpu.weight", std::to_string(1 + ((s - 2) * 9999) / 262142), "--cpu-shares"});
  }
  if (l.cpuset_cpus) f.push_back({"cpuset.cpus", *l.cpuset_cpus, "--cpuset-cpus"});
  if (l.cpuset_mems) f.push_back({"cpuset.mems", *l.cpuset_mems, "--cpuset-mems"});
  if (l.blkio_weight && *l.blkio_weight > 0) {
    // runc's mapping from blkio weight (10..1000) to io.weight (1..10000).
    int64_t w = std::clamp<int64_t>(*l.blkio_weight, 10, 1000);
    f.push_back({"io.weight", std::to_string(1 + ((w - 10) * 9999) / 990), "--blkio-weight"});
  }
  if (l.pids)
    f.push_back({"pids.max", *l.pids <= 0 ? "max" : std::to_string(*l.pids), "--pids-limit"});
  return f;
}

}  // namespace

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
  need(l.memory_reservation.has_value(), "--memory-reservation", "memory");
  need(l.cpus.has_value(), "--cpus", "cpu");
  need(l.cpu_period.has_value(), "--cpu-period", "cpu");
  need(l.cpu_quota.has_value(), "--cpu-quota", "cpu");
  need(l.cpu_shares.has_value(), "--cpu-shares", "cpu");
  need(l.cpuset_cpus.has_value(), "--cpuset-cpus", "cpuset");
  need(l.cpuset_mems.has_value(), "--cpuset-mems", "cpuset");
  need(l.blkio_weight.value_or(0) > 0, "--blkio-weight", "io");
  need(l.pids.has_value(), "--pids-limit", "pids");
  return out;
}

std::vector<std::pair<std::string, std::string>> limit_files(const Limits& l) {
  std::vector<std::pair<std::string, std::string>> f;
  for (const auto& lf : files_of(l)) f.emplace_back(lf.file, lf.value);
  return f;
}

namespace {

// Hands the controllers to parent's children. No internal processes: a
// cgroup that does so may hold no process itself, so ours move to a leaf
// (tug-cli) first.
void enable_controllers(const std::string& parent, const std::set<std::string>& needed) {
  if (needed.empty()) return;
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

}  // namespace

std::vector<std::string> apply(const std::string& path, const Limits& l) {
  std::vector<std::string> failed;
  for (const auto& lf : files_of(l)) {
    std::string file = path + "/" + lf.file;
    if (!path_exists(file)) {
      // A container started without this limit: its parent may hand it
      // the controller now (where the host delegates it).
      try {
        enable_controllers(path.substr(0, path.rfind('/')), {lf.controller()});
      } catch (const Error&) {
      }
    }
    if (!path_exists(file)) {
      failed.push_back(lf.flag + ": the container's cgroup has no " + lf.controller() +
                       " controller");
      continue;
    }
    try {
      write_cg(file, lf.value);
    } catch (const Error& e) {
      failed.push_back(lf.flag + ": " + e.what());
    }
  }
  return failed;
}

std::string create(const Host& h, const std::string& id, const Limits& l) {
  std::string parent = h.root + (h.own == "/" ? "" : h.own);
  std::set<std::string> needed;
  for (const auto& [file, value] : limit_files(l)) needed.insert(split_once(file, '.').first);
  enable_controllers(parent, needed);
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
