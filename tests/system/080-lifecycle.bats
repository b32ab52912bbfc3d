#!/usr/bin/env bats
# Containers that live on: the monitor, detached runs, logs, stop, kill,
# start, wait, attach, and what happens when a monitor is killed.

load helpers



@test "run -d prints the id, the container runs under its own monitor and outlives the CLI" {
  load_busybox
  run_tug run -d --name svc busybox sleep 30
  assert_status 0
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  id=$output
  pid=$(jq -r .pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  # The container's first process is the monitor's child, and the monitor
  # is tug-monitor, detached from the CLI (its own session).
  [ "$(awk '{print $4}' /proc/$pid/stat)" = "$mon" ]
  [ "$(cat /proc/$mon/comm)" = "tug-monitor" ]
  [ "$(awk '{print $6}' /proc/$mon/stat)" != "$(awk '{print $6}' /proc/$$/stat)" ]
  run_tug ps --format '{{.Names}} {{.State}}'
  assert_output_equals "svc running"
  tug_ok rm -f svc
}

@test "the monitor stays under 2 MiB of memory" {
  load_busybox
  tug_ok run -d --name m busybox sleep 30
  id=$output
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$mon/status)
  echo "# monitor peak RSS: ${hwm} kB" >&3
  [ "$hwm" -le 2048 ]
  tug_ok rm -f m
}

@test "logs, --tail, -t and -f of a detached container" {
  load_busybox
  tug_ok run -d --name talker busybox sh -c 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; sleep 0.5; echo last'
  tug_ok wait talker
  assert_output_equals "0"
  # Each stream goes back to where it came from.
  [ "$("$TUG" logs talker 2>/dev/null | tr '\n' ' ')" = "out1 out2 out3 out4 out5 last " ]
  [ "$("$TUG" logs talker 2>&1 >/dev/null | tr '\n' ' ')" = "err1 err2 err3 err4 err5 " ]
  # --tail counts lines of both streams, as docker's does.
  [ "$("$TUG" logs --tail 2 talker 2>&1 | tr '\n' ' ')" = "err5 last " ]
  run_tug logs -t --tail 1 talker
  [[ "$output" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ last$ ]]
  # -f returns by itself once the container has exited.
  tug_ok run -d --name follow busybox sh -c 'echo a; sleep 1; echo b'
  run timeout 10 "$TUG" logs -f follow
  assert_status 0
  [ "$(echo "$output" | tr '\n' ' ')" = "a b " ]
  # The log file comes with the first output: -f on a silent container
  # waits for it, and logs of one that never wrote print nothing.
  tug_ok run -d --name late busybox sh -c 'sleep 1; echo woke'
  id=$("$TUG" inspect --format '{{.Id}}' late)
  [ ! -e "$XDG_DATA_HOME/tug/containers/$id/ctr.log" ]
  run_tug logs late
  assert_success
  assert_output_equals ""
  run timeout 10 "$TUG" logs -f late
  assert_status 0
  assert_output_equals "woke"
  tug_ok run --name silent busybox true
  run_tug logs silent
  assert_success
  assert_output_equals ""
}

@test "stop sends SIGTERM, then SIGKILL after the timeout" {
  load_busybox
  # A shell as PID 1 ignores SIGTERM: stop must fall back to SIGKILL (137).
  tug_ok run -d --name stubborn busybox sleep 60
  start=$(date +%s%N)
  tug_ok stop -t 1 stubborn
  assert_output_equals "stubborn"
  elapsed=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed" -ge 900 ] && [ "$elapsed" -lt 5000 ]
  run_tug ps -a --format '{{.Status}}'
  [[ "$output" == "Exited (137)"* ]]
  # A process that handles SIGTERM exits with its own code, at once.
  tug_ok run -d --name polite busybox sh -c 'trap "exit 7" TERM; while true; do sleep 0.1; done'
  sleep 0.3
  start=$(date +%s%N)
  tug_ok stop -t 10 polite
  elapsed=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed" -lt 3000 ]
  tug_ok wait polite
  assert_output_equals "7"
}

@test "--stop-signal and kill -s" {
  load_busybox
  tug_ok run -d --name usr1 --stop-signal USR1 busybox sh -c 'trap "exit 11" USR1; while true; do sleep 0.1; done'
  sleep 0.3
  tug_ok stop -t 5 usr1
  tug_ok wait usr1
  assert_output_equals "11"
  tug_ok run -d --name hup busybox sh -c 'trap "exit 12" HUP; while true; do sleep 0.1; done'
  sleep 0.3
  tug_ok kill -s HUP hup
  tug_ok wait hup
  assert_output_equals "12"
  run_tug kill -s BOGUS hup
  assert_error 125 "invalid signal"
  run_tug kill hup
  assert_status 125
  assert_output_contains "running"
}

@test "create, start, start -a, restart" {
  load_busybox
  tug_ok create --name later busybox sh -c 'echo ran; exit 4'
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  run_tug ps -a --format '{{.Names}} {{.Status}}'
  assert_output_equals "later Created"
  run_tug start -a later
  assert_status 4
  assert_output_equals "ran"
  tug_ok start later
  assert_output_equals "later"
  tug_ok wait later
  assert_output_equals "4"
  run "$TUG" logs later
  [ "$(echo "$output" | grep -c ran)" = 2 ]
  tug_ok run -d --name again busybox sleep 60
  tug_ok restart -t 0 again
  run_tug ps --format '{{.Names}} {{.State}}'
  assert_output_equals "again running"
  tug_ok rm -f again
}

@test "a killed monitor takes its container down and is noticed" {
  load_busybox
  tug_ok run -d --name victim busybox sleep 60
  id=$output
  pid=$(jq -r .pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  kill -9 "$mon"
  for _ in $(seq 50); do [ -d /proc/$pid ] && [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != Z ] || break; sleep 0.1; done
  ! [ -d /proc/$pid ] || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
  run_tug ps -a --format '{{.Names}} {{.Status}}'
  [[ "$output" == "victim Exited (-1)"* ]]
  # It can be started again, and removed.
  tug_ok start victim
  tug_ok rm -f victim
  run_tug ps -a -q
  assert_output_equals ""
}

@test "run -d --rm removes the container when it exits" {
  load_busybox
  tug_ok run -d --rm --name brief busybox sh -c 'sleep 0.3'
  # The monitor removes the record, then the directory: wait for both.
  for _ in $(seq 50); do
    run "$TUG" ps -a -q
    [ -z "$output" ] && [ -z "$(ls "$XDG_DATA_HOME/tug/containers")" ] && break
    sleep 0.1
  done
  assert_output_equals ""
  [ -z "$(ls "$XDG_DATA_HOME/tug/containers")" ]
}

@test "foreground run forwards signals to the container" {
  load_busybox
  "$TUG" run --name fg busybox sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while true; do sleep 0.1; done' >"$TEST_DIR/out" &
  cli=$!
  for _ in $(seq 50); do grep -q ready "$TEST_DIR/out" && break; sleep 0.1; done
  kill -TERM "$cli"
  wait "$cli" || status=$?
  [ "${status:-0}" = 9 ]
  grep -q got-term "$TEST_DIR/out"
}

@test "a foreground run is monitored in tug's process until its CLI is killed, then by tug-monitor" {
  load_busybox
  "$TUG" run --name fgk busybox sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done' >"$TEST_DIR/cli.out" 2>&1 &
  cli=$!
  for _ in $(seq 50); do grep -q tick "$TEST_DIR/cli.out" && break; sleep 0.1; done
  id=$("$TUG" inspect --format '{{.Id}}' fgk)
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  # While the CLI is attached, its monitor-to-be (a fork of tug) monitors
  # in place: no exec of tug-monitor on the way of a short container.
  [ "$(cat /proc/$mon/comm)" = tug-monitor ]
  [[ "$(readlink /proc/$mon/exe)" == */bin/tug ]]
  "$TUG" attach --no-stdin fgk >"$TEST_DIR/att.out" 2>&1 &
  att=$!
  for _ in $(seq 50); do grep -q tick "$TEST_DIR/att.out" && break; sleep 0.1; done
  kill -9 "$cli"
  wait "$cli" || true
  # The CLI gone, the same process execs tug-monitor and drops the CLI's memory.
  for _ in $(seq 50); do [[ "$(readlink /proc/$mon/exe)" == */libexec/tug/tug-monitor ]] && break; sleep 0.1; done
  [[ "$(readlink /proc/$mon/exe)" == */libexec/tug/tug-monitor ]]
  [ "$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")" = "$mon" ]
  [ "$(awk '/VmRSS/ {print $2}' /proc/$mon/status)" -le 2048 ]
  run_tug ps --format '{{.Names}} {{.State}}'
  assert_output_equals "fgk running"
  # The other attached client was handed over: it still gets the output,
  # and the log goes on past what the killed CLI saw.
  seen=$(grep -c tick "$TEST_DIR/att.out")
  for _ in $(seq 50); do [ "$(grep -c tick "$TEST_DIR/att.out")" -gt $((seen + 2)) ] && break; sleep 0.1; done
  [ "$(grep -c tick "$TEST_DIR/att.out")" -gt $((seen + 2)) ]
  tug_ok stop -t 1 fgk
  wait "$att" || status=$?
  [ "${status:-0}" = 137 ]
  [ "$("$TUG" logs fgk | grep -c tick)" -gt "$(grep -c tick "$TEST_DIR/cli.out")" ]
  tug_ok rm fgk
}

@test "attach to a running container sees its output and its exit code" {
  load_busybox
  tug_ok run -d --name att busybox sh -c 'sleep 1; echo after-attach; exit 5'
  run_tug attach att
  assert_status 5
  assert_output_contains "after-attach"
  run_tug attach att
  assert_error 125 "stopped container"
}

@test "commands on missing containers fail with 1, as docker's" {
  for cmd in stop kill start restart wait logs attach pause unpause top port rm inspect \
    export diff "container inspect" "rename no-such-ctr x" "exec no-such-ctr true" \
    "commit no-such-ctr img" "cp no-such-ctr:/x ." "stats --no-stream no-such-ctr"; do
    [[ "$cmd" == *no-such-ctr* ]] || cmd="$cmd no-such-ctr"
    run_tug $cmd
    assert_status 1
    assert_output_contains "no-such-ctr"
  done
}

@test "--restart on-failure:N restarts failing containers N times, under the same monitor" {
  load_busybox
  tug_ok run -d --name flaky --restart on-failure:2 busybox sh -c 'echo attempt; exit 3'
  id=$output
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  for _ in $(seq 60); do
    [ "$(jq -r .restart_count "$XDG_DATA_HOME/tug/containers/$id/state.json")" = 2 ] &&
      [ "$(jq -r .status "$XDG_DATA_HOME/tug/containers/$id/state.json")" = exited ] && break
    sleep 0.1
  done
  sleep 0.5
  [ "$("$TUG" logs flaky | grep -c attempt)" = 3 ]
  [ "$(jq -r .exit_code "$XDG_DATA_HOME/tug/containers/$id/state.json")" = 3 ]
  # A successful exit is not restarted under on-failure.
  tug_ok run -d --name fine --restart on-failure busybox sh -c 'echo once'
  sleep 1
  [ "$("$TUG" logs fine | grep -c once)" = 1 ]
  run_tug run --restart sometimes busybox true
  assert_error 125 "invalid restart policy"
  run_tug run --rm --restart always busybox true
  assert_error 125 "--restart and --rm"
}

@test "--restart always restarts until stopped; stop is final" {
  load_busybox
  tug_ok run -d --name looper --restart always busybox sh -c 'echo tick; sleep 0.2'
  sleep 1.5
  before=$("$TUG" logs looper | grep -c tick)
  [ "$before" -ge 3 ]
  tug_ok stop looper
  sleep 1
  after=$("$TUG" logs looper | grep -c tick)
  sleep 1
  [ "$("$TUG" logs looper | grep -c tick)" = "$after" ]
  run_tug ps -a --format '{{.Names}} {{.State}}'
  assert_output_equals "looper exited"
  # start clears the stop: the policy applies again.
  tug_ok start looper
  sleep 1
  [ "$("$TUG" logs looper | grep -c tick)" -gt "$((after + 1))" ]
  tug_ok rm -f looper
}
