#!/usr/bin/env bats
# The command line itself: help, version, unknown commands and flags.

load helpers
bats_require_minimum_version 1.5.0

# A failure with exit status $1 whose stderr is one line "Error: ...$2...",
# optionally followed by "Hint: ..." lines (as podman adds "Try ...").
assert_one_line_error() {
  assert_status "$1"
  local first others
  first=$(printf '%s\n' "$stderr" | sed -n 1p)
  others=$(printf '%s\n' "$stderr" | sed 1d | grep -vc '^Hint: ' || true)
  if [ "$others" -ne 0 ] || [[ "$first" != "Error: "*"$2"* ]]; then
    echo "expected one line 'Error: ...$2...' (and hints) on stderr, got:" >&2
    echo "$stderr" >&2
    return 1
  fi
  assert_output ""
}

@test "tug --help lists the commands" {
  run_tug --help
  assert_status 0
  assert_output_contains "run"
  assert_output_contains "images"
  # Internal commands are not offered to users.
  assert_output_not_contains "__"
}

@test "tug --version prints the version" {
  run_tug --version
  assert_status 0
  assert_output_contains "tug version "
}

@test "unknown command is a one-line error with exit 125" {
  run --separate-stderr "$TUG" frobnicate
  assert_one_line_error 125 "unrecognized command \`tug frobnicate\`"
}

@test "unknown flag is a one-line error with exit 125" {
  run --separate-stderr "$TUG" images --bogus
  assert_one_line_error 125 "--bogus"
  run --separate-stderr "$TUG" run --bogus busybox true
  assert_one_line_error 125 "unknown flag: --bogus"
  run --separate-stderr "$TUG" --bogus images
  assert_one_line_error 125 "--bogus"
}

@test "invalid --log-level is refused" {
  run --separate-stderr "$TUG" --log-level=loud images
  assert_one_line_error 125 "invalid log level"
}
