# Loaded by every bats file. Each test gets its own storage and runtime
# directories, so tests never see each other's images or containers.

TUG=${TUG_PREFIX}/bin/tug
BUSYBOX_TAR=${TUG_TEST_CACHE}/busybox.tar
BUSYBOX_OCI_TAR=${TUG_TEST_CACHE}/busybox-oci.tar
# The image id mkimage-busybox produces (reproducible builds).
BUSYBOX_ID_FILE=${TUG_TEST_CACHE}/busybox.id

setup() {
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data
  export XDG_RUNTIME_DIR=$TEST_DIR/run
  export XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  cd "$TEST_DIR"
}

teardown() {
  # Layers and upper dirs hold files of subordinate uids that only the user
  # namespace's root may delete.
  if [ -d "$XDG_DATA_HOME/tug" ]; then
    "$TUG" unshare rm -rf "$XDG_DATA_HOME/tug" >/dev/null 2>&1 || true
  fi
}

# run_tug ARGS...: runs tug, sets $status and $output (stdout+stderr).
run_tug() {
  run "$TUG" "$@"
}

# Runs tug and fails the test unless it exits 0; output in $output.
tug_ok() {
  run "$TUG" "$@"
  if [ "$status" -ne 0 ]; then
    echo "# tug $* exited $status:" >&3
    echo "$output" | sed 's/^/#   /' >&3
    return 1
  fi
}

load_busybox() {
  tug_ok load -i "$BUSYBOX_TAR"
}

assert_status() {
  if [ "$status" -ne "$1" ]; then
    echo "expected exit status $1, got $status; output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_output_contains() {
  if [[ "$output" != *"$1"* ]]; then
    echo "expected output to contain: $1" >&2
    echo "actual output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_output_not_contains() {
  if [[ "$output" == *"$1"* ]]; then
    echo "expected output NOT to contain: $1" >&2
    echo "actual output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_output_equals() {
  if [ "$output" != "$1" ]; then
    echo "expected output: $1" >&2
    echo "actual output:   $output" >&2
    return 1
  fi
}

# A one-line error with the given text, on a failed command.
assert_error() {
  assert_status "$1"
  assert_output_contains "Error: "
  assert_output_contains "$2"
}

# Number of lines in $output.
line_count() {
  if [ -z "$output" ]; then echo 0; else printf '%s\n' "$output" | wc -l; fi
}
