#!/usr/bin/env bats
# tug update of running containers that have a cgroup of their own (run-bats
# gives *-delegated files a delegated cgroup v2 subtree). This machine
# delegates no controller there, so the new limits cannot reach the running
# container: tug records them and says so on stderr, naming each. A host
# that delegates pids (and memory, cpu) to the user, as systemd's
# user@.service with Delegate=yes does on cgroup v2, gets them written into
# the container's cgroup at once: the pids.max check below then runs.

load helpers

need_cgroup() {
  if [ -z "${TUG_TEST_CGROUP:-}" ]; then
    skip "no delegated cgroup v2 subtree (run the suite as root to get one)"
  fi
}

state_of() { jq -r ".$2" "$XDG_DATA_HOME/tug/containers/$1/state.json"; }

@test "update of a running container: its cgroup gets the limit, or stderr names it" {
  need_cgroup
  load_busybox
  tug_ok run -d --name live busybox sleep 100
  id=${lines[-1]}
  cg=$(state_of "$id" cgroup)
  [ -d "$cg" ]
  run_tug update --pids-limit 64 live
  assert_status 0
  assert_line "live"
  if grep -qw pids "$TUG_TEST_CGROUP/cgroup.controllers"; then
    [ "$(cat "$cg/pids.max")" = 64 ]
  else
    assert_output_contains "resource limit not applied: --pids-limit"
    [ ! -e "$cg/pids.max" ]
  fi
  run_tug inspect --format '{{.HostConfig.PidsLimit}}' live
  assert_output_equals 64
  tug_ok rm -f live
}
