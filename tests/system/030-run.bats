#!/usr/bin/env bats
# tug run: the first rootless container and docker's exit codes.

load helpers

@test "run --rm busybox echo hello" {
  load_busybox
  run_tug run --rm busybox echo hello
  assert_status 0
  assert_output_equals "hello"
  # --rm leaves no container behind.
  run_tug ps -a -q
  assert_output_equals ""
}

@test "a --rm container's overlay is volatile, and still mounts after cp into it" {
  load_busybox
  # No sync of the upper filesystem at teardown for a throw-away upper.
  run_tug run --rm busybox grep ' - overlay ' /proc/self/mountinfo
  assert_success
  assert_output_contains volatile
  run_tug run --name kept busybox grep ' - overlay ' /proc/self/mountinfo
  assert_success
  assert_output_not_contains volatile
  tug_ok rm kept
  # cp mounts the rootfs (volatile: the kernel leaves its marker in the
  # work dir); the start mounts it a second time.
  tug_ok create --rm --name twice busybox cat /copied
  echo "copied in" >"$TEST_DIR/f"
  tug_ok cp "$TEST_DIR/f" twice:/copied
  run_tug start -a twice
  assert_success
  assert_output_equals "copied in"
  run_tug ps -a -q
  assert_output_equals ""
}

@test "the container's exit code is returned" {
  load_busybox
  run_tug run --rm busybox sh -c 'exit 3'
  assert_status 3
}

@test "command not found is 127, not executable is 126, unknown image is 125" {
  load_busybox
  run_tug run --rm busybox no-such-command
  assert_error 127 "no-such-command"
  run_tug run --rm busybox /etc/passwd
  assert_error 126 "/etc/passwd"
  run_tug run --rm no-such-image true
  assert_error 125 "no-such-image"
}

@test "uid 0 inside is the user outside" {
  load_busybox
  mkdir "$TEST_DIR/shared"
  run_tug run --rm -v "$TEST_DIR/shared:/shared" busybox sh -c 'id -u; touch /shared/made-inside'
  assert_status 0
  assert_output_equals "0"
  [ "$(stat -c %u "$TEST_DIR/shared/made-inside")" = "$(id -u)" ]
}
