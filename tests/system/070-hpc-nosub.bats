#!/usr/bin/env bats
# An HPC login node: the user has no /etc/subuid range (this file runs as
# tugnosub). tug maps only the user's own uid, warns once, and still works.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
  # The premise of this file: no subordinate ids for us.
  if grep -qE "^($(id -un)|$(id -u)):" /etc/subuid 2>/dev/null; then
    echo "$(id -un) has a /etc/subuid range; this file needs a user without one" >&2
    return 1
  fi
}

# WARN lines in a text.
warn_lines() {
  printf '%s\n' "$1" | grep -ci 'warn' || true
}

@test "busybox loads with no subordinate ids and at most one warning" {
  run --separate-stderr "$TUG" load -i "$BUSYBOX_TAR"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/busybox:latest"
  [ "$(warn_lines "$stderr")" -le 1 ]
  [ "$(printf '%s\n' "$stderr" | grep -c .)" -le 1 ]
  run_tug images -q --no-trunc
  assert_output_equals "sha256:$(busybox_id)"
  # Every file of the layer belongs to the user.
  run find "$XDG_DATA_HOME/tug/layers" ! -user "$(id -u)"
  assert_output_equals ""
}

@test "run works with a single-line uid_map: 0 is the user's uid" {
  load_busybox
  run_tug run --rm busybox sh -c 'cat /proc/self/uid_map; echo; cat /proc/self/gid_map; echo; id -u'
  assert_status 0
  local lines
  mapfile -t lines < <(printf '%s\n' "$output" | grep .)
  [ "${#lines[@]}" -eq 3 ]
  [ "$(echo ${lines[0]})" = "0 $(id -u) 1" ]
  [ "$(echo ${lines[1]})" = "0 $(id -g) 1" ]
  [ "${lines[2]}" = "0" ]
  # Files written to a bind mount belong to the user.
  mkdir "$TEST_DIR/out"
  tug_ok run --rm -v "$TEST_DIR/out:/out" busybox sh -c 'echo result >/out/r'
  [ "$(stat -c %u "$TEST_DIR/out/r")" = "$(id -u)" ]
  [ "$(cat "$TEST_DIR/out/r")" = "result" ]
}

@test "an image with files owned by uid 1000 loads with one owner warning and runs" {
  mkdir -p "$TEST_DIR/rootfs/bin" "$TEST_DIR/rootfs/home/user"
  cp /bin/busybox "$TEST_DIR/rootfs/bin/busybox"
  echo "data of 1000" >"$TEST_DIR/rootfs/home/user/file"
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/layer.tar" --owner=1000 --group=1000 --numeric-owner ./home
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/bin.tar" --owner=0 --group=0 --numeric-owner ./bin
  tar -A -f "$TEST_DIR/layer.tar" "$TEST_DIR/bin.tar"
  make_docker_archive "$TEST_DIR/owned.tar" owned:1 "$TEST_DIR/layer.tar"

  run --separate-stderr "$TUG" load -i "$TEST_DIR/owned.tar"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/owned:1"
  [ "$(warn_lines "$stderr")" -eq 1 ]
  [ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
  [[ "$stderr" == *owner* || "$stderr" == *owned* ]]

  # On disk and inside, the file is the user's (uid 0 in the container).
  local layer
  layer=$(store_entries layers)
  [ "$(stat -c %u "$XDG_DATA_HOME/tug/layers/$layer/diff/home/user/file")" = "$(id -u)" ]
  run_tug run --rm owned:1 /bin/busybox sh -c '/bin/busybox cat /home/user/file; /bin/busybox stat -c %u /home/user/file'
  assert_status 0
  assert_output_equals "data of 1000
0"
}

@test "import of a tarball with foreign owners warns once and runs" {
  mkdir -p "$TEST_DIR/rootfs/bin"
  cp /bin/busybox "$TEST_DIR/rootfs/bin/busybox"
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/rootfs.tar" --owner=1000 --group=1000 --numeric-owner .
  run --separate-stderr "$TUG" import "$TEST_DIR/rootfs.tar" imported
  assert_status 0
  [ "$(warn_lines "$stderr")" -eq 1 ]
  run_tug run --rm imported /bin/busybox echo imported-ok
  assert_status 0
  assert_output_equals "imported-ok"
}

@test "tug unshare runs as uid 0 in a single-uid namespace" {
  run_tug unshare id -u
  assert_status 0
  assert_output_equals "0"
  run_tug unshare cat /proc/self/uid_map
  assert_status 0
  [ "$(echo $output)" = "0 $(id -u) 1" ]
}

@test "a user other than 0 cannot be mapped: a clear error, exit 125" {
  load_busybox
  run --separate-stderr "$TUG" run --rm -u 1000 busybox id
  assert_status 125
  [ "$(printf '%s\n' "$stderr" | grep -c '^Error:')" -eq 1 ]
  [[ "$stderr" == *1000* ]]
}

@test "no XDG_RUNTIME_DIR either: the runtime dir falls back to /tmp/tug-<uid>" {
  load_busybox
  run env -u XDG_RUNTIME_DIR "$TUG" run --rm busybox echo hpc
  assert_status 0
  assert_output_contains "hpc"
  [ "$(stat -c '%a %u' "/tmp/tug-$(id -u)")" = "700 $(id -u)" ]
}

@test "info says what is missing and what tug does instead" {
  run_tug info
  assert_status 0
  assert_output_contains "single-uid"
  assert_output_contains "/etc/subuid"
  assert_output_contains "0 $(id -u) 1"
}

@test "keep-id is the natural mode: one id, the user's own, files already theirs" {
  load_busybox
  mkdir "$TEST_DIR/out"
  run_tug run --rm --userns=keep-id -v "$TEST_DIR/out:/out" busybox \
    sh -c 'cat /proc/self/uid_map; id -u; id -g; stat -c %u /bin/busybox; echo x >/out/f; grep "^$(id -un 2>/dev/null || echo none):" /etc/passwd'
  assert_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "$(echo ${lines[0]})" = "$(id -u) $(id -u) 1" ]
  [ "${lines[1]}" = "$(id -u)" ]
  [ "${lines[2]}" = "$(id -g)" ]
  # The store holds every file as the user: inside, that is the user now.
  [ "${lines[3]}" = "$(id -u)" ]
  assert_line "$(id -un):*:$(id -u):$(id -g)::/:/bin/sh"
  [ "$(stat -c %u "$TEST_DIR/out/f")" = "$(id -u)" ]
  # exec joins as that user too
  tug_ok run -d --name k --userns=keep-id busybox sleep 60
  run_tug exec k id -u
  assert_output_equals "$(id -u)"
  tug_ok rm -f k
}

@test "fake-chown: chown to ids that do not exist here succeeds and changes nothing" {
  load_busybox
  run_tug run --rm busybox sh -c 'touch /f; chown 123:456 /f && echo chown-ok; stat -c %u:%g /f; chgrp 7 /f && echo chgrp-ok; chown 0:0 /f && echo own-ok'
  assert_status 0
  assert_line "chown-ok"
  assert_line "0:0"
  assert_line "chgrp-ok"
  assert_line "own-ok"
  # A package manager dropping to its service user goes on (setgroups,
  # setgid/setuid to ids that do not exist here are faked).
  run_tug run --rm busybox sh -c 'su -s /bin/sh nobody -c "echo as-nobody; id -u"'
  assert_status 0
  assert_line "as-nobody"
  # Off on request: the kernel's answer again.
  run_tug run --rm --security-opt fake-chown=false busybox sh -c 'touch /f; chown 123:456 /f'
  assert_failure
  assert_output_contains "Invalid argument"
  run_tug run --rm --security-opt fake-chown=maybe busybox true
  assert_error 125 "fake-chown=true or fake-chown=false"
  # -u with an id that is not mapped still fails: no silent root.
  run_tug run --rm -u 1000 busybox id -u
  assert_status 125
  # exec gets the filter too
  tug_ok run -d --name fc busybox sleep 60
  run_tug exec fc sh -c 'touch /g; chown 99 /g && echo exec-chown-ok'
  assert_output_contains "exec-chown-ok"
  tug_ok rm -f fc
}

@test "system check in single-uid mode: warns, says what to do, exits 0" {
  run_tug system check
  assert_status 0
  assert_line --partial "warn  id mapping: single-uid mode"
  assert_output_contains "/etc/subuid"
  assert_output_contains "fake-chown"
  assert_line --partial "ok    user namespaces"
  assert_output_contains "containers can run here"
}
