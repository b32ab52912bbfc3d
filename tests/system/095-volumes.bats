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
  assert_error 125 "no such volume"
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
  assert_error 125 "being used"
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
