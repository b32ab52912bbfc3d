#!/usr/bin/env bats
# tug stats: live resource use per container, from /proc on hosts that give
# containers no cgroup (187-stats-delegated.bats covers cgroup files).

load helpers

cpu_of() { echo "$output" | jq -r ".[] | select(.Name == \"$1\") | .CPUPerc" | tr -d '%'; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

@test "stats --no-stream: a row per running container; CPU moves for a busy one" {
  load_busybox
  tug_ok run -d --name busy busybox sh -c 'while :; do :; done'
  tug_ok run -d --name idle busybox sleep 60
  tug_ok run --name gone busybox true
  run_tug stats --no-stream
  assert_status 0
  [[ "$(echo "$output" | head -1)" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
  [ "$(echo "$output" | wc -l)" = 3 ]
  assert_output_contains " busy "
  assert_output_contains " idle "
  assert_output_not_contains "gone"
  run_tug stats --no-stream --format json
  cpu_busy=$(cpu_of busy)
  cpu_idle=$(cpu_of idle)
  echo "# busy ${cpu_busy}% idle ${cpu_idle}% (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&3
  # Loose bounds: six builds share this machine's two cores.
  gt "$cpu_busy" 5
  gt 1 "$cpu_idle"
  # Memory usage / limit: the host's memory is the limit without a cgroup.
  limit=$(echo "$output" | jq -r '.[] | select(.Name == "idle") | .MemLimitBytes')
  # Integer arithmetic in bash: awk would print 2.5e+10.
  [ "$limit" = "$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024))" ]
  echo "$output" | jq -e '.[] | select(.Name == "idle") | .MemUsage | test("^[0-9.]+[KMG]iB / [0-9.]+GiB$")'
  echo "$output" | jq -e '.[] | select(.Name == "idle") | .NetIO | test("^[0-9.]+k?B / [0-9.]+k?B$")'
  tug_ok rm -f busy idle gone
}

@test "memory moves when the container allocates" {
  load_busybox
  tug_ok run -d --name small busybox sleep 60
  # A 30 MB shell variable: resident memory of the container's shell. The
  # shell must outlive the sleep (busybox sh execs a last command, which
  # would drop the variable), hence the echo after it.
  tug_ok run -d --name big busybox sh -c 'x=$(head -c 30000000 /dev/zero | tr "\0" a); touch /done; sleep 60; echo ${#x}'
  for _ in $(seq 100); do "$TUG" exec big test -e /done 2>/dev/null && break; sleep 0.1; done
  tug_ok exec big test -e /done
  run_tug stats --no-stream --format json
  small=$(echo "$output" | jq -r '.[] | select(.Name == "small") | .MemBytes')
  big=$(echo "$output" | jq -r '.[] | select(.Name == "big") | .MemBytes')
  echo "# memory: idle ${small} B, allocating ${big} B" >&3
  [ "$small" -gt 0 ]
  [ "$big" -gt $((small + 25000000)) ]
  tug_ok rm -f small big
}

@test "stats -a, --no-trunc, table and template formats, errors" {
  load_busybox
  tug_ok run -d --name up busybox sleep 60
  id=$output
  tug_ok create --name down busybox true
  run_tug stats --no-stream --no-trunc --format '{{.ID}} {{.Name}} {{.PIDs}}'
  assert_output_equals "$id up 1"
  run_tug stats --no-stream -a --format '{{.Name}} {{.CPUPerc}}'
  assert_output_contains "up "
  assert_output_contains "down --"
  run_tug stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}'
  assert_output_equals "NAME      PIDS
up        1"
  run_tug stats --no-stream nope
  assert_error 1 "nope"
  tug_ok rm -f up down
}

@test "stats streams a refreshing table until interrupted" {
  load_busybox
  tug_ok run -d --name s busybox sleep 60
  # timeout: a stats that ignored SIGTERM fails the test instead of hanging it.
  timeout 30 "$TUG" stats --format '{{.Name}} {{.PIDs}}' >stats.out 2>&1 3>&- &
  pid=$!
  sleep 3.5
  kill -TERM $pid
  wait $pid || true
  # One screen per second, each cleared first.
  n=$(grep -c 's 1' stats.out)
  [ "$n" -ge 2 ]
  [ "$(grep -o $'\033\[2J' stats.out | wc -l)" = "$n" ]
  tug_ok rm -f s
}
