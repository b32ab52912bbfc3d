#include "container/update.hpp"

#include <set>

#include "container/lifecycle.hpp"
#include "runtime/spec.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

[[noreturn]] void conflict(const Record& r, const std::string& why) {
  throw Error(Errc::invalid, "cannot update container " + r.name + ": " + why);
}

// docker's checks of an update against the values the record holds.
void check_against(const Record& r, const cgroup::Limits& old, const cgroup::Limits& n) {
  if (n.cpus && old.cpu_period.value_or(0) > 0)
    conflict(r,
             "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  if (n.cpus && old.cpu_quota.value_or(0) > 0)
    conflict(r,
             "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
  if (n.cpu_period.value_or(0) > 0 && old.cpus)
    conflict(r,
             "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  if (n.cpu_quota.value_or(0) > 0 && old.cpus)
    conflict(r,
             "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  // Only where a swap limit is set: docker's own check also fires when
  // none is (0), which makes any first --memory fail.
  if (n.memory && !n.memory_swap && old.memory_swap.value_or(0) > 0 && *n.memory > *old.memory_swap)
    conflict(r,
             "Memory limit should be smaller than already set memoryswap limit, update the "
             "memoryswap at the same time");
}

// What a running container's cgroup is to get: the limits given, with the
// values their files are computed from (memory.swap.max is swap minus
// memory; cpu.max is quota and period).
cgroup::Limits live_limits(const cgroup::Limits& n, const cgroup::Limits& merged) {
  cgroup::Limits live = n;
  if (n.memory || n.memory_swap) {
    live.memory = merged.memory;
    live.memory_swap = merged.memory_swap;
  }
  if (n.cpu_quota || n.cpu_period) {
    live.cpu_quota = merged.cpu_quota;
    live.cpu_period = merged.cpu_period;
  }
  return live;
}

std::string flag_of(const std::string& why) {
  return split_once(why, ':').first;
}

}  // namespace

std::string restart_policy_file(const Store& store, const std::string& id) {
  return store.dir(id) + "/restart-policy";
}

std::vector<std::string> update(Store& store, const Record& rec, const UpdateOptions& o) {
  cgroup::validate(o.limits);
  std::string policy;
  if (o.restart) policy = runtime::validate_restart_policy(*o.restart);
  cgroup::Host host = cgroup::detect_host();
  cgroup::Limits merged;
  Record r = store.modify(rec.id, [&](Record& cur) {
    cgroup::Limits old = cgroup::limits_from_json(cur.spec.limits);
    check_against(cur, old, o.limits);
    if (o.restart && policy != "no" && cur.auto_remove)
      conflict(cur,
               "Restart policy cannot be updated because AutoRemove is enabled for the container");
    if (o.limits.any() && cur.spec.cgroups == "disabled")
      conflict(cur, "resource limits need a cgroup, and it was created with --cgroups=disabled");
    merged = old;
    merged.merge(o.limits);
    cgroup::validate(merged);
    cur.spec.limits = cgroup::to_json(merged);
    cur.limits_not_applied = cgroup::unapplied(merged, host);
    if (o.restart) {
      cur.spec.restart_policy = policy;
      // Under the record's lock, so two updates leave the record and the
      // file alike. Written whether or not it runs: a monitor waiting out
      // its back-off reads it too.
      atomic_write(restart_policy_file(store, cur.id), policy + "\n");
    }
  });
  emit_event(store, r, "update");

  std::vector<std::string> warnings;
  if (!o.limits.any()) return warnings;
  std::set<std::string> reported;
  for (const auto& why : cgroup::unapplied(o.limits, host)) {
    warnings.push_back("resource limit not applied: " + why + " (see 'tug info')");
    reported.insert(flag_of(why));
  }
  State st = store.state(r.id);
  if (st.status != "running") return warnings;
  cgroup::Limits live = live_limits(o.limits, merged);
  std::vector<std::string> failed;
  if (st.cgroup.empty()) {
    // Each limit given, named as unapplied() names them.
    for (const auto& why : cgroup::unapplied(live, cgroup::Host{}))
      failed.push_back(flag_of(why) + ": the running container has no cgroup of its own");
  } else {
    failed = cgroup::apply(st.cgroup, live);
  }
  for (const auto& why : failed) {
    std::string flag = flag_of(why);
    if (reported.insert(flag).second)
      warnings.push_back("container " + r.name + ": the new " + flag +
                         " applies from its next start (" + trim(why.substr(flag.size() + 1)) +
                         ")");
  }
  return warnings;
}

}  // namespace tug::container
