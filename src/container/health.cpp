#include "container/health.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "container/lifecycle.hpp"
#include "container/processes.hpp"
#include "events/events.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

int64_t flag_duration(const std::string& flag, const std::string& value) {
  int64_t ns = 0;
  try {
    ns = parse_go_duration(value);
  } catch (const Error&) {
    throw Error(Errc::usage, "invalid " + flag + " " + quote(value),
                "use a duration such as 30s, 1m30s or 500ms");
  }
  // docker refuses anything below a millisecond but 0 (the default).
  if (ns < 0 || (ns > 0 && ns < 1000000))
    throw Error(Errc::usage, flag + " cannot be less than 1ms");
  return ns;
}

int64_t mono_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t field_ns(const json& hc, const char* key, int64_t def) {
  int64_t v = hc.is_object() ? hc.value(key, int64_t{0}) : 0;
  return v > 0 ? v : def;
}

std::string health_file(const Store& store, const std::string& id) {
  return store.dir(id) + "/health.json";
}

}  // namespace

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  char buf[64];
  if (ns < 1000000000) {
    if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
    std::snprintf(buf, sizeof buf, "%gms", static_cast<double>(ns) / 1e6);
    return buf;
  }
  int64_t h = ns / 3600000000000, m = ns / 60000000000 % 60;
  double s = static_cast<double>(ns % 60000000000) / 1e9;
  std::snprintf(buf, sizeof buf, "%g", s);
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + buf + "s";
}

json merge_healthcheck(const json& image_hc, const HealthFlags& f) {
  if (f.disable) return json{{"Test", {"NONE"}}};
  json hc = image_hc.is_object() ? image_hc : json::object();
  if (f.cmd) {
    std::string c = trim(*f.cmd);
    if (c.empty()) throw Error(Errc::usage, "--health-cmd must not be empty");
    if (::strcasecmp(c.c_str(), "none") == 0) return json{{"Test", {"NONE"}}};
    json test = json::array();
    json arr = json::parse(c, nullptr, false);
    if (c[0] == '[' && arr.is_array() && !arr.empty() &&
        std::all_of(arr.begin(), arr.end(), [](const json& e) { return e.is_string(); })) {
      std::string first = arr[0].get<std::string>();
      if (first == "NONE") return json{{"Test", {"NONE"}}};
      if (first != "CMD" && first != "CMD-SHELL") test.push_back("CMD");
      for (const auto& e : arr) test.push_back(e);
      if (test.size() < 2) throw Error(Errc::usage, "--health-cmd " + quote(c) + " has no command");
    } else {
      test = {"CMD-SHELL", c};
    }
    hc["Test"] = test;
  }
  if (f.interval) hc["Interval"] = flag_duration("--health-interval", *f.interval);
  if (f.timeout) hc["Timeout"] = flag_duration("--health-timeout", *f.timeout);
  if (f.start_period) hc["StartPeriod"] = flag_duration("--health-start-period", *f.start_period);
  if (f.start_interval)
    hc["StartInterval"] = flag_duration("--health-start-interval", *f.start_interval);
  if (f.retries) {
    if (*f.retries < 0) throw Error(Errc::usage, "--health-retries cannot be negative");
    hc["Retries"] = *f.retries;
  }
  if (!hc.contains("Test")) {
    if (f.interval || f.timeout || f.start_period || f.retries)
      throw Error(Errc::usage, "--health-* flags need a check: the image defines none",
                  "add --health-cmd");
    return image_hc.is_object() ? image_hc : json();
  }
  return hc;
}

bool has_healthcheck(const json& hc) {
  if (!hc.is_object()) return false;
  auto it = hc.find("Test");
  if (it == hc.end() || !it->is_array() || it->size() < 2) return false;
  std::string kind = (*it)[0].is_string() ? (*it)[0].get<std::string>() : "";
  return kind == "CMD" || kind == "CMD-SHELL";
}

std::vector<std::string> healthcheck_argv(const json& hc) {
  std::vector<std::string> out;
  if (!has_healthcheck(hc)) return out;
  const json& test = hc["Test"];
  if (test[0] == "CMD-SHELL") return {"/bin/sh", "-c", test[1].get<std::string>()};
  for (size_t i = 1; i < test.size(); ++i) out.push_back(test[i].get<std::string>());
  return out;
}

int64_t healthcheck_interval(const json& hc) {
  return field_ns(hc, "Interval", kHealthDefaultInterval);
}

void to_json(json& j, const Health& h) {
  json log = json::array();
  for (const auto& r : h.log)
    log.push_back(
        {{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
  j = json{{"Status", h.status}, {"FailingStreak", h.failing_streak}, {"Log", log}};
}

void from_json(const json& j, Health& h) {
  h.status = json_str(j, "Status", "starting");
  h.failing_streak = j.value("FailingStreak", 0);
  h.log.clear();
  if (auto it = j.find("Log"); it != j.end() && it->is_array())
    for (const auto& e : *it)
      h.log.push_back({json_str(e, "Start"), json_str(e, "End"), e.value("ExitCode", 0),
                       json_str(e, "Output")});
}

std::optional<Health> read_health(const Store& store, const std::string& id) {
  auto text = read_file_if_exists(health_file(store, id));
  if (!text) return std::nullopt;
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j.get<Health>();
}

void reset_health(const Store& store, const std::string& id) {
  FileLock lock(store.dir(id) + "/health.lock");
  write_json_atomic(health_file(store, id), json(Health{}), 0644, false);
}

namespace {

// Execs the check with its stdout and stderr on a pipe, collects up to
// kHealthMaxOutput bytes and kills it at the timeout.
HealthResult probe(Store& store, const Record& r, const json& hc, pid_t st_pid) {
  HealthResult res;
  res.start = now_rfc3339();
  int64_t timeout = field_ns(hc, "Timeout", kHealthDefaultTimeout);
  ExecOptions eo;
  eo.command = healthcheck_argv(hc);
  Pipe out = Pipe::make();
  pid_t relay = -1;
  try {
    runtime::Stdio stdio;
    stdio.out = stdio.err = out.write.get();
    relay = exec_start(store, r, eo, stdio).process.detach();
  } catch (const Error& e) {
    out.write.reset();
    res.exit_code = e.exit_code();
    res.output = e.what();
    res.end = now_rfc3339();
    return res;
  }
  out.write.reset();
  ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);
  int64_t deadline = mono_ms() + timeout / 1000000;
  int status = 0;
  bool done = false, timed_out = false;
  char buf[4096];
  while (!done) {
    int64_t left = deadline - mono_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    // A check that leaves a process holding the pipe must not keep us:
    // the helper's exit decides, checked at least every 50 ms.
    struct pollfd p = {out.read.get(), POLLIN, 0};
    ::poll(&p, out.read ? 1 : 0, static_cast<int>(std::min<int64_t>(left, 50)));
    for (;;) {
      if (!out.read) break;
      ssize_t n = ::read(out.read.get(), buf, sizeof buf);
      if (n > 0) {
        if (res.output.size() < kHealthMaxOutput)
          res.output.append(buf,
                            std::min(static_cast<size_t>(n), kHealthMaxOutput - res.output.size()));
        continue;
      }
      if (n == 0) out.read.reset();
      break;
    }
    if (::waitpid(relay, &status, WNOHANG) == relay) done = true;
  }
  if (timed_out) {
    // The helper's death takes the check's first process with it
    // (parent-death signal), but not what that one started: every
    // descendant of the helper goes, looked up twice to catch a fork.
    for (int round = 0; round < 2; ++round) {
      std::vector<ProcessInfo> procs = processes_of(st_pid);
      std::set<pid_t> tree = {relay};
      for (bool grew = true; grew;) {
        grew = false;
        for (const auto& p : procs)
          if (tree.count(p.ppid) && tree.insert(p.pid).second) grew = true;
      }
      for (pid_t p : tree)
        if (p != relay) ::kill(p, SIGKILL);
    }
    ::kill(relay, SIGKILL);
    ::waitpid(relay, &status, 0);
    res.exit_code = -1;
    res.output = "Health check exceeded timeout (" + go_duration(timeout) + ")";
  } else {
    while (out.read) {
      ssize_t n = ::read(out.read.get(), buf, sizeof buf);
      if (n <= 0) break;
      if (res.output.size() < kHealthMaxOutput)
        res.output.append(buf,
                          std::min(static_cast<size_t>(n), kHealthMaxOutput - res.output.size()));
    }
    res.exit_code = exit_code_of(status);
  }
  res.end = now_rfc3339();
  return res;
}

}  // namespace

Health run_healthcheck(Store& store, const Record& r) {
  if (!has_healthcheck(r.healthcheck))
    throw Error(Errc::invalid, "container " + r.name + " has no defined healthcheck");
  State st = store.state(r.id);
  if (st.status != "running") throw Error(Errc::invalid, "container " + r.name + " is not running");
  if (st.paused) throw Error(Errc::invalid, "container " + r.name + " is paused");
  HealthResult res = probe(store, r, r.healthcheck, st.pid);

  // A result that arrives after the container ended (or restarted) is
  // no longer about it: docker drops it too. (Read before the health lock:
  // a start holds the container's lock while it takes that one.)
  State now = store.state(r.id);
  if (now.status != "running" || now.pid != st.pid)
    throw Error(Errc::invalid, "container " + r.name + " stopped during its healthcheck");
  FileLock lock(store.dir(r.id) + "/health.lock");
  Health h = read_health(store, r.id).value_or(Health{});
  std::string before = h.status;
  if (res.exit_code == 0) {
    h.failing_streak = 0;
    h.status = "healthy";
  } else {
    int64_t started = parse_rfc3339(st.started_at);
    int64_t period = field_ns(r.healthcheck, "StartPeriod", 0);
    bool in_start_period =
        h.status == "starting" && started >= 0 &&
        static_cast<int64_t>(std::time(nullptr)) * 1000000000 < started * 1000000000 + period;
    if (!in_start_period) {
      ++h.failing_streak;
      int retries = r.healthcheck.value("Retries", 0);
      if (retries <= 0) retries = kHealthDefaultRetries;
      if (h.failing_streak >= retries) h.status = "unhealthy";
    }
  }
  h.log.push_back(res);
  if (h.log.size() > kHealthLogEntries) h.log.erase(h.log.begin());
  write_json_atomic(health_file(store, r.id), json(h), 0644, false);
  if (h.status != before)
    events::emit(store.paths(), "container", "health_status: " + h.status, r.id,
                 {{"name", r.name}, {"image", r.image_name}, {"health_status", h.status}});
  return h;
}

bool wait_healthy(Store& store, const Record& r, int64_t timeout_ms) {
  if (!has_healthcheck(r.healthcheck))
    throw Error(Errc::invalid, "container " + r.name + " has no defined healthcheck");
  int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
  for (;;) {
    if (store.state(r.id).status != "running") return false;
    if (auto h = read_health(store, r.id)) {
      if (h->status == "healthy") return true;
      if (h->status == "unhealthy") return false;
    }
    if (deadline >= 0 && mono_ms() >= deadline) return false;
    ::usleep(50000);
  }
}

}  // namespace tug::container
