#!/usr/bin/env bats
# --userns=keep-id with subordinate ranges (this file runs as tugtest, who
# has one): the user's uid and gid are the same inside, the image's files
# keep their owners (fuse-overlayfs translates the ids the store holds for
# the default mapping), and what the user writes to a bind mount is theirs.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
  if ! grep -qE "^($(id -un)|$(id -u)):" /etc/subuid 2>/dev/null; then
    echo "$(id -un) has no /etc/subuid range; this file needs one" >&2
    return 1
  fi
}

@test "keep-id: the user's ids inside, the image's owners kept, bind mounts are the user's" {
  load_busybox
  mkdir "$TEST_DIR/out"
  run_tug run --rm --userns=keep-id -v "$TEST_DIR/out:/out" busybox \
    sh -c 'id -u; id -g; ls -ln /bin/busybox; stat -c %u:%g /etc/passwd; echo hi >/out/f; cat /proc/self/uid_map'
  assert_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = "$(id -u)" ]
  [ "${lines[1]}" = "$(id -g)" ]
  # root-owned image files are still root's
  [ "$(echo ${lines[2]} | awk '{print $3":"$4}')" = "0:0" ]
  [ "${lines[3]}" = "0:0" ]
  # the uid maps to itself on the host
  assert_output --regexp " +$(id -u) +$(id -u) +1"
  [ "$(stat -c %u:%g "$TEST_DIR/out/f")" = "$(id -u):$(id -g)" ]
  [ "$(cat "$TEST_DIR/out/f")" = "hi" ]
}

@test "keep-id: files of other image users keep their ids; passwd, group and HOME" {
  mkdir -p "$TEST_DIR/rootfs/bin" "$TEST_DIR/rootfs/etc" "$TEST_DIR/rootfs/data"
  cp /bin/busybox "$TEST_DIR/rootfs/bin/busybox"
  ln -s busybox "$TEST_DIR/rootfs/bin/sh"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$TEST_DIR/rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$TEST_DIR/rootfs/etc/group"
  echo owned >"$TEST_DIR/rootfs/data/f1000"
  echo owned >"$TEST_DIR/rootfs/data/f2000"
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/base.tar" --owner=0 --group=0 --numeric-owner ./bin ./etc ./data
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/a.tar" --owner=1000 --group=1000 --numeric-owner ./data/f1000
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/b.tar" --owner=2000 --group=2000 --numeric-owner ./data/f2000
  tar -A -f "$TEST_DIR/base.tar" "$TEST_DIR/a.tar"
  tar -A -f "$TEST_DIR/base.tar" "$TEST_DIR/b.tar"
  make_docker_archive "$TEST_DIR/owned.tar" owned:1 "$TEST_DIR/base.tar"
  tug_ok load -i "$TEST_DIR/owned.tar"

  run_tug run --rm --userns=keep-id owned:1 /bin/busybox sh -c \
    'cd /data; /bin/busybox stat -c "%n %u:%g" f1000 f2000; /bin/busybox grep ":$(/bin/busybox id -u):" /etc/passwd; /bin/busybox grep ":$(/bin/busybox id -g):" /etc/group; echo "HOME=$HOME"; /bin/busybox whoami; /bin/busybox test -d "$HOME" && echo home-exists'
  assert_status 0
  assert_line "f1000 1000:1000"
  assert_line "f2000 2000:2000"
  # The image has no home for the user: podman's rule, the working directory.
  assert_line "$(id -un):*:$(id -u):$(id -g)::/:/bin/sh"
  assert_line "$(id -un):x:$(id -g):"
  assert_line "HOME=/"
  assert_line "$(id -un)"
  assert_line "home-exists"
}

@test "keep-id:uid=U,gid=G: the user is U:G inside; exec joins as that user" {
  load_busybox
  mkdir "$TEST_DIR/out"
  tug_ok run -d --name k --userns=keep-id:uid=1234,gid=2345 -v "$TEST_DIR/out:/out" busybox sleep 60
  run_tug exec k sh -c 'id -u; id -g; touch /out/from-exec'
  assert_status 0
  assert_output_equals "1234
2345"
  [ "$(stat -c %u:%g "$TEST_DIR/out/from-exec")" = "$(id -u):$(id -g)" ]
  run_tug exec -u 0 k id -u
  assert_output_equals "0"
  run_tug exec k stat -c %u /bin/busybox
  assert_output_equals "0"
  run_tug inspect --format '{{.HostConfig.UsernsMode}}' k
  assert_output_equals "keep-id:uid=1234,gid=2345"
  tug_ok rm -f k
}

@test "keep-id: files the container's root writes keep the store's ownership" {
  load_busybox
  tug_ok create --name w --userns=keep-id -u 0 busybox sh -c 'echo x >/made-by-root'
  tug_ok start -a w
  # In the store, the upper dir holds it as the default mapping's root: the user.
  local id
  id=$("$TUG" inspect --format '{{.Id}}' w)
  [ "$(stat -c %u "$XDG_DATA_HOME/tug/containers/$id/upper/made-by-root")" = "$(id -u)" ]
  run_tug diff w
  assert_output_contains "A /made-by-root"
}

@test "keep-id: bad options and combinations fail clearly" {
  load_busybox
  run_tug run --rm --userns=keep-id:uid=abc busybox true
  assert_error 125 "invalid --userns"
  run_tug run --rm --userns=keep-id:size=3 busybox true
  assert_error 125 "unknown option"
  run_tug run --rm --userns=keep-id: busybox true
  assert_error 125 "invalid --userns"
  run_tug run --rm --userns=keep-id --storage-driver vfs busybox true
  assert_error 125 "fuse-overlayfs"
  run_tug run --rm --userns=auto busybox true
  assert_error 125 "not supported yet"
  tug_ok run -d --name net busybox sleep 60
  run_tug run --rm --userns=keep-id --network container:net busybox true
  assert_error 125 "cannot be combined"
  tug_ok rm -f net
}

@test "fake-chown=true with ranges: ids beyond the range are faked, mapped ones and chgrp are real" {
  load_busybox
  run_tug run --rm --security-opt fake-chown=true busybox sh -c \
    'touch /f; chown 100000 /f && echo big-ok; stat -c %u /f; chgrp 5 /f; stat -c %g /f; chown 7:8 /f; stat -c %u:%g /f'
  assert_status 0
  assert_output_equals "big-ok
0
5
7:8"
  # off by default with ranges: the kernel's answer
  run_tug run --rm busybox sh -c 'touch /f; chown 100000 /f'
  assert_failure
  assert_output_contains "Invalid argument"
}
