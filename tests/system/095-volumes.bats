#!/usr/bin/env bats
# Named and anonymous volumes.

load helpers

@test "volume create, ls, inspect; data survives containers" {
  load_busybox
  run_tug volume create my-volume
  assert_output_equals "my-volume"
  run_tug volume ls
  [[ "$(echo "$output" | head -1)" =~ ^DRIVER\ +VOLUME\ NAME$ ]]
  assert_output_contains "local"
  assert_output_contains "my-volume"
  run_tug volume inspect my-volume
  [ "$(echo "$output" | jq -r '.[0].Name')" = my-volume ]
  mp=$(echo "$output" | jq -r '.[0].Mountpoint')
  tug_ok run --rm -v my-volume:/app busybox sh -c 'echo kept > /app/file'
  [ "$(cat "$mp/file")" = kept ]
  run_tug run --rm -v my-volume:/app:ro busybox sh -c 'cat /app/file; echo x > /app/other'
  assert_output_contains "kept"
  assert_output_contains "Read-only file system"
  run_tug volume create my-volume
  assert_error 125 "already exists"
  run_tug volume create 'bad/name'
  assert_status 125
  run_tug volume inspect nope
  assert_error 1 "no such volume"
  # stdout holds what was found: `[]` for nothing, as docker and podman.
  run bash -c "'$TUG' volume inspect nope 2>/dev/null"
  assert_status 1
  assert_output_equals "[]"
  run bash -c "'$TUG' volume inspect --format '{{.Name}}' my-volume nope 2>/dev/null"
  assert_status 1
  assert_output_equals "my-volume"
  # podman's volume exists.
  tug_ok volume exists my-volume
  assert_output_equals ""
  run_tug volume exists nope
  assert_status 1
  assert_output_equals ""
}

@test "a new named volume is filled from the image, once" {
  load_busybox
  run_tug run --rm -v etc-copy:/etc busybox cat /etc/passwd
  assert_output_contains "root:x:0:0"
  mp=$("$TUG" volume inspect --format '{{.Mountpoint}}' etc-copy)
  [ -f "$mp/passwd" ]
  # Not refilled: a file deleted in the volume stays deleted.
  tug_ok run --rm -v etc-copy:/etc busybox rm /etc/group
  run_tug run --rm -v etc-copy:/etc busybox ls /etc
  assert_output_not_contains "group"
}

@test "a volume in use cannot be removed; prune keeps used ones" {
  load_busybox
  tug_ok run --name holder -v busy:/data busybox true
  tug_ok volume create idle
  run_tug volume rm busy
  assert_error 1 "being used"
  run_tug volume prune -f
  assert_output_contains "idle"
  assert_output_not_contains "busy"
  run_tug volume ls -q
  assert_output_equals "busy"
  tug_ok rm holder
  tug_ok volume rm busy
  run_tug volume ls -q
  assert_output_equals ""
}

@test "rm -v removes anonymous volumes and keeps named ones" {
  mkdir -p "$TEST_DIR/tree/var/lib/app"
  cp /bin/busybox "$TEST_DIR/tree/busybox"
  echo seeded >"$TEST_DIR/tree/var/lib/app/seed"
  tar -C "$TEST_DIR/tree" -cf "$TEST_DIR/img.tar" .
  tug_ok import -c 'VOLUME /var/lib/app' "$TEST_DIR/img.tar" withvol
  tug_ok run --name anon -v named:/named withvol /busybox cat /var/lib/app/seed
  assert_output_equals "seeded"
  [ "$("$TUG" volume ls -q | wc -l)" = 2 ]
  tug_ok rm -v anon
  run_tug volume ls -q
  assert_output_equals "named"
}

@test "--mount type=bind, volume (named and anonymous) and tmpfs" {
  load_busybox
  mkdir -p "$TEST_DIR/src"
  echo from-host > "$TEST_DIR/src/f"
  run_tug run --rm --mount "type=bind,source=$TEST_DIR/src,target=/b,readonly" busybox \
    sh -c 'cat /b/f; echo x > /b/g'
  assert_output_contains "from-host"
  assert_output_contains "Read-only file system"
  [ ! -e "$TEST_DIR/src/g" ]
  run_tug run --rm --mount "type=bind,src=$TEST_DIR/src,dst=/b" busybox sh -c 'echo written > /b/g'
  assert_status 0
  [ "$(cat "$TEST_DIR/src/g")" = written ]

  tug_ok run --rm --mount type=volume,source=mvol,target=/data busybox sh -c 'echo kept > /data/k'
  run_tug run --rm -v mvol:/data busybox cat /data/k
  assert_output_equals "kept"

  # No source: an anonymous volume, listed and removed with the container by rm -v.
  tug_ok run --name anon --mount type=volume,target=/anon busybox sh -c 'echo a > /anon/a'
  [ "$("$TUG" volume ls -q | wc -l)" -eq 2 ]
  tug_ok rm -v anon
  [ "$("$TUG" volume ls -q | wc -l)" -eq 1 ]

  run_tug run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=0700 busybox \
    sh -c 'awk "\$2 == \"/t\" { print \$3, \$4 }" /proc/mounts; stat -c %a /t'
  assert_status 0
  assert_output_contains "tmpfs rw"
  assert_output_contains "size=1024k"
  assert_output_contains "mode=700"
}

@test "--mount errors: bad type, relative target, unknown key, missing bind source, duplicates" {
  load_busybox
  run_tug run --rm --mount type=nfs,target=/x busybox true
  assert_error 125 "invalid mount type"
  run_tug run --rm --mount type=bind,source=/tmp,target=rel busybox true
  assert_error 125 "absolute target"
  run_tug run --rm --mount type=bind,source=/tmp,target=/x,colour=blue busybox true
  assert_error 125 "unknown option"
  run_tug run --rm --mount type=bind,source=/nonexistent-src,target=/x busybox true
  assert_error 125 "/nonexistent-src"
  run_tug run --rm --mount type=tmpfs,target=/x -v /tmp:/x busybox true
  assert_error 125 "duplicate mount destination"
  run_tug ps -a -q
  assert_output_equals ""
}

@test "-v SRC:DST:U chowns the mount to the container's user" {
  load_busybox
  mkdir -p "$TEST_DIR/u/sub"
  echo data > "$TEST_DIR/u/sub/f"
  # Without :U the user cannot write the host dir (it is root's inside).
  run_tug run --rm -u daemon -v "$TEST_DIR/u:/data" busybox sh -c 'touch /data/x'
  assert_status 1
  run_tug run --rm -u daemon -v "$TEST_DIR/u:/data:U" busybox sh -c 'touch /data/x && stat -c "%u:%g" /data /data/x /data/sub/f'
  assert_status 0
  assert_output_equals "1:1
1:1
1:1"
  # On the host the files now belong to the id daemon maps to, not to us.
  [ "$(stat -c %u "$TEST_DIR/u/sub/f")" != "$(id -u)" ]
  # Named volumes too; the image's user when no -u is given.
  tug_ok run --rm -u 1000:1000 -v uvol:/v:U busybox touch /v/mine
  run_tug run --rm -v uvol:/v busybox stat -c %u:%g /v/mine
  assert_output_equals "1000:1000"
  # Give the files back to us so the test directory can be removed.
  tug_ok unshare chown -R 0:0 "$TEST_DIR/u"
}
