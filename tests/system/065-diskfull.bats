#!/usr/bin/env bats
# A full disk never traps the user: the store lives on a small filesystem
# of its own (run-bats mounts a 64 MiB tmpfs for *-diskfull.bats files when
# it runs as root; a host gives a user such a thing as a quota or a small
# scratch volume), which the tests fill. Every command that writes the
# store (a container, rm, load, pull, import, build, commit) either works
# or says "no space left on device" naming where, and stores nothing half.

load helpers

SMALLFS=${TUG_TEST_SMALLFS:-/tmp/tug-test-smallfs}

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
  stop_registry
  if [ -n "${STORE:-}" ]; then
    T rm -f -a -t 0 >/dev/null 2>&1 || true
    remove_store "$STORE"
  fi
  remove_store "$TEST_DIR/src"
}

T() { "$TUG" --root "$STORE" "$@"; }

# A store off the small filesystem, where images are made to be pushed.
S() { "$TUG" --root "$TEST_DIR/src" "$@"; }

# Debian's docker-registry on 127.0.0.1, its data in the test's directory;
# sets REG.
start_registry() {
  local port i
  port=$(free_port)
  mkdir -p "$TEST_DIR/reg/data"
  printf '%s\n' 'version: 0.1' 'log:' '  level: error' '  accesslog:' '    disabled: true' \
    'storage:' '  filesystem:' "    rootdirectory: $TEST_DIR/reg/data" 'http:' \
    "  addr: 127.0.0.1:$port" >"$TEST_DIR/reg/config.yml"
  # fd 3 is bats' own: a server holding it would keep bats waiting.
  docker-registry serve "$TEST_DIR/reg/config.yml" >"$TEST_DIR/reg/log" 2>&1 3>&- &
  echo $! >"$TEST_DIR/reg/pid"
  REG=127.0.0.1:$port
  for i in $(seq 100); do
    curl -s -o /dev/null "http://$REG/v2/" && return 0
    sleep 0.1
  done
  cat "$TEST_DIR/reg/log" >&2
  return 1
}

stop_registry() {
  local pidfile=$TEST_DIR/reg/pid
  [ -s "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

# A tar of one 4 MiB file of random bytes (it cannot fit on a full disk,
# and does not compress).
big_tar() {
  mkdir -p "$TEST_DIR/big"
  head -c 4M /dev/urandom >"$TEST_DIR/big/blob"
  tar -C "$TEST_DIR/big" -cf "$1" .
}

# What every refused command must leave: the image list as it was, no
# staging or temporary file, and a store that system check finds clean.
assert_nothing_stored() {
  local before=$1
  run T images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_output_equals "$before"
  [ -z "$(ls -A "$STORE/tmp")" ]
  [ -z "$(find "$STORE" -name '*.tmp-*')" ]
  rm -f "$FILL"  # check itself needs room to run its containers' probe
  run T system check
  assert_success
  assert_line "store: ok"
}

# The failure every command on the full disk must report: docker's errno
# text, and a path in the store that could not be written.
assert_out_of_space() {
  assert_status 125
  assert_output_contains "no space left on device"
  assert_output_contains "$STORE/"
  assert_output_not_contains "Write error"
  assert_output_not_contains "Failed initialization"
  assert_output_not_contains "aborted by the receiver"
}

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

@test "pull on a full disk: says no space left on device and where, stores nothing, works once space is freed" {
  start_registry
  big_tar "$TEST_DIR/big.tar"
  busybox_layer "$TEST_DIR/bb.tar"
  # busybox below (the store has that layer), the 4 MiB layer on top.
  make_layered_archive "$TEST_DIR/bigimg.tar" big:1 "$TEST_DIR/bb.tar" "$TEST_DIR/big.tar"
  S load -q -i "$TEST_DIR/bigimg.tar"
  S push -q --tls-verify=false big:1 "$REG/big:1"
  T load -q -i "$BUSYBOX_TAR"
  local before
  before=$(T images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}')
  fill_disk
  run T pull -q --tls-verify=false "$REG/big:1"
  assert_out_of_space
  assert_nothing_stored "$before"
  run T pull -q --tls-verify=false "$REG/big:1"
  assert_success
  run T run --rm --network none "$REG/big:1" wc -c /blob
  assert_output_equals "4194304 /blob"
}

@test "import on a full disk: says no space left on device and where, stores nothing, works once space is freed" {
  T load -q -i "$BUSYBOX_TAR"
  big_tar "$TEST_DIR/big.tar"
  local before
  before=$(T images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}')
  fill_disk
  run T import "$TEST_DIR/big.tar" imported:1
  assert_out_of_space
  assert_nothing_stored "$before"
  run T import -q "$TEST_DIR/big.tar" imported:1
  assert_success
  run T images --format '{{.Repository}}:{{.Tag}}'
  assert_line "localhost/imported:1"
}

@test "build on a full disk: says no space left on device and where, leaves no image or container, works once space is freed" {
  T load -q -i "$BUSYBOX_TAR"
  mkdir -p "$TEST_DIR/ctx"
  head -c 4M /dev/urandom >"$TEST_DIR/ctx/blob"
  printf 'FROM busybox\nCOPY blob /blob\n' >"$TEST_DIR/ctx/Containerfile"
  local before
  before=$(T images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}')
  fill_disk
  run T build -q -t built:1 "$TEST_DIR/ctx"
  assert_out_of_space
  [ -z "$(ls -A "$STORE/containers")" ]  # the build's container went with it
  assert_nothing_stored "$before"
  run T build -q -t built:1 "$TEST_DIR/ctx"
  assert_success
  run T run --rm --network none built:1 wc -c /blob
  assert_output_equals "4194304 /blob"
}

@test "commit on a full disk: says no space left on device and where, stores nothing, works once space is freed" {
  T load -q -i "$BUSYBOX_TAR"
  run T run --name c --network none busybox sh -c 'head -c 4194304 /dev/urandom >/big'
  assert_success
  local before
  before=$(T images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}')
  fill_disk
  run T commit c committed:1
  assert_out_of_space
  assert_nothing_stored "$before"
  run T commit -q c committed:1
  assert_success
  run T run --rm --network none committed:1 wc -c /big
  assert_output_equals "4194304 /big"
}
