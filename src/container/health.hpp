#pragma once
// Healthchecks as docker has them. The check is part of the record
// (Record::healthcheck, docker's Config.Healthcheck shape: Test, Interval,
// Timeout, StartPeriod, StartInterval, Retries; durations in ns) and its
// results live in containers/<id>/health.json, replaced atomically under
// containers/<id>/health.lock:
//   {"Status":"starting|healthy|unhealthy","FailingStreak":N,"Log":[{Start,End,ExitCode,Output}]}
// The container's monitor runs `tug healthcheck run ID` every interval
// (src/monitor/); each run is run_healthcheck() below, which execs the test
// in the container as `tug exec` does and kills it at the timeout.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "util/json.hpp"

namespace tug::container {

// docker's defaults for fields left 0.
inline constexpr int64_t kHealthDefaultInterval = 30'000'000'000;
inline constexpr int64_t kHealthDefaultTimeout = 30'000'000'000;
inline constexpr int kHealthDefaultRetries = 3;
inline constexpr size_t kHealthLogEntries = 5;    // results kept
inline constexpr size_t kHealthMaxOutput = 4096;  // bytes of output kept per result

// The run/create flags (empty/unset: the image's value stays).
struct HealthFlags {
  std::optional<std::string> cmd;  // "none", a shell command, or a JSON array
  std::optional<std::string> interval, timeout, start_period, start_interval;
  std::optional<int> retries;
  bool disable = false;  // --no-healthcheck
};

// Merges the flags into the image's Healthcheck (docker's rules: each flag
// replaces its field; --no-healthcheck and --health-cmd none give
// {"Test":["NONE"]}). Returns null when there is no check at all.
// Error(usage) for malformed values.
json merge_healthcheck(const json& image_healthcheck, const HealthFlags& f);

// True if hc describes a check that runs (not null, not NONE).
bool has_healthcheck(const json& hc);
// The argv to exec for hc's Test (CMD-SHELL: /bin/sh -c).
std::vector<std::string> healthcheck_argv(const json& hc);
// hc's interval in ns (default when 0).
int64_t healthcheck_interval(const json& hc);

struct HealthResult {
  std::string start, end;  // RFC 3339
  int exit_code = 0;       // -1: timed out
  std::string output;
};

struct Health {
  std::string status = "starting";
  int failing_streak = 0;
  std::vector<HealthResult> log;  // oldest first, at most kHealthLogEntries
};

void to_json(json& j, const Health& h);
void from_json(const json& j, Health& h);

// health.json of a container; nullopt when it has none (no check, never started).
std::optional<Health> read_health(const Store& store, const std::string& id);
// At each start: "starting", no streak, an empty log.
void reset_health(const Store& store, const std::string& id);

// Runs the check once now and records the result (docker's rules: success
// makes it healthy; a failure counts toward Retries unless the container is
// still in its start period). Emits a health_status event when the status
// changes. Returns the updated health (its last log entry is this run).
// Error(invalid) when the container has no healthcheck or does not run.
Health run_healthcheck(Store& store, const Record& r);

// Waits until the container's check reports healthy (true), or it turns
// unhealthy, stops running or timeout_ms passes (false; timeout_ms < 0:
// no limit). For compose's depends_on: condition: service_healthy.
bool wait_healthy(Store& store, const Record& r, int64_t timeout_ms = -1);

// Go's time.Duration String ("30s", "1m30s", "500ms"), as docker prints
// durations in messages.
std::string go_duration(int64_t ns);

}  // namespace tug::container
