#!/usr/bin/env bats
# Where tug keeps things, and owners of layer files on the host.

load helpers

@test "data root defaults to \$XDG_DATA_HOME/tug, then ~/.local/share/tug" {
  load_busybox
  [ -d "$XDG_DATA_HOME/tug/layers" ] && [ -d "$XDG_DATA_HOME/tug/images" ]
  HOME=$TEST_DIR/home XDG_DATA_HOME= run "$TUG" load -i "$BUSYBOX_TAR"
  assert_status 0
  [ -n "$(ls "$TEST_DIR/home/.local/share/tug/images")" ]
  HOME=$TEST_DIR/home XDG_DATA_HOME= "$TUG" unshare rm -rf "$TEST_DIR/home/.local/share/tug"
}

@test "--root and --runroot override; without XDG_RUNTIME_DIR, /tmp/tug-<uid> is used" {
  run "$TUG" --root "$TEST_DIR/r" --runroot "$TEST_DIR/rr" load -i "$BUSYBOX_TAR"
  assert_status 0
  [ -n "$(ls "$TEST_DIR/r/images")" ]
  [ ! -d "$XDG_DATA_HOME/tug/images" ] || [ -z "$(ls "$XDG_DATA_HOME/tug/images")" ]
  run "$TUG" --root "$TEST_DIR/r" --runroot "$TEST_DIR/rr" run -d busybox sleep 5
  ls "$TEST_DIR/rr" | grep -q '\.sock$'
  "$TUG" --root "$TEST_DIR/r" --runroot "$TEST_DIR/rr" rm -f "$output" >/dev/null
  "$TUG" --root "$TEST_DIR/r" unshare rm -rf "$TEST_DIR/r"
  env -u XDG_RUNTIME_DIR "$TUG" images >/dev/null
  d=/tmp/tug-$(id -u)
  [ -d "$d" ] && [ "$(stat -c '%a %u' "$d")" = "700 $(id -u)" ]
  run env -u XDG_RUNTIME_DIR "$TUG" info --format '{{.store.runRoot}}'
  assert_output_equals "$d/run"
}

@test "layer files belong to the user's subordinate ids as the image says" {
  mkdir -p "$TEST_DIR/tree/home/u"
  cp /bin/busybox "$TEST_DIR/tree/busybox" 2>/dev/null || skip "no busybox on the host"
  echo owned >"$TEST_DIR/tree/home/u/file"
  tar --owner=1000 --group=1000 --numeric-owner -C "$TEST_DIR/tree" -cf "$TEST_DIR/owned.tar" .
  tug_ok import "$TEST_DIR/owned.tar" owned
  start=$(awk -F: -v u="$(id -un)" '$1 == u {print $2}' /etc/subuid)
  f=$(find "$XDG_DATA_HOME/tug/layers" -path '*home/u/file' | head -1)
  [ -n "$f" ]
  [ "$(stat -c %u "$f")" = "$((start + 999))" ]
  run_tug run --rm owned /busybox stat -c %u /home/u/file
  assert_output_equals "1000"
  [ "$(cat "$XDG_DATA_HOME/tug/storage.json" | jq -r .driver)" = overlay ]
}

@test "the vfs driver runs containers too" {
  load_busybox
  run_tug run --rm --storage-driver vfs busybox sh -c 'echo vfs > /f; cat /f'
  assert_output_equals "vfs"
}

@test "a SIGKILLed load leaves no half layer, and the next command cleans up" {
  mkdir -p "$TEST_DIR/big"
  head -c 200000000 /dev/urandom >"$TEST_DIR/big/blob"
  cp /bin/busybox "$TEST_DIR/big/" 2>/dev/null || true
  tar -C "$TEST_DIR/big" -cf "$TEST_DIR/big.tar" .
  rm -rf "$TEST_DIR/big"
  "$TUG" import "$TEST_DIR/big.tar" big >/dev/null 2>&1 &
  pid=$!
  # Kill it while it stages the layer.
  for _ in $(seq 200); do
    [ -n "$(ls -A "$XDG_DATA_HOME/tug/tmp" 2>/dev/null)" ] && break
    sleep 0.01
  done
  kill -9 $pid
  wait $pid || true
  run_tug images -q
  assert_output_equals ""
  [ -z "$(ls "$XDG_DATA_HOME/tug/layers")" ]
  load_busybox
  [ -z "$(ls "$XDG_DATA_HOME/tug/tmp")" ]
  run_tug run --rm busybox echo fine
  assert_output_equals "fine"
}
