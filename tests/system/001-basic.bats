#!/usr/bin/env bats
# The command line itself: help, version, unknown commands and flags.

load helpers

@test "tug --help lists the commands" {
  run_tug --help
  assert_status 0
  assert_output_contains "run"
  assert_output_contains "images"
}

@test "tug --version prints the version" {
  run_tug --version
  assert_status 0
  assert_output_contains "tug version "
}

@test "unknown command is a one-line error with exit 125" {
  run_tug frobnicate
  assert_error 125 "unrecognized command \`tug frobnicate\`"
}

@test "unknown flag is an error with exit 125" {
  run_tug images --bogus
  assert_status 125
  assert_output_contains "Error:"
  assert_output_contains "--bogus"
  run_tug run --bogus busybox true
  assert_error 125 "unknown flag: --bogus"
}

@test "invalid --log-level is refused" {
  run_tug --log-level=loud images
  assert_error 125 "invalid log level"
}
