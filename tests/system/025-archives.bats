#!/usr/bin/env bats
# Archives: save and load round trips, interop with skopeo and podman,
# and every way an archive can be wrong.

load helpers

podman_cmd() {
  podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" --runtime runc \
    --cgroup-manager=cgroupfs --events-backend=file --storage-driver vfs "$@"
}

teardown() {
  if [ -d "$TEST_DIR/podman" ]; then
    podman_cmd unshare rm -rf "$TEST_DIR/podman" "$TEST_DIR/podman-run" >/dev/null 2>&1 || true
  fi
  if [ -d "$XDG_DATA_HOME/tug" ]; then "$TUG" unshare rm -rf "$XDG_DATA_HOME/tug" >/dev/null 2>&1 || true; fi
  if [ -d "$TEST_DIR/second/tug" ]; then
    XDG_DATA_HOME=$TEST_DIR/second "$TUG" unshare rm -rf "$TEST_DIR/second/tug" >/dev/null 2>&1 || true
  fi
}

assert_store_clean() {
  run "$TUG" images -q
  assert_output_equals ""
  [ -z "$(ls -A "$XDG_DATA_HOME/tug/layers" 2>/dev/null)" ]
  [ -z "$(ls -A "$XDG_DATA_HOME/tug/tmp" 2>/dev/null)" ]
}

@test "save then load into a fresh store keeps the image id, in both formats" {
  load_busybox
  id=$("$TUG" images -q --no-trunc)
  for fmt in docker-archive oci-archive; do
    tug_ok save --format $fmt -o "$TEST_DIR/$fmt.tar" busybox
    [ -s "$TEST_DIR/$fmt.tar" ]
    XDG_DATA_HOME=$TEST_DIR/second run "$TUG" load -i "$TEST_DIR/$fmt.tar"
    assert_status 0
    [ "$(XDG_DATA_HOME=$TEST_DIR/second "$TUG" images -q --no-trunc)" = "$id" ]
    XDG_DATA_HOME=$TEST_DIR/second run "$TUG" run --rm busybox echo from-$fmt
    assert_output_equals "from-$fmt"
    XDG_DATA_HOME=$TEST_DIR/second "$TUG" rmi busybox >/dev/null
  done
  # Without -o the archive goes to stdout.
  "$TUG" save busybox | tar -t | grep -qx manifest.json
}

@test "skopeo reads tug's archives" {
  load_busybox
  tug_ok save -o "$TEST_DIR/d.tar" busybox
  tug_ok save --format oci-archive -o "$TEST_DIR/o.tar" busybox
  run skopeo inspect "docker-archive:$TEST_DIR/d.tar"
  assert_status 0
  [ "$(echo "$output" | jq -r '.Layers | length')" = 1 ]
  run skopeo inspect "oci-archive:$TEST_DIR/o.tar"
  assert_status 0
  run skopeo copy "docker-archive:$TEST_DIR/d.tar" "oci:$TEST_DIR/layout:x"
  assert_status 0
  [ -f "$TEST_DIR/layout/index.json" ]
}

@test "podman loads tug's archives, and tug loads and runs podman's" {
  if ! podman_cmd images >/dev/null 2>&1; then
    skip "podman cannot run rootless here"
  fi
  load_busybox
  tug_ok save -o "$TEST_DIR/tug.tar" busybox
  run podman_cmd load -i "$TEST_DIR/tug.tar"
  assert_status 0
  run podman_cmd images --format '{{.Repository}}:{{.Tag}}'
  assert_output_contains "busybox:latest"
  for fmt in docker-archive oci-archive; do
    run podman_cmd save --format $fmt -o "$TEST_DIR/pod-$fmt.tar" docker.io/library/busybox:latest
    assert_status 0
    XDG_DATA_HOME=$TEST_DIR/second run "$TUG" load -i "$TEST_DIR/pod-$fmt.tar"
    assert_status 0
    XDG_DATA_HOME=$TEST_DIR/second run "$TUG" run --rm busybox echo podman-$fmt
    assert_output_equals "podman-$fmt"
    XDG_DATA_HOME=$TEST_DIR/second "$TUG" rmi -f busybox >/dev/null
  done
}

@test "corrupt, truncated and mismatched archives store nothing" {
  # Truncated.
  head -c $(($(stat -c %s "$BUSYBOX_TAR") / 2)) "$BUSYBOX_TAR" >"$TEST_DIR/half.tar"
  run_tug load -i "$TEST_DIR/half.tar"
  assert_status 125
  assert_output_contains "Error:"
  [ "$(echo "$output" | grep -c .)" -le 2 ]
  assert_store_clean
  # A flipped byte inside busybox's binary in the layer.
  cp "$BUSYBOX_TAR" "$TEST_DIR/flip.tar"
  off=$(grep -obUa "BusyBox v1" "$BUSYBOX_TAR" | head -1 | cut -d: -f1)
  printf 'X' | dd of="$TEST_DIR/flip.tar" bs=1 seek=$((off + 2)) conv=notrunc 2>/dev/null
  run_tug load -i "$TEST_DIR/flip.tar"
  assert_status 125
  assert_output_contains "Error:"
  assert_store_clean
  # Not an archive at all.
  echo "hello" >"$TEST_DIR/text.tar"
  run_tug load -i "$TEST_DIR/text.tar"
  assert_status 125
  assert_store_clean
  run_tug load -i "$TEST_DIR/missing.tar"
  assert_status 125
}

@test "layers that try to escape their root are refused" {
  mkdir -p "$TEST_DIR/evil"
  cd "$TEST_DIR/evil"
  # ../escape
  mkdir -p a && echo pwned >a/escape
  tar --transform 's,^a/escape,../escape,' -cf "$TEST_DIR/dotdot.tar" a/escape 2>/dev/null
  run_tug import "$TEST_DIR/dotdot.tar" evil1
  assert_status 125
  assert_output_contains "Error:"
  [ ! -e "$XDG_DATA_HOME/tug/escape" ] && [ ! -e "$XDG_DATA_HOME/tug/tmp/escape" ]
  # A symlink out of the root, then a file through it.
  rm -rf a && mkdir b && ln -s "$TEST_DIR/target" b/link
  mkdir -p "$TEST_DIR/target"
  tar -cf "$TEST_DIR/link.tar" -C b link
  mkdir -p c/link && echo pwned >c/link/x
  tar -rf "$TEST_DIR/link.tar" -C c link/x
  run_tug import "$TEST_DIR/link.tar" evil2
  assert_status 125
  [ ! -e "$TEST_DIR/target/x" ]
  # A hardlink to a host file.
  rm -rf d && mkdir d && ln /etc/hostname d/h 2>/dev/null || cp /etc/hostname d/h
  tar --transform 's,^d/h,/etc/hostname,' -cf "$TEST_DIR/hl.tar" d/h 2>/dev/null
  printf 'x' >d/y
  tar --hard-dereference -rf "$TEST_DIR/hl.tar" d/y
  run_tug images -q
  assert_output_equals ""
}

@test "import a rootfs tarball, run it; export a container" {
  load_busybox
  tug_ok run --name exp busybox sh -c 'echo exported-data > /data.txt'
  tug_ok export -o "$TEST_DIR/rootfs.tar" exp
  tar -tf "$TEST_DIR/rootfs.tar" | grep -qx './data.txt\|data.txt'
  tar -tf "$TEST_DIR/rootfs.tar" | grep -q 'bin/busybox'
  [ "$(tar -xOf "$TEST_DIR/rootfs.tar" ./data.txt 2>/dev/null || tar -xOf "$TEST_DIR/rootfs.tar" data.txt)" = "exported-data" ]
  run_tug import "$TEST_DIR/rootfs.tar" mine:1
  assert_status 0
  [[ "$output" =~ sha256:[0-9a-f]{64} ]]
  run_tug run --rm mine:1 cat /data.txt
  assert_output_equals "exported-data"
  run bash -c "'$TUG' import - fromstdin < '$TEST_DIR/rootfs.tar'"
  assert_status 0
  run_tug run --rm fromstdin /bin/busybox echo ok
  assert_output_equals "ok"
  [ "$("$TUG" export exp | tar -t | grep -c busybox)" -ge 1 ]
}
