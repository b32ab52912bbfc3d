// tug top: a running container's processes, read from /proc (no cgroup
// needed); pause and unpause.
#include <grp.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/container.hpp"
#include "container/lifecycle.hpp"
#include "container/processes.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
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

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Go's time.Duration printing, which podman's top uses for ELAPSED and TIME:
// "0s", "20ms", "2.5s", "1m2.03s", "1h0m5s".
std::string go_duration(double seconds) {
  if (seconds <= 0) return "0s";
  char buf[64];
  if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%.6g", seconds * 1000);
    return std::string(buf) + "ms";
  }
  long whole = static_cast<long>(seconds);
  double s = seconds - static_cast<double>(whole - whole % 60);
  std::string out;
  if (whole >= 3600) out += std::to_string(whole / 3600) + "h";
  if (whole >= 60) out += std::to_string(whole / 60 % 60) + "m";
  std::snprintf(buf, sizeof buf, "%.2f", s);
  std::string sec = buf;
  while (sec.back() == '0') sec.pop_back();
  if (sec.back() == '.') sec.pop_back();
  return out + sec + "s";
}

// What top needs of a process beyond ProcessInfo, from /proc/PID/stat and
// /proc/PID/status: the ids seen from inside the container and the host's.
struct ProcExtra {
  std::string comm, state;
  long nice = 0, ns_pid = 0, ns_ppid = 0, ns_pgid = 0, host_pgid = 0;
  unsigned long vsz = 0;
  uid_t ruid = 0, euid = 0;
  gid_t rgid = 0, egid = 0;
};

ProcExtra proc_extra(pid_t pid) {
  ProcExtra x;
  std::string dir = "/proc/" + std::to_string(pid);
  std::string stat = read_file_if_exists(dir + "/stat").value_or("");
  auto open = stat.find('('), close = stat.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    x.comm = stat.substr(open + 1, close - open - 1);
    auto f = words(stat.substr(close + 1));
    // f[0] is field 3 (state).
    if (f.size() > 20) {
      x.state = f[0];
      x.host_pgid = std::stol(f[2]);
      x.nice = std::stol(f[16]);
      x.vsz = std::stoul(f[20]) / 1024;
    }
  }
  for (const auto& line : split(read_file_if_exists(dir + "/status").value_or(""), '\n')) {
    auto [key, value] = split_once(line, ':');
    auto v = words(value);
    if (v.empty()) continue;
    if (key == "NSpid") x.ns_pid = std::stol(v.back());
    if (key == "NSpgid") x.ns_pgid = std::stol(v.back());
    if (key == "PPid") x.ns_ppid = std::stol(v.back());
    if (key == "Uid" && v.size() > 1) x.ruid = std::stoul(v[0]), x.euid = std::stoul(v[1]);
    if (key == "Gid" && v.size() > 1) x.rgid = std::stoul(v[0]), x.egid = std::stoul(v[1]);
  }
  return x;
}

// A host id seen from inside the user namespace of pid (its uid_map or
// gid_map), or -1 when unmapped.
long inner_id(pid_t pid, const char* map, unsigned long host) {
  for (const auto& line :
       split(read_file_if_exists("/proc/" + std::to_string(pid) + "/" + map).value_or(""), '\n')) {
    auto f = words(line);
    if (f.size() != 3) continue;
    unsigned long inside = std::stoul(f[0]), outside = std::stoul(f[1]), n = std::stoul(f[2]);
    if (host >= outside && host < outside + n) return static_cast<long>(inside + host - outside);
  }
  return -1;
}

// NAME for id in the container's passwd or group file, else the number.
std::string name_in(pid_t init_pid, const char* file, long id) {
  if (id < 0) return "?";
  std::string text =
      read_file_if_exists("/proc/" + std::to_string(init_pid) + "/root/etc/" + file).value_or("");
  for (const auto& line : split(text, '\n')) {
    auto f = split(line, ':');
    if (f.size() > 2 && f[2] == std::to_string(id)) return f[0];
  }
  return std::to_string(id);
}

std::string group_name(gid_t gid) {
  if (struct group* gr = ::getgrgid(gid)) return gr->gr_name;
  return std::to_string(gid);
}

// podman's AIX format descriptors (`tug top CTR user,pid,args`) and their
// headers.
const std::vector<std::pair<std::string, std::string>>& descriptors() {
  static const std::vector<std::pair<std::string, std::string>> all = {
      {"args", "COMMAND"},  {"comm", "COMMAND"}, {"etime", "ELAPSED"}, {"group", "GROUP"},
      {"hgroup", "HGROUP"}, {"hpid", "HPID"},    {"huser", "HUSER"},   {"nice", "NI"},
      {"pcpu", "%CPU"},     {"pgid", "PGID"},    {"pid", "PID"},       {"ppid", "PPID"},
      {"rgroup", "RGROUP"}, {"ruser", "RUSER"},  {"state", "STATE"},   {"stime", "STIME"},
      {"time", "TIME"},     {"tty", "TTY"},      {"user", "USER"},     {"vsz", "VSZ"},
      {"rss", "RSS"}};
  return all;
}

// The words as descriptors ("user,pid" or "user pid"), or nothing when one
// of them is not a descriptor (then they are ps(1) options, as docker's).
std::optional<std::vector<std::string>> as_descriptors(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const auto& w : words)
    for (const auto& d : split(w, ',')) {
      if (d.empty()) continue;
      bool known = false;
      for (const auto& [name, header] : descriptors()) known |= name == d;
      if (!known) return std::nullopt;
      out.push_back(d);
    }
  if (out.empty()) return std::nullopt;
  return out;
}

std::vector<std::vector<std::string>> descriptor_table(pid_t init_pid,
                                                       const std::vector<std::string>& want) {
  std::vector<std::vector<std::string>> rows(1);
  for (const auto& d : want)
    for (const auto& [name, header] : descriptors())
      if (name == d) rows[0].push_back(header);
  long hz = ::sysconf(_SC_CLK_TCK);
  double uptime = 0;
  if (auto u = read_file_if_exists("/proc/uptime")) uptime = std::atof(u->c_str());
  for (const auto& p : container::processes_of(init_pid)) {
    ProcExtra x = proc_extra(p.pid);
    double elapsed = uptime - static_cast<double>(p.start) / static_cast<double>(hz);
    double cpu = static_cast<double>(p.utime + p.stime) / static_cast<double>(hz);
    std::vector<std::string> row;
    for (const auto& d : want) {
      char buf[32];
      if (d == "args")
        row.push_back(p.cmd);
      else if (d == "comm")
        row.push_back(x.comm);
      else if (d == "etime")
        row.push_back(go_duration(elapsed));
      else if (d == "time")
        row.push_back(go_duration(cpu));
      else if (d == "pcpu") {
        std::snprintf(buf, sizeof buf, "%.3f", elapsed > 0 ? cpu / elapsed * 100 : 0.0);
        row.push_back(buf);
      } else if (d == "pid")
        row.push_back(std::to_string(x.ns_pid));
      else if (d == "ppid") {
        // The container's first process has its parent outside: 0, as podman shows it.
        bool first = p.pid == init_pid;
        row.push_back(first ? "0" : std::to_string(proc_extra(p.ppid).ns_pid));
      } else if (d == "pgid")
        row.push_back(std::to_string(x.ns_pgid ? x.ns_pgid : x.host_pgid));
      else if (d == "hpid")
        row.push_back(std::to_string(p.pid));
      else if (d == "user")
        row.push_back(name_in(init_pid, "passwd", inner_id(p.pid, "uid_map", x.euid)));
      else if (d == "ruser")
        row.push_back(name_in(init_pid, "passwd", inner_id(p.pid, "uid_map", x.ruid)));
      else if (d == "group")
        row.push_back(name_in(init_pid, "group", inner_id(p.pid, "gid_map", x.egid)));
      else if (d == "rgroup")
        row.push_back(name_in(init_pid, "group", inner_id(p.pid, "gid_map", x.rgid)));
      else if (d == "huser")
        row.push_back(user_name(x.euid));
      else if (d == "hgroup")
        row.push_back(group_name(x.egid));
      else if (d == "nice")
        row.push_back(std::to_string(x.nice));
      else if (d == "state")
        row.push_back(x.state);
      else if (d == "stime") {
        time_t start = ::time(nullptr) - static_cast<time_t>(elapsed);
        struct tm tm;
        ::localtime_r(&start, &tm);
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        row.push_back(buf);
      } else if (d == "tty")
        row.push_back(p.tty);
      else if (d == "vsz")
        row.push_back(std::to_string(x.vsz));
      else if (d == "rss")
        row.push_back(std::to_string(p.rss / 1024));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// docker's `top CTR [ps OPTIONS]`: the host's ps(1) with those options,
// narrowed to the container's processes by its PID column.
std::vector<std::vector<std::string>> ps_table(pid_t init_pid,
                                               const std::vector<std::string>& options) {
  std::set<std::string> pids;
  for (const auto& p : container::processes_of(init_pid)) pids.insert(std::to_string(p.pid));
  std::vector<std::string> argv = {"ps"};
  for (const auto& o : options)
    for (const auto& w : words(o)) argv.push_back(w);
  std::vector<std::string> with_pids = argv;
  with_pids.push_back("-q");
  with_pids.push_back(join(std::vector<std::string>(pids.begin(), pids.end()), ","));
  CommandResult r = run_command(with_pids);
  // Some options (f) cannot go with -q: then all of ps's output, filtered.
  if (r.status != 0) r = run_command(argv);
  if (r.status != 0) throw Error(Errc::generic, "ps " + join(options, " ") + ": " + trim(r.err));
  auto lines = split(r.out, '\n');
  if (lines.empty()) throw Error(Errc::generic, "ps printed nothing");
  auto titles = words(lines[0]);
  size_t pid_col = titles.size();
  for (size_t i = 0; i < titles.size(); ++i)
    if (titles[i] == "PID") pid_col = i;
  if (pid_col == titles.size()) throw Error(Errc::generic, "couldn't find PID field in ps output");
  std::vector<std::vector<std::string>> rows = {titles};
  for (size_t l = 1; l < lines.size(); ++l) {
    auto f = words(lines[l]);
    if (f.size() <= pid_col || !pids.count(f[pid_col])) continue;
    // The last column takes the rest of the line (a command's words).
    std::vector<std::string> row(f.begin(), f.begin() + std::min(f.size(), titles.size() - 1));
    row.push_back(join(std::vector<std::string>(f.begin() + row.size(), f.end()), " "));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

void register_top(CLI::App& app, Globals& g) {
  auto name = std::make_shared<std::string>();
  CLI::App* c = add_command(
      app, "top",
      "Display the running processes of a container: top CONTAINER [DESCRIPTORS|PS OPTIONS], "
      "with podman's descriptors (user,pid,ppid,pcpu,etime,tty,time,args,comm,...) or docker's "
      "ps(1) options (-o pid,args)");
  c->add_option("CONTAINER", *name, "Container")->required();
  // `top CTR -o pid,args`: what follows the container is ps's, not top's.
  c->prefix_command();
  c->allow_extras();
  c->fallthrough(false);  // a word past the container is never the global parser's
  c->callback([c, name, &g] {
    auto options = std::make_shared<std::vector<std::string>>(c->remaining());
    container::Store store(g.paths(), g.mapping());
    container::Record r = store.get(*name);
    container::State st = running_state(store, r);
    if (!options->empty()) {
      auto want = as_descriptors(*options);
      auto rows = want ? descriptor_table(st.pid, *want) : ps_table(st.pid, *options);
      std::fputs(align_table(rows, want ? 12 : 20, want ? 2 : 3).c_str(), stdout);
      return;
    }
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
