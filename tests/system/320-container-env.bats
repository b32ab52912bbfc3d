#!/usr/bin/env bats
# What a process finds around itself in a container: /run/.containerenv,
# container=tug, TERM, host.containers.internal, /etc/mtab, the mode of /,
# its groups, keep-id's HOME; the terminal's size from the start; and the
# run flags that shape it (--ipc, -a, --group-add, --dns-option,
# --kernel-memory).

load helpers

# An image of busybox's layer plus one of /etc/passwd and /etc/group with
# users that belong to groups (alice: audio, staff; root: wheel).
load_group_image() {
  busybox_layer "$TEST_DIR/base.tar"
  mkdir -p "$TEST_DIR/grp/etc"
  printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home/alice:/bin/sh\n' \
    >"$TEST_DIR/grp/etc/passwd"
  printf 'root:x:0:\nwheel:x:10:root\naudio:x:29:alice\nstaff:x:50:alice,bob\nalice:x:1000:\n' \
    >"$TEST_DIR/grp/etc/group"
  tar -C "$TEST_DIR/grp" -cf "$TEST_DIR/grp.tar" --owner=0 --group=0 --numeric-owner ./etc
  make_layered_archive "$TEST_DIR/grp-img.tar" grp:1 "$TEST_DIR/base.tar" "$TEST_DIR/grp.tar"
  tug_ok load -i "$TEST_DIR/grp-img.tar"
}

# ---- the container's environment ----------------------------------------

@test "/run/.containerenv: an empty file, with podman's keys under --privileged" {
  load_busybox
  run_tug run --rm busybox sh -c 'test -f /run/.containerenv && echo present; wc -c </run/.containerenv'
  assert_status 0
  assert_line "present"
  assert_line "0"

  tug_ok run --name priv --privileged busybox cat /run/.containerenv
  local id
  id=$("$TUG" inspect --format '{{.Id}}' priv)
  grep -qE '^engine="tug-[0-9][^"]*"$' <<<"$output"
  assert_line 'name="priv"'
  assert_line "id=\"$id\""
  assert_line 'image="docker.io/library/busybox:latest"'
  assert_line "imageid=\"$(busybox_id)\""
  assert_line "rootless=1"

  # Not the container's work: diff leaves the marker (and /run made for it) out.
  run_tug diff priv
  assert_status 0
  assert_output_not_contains "containerenv"
  assert_output_not_contains "/etc/mtab"
}

@test "container=tug in the environment; TERM=xterm only with a terminal" {
  load_busybox
  run_tug run --rm busybox env
  assert_status 0
  assert_line "container=tug"
  assert_output_not_contains "TERM="

  run_tug run --rm -e container=other busybox sh -c 'echo "$container"'
  assert_output_equals "other"

  run_tug run --rm -t busybox sh -c 'echo "TERM=$TERM"'
  assert_status 0
  assert_output_contains "TERM=xterm"
  # -e wins over the terminal's default, as in docker.
  run_tug run --rm -t -e TERM=vt100 busybox sh -c 'echo "TERM=$TERM"'
  assert_output_contains "TERM=vt100"
}

@test "host.containers.internal and host.docker.internal name the host where it can be reached" {
  load_busybox
  local host_ip
  host_ip=$(ip -4 -o addr show scope global up | awk '{print $4}' | cut -d/ -f1 | head -1)
  run_tug run --rm busybox cat /etc/hosts
  assert_status 0
  if [ -n "$host_ip" ]; then
    assert_line "$host_ip	host.containers.internal"
    assert_line "$host_ip	host.docker.internal"
  fi
  # slirp4netns with the host's loopback: its gateway is the host.
  run_tug run --rm --network slirp4netns:allow_host_loopback=true busybox cat /etc/hosts
  assert_line "10.0.2.2	host.containers.internal"
  assert_line "10.0.2.2	host.docker.internal"
  # No network: no host to reach.
  run_tug run --rm --network none busybox cat /etc/hosts
  assert_status 0
  assert_output_not_contains "host.containers.internal"
  assert_output_not_contains "host.docker.internal"
  # --add-host wins.
  run_tug run --rm --add-host host.docker.internal:192.0.2.77 busybox cat /etc/hosts
  assert_line "192.0.2.77	host.docker.internal"
  [ "$(grep -c host.docker.internal <<<"$output")" = 1 ]
}

@test "host.containers.internal on user-defined networks, none on internal ones" {
  load_busybox
  local host_ip
  host_ip=$(ip -4 -o addr show scope global up | awk '{print $4}' | cut -d/ -f1 | head -1)
  [ -n "$host_ip" ] || skip "the host has no global IPv4 address"
  tug_ok network create envnet
  tug_ok network create --internal envint
  run_tug run --rm --network envnet busybox cat /etc/hosts
  assert_status 0
  assert_line "$host_ip	host.containers.internal"
  run_tug run --rm --network envint busybox cat /etc/hosts
  assert_status 0
  assert_output_not_contains "host.containers.internal"
}

@test "/etc/mtab is a link to /proc/mounts unless the image has one" {
  load_busybox
  run_tug run --rm busybox sh -c 'readlink /etc/mtab; grep -c " / " /etc/mtab'
  assert_status 0
  assert_line "/proc/mounts"
  assert_line "1"

  busybox_layer "$TEST_DIR/base.tar"
  mkdir -p "$TEST_DIR/m/etc"
  echo "the image's own" >"$TEST_DIR/m/etc/mtab"
  tar -C "$TEST_DIR/m" -cf "$TEST_DIR/m.tar" --owner=0 --group=0 --numeric-owner ./etc/mtab
  make_layered_archive "$TEST_DIR/m-img.tar" mtab:1 "$TEST_DIR/base.tar" "$TEST_DIR/m.tar"
  tug_ok load -i "$TEST_DIR/m-img.tar"
  run_tug run --rm mtab:1 cat /etc/mtab
  assert_output_equals "the image's own"
}

@test "the image's mode of / is the container's" {
  busybox_layer "$TEST_DIR/base.tar"
  mkdir "$TEST_DIR/r"
  chmod 0555 "$TEST_DIR/r"
  tar -C "$TEST_DIR/r" -cf "$TEST_DIR/r.tar" --owner=0 --group=0 --numeric-owner .
  make_layered_archive "$TEST_DIR/r-img.tar" r555:1 "$TEST_DIR/base.tar" "$TEST_DIR/r.tar"
  tug_ok load -i "$TEST_DIR/r-img.tar"
  run_tug run --rm r555:1 stat -c %a /
  assert_output_equals "555"
  # root writes there all the same (its capabilities), and rm cleans up.
  tug_ok run --name w r555:1 sh -c 'echo x >/made && cat /made'
  assert_output_equals "x"
  tug_ok rm w
  load_busybox
  run_tug run --rm busybox stat -c %a /
  assert_output_equals "755"
}

@test "supplementary groups follow docker: the user's from /etc/group, none with -u UID:GID" {
  load_group_image
  run_tug run --rm grp:1 id
  assert_output_equals "uid=0(root) gid=0(root) groups=0(root),10(wheel)"
  run_tug run --rm -u alice grp:1 id
  assert_output_equals "uid=1000(alice) gid=1000(alice) groups=29(audio),50(staff),1000(alice)"
  run_tug run --rm -u 1000 grp:1 id
  assert_output_equals "uid=1000(alice) gid=1000(alice) groups=29(audio),50(staff),1000(alice)"
  run_tug run --rm -u 1000:1000 grp:1 id
  assert_output_equals "uid=1000(alice) gid=1000(alice) groups=1000(alice)"
  run_tug run --rm -u alice:audio grp:1 id
  assert_output_equals "uid=1000(alice) gid=29(audio) groups=29(audio)"
  run_tug run --rm -u 2000 grp:1 id
  assert_output_equals "uid=2000 gid=0(root) groups=0(root)"
  # exec gets the same
  tug_ok run -d --name g -u alice grp:1 sleep 60
  run_tug exec g id
  assert_output_equals "uid=1000(alice) gid=1000(alice) groups=29(audio),50(staff),1000(alice)"
}

@test "keep-id: HOME is the user's home when the image has it, else the working directory" {
  load_busybox
  if ! "$TUG" run --rm --userns=keep-id busybox true 2>/dev/null; then
    skip "keep-id is not usable here"
  fi
  run_tug run --rm --userns=keep-id busybox sh -c 'echo "HOME=$HOME"; grep "^$(id -un):" /etc/passwd'
  assert_status 0
  assert_line "HOME=/"
  assert_line "$(id -un):*:$(id -u):$(id -g)::/:/bin/sh"
  run_tug run --rm --userns=keep-id -w /tmp busybox sh -c 'echo "HOME=$HOME"; pwd'
  assert_line "HOME=/tmp"
  assert_line "/tmp"
  # Nothing was made for it.
  run_tug run --rm --userns=keep-id busybox sh -c "test -e '$HOME' && echo made || echo absent"
  assert_output_equals "absent"
  # A home the image has (a volume here) is used.
  mkdir -p "$TEST_DIR/home"
  run_tug run --rm --userns=keep-id -v "$TEST_DIR/home:$HOME" busybox sh -c 'echo "HOME=$HOME"'
  assert_output_equals "HOME=$HOME"
}

# ---- the terminal ---------------------------------------------------------

tmx() {
  tmux -S "$TEST_DIR/tmux.sock" "$@"
}

# in_terminal NAME COMMAND: runs COMMAND in a 100x30 tmux pane and waits
# for it to end; its exit code is in $TEST_DIR/NAME.rc.
in_terminal() {
  printf 'set -g status off\nset -g default-terminal xterm\n' >"$TEST_DIR/tmux.conf"
  tmx -f "$TEST_DIR/tmux.conf" new-session -d -s "$1" -x 100 -y 30 \
    "$2; echo \$? >'$TEST_DIR/$1.rc'"
  local i
  for i in $(seq 150); do
    [ -s "$TEST_DIR/$1.rc" ] && return 0
    sleep 0.1
  done
  echo "the command in $1 did not end" >&2
  return 1
}

@test "run -it: the terminal has its size before the command runs, and no stray byte" {
  command -v tmux >/dev/null || skip "tmux is not installed"
  load_busybox
  local i
  for i in 1 2 3 4 5; do
    in_terminal "s$i" "TERM=xterm '$TUG' run --rm -it busybox stty size >'$TEST_DIR/size$i'"
    [ "$(cat "$TEST_DIR/s$i.rc")" = 0 ]
    # The output is the terminal's bytes: exactly "30 100" and CR LF.
    [ "$(od -An -c "$TEST_DIR/size$i" | tr -s ' ')" = " 3 0 1 0 0 \r \n" ]
  done
  tug_ok run -d --name t busybox sleep 60
  in_terminal e1 "TERM=xterm '$TUG' exec -it t stty size >'$TEST_DIR/esize'"
  [ "$(tr -d '\r' <"$TEST_DIR/esize")" = "30 100" ]
  tmx kill-server 2>/dev/null || true
}

@test "run -it and exec -it refuse an input that is not a terminal, as docker" {
  load_busybox
  run_tug run --rm -it busybox true </dev/null
  assert_status 1
  assert_output_contains "the input device is not a TTY"
  # Nothing was created.
  run_tug ps -aq
  assert_output_equals ""
  # -t alone, or -d, is fine.
  run_tug run --rm -t busybox echo ok </dev/null
  assert_status 0
  tug_ok run -d -it --name d busybox sleep 60 </dev/null
  run_tug exec -it d true </dev/null
  assert_status 1
  assert_output_contains "the input device is not a TTY"
  run_tug exec -t d echo ok </dev/null
  assert_status 0
}

# ---- run flags ------------------------------------------------------------

@test "--ipc: private by default, host, none, shareable, container:NAME" {
  load_busybox
  local host_ns
  host_ns=$(readlink /proc/self/ns/ipc)
  run_tug run --rm busybox readlink /proc/self/ns/ipc
  assert_status 0
  [ "$output" != "$host_ns" ]
  run_tug run --rm --ipc private busybox sh -c 'readlink /proc/self/ns/ipc; grep -c " /dev/shm " /proc/mounts'
  [ "${lines[0]}" != "$host_ns" ]
  [ "${lines[1]}" = 1 ]
  run_tug run --rm --ipc host busybox readlink /proc/self/ns/ipc
  assert_status 0
  assert_output_equals "$host_ns"
  run_tug run --rm --ipc none busybox sh -c 'grep -c " /dev/shm " /proc/mounts; readlink /proc/self/ns/ipc'
  assert_line "0"
  [ "${lines[1]}" != "$host_ns" ]

  tug_ok run -d --name ipcsrc --ipc shareable busybox sh -c 'touch /dev/mqueue/shared; sleep 60'
  local src_ns
  src_ns=$("$TUG" exec ipcsrc readlink /proc/self/ns/ipc)
  run_tug run --rm --ipc container:ipcsrc busybox sh -c 'readlink /proc/self/ns/ipc; ls /dev/mqueue'
  assert_status 0
  assert_line "$src_ns"
  assert_line "shared"
  tug_ok inspect --format '{{.Id}}' ipcsrc
}

@test "--ipc errors: unknown modes, missing or stopped containers" {
  load_busybox
  run_tug run --rm --ipc bogus busybox true
  assert_status 125
  assert_output_contains "unrecognized namespace mode bogus passed"
  run_tug run --rm --ipc container:nosuch busybox true
  assert_status 125
  assert_output_contains "no such container"
  tug_ok create --name stopped busybox true
  run_tug run --rm --ipc container:stopped busybox true
  assert_status 125
  assert_output_contains "it is not running"
}

@test "-a/--attach relays only the named streams" {
  load_busybox
  run "$TUG" run --rm -a stdout busybox sh -c 'echo out; echo err >&2'
  assert_status 0
  assert_output_equals "out"
  run "$TUG" run --rm -a stderr busybox sh -c 'echo out; echo err >&2'
  assert_output_equals "err"
  run "$TUG" run --rm -a STDOUT -a stderr busybox sh -c 'echo out; echo err >&2'
  assert_line "out"
  assert_line "err"
  # stdin follows -i, as in docker
  run bash -c "echo hi | '$TUG' run --rm -i -a stdout busybox cat"
  assert_output_equals "hi"
  run_tug run --rm -a foo busybox true
  assert_status 125
  assert_output_contains 'valid streams are STDIN, STDOUT and STDERR'
  run_tug run --rm -d -a stdout busybox true
  assert_status 1
  assert_output_contains "conflicting options: cannot specify both --attach and --detach"
}

@test "--group-add: gids, names from the image, keep-groups; unknown names fail" {
  load_group_image
  run_tug run --rm --group-add 1234 --group-add audio grp:1 id
  assert_status 0
  assert_output_equals "uid=0(root) gid=0(root) groups=0(root),10(wheel),29(audio),1234"
  run_tug run --rm -u alice --group-add staff --group-add 7 grp:1 id
  assert_output_equals "uid=1000(alice) gid=1000(alice) groups=7,29(audio),50(staff),1000(alice)"
  # exec keeps them, as docker's does
  tug_ok run -d --name ga --group-add 4321 grp:1 sleep 60
  run_tug exec ga id
  assert_output_equals "uid=0(root) gid=0(root) groups=0(root),10(wheel),4321"
  run_tug run --rm --group-add nosuch grp:1 id
  assert_status 125
  assert_output_contains "Unable to find group nosuch: no matching entries in group file"
  run_tug run --rm --group-add keep-groups --group-add 5 grp:1 true
  assert_status 125
  assert_output_contains "keep-groups"
  # keep-groups: setgroups is left alone: the caller's groups stay (shown
  # as the overflow gid when unmapped), not the image's wheel.
  run_tug run --rm --group-add keep-groups grp:1 sh -c 'grep ^Groups: /proc/self/status'
  assert_status 0
  assert_output_not_contains "10"
  run_tug run --rm grp:1 sh -c 'grep ^Groups: /proc/self/status'
  assert_output_contains "10"
}

@test "--dns-option (and --dns-opt), --dns-search write resolv.conf's lines" {
  load_busybox
  run_tug run --rm --dns-option ndots:2 --dns-opt timeout:3 --dns-search example.com busybox cat /etc/resolv.conf
  assert_status 0
  assert_line "options ndots:2 timeout:3"
  assert_line "search example.com"
  assert_line "nameserver 10.0.2.3"
  run_tug run --rm --dns 192.0.2.53 --dns-option attempts:1 busybox cat /etc/resolv.conf
  assert_output_equals "nameserver 192.0.2.53
options attempts:1"
  run_tug run --rm --dns 192.0.2.53 --dns-search . busybox cat /etc/resolv.conf
  assert_output_equals "nameserver 192.0.2.53"
}

@test "--kernel-memory is accepted and ignored with docker's warning" {
  load_busybox
  run_tug run --rm --kernel-memory 50m busybox echo ran
  assert_status 0
  assert_line "ran"
  assert_line "WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future release."
  run_tug run --rm --kernel-memory lots busybox true
  assert_status 125
}

# ---- lifecycle and network details ---------------------------------------

@test "rm of a container whose network or IPC namespace another uses is refused" {
  load_busybox
  tug_ok run -d --name owner busybox sleep 60
  tug_ok run -d --name netuser --network container:owner busybox sleep 60
  tug_ok run -d --name ipcuser --ipc container:owner busybox sleep 60
  run_tug rm -f owner
  assert_status 1
  assert_output_contains "has dependent containers which must be removed before it"
  assert_output_contains "$("$TUG" inspect --format '{{.Id}}' netuser)"
  assert_output_contains "$("$TUG" inspect --format '{{.Id}}' ipcuser)"
  tug_ok inspect --format '{{.State.Running}}' owner
  assert_output_equals "true"
  # Once its users are gone, it goes.
  tug_ok rm -f netuser ipcuser
  tug_ok rm -f owner
  # rm -a (and rm owner user) removes the users first.
  tug_ok run -d --name owner busybox sleep 60
  tug_ok run -d --name netuser --network container:owner busybox sleep 60
  tug_ok rm -f owner netuser
  tug_ok run -d --name owner busybox sleep 60
  tug_ok run -d --name netuser --network container:owner busybox sleep 60
  tug_ok rm -f -a
  run_tug ps -aq
  assert_output_equals ""
}

@test "network connect and disconnect rewrite the container's /etc/hosts; eth0 has its broadcast" {
  load_busybox
  tug_ok network create --subnet 10.93.1.0/24 hn1
  tug_ok network create --subnet 10.93.2.0/24 hn2
  tug_ok run -d --name hc --network hn1 busybox sleep 60
  run_tug exec hc sh -c 'ip -4 -o addr show eth0; grep " hc$" /etc/hosts'
  assert_status 0
  assert_output_contains "inet 10.93.1.2/24 brd 10.93.1.255 scope global eth0"
  assert_line "10.93.1.2	$("$TUG" exec hc hostname) hc"
  tug_ok network connect hn2 hc
  run_tug exec hc grep " hc$" /etc/hosts
  assert_output_contains "10.93.1.2	"
  assert_output_contains "10.93.2.2	"
  tug_ok network disconnect hn1 hc
  run_tug exec hc grep " hc$" /etc/hosts
  assert_output_not_contains "10.93.1.2"
  assert_output_contains "10.93.2.2	"
}

@test "build: COPY keeps hard links as hard links" {
  load_busybox
  mkdir -p "$TEST_DIR/ctx/d"
  echo shared >"$TEST_DIR/ctx/d/a"
  ln "$TEST_DIR/ctx/d/a" "$TEST_DIR/ctx/d/b"
  ln "$TEST_DIR/ctx/d/a" "$TEST_DIR/ctx/d/c"
  echo alone >"$TEST_DIR/ctx/d/x"
  printf 'FROM busybox\nCOPY d /d\n' >"$TEST_DIR/ctx/Containerfile"
  tug_ok build -q -t links "$TEST_DIR/ctx"
  run_tug run --rm links sh -c 'stat -c "%n %h %i" /d/a /d/b /d/c /d/x'
  assert_status 0
  local ia ib ic
  ia=$(awk '$1=="/d/a"{print $3}' <<<"$output")
  ib=$(awk '$1=="/d/b"{print $3}' <<<"$output")
  ic=$(awk '$1=="/d/c"{print $3}' <<<"$output")
  [ "$ia" = "$ib" ] && [ "$ia" = "$ic" ]
  assert_output_contains "/d/a 3 "
  assert_output_contains "/d/x 1 "
}
