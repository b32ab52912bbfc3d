#!/usr/bin/env bats
# tug generate systemd: units shaped like podman 4.3's. No systemd runs
# here: each unit is checked against an expected file (tests/systemd/),
# with systemd-analyze verify (Debian's systemd), and by running its
# Exec lines by hand the way systemd would (%t, %n expanded).

load helpers

EXPECTED=$BATS_TEST_DIRNAME/../systemd

# normalize FILE: the paths and ids of this test replaced by fixed words,
# the header's date line dropped.
normalize() {
  sed -e "s|$TUG_PREFIX|PREFIX|g" -e "s|$XDG_DATA_HOME|DATA|g" -e "s|$XDG_RUNTIME_DIR|RUN|g" \
    -e "s|$TEST_DIR|TEST|g" ${ID:+-e "s|$ID|ID|g"} ${ID2:+-e "s|$ID2|ID2|g"} \
    ${ID3:+-e "s|$ID3|ID3|g"} ${PODID:+-e "s|$PODID|PODID|g"} -e '/^# [A-Z][a-z][a-z] [A-Z][a-z][a-z] .* [0-9]\{4\}$/d' "$1"
}

# check_unit FILE EXPECTED [OTHER...]: same text as tests/systemd/EXPECTED,
# and systemd-analyze verify accepts it (OTHER units beside it) without a word.
check_unit() {
  normalize "$1" >"$TEST_DIR/got"
  if ! diff -u "$EXPECTED/$2" "$TEST_DIR/got" >&2; then
    echo "unit $1 differs from $2 (above)" >&2
    return 1
  fi
  verify_unit "$1" "${@:3}"
}

# verify_unit FILE [OTHER...]: OTHER units (a timer's service) beside it.
verify_unit() {
  local dir=$TEST_DIR/verify.$RANDOM
  mkdir -p "$dir"
  cp "$@" "$dir/"
  run systemd-analyze verify --user "$dir/$(basename "$1")"
  if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    echo "systemd-analyze verify $1: status $status" >&2
    echo "$output" >&2
    return 1
  fi
}

# exec_lines FILE KEY: the unit's KEY= commands, continuation lines joined,
# %t and %n expanded (as systemd would for a user unit), %% and $$ unescaped.
exec_lines() {
  local unit
  unit=$(basename "$1")
  sed -e ':a' -e '/\\$/N; s/\\\n\t/ /; ta' "$1" | sed -n "s/^$2=//p" |
    sed -e "s|%t|$XDG_RUNTIME_DIR|g" -e "s|%n|$unit|g" -e 's/%%/%/g' -e 's/\$\$/$/g'
}

@test "generate systemd: existing container, by id and by name (forking, the monitor's pid file)" {
  load_busybox
  tug_ok create --name web -e A=b -p 8080:80 busybox sleep 1000
  ID=$output
  "$TUG" generate systemd web >"$TEST_DIR/container-$ID.service"
  check_unit "$TEST_DIR/container-$ID.service" container-id.service
  "$TUG" generate systemd --name web >"$TEST_DIR/container-web.service"
  check_unit "$TEST_DIR/container-web.service" container-web.service
  # What systemd would do: ExecStart, then read PIDFile: the monitor.
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStart)"
  pidfile=$(exec_lines "$TEST_DIR/container-web.service" PIDFile)
  run_tug inspect --format '{{.State.ConmonPid}}' web
  [ "$(cat "$pidfile")" = "$output" ]
  [ "$(cat /proc/$(cat "$pidfile")/comm)" = tug-monitor ]
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStop)"
  run_tug inspect --format '{{.State.Status}}' web
  assert_output_equals exited
}

@test "generate systemd --new: the unit runs the container from its create command" {
  load_busybox
  tug_ok create --name web -e A=b --restart always busybox sleep 1000
  "$TUG" generate systemd --new --name --restart-policy=always --restart-sec 5 --time 20 web \
    >"$TEST_DIR/container-web.service"
  check_unit "$TEST_DIR/container-web.service" container-web-new.service
  tug_ok rm -f web
  # Run its lines as systemd would, with the environment it sets and a
  # NOTIFY_SOCKET of our own (Type=notify).
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
open(sys.argv[2], "w").write(s.recv(4096).decode())' "$TEST_DIR/notify.sock" "$TEST_DIR/notified" 3>&- &
  for _ in $(seq 50); do [ -S "$TEST_DIR/notify.sock" ] && break; sleep 0.1; done
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStartPre)"
  export PODMAN_SYSTEMD_UNIT=container-web.service NOTIFY_SOCKET=$TEST_DIR/notify.sock
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStart)"
  unset PODMAN_SYSTEMD_UNIT NOTIFY_SOCKET
  id=$(cat "$XDG_RUNTIME_DIR/container-web.service.ctr-id")
  run_tug inspect --format '{{.Id}} {{.State.Status}} {{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}} {{.Config.SdNotifyMode}}' web
  assert_output_equals "$id running container-web.service conmon"
  wait
  mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' web)
  [ "$(cat "$TEST_DIR/notified")" = "$(printf 'MAINPID=%s\nREADY=1' "$mon")" ]
  run_tug inspect --format '{{.Config.Env}}' web
  assert_output_contains "A=b"
  # A second start replaces it (--replace), as a restarting unit does.
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStartPre)"
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStart)"
  [ "$(cat "$XDG_RUNTIME_DIR/container-web.service.ctr-id")" != "$id" ]
  run_tug ps -a -q
  [ "$(line_count)" = 1 ]
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStop)"
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStopPost)"
  run_tug ps -a -q
  assert_output_equals ""
  # Stopping a unit whose container is gone succeeds (--ignore).
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStop)"
  eval "$(exec_lines "$TEST_DIR/container-web.service" ExecStopPost)"
}

@test "generate systemd --new: quoting of blanks, quotes, %% and \$ survives systemd's parsing" {
  load_busybox
  tug_ok create --name q -e 'S=has space' -e 'P=50%' -e 'D=$HOME' -l 'x=y"z' busybox \
    sh -c 'echo "hi there" $HOME'
  "$TUG" generate systemd --new --name --no-header q >"$TEST_DIR/container-q.service"
  check_unit "$TEST_DIR/container-q.service" container-q-new.service
}

@test "generate systemd: prefixes, separator, dependencies, environment, timeouts" {
  load_busybox
  tug_ok create --name web --stop-timeout 7 busybox sleep 1000
  ID=$output
  "$TUG" generate systemd --name --container-prefix ctr --separator _ --no-header \
    --wants a.service --after b.service --requires basic.target -e X=1 -e 'Y=a b' \
    --start-timeout 30 web >"$TEST_DIR/ctr_web.service"
  check_unit "$TEST_DIR/ctr_web.service" ctr_web.service
}

@test "generate systemd: a pod gives its unit plus one per container (--files)" {
  load_busybox
  tug_ok pod create --name pp
  ID=$("$TUG" pod inspect --format '{{.InfraContainerID}}' pp)
  PODID=$("$TUG" pod inspect --format '{{.Id}}' pp)
  PODID=${PODID:0:12}
  tug_ok create --pod pp --name m1 busybox sleep 1000
  ID2=$output
  tug_ok create --pod pp --name m2 busybox sleep 1000
  ID3=$output
  mkdir "$TEST_DIR/units" && cd "$TEST_DIR/units"
  run_tug generate systemd --files --name pp
  assert_success
  assert_line "$TEST_DIR/units/pod-pp.service"
  assert_line "$TEST_DIR/units/container-m1.service"
  assert_line "$TEST_DIR/units/container-m2.service"
  [ "$(line_count)" = 3 ]
  check_unit pod-pp.service pod-pp.service
  check_unit container-m1.service container-m1.service pod-pp.service container-m2.service
  # The pod's unit starts the infra; members bind to it.
  eval "$(exec_lines pod-pp.service ExecStart)"
  [ "$(cat "$(exec_lines pod-pp.service PIDFile)")" = "$("$TUG" inspect --format '{{.State.ConmonPid}}' "$ID")" ]
  eval "$(exec_lines container-m1.service ExecStart)"
  run_tug inspect --format '{{.State.Status}}' m1
  assert_output_equals running
}

@test "generate systemd: errors" {
  load_busybox
  run_tug generate systemd nosuch
  assert_error 125 "nosuch does not refer to a container or pod"
  tug_ok create --name web busybox true
  run_tug generate systemd --restart-policy=sometimes web
  assert_error 125 "sometimes is not a valid restart policy"
  tug_ok pod create --name pp
  run_tug generate systemd --new pp
  assert_error 125 "generate systemd --new for pods is not implemented"
  run_tug generate systemd
  assert_status 125
  run_tug generate systemd --template web
  assert_error 125 "generate systemd --template is not implemented"
  run_tug generate systemd --format json web
  assert_error 125 "generate systemd --format is not implemented"
}

@test "stop and rm --cidfile, --ignore; run --cidfile refuses an existing file" {
  load_busybox
  tug_ok run -d --cidfile "$TEST_DIR/cid" busybox sleep 1000
  id=$output
  [ "$(cat "$TEST_DIR/cid")" = "$id" ]
  run_tug run -d --cidfile "$TEST_DIR/cid" busybox sleep 1000
  assert_error 125 "container id file $TEST_DIR/cid exists"
  tug_ok stop -t 1 --cidfile "$TEST_DIR/cid"
  assert_output_equals "$id"
  tug_ok rm --cidfile "$TEST_DIR/cid"
  run_tug rm --cidfile "$TEST_DIR/cid"
  assert_error 1 "no container with name or ID"
  tug_ok rm --ignore --cidfile "$TEST_DIR/cid"
  tug_ok stop --ignore --cidfile "$TEST_DIR/none"
  run_tug stop --cidfile "$TEST_DIR/none"
  assert_error 125 "no such file"
}

@test "start --all --filter restart-policy=always (tug-restart.service), stop --all --filter" {
  load_busybox
  tug_ok create --name a1 --restart always busybox sleep 1000
  tug_ok create --name a2 --restart=always busybox sleep 1000
  tug_ok create --name n1 busybox sleep 1000
  tug_ok create --name f1 --restart on-failure:3 busybox sleep 1000
  tug_ok start --all --filter restart-policy=always
  run_tug ps --format '{{.Names}}'
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "a1 a2 " ]
  tug_ok start --all --filter restart-policy=on-failure
  run_tug ps --format '{{.Names}}'
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "a1 a2 f1 " ]
  tug_ok stop -t 0 --all --filter restart-policy=always
  run_tug ps --format '{{.Names}}'
  assert_output_equals f1
  run_tug start --all --filter bogus=1
  assert_error 125 'invalid filter "bogus=1"'
  run_tug start --filter restart-policy=always
  assert_error 125 "--filter works with --all only"
  # The unit that calls it is valid.
  verify_unit "$TUG_PREFIX/lib/systemd/user/tug-restart.service"
  verify_unit "$TUG_PREFIX/lib/systemd/user/tug-auto-update.service"
  verify_unit "$TUG_PREFIX/lib/systemd/user/tug-auto-update.timer" \
    "$TUG_PREFIX/lib/systemd/user/tug-auto-update.service"
  grep -qx "ExecStart=$TUG_PREFIX/bin/tug start --all --filter restart-policy=always" \
    "$TUG_PREFIX/lib/systemd/user/tug-restart.service"
}

@test "--cgroups=split without a delegated cgroup is refused, saying what a host needs" {
  load_busybox
  run_tug create --cgroups=split busybox true
  if [ "$status" -eq 0 ]; then skip "this user has a writable cgroup v2 subtree"; fi
  assert_error 125 "--cgroups=split needs a cgroup v2 subtree delegated to you"
  assert_output_contains "Delegate=yes"
  run_tug ps -a -q
  assert_output_equals ""
}
