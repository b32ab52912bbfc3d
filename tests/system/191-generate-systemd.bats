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
    ${ID3:+-e "s|$ID3|ID3|g"} ${PODID:+-e "s|$PODID|PODID|g"} ${PORT:+-e "s|$PORT|PORT|g"} -e '/^# [A-Z][a-z][a-z] [A-Z][a-z][a-z] .* [0-9]\{4\}$/d' "$1"
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

# exec_lines FILE KEY [INSTANCE]: the unit's KEY= commands, continuation
# lines joined, %t, %n and %i expanded (as systemd would for a user unit;
# an instance of a template NAME@.service is NAME@INSTANCE.service), %%
# and $$ unescaped.
exec_lines() {
  local unit
  unit=$(basename "$1")
  [ -n "${3:-}" ] && unit=${unit/@./@$3.}
  sed -e ':a' -e '/\\$/N; s/\\\n\t/ /; ta' "$1" | sed -n "s/^$2=//p" |
    sed -e "s|%t|$XDG_RUNTIME_DIR|g" -e "s|%n|$unit|g" -e "s|%i|${3:-}|g" -e 's/%%/%/g' \
      -e 's/\$\$/$/g'
}

# notify_listener FILE: a NOTIFY_SOCKET at $TEST_DIR/notify.sock whose
# first datagram is written to FILE (as systemd would read it).
notify_listener() {
  rm -f "$TEST_DIR/notify.sock"
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
open(sys.argv[2], "w").write(s.recv(4096).decode())' "$TEST_DIR/notify.sock" "$1" 3>&- &
  for _ in $(seq 50); do [ -S "$TEST_DIR/notify.sock" ] && break; sleep 0.1; done
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
  run_tug generate systemd
  assert_status 125
  run_tug generate systemd --template pp
  assert_error 125 "--template is not supported for pods"
  run_tug generate systemd --template --new=false web
  assert_error 125 "--template cannot be set with --new=false"
  run_tug generate systemd --format yaml web
  assert_error 125 "unknown --format argument: yaml"
  # A pod recorded by an older tug, without its create command.
  podid=$("$TUG" pod inspect --format '{{.Id}}' pp)
  f=$XDG_DATA_HOME/tug/pods/$podid/pod.json
  jq -c 'del(.create_command)' "$f" >"$f.new" && mv "$f.new" "$f"
  run_tug generate systemd --new pp
  assert_error 125 "pod pp has no recorded create command"
  run_tug generate systemd pp
  assert_success
}

@test "generate systemd --new POD: the pod's unit creates the pod, members join it, it ends with its last container" {
  load_busybox
  PORT=$(free_port)
  tug_ok pod create --name pp -p "$PORT:80" -l team=a
  tug_ok create --pod pp --name m1 busybox sh -c 'mkdir /w; echo m1 >/w/i; exec httpd -f -p 80 -h /w'
  tug_ok create --pod=pp --name m2 -e 'P=50%' busybox sleep 1000
  mkdir "$TEST_DIR/units" && cd "$TEST_DIR/units"
  run_tug generate systemd --new --name --files pp
  assert_success
  assert_line "$TEST_DIR/units/pod-pp.service"
  [ "$(line_count)" = 3 ]
  check_unit pod-pp.service pod-pp-new.service container-m1.service container-m2.service
  check_unit container-m1.service container-m1-new.service pod-pp.service
  check_unit container-m2.service container-m2-new.service pod-pp.service
  tug_ok pod rm -f pp

  # What systemd would do for `start pod-pp.service`: create, start, read the pid file.
  eval "$(exec_lines pod-pp.service ExecStartPre)"
  eval "$(exec_lines pod-pp.service ExecStart)"
  podid=$(cat "$XDG_RUNTIME_DIR/pod-pp.pod-id")
  run_tug pod inspect --format '{{.Id}} {{.ExitPolicy}} {{index .Labels "team"}} {{.State}}' pp
  assert_output_equals "$podid stop a Running"
  infra=$("$TUG" pod inspect --format '{{.InfraContainerID}}' pp)
  pidfile=$(exec_lines pod-pp.service PIDFile)
  [ "$(cat "$pidfile")" = "$("$TUG" inspect --format '{{.State.ConmonPid}}' "$infra")" ]
  # ... then the members' units (Wants=, After= the pod's), each Type=notify.
  for m in m1 m2; do
    notify_listener "$TEST_DIR/notified-$m"
    eval "$(exec_lines container-$m.service ExecStartPre)"
    export PODMAN_SYSTEMD_UNIT=container-$m.service NOTIFY_SOCKET=$TEST_DIR/notify.sock
    eval "$(exec_lines container-$m.service ExecStart)"
    unset PODMAN_SYSTEMD_UNIT NOTIFY_SOCKET
    wait
    mon=$("$TUG" inspect --format '{{.State.ConmonPid}}' $m)
    [ "$(cat "$TEST_DIR/notified-$m")" = "$(printf 'MAINPID=%s
READY=1' "$mon")" ]
  done
  run_tug pod inspect --format '{{.NumContainers}} {{.State}}' pp
  assert_output_equals "3 Running"
  run_tug exec m2 sh -c 'echo "$P"'
  assert_output_equals "50%"
  # The pod's published port reaches m1.
  for _ in $(seq 50); do out=$(curl -sf "http://127.0.0.1:$PORT/i") && break; sleep 0.1; done
  [ "$out" = m1 ]

  # Stopping one member's unit leaves the pod running; stopping the last
  # one stops the pod (--exit-policy=stop): its unit's main process ends.
  eval "$(exec_lines container-m1.service ExecStop)"
  eval "$(exec_lines container-m1.service ExecStopPost)"
  run_tug pod inspect --format '{{.State}}' pp
  assert_output_equals Running
  inframon=$(cat "$pidfile")
  eval "$(exec_lines container-m2.service ExecStop)"
  for _ in $(seq 50); do kill -0 "$inframon" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$inframon" 2>/dev/null
  run_tug inspect --format '{{.State.Status}}' "$infra"
  assert_output_equals exited
  eval "$(exec_lines container-m2.service ExecStopPost)"
  eval "$(exec_lines pod-pp.service ExecStop)"
  eval "$(exec_lines pod-pp.service ExecStopPost)"
  run_tug pod ps -q
  assert_output_equals ""
  run_tug ps -a -q
  assert_output_equals ""
  # Stopping again once everything is gone succeeds (--ignore).
  eval "$(exec_lines pod-pp.service ExecStop)"
  eval "$(exec_lines pod-pp.service ExecStopPost)"

  # A start after a crash: the old pod is replaced, a new id written.
  eval "$(exec_lines pod-pp.service ExecStartPre)"
  eval "$(exec_lines pod-pp.service ExecStartPre)"
  [ "$(cat "$XDG_RUNTIME_DIR/pod-pp.pod-id")" != "$podid" ]
  run_tug pod ps -q
  [ "$(line_count)" = 1 ]
}

@test "generate systemd --new for a container of a pod: its unit runs it into the existing pod" {
  load_busybox
  tug_ok pod create --name pp
  tug_ok create --pod pp --name m busybox sleep 1000
  "$TUG" generate systemd --new --name --no-header m >"$TEST_DIR/container-m.service"
  grep -q -- '--pod pp' "$TEST_DIR/container-m.service"
  verify_unit "$TEST_DIR/container-m.service"
  tug_ok rm m
  eval "$(exec_lines "$TEST_DIR/container-m.service" ExecStartPre)"
  eval "$(exec_lines "$TEST_DIR/container-m.service" ExecStart)"
  run_tug pod inspect --format '{{.NumContainers}} {{.State}}' pp
  assert_output_equals "2 Running"
  run_tug inspect --format '{{.State.Status}} {{.HostConfig.NetworkMode}}' m
  assert_output_equals "running container:$("$TUG" pod inspect --format '{{.InfraContainerID}}' pp)"
}

@test "generate systemd --template: an instance per %i, each a container of its own" {
  load_busybox
  tug_ok create --name web -e A=b busybox sleep 1000
  "$TUG" generate systemd --template --name web >"$TEST_DIR/container-web@.service"
  check_unit "$TEST_DIR/container-web@.service" container-web-template.service
  tug_ok rm web
  unit=$TEST_DIR/container-web@.service
  for i in 1 2; do
    eval "$(exec_lines "$unit" ExecStartPre $i)"
    export PODMAN_SYSTEMD_UNIT=container-web@$i.service
    eval "$(exec_lines "$unit" ExecStart $i)"
    unset PODMAN_SYSTEMD_UNIT
  done
  run_tug ps --format '{{.Names}}'
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "web-1 web-2 " ]
  run_tug inspect --format '{{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}} {{.Config.Env}}' web-2
  assert_output_contains "container-web@2.service ["
  assert_output_contains "A=b"
  [ "$(cat "$XDG_RUNTIME_DIR/container-web@1.service.ctr-id")" = "$("$TUG" inspect --format '{{.Id}}' web-1)" ]
  eval "$(exec_lines "$unit" ExecStop 1)"
  eval "$(exec_lines "$unit" ExecStopPost 1)"
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals web-2
  # A container without a name gets the unit's, per instance; --files
  # writes the template's file name.
  tug_ok create busybox sleep 1000
  ID=$output
  cd "$TEST_DIR" && run_tug generate systemd --template --files "$ID"
  assert_output_equals "$TEST_DIR/container-$ID@.service"
  grep -q -- "--name=container-$ID-%i" "container-$ID@.service"
  verify_unit "container-$ID@.service"
}

@test "generate systemd --format json: unit names (without .service) to texts, or to paths with --files" {
  load_busybox
  tug_ok create --name web busybox sleep 1000
  tug_ok generate systemd --format json --no-header --name web
  [ "$(echo "$output" | jq -r 'keys | join(" ")')" = container-web ]
  [ "$(echo "$output" | jq -r '.["container-web"]')" = "$("$TUG" generate systemd --no-header --name web)" ]
  # Go's encoder: one space of indent.
  assert_line --index 1 --partial ' "container-web": "# container-web.service\n'
  tug_ok pod create --name pp
  tug_ok create --pod pp --name m1 busybox sleep 1000
  mkdir "$TEST_DIR/units" && cd "$TEST_DIR/units"
  tug_ok generate systemd --format json --files --name pp
  [ "$(echo "$output" | jq -r 'keys | join(" ")')" = "container-m1 pod-pp" ]
  [ "$(echo "$output" | jq -r '.["pod-pp"]')" = "$TEST_DIR/units/pod-pp.service" ]
  grep -qx 'BindsTo=pod-pp.service' container-m1.service
  # <, > and & escaped as Go's encoder does.
  tug_ok create --name esc -l 'x=<b&c>' busybox true
  tug_ok generate systemd --new --format json --name esc
  assert_output_contains '-l x=\u003cb\u0026c\u003e'
  [ "$(echo "$output" | jq -r '.["container-esc"]' | grep -c -- '-l x=<b&c>')" = 1 ]
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
  # --filter alone selects too (podman), printing full ids.
  tug_ok stop -t 0 --all
  run_tug start --filter restart-policy=always
  assert_success
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "$("$TUG" inspect --format '{{.Id}}' a1 a2 | sort | tr '\n' ' ')" ]
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
