#!/usr/bin/env bats
# --sdnotify: the monitor speaks systemd's notify protocol. No systemd runs
# here, so each test listens on a NOTIFY_SOCKET of its own (a datagram
# socket served by python3, as systemd's would be) and checks what arrives
# and when.

load helpers

NOTIFY_HELPER=${TUG_PREFIX}/../test-helpers/tug-test-notify

# start_listener: serves $TEST_DIR/notify.sock; every datagram becomes a
# line "MSG <text with newlines as |>" in $TEST_DIR/msgs, and a MAINPID
# message is followed by "CHILDREN <cmdlines>" of that pid's children as
# they are at that moment (so a test can tell that the container's process
# had been started before systemd was told).
start_listener() {
  python3 -c '
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a") as f:
    f.write("LISTENING\n"); f.flush()
    while True:
        m = s.recv(4096).decode()
        f.write("MSG " + m.strip().replace("\n", "|") + "\n")
        for line in m.splitlines():
            if line.startswith("MAINPID="):
                pid = line[8:]
                kids = []
                try:
                    for t in os.listdir("/proc/%s/task" % pid):
                        for c in open("/proc/%s/task/%s/children" % (pid, t)).read().split():
                            kids.append(open("/proc/%s/cmdline" % c).read().replace("\0", " ").strip())
                except OSError as e:
                    kids.append("error: %s" % e)
                f.write("CHILDREN " + ",".join(kids) + "\n")
        f.flush()
' "$TEST_DIR/notify.sock" "$TEST_DIR/msgs" 3>&- &
  LISTENER=$!
  for _ in $(seq 50); do grep -q LISTENING "$TEST_DIR/msgs" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

teardown() {
  [ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
  tug_test_cleanup
}

# wait_for_msg TEXT: until a received message contains TEXT (5 s).
wait_for_msg() {
  for _ in $(seq 50); do grep -q "^MSG .*$1" "$TEST_DIR/msgs" && return 0; sleep 0.1; done
  echo "no message with $1; got:" >&2
  cat "$TEST_DIR/msgs" >&2
  return 1
}

@test "--sdnotify=conmon: READY=1 and MAINPID=<monitor> arrive before run -d returns, after the process started" {
  load_busybox
  start_listener
  NOTIFY_SOCKET=$TEST_DIR/notify.sock run "$TUG" run -d --name n --sdnotify=conmon busybox sleep 1000
  assert_success
  # Already there when the CLI (a unit's first main process) has exited:
  # no waiting here.
  run cat "$TEST_DIR/msgs"
  assert_line --partial "READY=1"
  mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' n)
  [ "$mon" -gt 0 ]
  [ "$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$("$TUG" inspect --format '{{.Id}}' n)/state.json")" = "$mon" ]
  [ "$(cat /proc/$mon/comm)" = "tug-monitor" ]
  assert_line "MSG MAINPID=$mon|READY=1"
  # When systemd was told, the monitor's child already ran the user's command.
  assert_line --partial "CHILDREN sleep 1000"
  # Exactly one notification.
  [ "$(grep -c '^MSG' "$TEST_DIR/msgs")" = 1 ]
  tug_ok rm -f n
}

@test "--sdnotify=conmon: tug start of a created container notifies too (units without --new)" {
  load_busybox
  start_listener
  tug_ok create --name c --sdnotify=conmon busybox sleep 1000
  # create alone tells systemd nothing.
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok inspect c
  ! grep -q '^MSG' "$TEST_DIR/msgs"
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok start c
  mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' c)
  run cat "$TEST_DIR/msgs"
  assert_line "MSG MAINPID=$mon|READY=1"
  # The mode is part of the container: inspect shows it.
  run_tug inspect --format '{{.Config.SdNotifyMode}}' c
  assert_output_equals conmon
  tug_ok rm -f c
}

@test "--sdnotify=conmon with --restart: MAINPID stays the monitor across restarts" {
  load_busybox
  start_listener
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run -d --name r --restart on-failure:2 \
    --sdnotify=conmon busybox sh -c 'sleep 0.2; exit 3'
  id=$("$TUG" inspect --format '{{.Id}}' r)
  # wait returns at the first exit: the two restarts come after it.
  for _ in $(seq 100); do
    [ "$(jq -r '"\(.status) \(.restart_count)"' "$XDG_DATA_HOME/tug/containers/$id/state.json")" = "exited 2" ] && break
    sleep 0.1
  done
  tug_ok wait r
  assert_output_equals 3
  run grep -c '^MSG MAINPID=' "$TEST_DIR/msgs"
  assert_output_equals 3
  [ "$(grep '^MSG' "$TEST_DIR/msgs" | sort -u | wc -l)" = 1 ]
}

@test "--sdnotify=container: the container has its own NOTIFY_SOCKET, relayed with MAINPID rewritten" {
  [ -x "$NOTIFY_HELPER" ] || skip "tug-test-notify not built"
  load_busybox
  start_listener
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run -d --name ct --sdnotify=container \
    -v "$NOTIFY_HELPER:/notify:ro" -u 1000:1000 busybox \
    sh -c 'echo "env=$NOTIFY_SOCKET"; sleep 0.5; /notify READY=1 STATUS=warmed-up MAINPID=1; sleep 1000'
  mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' ct)
  wait_for_msg STATUS=warmed-up
  run cat "$TEST_DIR/msgs"
  # First the monitor's MAINPID alone (the container decides when it is ready) ...
  [ "$(grep '^MSG' "$TEST_DIR/msgs" | head -1)" = "MSG MAINPID=$mon" ]
  # ... then the container's own message, its MAINPID replaced by the monitor's.
  assert_line "MSG READY=1|STATUS=warmed-up|MAINPID=$mon"
  run_tug logs ct
  assert_output_equals "env=/run/notify/notify.sock"
  id=$("$TUG" inspect --format '{{.Id}}' ct)
  [ -S "$XDG_RUNTIME_DIR/tug/${id:0:12}.notify/notify.sock" ]
  tug_ok rm -f ct
  # The container's socket goes with it.
  for _ in $(seq 30); do [ -e "$XDG_RUNTIME_DIR/tug/${id:0:12}.notify" ] || break; sleep 0.1; done
  [ ! -e "$XDG_RUNTIME_DIR/tug/${id:0:12}.notify" ]
}

@test "--sdnotify=container is the default, and without NOTIFY_SOCKET nothing is bound" {
  load_busybox
  NOTIFY_SOCKET=$TEST_DIR/nobody.sock tug_ok run --rm busybox sh -c 'echo "[$NOTIFY_SOCKET]"; ls /run'
  assert_line "[/run/notify/notify.sock]"
  assert_line "notify"
  tug_ok run --rm busybox sh -c 'echo "[$NOTIFY_SOCKET]"; [ -e /run/notify ] && echo bound || echo none'
  assert_output_equals "$(printf '[]\nnone')"
}

@test "--sdnotify=ignore and conmon do not pass NOTIFY_SOCKET to the container; ignore sends nothing" {
  load_busybox
  start_listener
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run --rm --sdnotify=ignore busybox sh -c 'echo "[$NOTIFY_SOCKET]"'
  assert_output_equals "[]"
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run -d --name i --sdnotify=ignore busybox sleep 1000
  sleep 0.3
  ! grep -q '^MSG' "$TEST_DIR/msgs"
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run --rm --sdnotify=conmon busybox sh -c 'echo "[$NOTIFY_SOCKET]"'
  assert_output_equals "[]"
  tug_ok rm -f i
}

@test "--sdnotify: a NOTIFY_SOCKET nobody listens on does not stop the container" {
  load_busybox
  NOTIFY_SOCKET=$TEST_DIR/gone.sock tug_ok run -d --name g --sdnotify=conmon busybox sleep 1000
  run_tug inspect --format '{{.State.Status}}' g
  assert_output_equals running
  # An abstract socket name is accepted as systemd may give one.
  NOTIFY_SOCKET=@tug-test-$$ tug_ok run --rm --sdnotify=conmon busybox true
  tug_ok rm -f g
}

@test "--sdnotify: invalid values are refused, healthy without a healthcheck too" {
  load_busybox
  run_tug run --rm --sdnotify=bogus busybox true
  assert_error 125 'invalid --sdnotify value "bogus"'
  run_tug create --sdnotify=healthy busybox true
  assert_error 125 'sdnotify policy "healthy" requires a healthcheck to be set'
  run_tug create --sdnotify=healthy --health-cmd none busybox true
  assert_error 125 'sdnotify policy "healthy" requires a healthcheck to be set'
  run_tug ps -a -q
  assert_output_equals ""
}

@test "--sdnotify=conmon in a pod: the member's monitor is MAINPID, not the infra's started on the way" {
  load_busybox
  start_listener
  tug_ok pod create --name p
  tug_ok create --pod p --name member --sdnotify=conmon busybox sleep 1000
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok start member
  mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' member)
  run grep '^MSG' "$TEST_DIR/msgs"
  assert_output_equals "MSG MAINPID=$mon|READY=1"
  tug_ok pod rm -f p
}

@test "--sdnotify=healthy: MAINPID at start, READY=1 only once the scheduled healthcheck passes; run -d waits for it" {
  load_busybox
  start_listener
  # The check fails until /tmp/ready exists; the monitor runs it every 200 ms.
  (NOTIFY_SOCKET=$TEST_DIR/notify.sock "$TUG" run -d --name h --sdnotify=healthy \
    --health-cmd 'test -e /tmp/ready' --health-interval 200ms --health-retries 100 \
    busybox sleep 1000 >"$TEST_DIR/run.out" 2>&1; echo "$?" >"$TEST_DIR/run.done") 3>&- &
  wait_for_msg MAINPID=
  # Failing checks run meanwhile: no READY=1, and `run -d` has not returned.
  for _ in $(seq 50); do
    [ "$("$TUG" inspect --format '{{len .State.Health.Log}}' h 2>/dev/null)" -ge 3 ] 2>/dev/null && break
    sleep 0.1
  done
  run_tug inspect --format '{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}}' h
  assert_output_equals "starting 1"
  ! grep -q READY "$TEST_DIR/msgs"
  [ ! -e "$TEST_DIR/run.done" ]
  mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' h)
  [ "$(grep '^MSG' "$TEST_DIR/msgs")" = "MSG MAINPID=$mon" ]
  tug_ok exec h touch /tmp/ready
  wait_for_msg READY=1
  # READY=1 alone, after MAINPID, sent when the check had passed.
  [ "$(grep '^MSG' "$TEST_DIR/msgs" | tr '\n' ' ')" = "MSG MAINPID=$mon MSG READY=1 " ]
  run_tug inspect --format '{{.State.Health.Status}}' h
  assert_output_equals healthy
  for _ in $(seq 50); do [ -e "$TEST_DIR/run.done" ] && break; sleep 0.1; done
  [ "$(cat "$TEST_DIR/run.done")" = 0 ]
  [ "$(cat "$TEST_DIR/run.out")" = "$("$TUG" inspect --format '{{.Id}}' h)" ]
  # Once only: later passing checks send nothing more.
  sleep 0.6
  [ "$(grep -c '^MSG' "$TEST_DIR/msgs")" = 2 ]
  tug_ok rm -f h
}

@test "--sdnotify=healthy: a manual healthcheck run counts; a container that exits first releases start" {
  load_busybox
  start_listener
  tug_ok create --name m --sdnotify=healthy --health-cmd 'test -e /tmp/ready' \
    --health-interval 1h busybox sleep 1000
  (NOTIFY_SOCKET=$TEST_DIR/notify.sock "$TUG" start m >/dev/null 2>&1; echo "$?" >"$TEST_DIR/start.done") 3>&- &
  wait_for_msg MAINPID=
  run_tug healthcheck run m
  assert_failure 1
  sleep 0.3
  ! grep -q READY "$TEST_DIR/msgs"
  [ ! -e "$TEST_DIR/start.done" ]
  tug_ok exec m touch /tmp/ready
  tug_ok healthcheck run m
  wait_for_msg READY=1
  for _ in $(seq 50); do [ -e "$TEST_DIR/start.done" ] && break; sleep 0.1; done
  [ "$(cat "$TEST_DIR/start.done")" = 0 ]
  tug_ok rm -f m
  # Never healthy, and the container ends: run -d returns, no READY=1.
  : >"$TEST_DIR/msgs"
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run -d --name e --sdnotify=healthy \
    --health-cmd false --health-interval 100ms busybox sleep 1
  run_tug inspect --format '{{.State.Status}}' e
  assert_output_equals exited
  run grep -c READY "$TEST_DIR/msgs"
  assert_output_equals 0
  run_tug inspect --format '{{.Config.SdNotifyMode}}' e
  assert_output_equals healthy
  # A foreground run relays the output at once; READY=1 comes when the check passes.
  : >"$TEST_DIR/msgs"
  t0=$(date +%s%N)
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run --rm --sdnotify=healthy --health-cmd true \
    --health-interval 300ms busybox sh -c 'echo hi; sleep 1; echo bye'
  assert_output_equals "$(printf 'hi\nbye')"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ]
  wait_for_msg READY=1
}

@test "--sdnotify=healthy without an inotify instance left: the scheduled check still brings READY=1" {
  load_busybox
  start_listener
  # Take every inotify instance this user may have (fs.inotify.max_user_instances).
  python3 -c '
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fds = []
while libc.inotify_init() >= 0 and len(fds) < 100000:
    fds.append(1)
open(sys.argv[1], "w").write("%d\n" % len(fds))
time.sleep(60)' "$TEST_DIR/full" 3>&- &
  HOG=$!
  for _ in $(seq 50); do [ -s "$TEST_DIR/full" ] && break; sleep 0.1; done
  [ -s "$TEST_DIR/full" ]
  NOTIFY_SOCKET=$TEST_DIR/notify.sock tug_ok run -d --name h --sdnotify=healthy \
    --health-cmd true --health-interval 200ms busybox sleep 1000
  kill "$HOG"
  run cat "$TEST_DIR/msgs"
  assert_line --partial "READY=1"
  tug_ok rm -f h
}
