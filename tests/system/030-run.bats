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
