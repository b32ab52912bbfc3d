#!/usr/bin/env bats
# A full disk never traps the user: the store lives on a small filesystem
# of its own (run-bats mounts a 64 MiB tmpfs for *-diskfull.bats files when
# it runs as root; a host gives a user such a thing as a quota or a small
# scratch volume), which the tests fill.

load helpers

SMALLFS=/tmp/tug-test-smallfs

setup() {
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data
  export XDG_RUNTIME_DIR=$TEST_DIR/run
  export XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  if ! mountpoint -q "$SMALLFS" || [ ! -w "$SMALLFS" ]; then
    skip "needs a small filesystem of its own at $SMALLFS (tests/system/run-bats mounts one as root)"
  fi
  STORE=$SMALLFS/store-$BATS_TEST_NUMBER
  FILL=$SMALLFS/fill-$BATS_TEST_NUMBER
}

teardown() {
  rm -f "$FILL"
  if [ -n "${STORE:-}" ]; then
    T rm -f -a -t 0 >/dev/null 2>&1 || true
    remove_store "$STORE"
  fi
}

T() { "$TUG" --root "$STORE" "$@"; }

# Fills the small filesystem with a file of the user's, up to the last byte.
fill_disk() {
  dd if=/dev/zero of="$FILL" bs=1M 2>/dev/null || true
  [ "$(df --output=avail -k "$SMALLFS" | tail -1)" -lt 64 ]
}

@test "a container that filled the disk: its exit code is recorded, rm -f frees it, no temp file is left" {
  T load -q -i "$BUSYBOX_TAR"
  run T run -d --name filler --network none busybox sh -c 'dd if=/dev/zero of=/fill bs=1M 2>/dev/null; exit 7'
  assert_success
  run T wait filler
  assert_output_equals "7"
  [ "$(df --output=avail -k "$SMALLFS" | tail -1)" -lt 64 ]  # it did fill the disk
  run T inspect --format '{{.State.ExitCode}} {{.State.Status}}' filler
  assert_output_equals "7 exited"
  run T ps -a --format '{{.Names}} {{.Status}}'
  assert_output_contains "filler Exited (7)"
  run T rm -f filler
  assert_success
  [ -z "$(find "$STORE" -name '*.tmp-*')" ]
  [ "$(df --output=avail -k "$SMALLFS" | tail -1)" -gt 20000 ]  # the space came back
  # and the store works again, its reserve made anew
  run T run --rm --network none busybox echo after
  assert_output_equals "after"
  [ -s "$STORE/reserve" ]
}

@test "rm -f, rm -f -a and container prune work on a full disk" {
  T load -q -i "$BUSYBOX_TAR"
  T run -d --name r1 --network none busybox sleep 300 >/dev/null
  T create --name c1 busybox true >/dev/null
  T run --name e1 --network none busybox true
  fill_disk
  run T rm -f r1
  assert_success
  run T container prune -f
  assert_success
  run T rm -f -a
  assert_success
  run T ps -a -q
  assert_output_equals ""
  [ -z "$(find "$STORE" -name '*.tmp-*')" ]
}

@test "load on a full disk: says no space left on device, stores nothing, works once space is freed" {
  T load -q -i "$BUSYBOX_TAR"
  # An image of its own with a 4 MiB layer that cannot fit.
  mkdir -p "$TEST_DIR/big"
  head -c 4M /dev/urandom >"$TEST_DIR/big/blob"
  tar -C "$TEST_DIR/big" -cf "$TEST_DIR/big.tar" .
  make_docker_archive "$TEST_DIR/bigimg.tar" big:1 "$TEST_DIR/big.tar"
  local before
  before=$(T images --format '{{.Repository}}:{{.Tag}}')
  fill_disk
  run T load -i "$TEST_DIR/bigimg.tar"
  assert_status 125
  assert_output_contains "no space left on device"
  run T images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "$before"
  [ -z "$(ls -A "$STORE/tmp")" ]  # no staging left behind
  rm -f "$FILL"
  run T load -q -i "$TEST_DIR/bigimg.tar"
  assert_success
  run T images --format '{{.Repository}}:{{.Tag}}'
  assert_output_contains "/big:1"
}
