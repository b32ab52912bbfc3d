#!/usr/bin/env bats
# tug stats in a delegated cgroup v2 subtree (see 088-cgroup-delegated.bats):
# the figures come from the container's cgroup files where they exist.

load helpers

need_cgroup() {
  if [ -z "${TUG_TEST_CGROUP:-}" ]; then
    skip "no delegated cgroup v2 subtree (run the suite as root to get one)"
  fi
}

@test "CPU time comes from the container's cpu.stat" {
  need_cgroup
  load_busybox
  tug_ok run -d --name burn busybox sh -c 'while :; do :; done'
  id=$output
  cg=$(jq -r .cgroup "$XDG_DATA_HOME/tug/containers/$id/state.json")
  [ -f "$cg/cpu.stat" ]
  sleep 0.5
  run_tug stats --no-stream --format '{{.CPUSource}} {{.CPUTimeUsec}} {{.CPUPerc}}' burn
  assert_status 0
  read -r source usec perc <<<"$output"
  after=$(awk '/^usage_usec/ {print $2}' "$cg/cpu.stat")
  echo "# stats ${usec} us, cpu.stat ${after} us, ${perc} (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&3
  [ "$source" = cgroup ]
  [ "$usec" -gt 0 ]
  [ "$usec" -le "$after" ]
  # Read at most a second or two before: the figure is the cgroup's, not rounded ticks.
  [ $((after - usec)) -lt 3000000 ]
  if [ -f "$cg/memory.current" ]; then
    run_tug stats --no-stream --format '{{.MemSource}} {{.MemBytes}}' burn
    read -r msource mem <<<"$output"
    [ "$msource" = cgroup ]
    cur=$(cat "$cg/memory.current")
    [ $((mem - cur)) -lt 1048576 ] && [ $((cur - mem)) -lt 1048576 ]
  fi
  tug_ok rm -f burn
}
