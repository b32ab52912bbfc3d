#!/usr/bin/env bats
# Concurrency and crashes: many CLIs on one store at once, CLIs killed at
# random moments, monitors killed, the runtime directory gone as after a
# reboot. Every call that could hang on a stale lock runs under `timeout`.

load helpers

# Processes of this user whose command line contains TEXT (none: empty).
procs_matching() {
  pgrep -u "$(id -u)" -f -- "$1" || true
}

# Waits up to 3 s for no process to match TEXT; fails listing them if some do.
assert_no_process() {
  local left i
  for i in $(seq 30); do
    left=$(procs_matching "$1")
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "processes still matching $1:" >&2
  ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" >&2 || true
  return 1
}

# Mounts of this user's mount namespace under the test directory.
mounts_in_test_dir() {
  grep -F -- "$TEST_DIR" /proc/self/mountinfo || true
}

# The store holds no container: none listed, no directory, no name claim.
assert_store_empty() {
  run timeout 10 "$TUG" ps -a -q
  assert_success
  assert_output_equals ""
  [ -z "$(store_entries containers)" ] || { echo "containers/: $(store_entries containers)" >&2; return 1; }
  [ -z "$(store_entries names)" ] || { echo "names/: $(store_entries names)" >&2; return 1; }
}

@test "20 concurrent run --rm: every one exits 0 with its own output, nothing is left behind" {
  load_busybox
  local -a pids=()
  for i in $(seq 20); do
    "$TUG" run --rm busybox sh -c "echo out-$i; echo err-$i >&2; sleep 0.2" \
      >"$TEST_DIR/out.$i" 2>"$TEST_DIR/err.$i" &
    pids+=($!)
  done
  # Listings meanwhile must never fail nor show a half-written record.
  (
    for j in $(seq 15); do
      timeout 10 "$TUG" ps -a --format json >"$TEST_DIR/ps.json" 2>"$TEST_DIR/ps.err" || echo "ps $j exited $?"
      jq -e 'type == "array" and all(.[]; (.ID | length) == 12 and (.State | test("^(created|running|exited)$")))' \
        "$TEST_DIR/ps.json" >/dev/null || echo "ps $j printed: $(cat "$TEST_DIR/ps.json" "$TEST_DIR/ps.err")"
    done
  ) >"$TEST_DIR/ps.log" 2>&1 &
  local lister=$!
  local failed=""
  for i in $(seq 20); do
    wait "${pids[$((i - 1))]}" || failed+=" run$i=$?"
  done
  wait "$lister"
  [ -z "$failed" ] || { echo "failed:$failed" >&2; cat "$TEST_DIR"/err.* >&2; return 1; }
  [ ! -s "$TEST_DIR/ps.log" ] || { cat "$TEST_DIR/ps.log" >&2; return 1; }
  for i in $(seq 20); do
    [ "$(cat "$TEST_DIR/out.$i")" = "out-$i" ] || { echo "out.$i: $(cat "$TEST_DIR/out.$i")" >&2; return 1; }
    [ "$(cat "$TEST_DIR/err.$i")" = "err-$i" ] || { echo "err.$i: $(cat "$TEST_DIR/err.$i")" >&2; return 1; }
  done
  assert_store_empty
  [ -z "$(mounts_in_test_dir)" ]
  assert_no_process "echo out-"
  assert_no_process "$TEST_DIR/"
}

@test "rmi racing runs: refused while a container uses the image, never removes it from under a create" {
  local trial i rc failed="" rmi_pid
  for trial in $(seq 8); do
    [ -n "$("$TUG" images -q)" ] || load_busybox
    local -a pids=()
    for i in $(seq 6); do
      timeout 30 "$TUG" run --rm busybox true >"$TEST_DIR/run.$i" 2>&1 &
      pids+=($!)
      # rmi starts among the creates, at a different place in each trial.
      if [ "$i" = $((trial % 6 + 1)) ]; then
        timeout 30 "$TUG" rmi busybox >"$TEST_DIR/rmi" 2>&1 &
        rmi_pid=$!
      fi
    done
    rc=0
    wait "$rmi_pid" || rc=$?
    # Refused because a container uses it, or removed while none did.
    if [ "$rc" != 0 ] && ! grep -q "in use" "$TEST_DIR/rmi"; then
      failed+=" trial$trial/rmi=$rc:$(cat "$TEST_DIR/rmi")"
    fi
    for i in $(seq 6); do
      rc=0
      wait "${pids[$((i - 1))]}" || rc=$?
      # A run either works or finds no image at all: never an image whose
      # layers vanish under its container (exec not found, mount failed).
      if [ "$rc" != 0 ] && ! { [ "$rc" = 125 ] && grep -q "busybox: image not known" "$TEST_DIR/run.$i"; }; then
        failed+=" trial$trial/run$i=$rc:$(cat "$TEST_DIR/run.$i")"
      fi
    done
  done
  [ -z "$failed" ] || { echo "failed:$failed" >&2; return 1; }
  assert_store_empty
}

@test "concurrent run -d --name on one name: exactly one wins, the others fail 125 'already in use'" {
  load_busybox
  local -a pids=()
  for i in $(seq 10); do
    "$TUG" run -d --name contested busybox sleep 6001 >"$TEST_DIR/out.$i" 2>&1 &
    pids+=($!)
  done
  local wins=0 winner="" rc
  for i in $(seq 10); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    if [ "$rc" = 0 ]; then
      wins=$((wins + 1))
      winner=$(cat "$TEST_DIR/out.$i")
    else
      [ "$rc" = 125 ] || { echo "run $i exited $rc: $(cat "$TEST_DIR/out.$i")" >&2; return 1; }
      grep -q 'Error: .*"contested" is already in use' "$TEST_DIR/out.$i" ||
        { echo "run $i: $(cat "$TEST_DIR/out.$i")" >&2; return 1; }
    fi
  done
  [ "$wins" = 1 ]
  [[ "$winner" =~ ^[0-9a-f]{64}$ ]]
  # The losers left nothing: one record, one claim, one running sleep.
  run_tug ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.State}}'
  assert_output_equals "$winner contested running"
  [ "$(store_entries containers)" = "$winner" ]
  [ "$(readlink "$XDG_DATA_HOME/tug/names/contested")" = "$winner" ]
  [ "$(procs_matching 'sleep 6001' | wc -l)" = 1 ]
  tug_ok rm -f contested
  assert_store_empty
  assert_no_process "sleep 6001"
}

@test "concurrent create and rm: each worker's containers come and go, listings stay whole" {
  load_busybox
  worker() {
    local w=$1 j
    for j in $(seq 4); do
      timeout 20 "$TUG" create --name "w$w-$j" busybox true >/dev/null || echo "create w$w-$j exited $?"
      timeout 20 "$TUG" rm "w$w-$j" >/dev/null || echo "rm w$w-$j exited $?"
    done
  }
  local -a pids=()
  for w in $(seq 6); do
    worker "$w" >"$TEST_DIR/worker.$w" 2>&1 &
    pids+=($!)
  done
  (
    for j in $(seq 10); do
      timeout 10 "$TUG" ps -a --format json >"$TEST_DIR/ps.json" 2>&1 || echo "ps exited $?"
      jq -e 'type == "array"' "$TEST_DIR/ps.json" >/dev/null || echo "ps printed: $(cat "$TEST_DIR/ps.json")"
    done
  ) >"$TEST_DIR/ps.log" 2>&1 &
  pids+=($!)
  for p in "${pids[@]}"; do wait "$p"; done
  for f in "$TEST_DIR"/worker.* "$TEST_DIR/ps.log"; do
    [ ! -s "$f" ] || { echo "$f:" >&2; cat "$f" >&2; return 1; }
  done
  assert_store_empty

  # Several rm -f of one running container at once: all succeed, it is gone.
  tug_ok run -d --name target busybox sleep 6002
  pids=()
  for i in $(seq 5); do
    timeout 20 "$TUG" rm -f target >/dev/null 2>"$TEST_DIR/rmerr.$i" &
    pids+=($!)
  done
  local failed=""
  for i in $(seq 5); do wait "${pids[$((i - 1))]}" || failed+=" rm$i=$?:$(cat "$TEST_DIR/rmerr.$i")"; done
  [ -z "$failed" ] || { echo "failed:$failed" >&2; return 1; }
  assert_store_empty
  assert_no_process "sleep 6002"
  assert_no_process "$TEST_DIR/"
}

@test "start racing rm: a removed container never runs on without its record" {
  load_busybox
  local trial rm_rc start_rc
  for trial in $(seq 10); do
    tug_ok create --name "race$trial" busybox sh -c "echo racer-$trial; sleep 6007"
    timeout 20 "$TUG" start "race$trial" >/dev/null 2>&1 &
    local starter=$!
    [ $((trial % 2)) = 0 ] && sleep "0.0$((RANDOM % 5))"
    rm_rc=0
    timeout 20 "$TUG" rm "race$trial" >"$TEST_DIR/rm.out" 2>&1 || rm_rc=$?
    start_rc=0
    wait "$starter" || start_rc=$?
    if [ "$rm_rc" = 0 ]; then
      # Removed: then it does not run, whatever start said.
      run timeout 10 "$TUG" ps -a -q
      assert_output_equals ""
      [ -z "$(procs_matching "racer-$trial")" ] || { echo "trial $trial: removed, yet it runs (start exited $start_rc)" >&2; return 1; }
    else
      # Refused: only because start won, and then it runs.
      grep -q "is running" "$TEST_DIR/rm.out" || { echo "trial $trial: rm: $(cat "$TEST_DIR/rm.out")" >&2; return 1; }
      [ "$start_rc" = 0 ]
      run_tug ps --format '{{.Names}}'
      assert_output_equals "race$trial"
      tug_ok rm -f "race$trial"
    fi
  done
  assert_store_empty
  assert_no_process "sleep 6007"
  assert_no_process "$TEST_DIR/"
}

@test "concurrent start of one container: one process runs it, reachable through its attach socket" {
  load_busybox
  local trial i
  for trial in 1 2 3; do
    tug_ok create --name "twice$trial" busybox sh -c "while true; do echo beat-$trial; sleep 0.2; done"
    local -a pids=()
    for i in 1 2 3 4; do
      timeout 20 "$TUG" start "twice$trial" >"$TEST_DIR/start.$i" 2>&1 &
      pids+=($!)
    done
    # Each says it started it, as docker's start of a running container does.
    for i in 1 2 3 4; do
      wait "${pids[$((i - 1))]}" || { echo "start $i: $(cat "$TEST_DIR/start.$i")" >&2; return 1; }
      [ "$(cat "$TEST_DIR/start.$i")" = "twice$trial" ]
    done
    [ "$(procs_matching "echo beat-$trial" | wc -l)" = 1 ] || { echo "trial $trial: $(procs_matching "echo beat-$trial" | wc -l) copies run" >&2; return 1; }
    # The socket in place is the one of the monitor that runs it.
    run timeout -s KILL 2 "$TUG" attach --no-stdin "twice$trial"
    assert_output_contains "beat-$trial"
    tug_ok rm -f "twice$trial"
    assert_no_process "echo beat-$trial"
  done
  assert_store_empty
  assert_no_process "$TEST_DIR/"
}

@test "rm -f of a --restart always container: the monitor never brings it back" {
  load_busybox
  # Short-lived, so that rm -f lands while it runs, while the monitor
  # records an exit, and while it waits to restart it.
  local delays=(0 0.05 0.1 0.2 0.3 0.45 0.6 0.8)
  local i
  for i in "${!delays[@]}"; do
    tug_ok run -d --name "loop$i" --restart always busybox sh -c "echo tick-loop$i; sleep 0.1$i"
    sleep "${delays[$i]}"
    run timeout 20 "$TUG" rm -f "loop$i"
    assert_success
  done
  # rm -f returns once the monitor is gone, even one that was waiting out
  # its restart back-off (rm wakes it to find the marker).
  [ -z "$(procs_matching "$TEST_DIR/")" ] || { echo "a monitor lives on:" >&2; ps -o pid=,args= -p "$(procs_matching "$TEST_DIR/" | paste -sd,)" >&2; return 1; }
  # Longer than the back-off at these counts (<= 1.6 s): nothing comes back.
  for check in 1 2 3 4 5 6 7 8 9 10; do
    [ -z "$(procs_matching 'tick-loop')" ] || { echo "a container is running again" >&2; procs_matching 'tick-loop' >&2; return 1; }
    [ -z "$(procs_matching "$TEST_DIR/")" ] || { echo "a monitor came back" >&2; return 1; }
    sleep 0.2
  done
  assert_store_empty
  run timeout 60 "$TUG" system check
  assert_success
  assert_line "store: ok"
}

@test "the runtime directory vanishing (a reboot): containers show as exited and start again" {
  load_busybox
  tug_ok run -d --name stopped busybox sleep 6003
  tug_ok run -d --name orphaned --restart always busybox sleep 6004
  orphaned_id=$output
  tug_ok create --name fresh busybox sh -c 'echo fresh-ran'
  tug_ok run --name done busybox true
  tug_ok stop -t 0 stopped
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$orphaned_id/state.json")
  kill -9 "$mon"
  assert_no_process "sleep 6004"
  rm -rf "$XDG_RUNTIME_DIR/tug"
  run timeout 10 "$TUG" ps -a --format '{{.Names}} {{.Status}}'
  assert_success
  assert_line --partial "stopped Exited (137)"
  assert_line --partial "orphaned Exited (-1)"
  assert_line "fresh Created"
  assert_line --partial "done Exited (0)"
  # And all of them start again, with a new attach socket.
  for c in stopped orphaned fresh done; do
    run timeout 20 "$TUG" start "$c"
    assert_success
  done
  tug_ok wait fresh
  assert_output_equals 0
  [ "$("$TUG" logs fresh)" = fresh-ran ]
  run_tug ps --format '{{.Names}}'
  assert_line stopped
  assert_line orphaned
  tug_ok exec stopped echo inside
  assert_output_equals inside
  [ -S "$XDG_RUNTIME_DIR/tug/$(echo "$orphaned_id" | cut -c1-12).sock" ]
  tug_ok rm -f stopped orphaned fresh done
  assert_no_process "sleep 600[34]"
}

@test "a running record whose pids were reused by other processes is seen as exited" {
  load_busybox
  tug_ok run -d --name reborn busybox sleep 6005
  id=$output
  tug_ok stop -t 0 reborn
  # After a reboot the recorded pids may name unrelated processes: here,
  # this shell. Their start times differ from the recorded ones.
  state=$XDG_DATA_HOME/tug/containers/$id/state.json
  jq --argjson p $$ '.status = "running" | .pid = $p | .monitor_pid = $p | .pid_start_time = 1 | .monitor_start_time = 1' \
    "$state" >"$state.new"
  mv "$state.new" "$state"
  run timeout 10 "$TUG" ps -a --format '{{.Names}} {{.Status}}'
  assert_output --partial "reborn Exited (-1)"
  # stop, kill and rm -f must not signal this shell.
  run timeout 10 "$TUG" stop reborn
  assert_success
  tug_ok start reborn
  tug_ok rm -f reborn
  assert_store_empty
}

# One trial of the kill loop: starts `tug ARGS...`, SIGKILLs it after a
# random delay of 0 to 250 ms.
kill_at_random() {
  "$TUG" "$@" >/dev/null 2>&1 &
  local cli=$!
  sleep "0.$(printf '%03d' $((RANDOM % 250)))"
  kill -9 "$cli" 2>/dev/null || true
  wait "$cli" 2>/dev/null || true
}

@test "SIGKILL of the CLI at random moments of run -d, rm -f and stop leaves a usable store" {
  load_busybox
  local trial op victim
  for trial in $(seq 54); do
    op=$((trial % 3))
    victim=$(timeout 10 "$TUG" ps -a -q | shuf -n 1)
    if [ "$op" = 0 ] || [ -z "$victim" ]; then
      kill_at_random run -d --name "k$trial" busybox sleep 6006
    elif [ "$op" = 1 ]; then
      kill_at_random rm -f "$victim"
    else
      kill_at_random stop -t 1 "$victim"
    fi
    run timeout 10 "$TUG" ps -a
    [ "$status" = 0 ] || { echo "trial $trial: ps -a exited $status: $output" >&2; return 1; }
  done
  # Whatever the kills left in the store, system check names and repairs.
  run timeout 60 "$TUG" system check --quick --repair
  [ "$status" = 0 ] || { echo "system check --repair after the kills: $output" >&2; return 1; }
  echo "# system check --repair after the kills: $(echo "$output" | tail -1)" >&3
  # Every container is in a state that is true, and usable: a running one
  # takes an exec, any other one starts.
  run timeout 10 "$TUG" ps -a --no-trunc --format '{{.ID}} {{.State}}'
  assert_success
  echo "$output" >"$TEST_DIR/left"
  echo "# $(wc -l <"$TEST_DIR/left") containers left after the kills" >&3
  while read -r id state; do
    # One whose process a killed rm -f or stop had just signalled may still
    # be recorded by its monitor: the record settles within moments.
    if [ "$state" = running ]; then
      for _ in $(seq 20); do
        pid=$(jq -r .pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
        [ "$(cat /proc/$pid/comm 2>/dev/null)" = sleep ] && break
        state=$(timeout 10 "$TUG" ps -a --no-trunc --format '{{.ID}} {{.State}}' | awk -v id="$id" '$1 == id {print $2}')
        [ "$state" = running ] || break
        sleep 0.1
      done
    fi
    case "$state" in
      running)
        [ "$(cat /proc/$pid/comm 2>/dev/null)" = sleep ] ||
          { echo "$id: running, but pid $pid is not its sleep: $(cat "$XDG_DATA_HOME/tug/containers/$id/state.json")" >&2; return 1; }
        run timeout 10 "$TUG" exec "$id" true
        [ "$status" = 0 ] || { echo "exec $id: $status $output" >&2; return 1; } ;;
      created | exited)
        run timeout 20 "$TUG" start "$id"
        [ "$status" = 0 ] || { echo "start $id ($state): $status $output" >&2; return 1; } ;;
      *) echo "$id: state $state" >&2; return 1 ;;
    esac
  done <"$TEST_DIR/left"
  # Every one goes with rm -f, and with it every monitor and container.
  run timeout 30 "$TUG" rm -f -a
  assert_success
  assert_no_process "sleep 6006"
  assert_no_process "$TEST_DIR/"
  [ -z "$(mounts_in_test_dir)" ]
  # A name claimed by a killed create is free again: nothing holds it.
  for n in $(store_entries names); do
    run timeout 10 "$TUG" create --name "$n" busybox true
    [ "$status" = 0 ] || { echo "name $n: $output" >&2; return 1; }
  done
  run timeout 10 "$TUG" rm -f -a
  assert_success
  # Directories of killed creates and removals are swept by a listing once
  # no one holds their lock.
  for _ in $(seq 50); do
    [ -z "$(store_entries containers)" ] && break
    timeout 10 "$TUG" ps -a >/dev/null
    sleep 0.2
  done
  assert_store_empty
}
