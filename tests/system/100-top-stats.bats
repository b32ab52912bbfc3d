#!/usr/bin/env bats
# top, stats, pause: watching a running container.

load helpers

@test "top lists the container's processes and only those" {
  load_busybox
  tug_ok run -d --name watched busybox sh -c 'sleep 100 & sleep 200'
  sleep 0.3
  run_tug top watched
  assert_status 0
  [[ "$(echo "$output" | head -1)" =~ ^UID\ +PID\ +PPID\ +C\ +TTY\ +TIME\ +CMD$ ]]
  assert_output_contains "sleep 100"
  assert_output_contains "sleep 200"
  # Header and sleeps (ash may exec the last command in place of itself).
  [ "$(echo "$output" | wc -l)" -ge 3 ] && [ "$(echo "$output" | wc -l)" -le 4 ]
  tug_ok stop -t 0 watched
  run_tug top watched
  assert_error 125 "not running"
}

@test "stats --no-stream measures CPU, memory and pids from /proc" {
  load_busybox
  tug_ok run -d --name spinner busybox sh -c 'while true; do :; done'
  run_tug stats --no-stream --format json spinner
  assert_status 0
  cpu=$(echo "$output" | jq -r '.[0].CPUPerc' | tr -d '%')
  # A busy loop keeps most of one core on an idle machine; on a loaded
  # 2-core one it may get far less, but never the ~0 of an idle container.
  [ "$(awk -v c="$cpu" 'BEGIN{print (c > 10)}')" = 1 ]
  [ "$(echo "$output" | jq -r '.[0].PIDs')" = 1 ]
  [ "$(echo "$output" | jq -r '.[0].MemBytes')" -gt 0 ]
  run_tug stats --no-stream
  [[ "$(echo "$output" | head -1)" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ % ]]
  tug_ok rm -f spinner
}

@test "pause explains that it needs the cgroup freezer" {
  load_busybox
  tug_ok run -d --name p busybox sleep 30
  run_tug pause p
  assert_error 125 "cgroup"
  run_tug pause nope
  assert_error 1 "nope"
  tug_ok rm -f p
}
