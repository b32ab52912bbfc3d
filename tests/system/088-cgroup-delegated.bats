#!/usr/bin/env bats
# Containers in a delegated cgroup v2 subtree. run-bats (as root) gives this
# file's processes a cgroup of their own under the unified hierarchy, owned by
# the test user, as systemd's user@.service with Delegate=yes does on a real
# host. This machine mounts cgroup2 at /sys/fs/cgroup/unified with no
# controllers, so the freezer (cgroup.freeze) and cgroup.kill are real here;
# memory, cpu and pids limits need those controllers delegated too (a
# systemd host with cgroup v2 only), which this machine cannot give.

load helpers

need_cgroup() {
  if [ -z "${TUG_TEST_CGROUP:-}" ]; then
    skip "no delegated cgroup v2 subtree (run the suite as root to get one)"
  fi
}

state_of() { jq -r ".$2" "$XDG_DATA_HOME/tug/containers/$1/state.json"; }

@test "each container gets its own cgroup, removed when it ends" {
  need_cgroup
  load_busybox
  tug_ok run -d --name c busybox sleep 60
  id=$output
  cg=$(state_of "$id" cgroup)
  [ "$cg" = "$TUG_TEST_CGROUP/tug-${id:0:12}" ]
  pid=$(state_of "$id" pid)
  grep -qx "$pid" "$cg/cgroup.procs"
  # exec'd processes join it too (they enter through the container's pid).
  tug_ok stop -t 1 c
  for _ in $(seq 50); do [ -d "$cg" ] || break; sleep 0.1; done
  [ ! -d "$cg" ]
}

@test "pause freezes the container, unpause thaws it; exec waits for unpause" {
  need_cgroup
  load_busybox
  # Each count is written whole and renamed over /n: a read never sees a
  # file the shell has just truncated.
  tug_ok run -d --name counter busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i > /n.new; mv /n.new /n; sleep 0.05; done'
  id=$output
  n="$XDG_DATA_HOME/tug/containers/$id/upper/n"
  for _ in $(seq 50); do [ -s "$n" ] && break; sleep 0.1; done
  run_tug pause counter
  assert_output_equals "counter"
  cg=$(state_of "$id" cgroup)
  [ "$(cat "$cg/cgroup.freeze")" = 1 ]
  for _ in $(seq 50); do grep -qx "frozen 1" "$cg/cgroup.events" && break; sleep 0.1; done
  grep -qx "frozen 1" "$cg/cgroup.events"
  a=$(cat "$n"); sleep 0.5; b=$(cat "$n")
  [ "$a" = "$b" ]
  run_tug ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "counter Up "*"(Paused)" ]]
  run_tug inspect --format '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' counter
  assert_output_equals "paused true true"
  run_tug ps --filter status=paused -q
  assert_output_equals "${id:0:12}"
  run_tug pause counter
  assert_error 125 "already paused"
  run_tug exec counter true
  assert_error 125 "is paused"
  tug_ok unpause counter
  [ "$(cat "$cg/cgroup.freeze")" = 0 ]
  sleep 0.5
  c=$(cat "$n")
  [ "$c" -gt "$b" ]
  run_tug unpause counter
  assert_error 125 "not paused"
  # Stopping a paused container thaws it so the signals land.
  tug_ok pause counter
  tug_ok stop -t 1 counter
  run_tug ps -a --format '{{.Names}} {{.State}}'
  assert_output_equals "counter exited"
}

@test "kill -s KILL goes through cgroup.kill: exec'd processes die with the container" {
  need_cgroup
  load_busybox
  [ -e "$TUG_TEST_CGROUP/cgroup.kill" ] || skip "this kernel has no cgroup.kill (Linux < 5.14)"
  tug_ok run -d --name k busybox sleep 60
  id=$output
  tug_ok exec -d k sleep 99
  cg=$(state_of "$id" cgroup)
  for _ in $(seq 50); do [ "$(wc -l < "$cg/cgroup.procs")" -ge 2 ] && break; sleep 0.1; done
  [ "$(wc -l < "$cg/cgroup.procs")" -ge 2 ]
  tug_ok kill -s KILL k
  run_tug wait k
  assert_output_equals "137"
  ! pgrep -u "$(id -u)" -f "sleep 99"
}

@test "limits whose controllers are not delegated: the container runs, in its cgroup, with a warning" {
  need_cgroup
  load_busybox
  if grep -qw memory "$TUG_TEST_CGROUP/cgroup.controllers"; then
    skip "memory is delegated here: the limit is enforced instead"
  fi
  run_tug run -d --name lim -m 32m busybox sleep 60
  assert_status 0
  assert_output_contains "resource limit not applied: --memory"
  id=$(echo "$output" | tail -1)
  [ -d "$(state_of "$id" cgroup)" ]
  [ ! -e "$(state_of "$id" cgroup)/memory.max" ]
  tug_ok rm -f lim
}
