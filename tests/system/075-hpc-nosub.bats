#!/usr/bin/env bats
# An HPC login node: no /etc/subuid range (this file runs as tugnosub).

load helpers

@test "without subordinate ids, images load and run with a single-uid mapping" {
  ! grep -q "^$(id -un):" /etc/subuid
  run_tug load -i "$BUSYBOX_TAR"
  assert_status 0
  run_tug run --rm busybox sh -c 'cat /proc/self/uid_map; id -u'
  assert_status 0
  [ "$(echo "$output" | head -1 | awk '{print $1, $2, $3}')" = "0 $(id -u) 1" ]
  [ "$(echo "$output" | wc -l)" = 2 ]
  run_tug info --format '{{.host.idMappings.mode}}'
  assert_output_equals "single-uid"
  run_tug unshare id -u
  assert_output_equals "0"
}

@test "an image with files of other users loads with one warning and runs" {
  mkdir -p "$TEST_DIR/tree/a" "$TEST_DIR/tree/b"
  cp /bin/busybox "$TEST_DIR/tree/busybox"
  echo one >"$TEST_DIR/tree/a/f1"
  echo two >"$TEST_DIR/tree/b/f2"
  tar --owner=1000 --group=1000 --numeric-owner -C "$TEST_DIR/tree" -cf "$TEST_DIR/owned.tar" .
  run_tug import "$TEST_DIR/owned.tar" owned
  assert_status 0
  [ "$(echo "$output" | grep -c WARN)" = 1 ]
  run_tug run --rm owned /busybox cat /a/f1 /b/f2
  assert_output_equals "$(printf 'one\ntwo')"
}
