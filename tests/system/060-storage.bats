#!/usr/bin/env bats
# Where tug keeps its data, who owns the files on disk, which driver it
# picks, and that a killed load leaves no half layer behind.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  local rc=0
  tug_test_cleanup || rc=$?
  remove_store "$TEST_DIR/home/.local/share/tug"
  remove_store "$TEST_DIR/root1"
  return $rc
}

# The first subordinate uid of the current user, from /etc/subuid.
subuid_start() {
  awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { print $2; exit }' /etc/subuid
}

@test "the data root is \$XDG_DATA_HOME/tug" {
  # A home of its own: the test user's real one may hold a store already.
  export HOME=$TEST_DIR/home
  mkdir -p "$HOME"
  load_busybox
  local id
  id=$(busybox_id)
  [ -f "$XDG_DATA_HOME/tug/images/$id.json" ]
  [ -d "$XDG_DATA_HOME/tug/layers" ]
  [ -n "$(store_entries layers)" ]
  # Nothing under the home directory's default.
  [ ! -e "$HOME/.local/share/tug/images/$id.json" ]
}

@test "without XDG_DATA_HOME the data root is \$HOME/.local/share/tug" {
  local id
  id=$(busybox_id)
  mkdir -p "$TEST_DIR/home"
  HOME=$TEST_DIR/home run env -u XDG_DATA_HOME "$TUG" load -i "$BUSYBOX_TAR"
  assert_status 0
  [ -f "$TEST_DIR/home/.local/share/tug/images/$id.json" ]
  [ -z "$(ls -A "$XDG_DATA_HOME")" ]
  HOME=$TEST_DIR/home run env -u XDG_DATA_HOME "$TUG" run --rm busybox echo from-home
  assert_status 0
  assert_output_equals "from-home"
}

@test "--root and --runroot replace the default locations" {
  local id
  id=$(busybox_id)
  run_tug --root "$TEST_DIR/root1" --runroot "$TEST_DIR/runroot1" load -i "$BUSYBOX_TAR"
  assert_status 0
  [ -f "$TEST_DIR/root1/images/$id.json" ]
  [ -z "$(ls -A "$XDG_DATA_HOME")" ]
  # The default store does not see it, the overridden one does.
  run_tug images -q
  assert_output_equals ""
  run_tug --root "$TEST_DIR/root1" images -q
  assert_output_equals "${id:0:12}"

  # A running container's socket lives in the runroot, not in XDG_RUNTIME_DIR.
  run_tug --root "$TEST_DIR/root1" --runroot "$TEST_DIR/runroot1" run -d --name bg busybox sleep 30
  assert_status 0
  local cid=$output
  [ -d "$TEST_DIR/root1/containers/$cid" ]
  [ -n "$(ls -A "$TEST_DIR/runroot1")" ]
  run find "$XDG_RUNTIME_DIR" -name "*${cid:0:12}*"
  assert_output_equals ""
  run_tug --root "$TEST_DIR/root1" --runroot "$TEST_DIR/runroot1" ps -q
  assert_output_equals "${cid:0:12}"
  tug_ok --root "$TEST_DIR/root1" --runroot "$TEST_DIR/runroot1" rm -f bg
  [ ! -e "$TEST_DIR/root1/containers/$cid" ]
}

@test "without XDG_RUNTIME_DIR the runtime dir is /tmp/tug-<uid>, mode 0700, ours" {
  load_busybox
  local rt=/tmp/tug-$(id -u)
  run env -u XDG_RUNTIME_DIR "$TUG" run --rm busybox echo no-runtime-dir
  assert_status 0
  assert_output_contains "no-runtime-dir"
  [ -d "$rt" ]
  [ "$(stat -c '%a %u' "$rt")" = "700 $(id -u)" ]
  # info reports it.
  run env -u XDG_RUNTIME_DIR "$TUG" info --format '{{.store.runRoot}}'
  assert_status 0
  [[ "$output" == "$rt" || "$output" == "$rt/"* ]]
  # A detached container puts its socket there.
  run env -u XDG_RUNTIME_DIR "$TUG" run -d --name rt busybox sleep 30
  assert_status 0
  local cid=$output
  run find "$rt" -name "${cid:0:12}*"
  [ -n "$output" ]
  env -u XDG_RUNTIME_DIR "$TUG" rm -f rt >/dev/null
}

@test "an unusable XDG_RUNTIME_DIR falls back to /tmp/tug-<uid>" {
  load_busybox
  XDG_RUNTIME_DIR=$TEST_DIR/does-not-exist run "$TUG" run --rm busybox echo fallback
  assert_status 0
  assert_output_contains "fallback"
  [ ! -e "$TEST_DIR/does-not-exist/tug" ]
  [ "$(stat -c '%a %u' "/tmp/tug-$(id -u)")" = "700 $(id -u)" ]
}

@test "the overlay driver is chosen, recorded in storage.json, and used" {
  load_busybox
  run_tug run --rm busybox sh -c "awk '\$2 == \"/\" { print \$3 }' /proc/mounts"
  assert_status 0
  assert_output_equals "overlay"
  [ "$(jq -r .driver "$XDG_DATA_HOME/tug/storage.json")" = "overlay" ]
}

@test "root-owned image files belong to the user on disk" {
  load_busybox
  local layer
  layer=$(store_entries layers)
  [ "$(echo "$layer" | wc -l)" -eq 1 ]
  local diff=$XDG_DATA_HOME/tug/layers/$layer/diff
  [ "$(stat -c %u "$diff/bin/busybox")" = "$(id -u)" ]
  [ "$(stat -c %u "$diff/etc/passwd")" = "$(id -u)" ]
  # Modes survive: /tmp is 1777, /root 0700.
  [ "$(stat -c %a "$diff/tmp")" = "1777" ]
  [ "$(stat -c %a "$diff/root")" = "700" ]
}

@test "files owned by uid 1000 in a layer belong to subuid start + 999 on disk" {
  local start
  start=$(subuid_start)
  [ -n "$start" ]
  mkdir -p "$TEST_DIR/rootfs/bin" "$TEST_DIR/rootfs/home/user"
  cp /bin/busybox "$TEST_DIR/rootfs/bin/busybox"
  echo "owned by 1000" >"$TEST_DIR/rootfs/home/user/file"
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/part1.tar" --owner=0 --group=0 --numeric-owner ./bin
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/owned.tar" --owner=1000 --group=1000 --numeric-owner ./home
  tar -A -f "$TEST_DIR/owned.tar" "$TEST_DIR/part1.tar"
  tar -tvf "$TEST_DIR/owned.tar" | grep -q ' 1000/1000 .*home/user/file'
  tug_ok import "$TEST_DIR/owned.tar" owned

  local layer file
  layer=$(store_entries layers)
  file=$XDG_DATA_HOME/tug/layers/$layer/diff/home/user/file
  [ "$(stat -c %u:%g "$file")" = "$((start + 999)):$((start + 999))" ]
  [ "$(stat -c %u "$XDG_DATA_HOME/tug/layers/$layer/diff/bin/busybox")" = "$(id -u)" ]
  # Inside the container the owner is 1000 again.
  run_tug run --rm owned /bin/busybox stat -c %u:%g /home/user/file
  assert_status 0
  assert_output_equals "1000:1000"
  run_tug run --rm -u 1000 owned /bin/busybox sh -c 'echo more >>/home/user/file && /bin/busybox cat /home/user/file'
  assert_status 0
  assert_output_equals "owned by 1000
more"
}

@test "a SIGKILLed load or import leaves no half layer and the next load cleans up" {
  # A layer big enough that loading it takes a while.
  mkdir -p "$TEST_DIR/big"
  head -c 96M /dev/urandom >"$TEST_DIR/big/blob1"
  head -c 96M /dev/urandom >"$TEST_DIR/big/blob2"
  tar -C "$TEST_DIR/big" -cf "$TEST_DIR/big.tar" .
  rm -rf "$TEST_DIR/big"
  make_docker_archive "$TEST_DIR/bigimg.tar" big:1 "$TEST_DIR/big.tar"
  local big_diff
  big_diff=$(sha256sum "$TEST_DIR/big.tar" | cut -d' ' -f1)

  "$TUG" load -q -i "$TEST_DIR/bigimg.tar" >/dev/null 2>&1 &
  local pid=$! i
  # Kill it once it has started staging, plus a little.
  for i in $(seq 500); do
    [ -n "$(store_entries tmp)" ] && break
    sleep 0.01
  done
  sleep 0.1
  kill -9 "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 137 ]
  sleep 0.5

  # It was interrupted: no image and no layer (half or whole) for it.
  run_tug images -q
  assert_status 0
  assert_output_equals ""
  [ ! -e "$XDG_DATA_HOME/tug/layers/$big_diff" ]
  [ -z "$(store_entries layers)" ]
  [ -z "$(store_entries images)" ]

  # The next store operation works and sweeps the stale staging.
  load_busybox
  [ -z "$(store_entries tmp)" ]
  [ "$(store_entries layers)" = "$(busybox_layer_member_hex)" ]
  run_tug run --rm busybox echo after-kill
  assert_output_equals "after-kill"

  # import stages its layer the same way (its diff_id is the same tarball's).
  "$TUG" import "$TEST_DIR/big.tar" bigimp >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 500); do
    [ -n "$(store_entries tmp)" ] && break
    sleep 0.01
  done
  sleep 0.1
  kill -9 "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 137 ]
  sleep 0.5
  run_tug images --format '{{.Repository}}'
  assert_output "docker.io/library/busybox"
  [ "$(store_entries layers)" = "$(busybox_layer_member_hex)" ]
  rm "$TEST_DIR/big.tar"

  # And the big image loads completely when left alone, sweeping the rest.
  tug_ok load -q -i "$TEST_DIR/bigimg.tar"
  [ -z "$(store_entries tmp)" ]
  [ -d "$XDG_DATA_HOME/tug/layers/$big_diff/diff" ]
  [ "$(stat -c %s "$XDG_DATA_HOME/tug/layers/$big_diff/diff/blob2")" -eq $((96 * 1024 * 1024)) ]
}

@test "--storage-driver fuse-overlayfs runs a container that writes files" {
  [ -w /dev/fuse ] || skip "/dev/fuse is not usable by $(id -un)"
  load_busybox
  # Bounded, and into a file rather than a pipe the monitor would hold open:
  # a fuse daemon that deadlocks must fail the test, not hang the suite.
  status=0
  timeout -k 5 30 "$TUG" run --name f --storage-driver fuse-overlayfs busybox sh -c \
    'awk "\$2 == \"/\" { print \$3 }" /proc/mounts; echo written >/made; cat /made; rm /etc/group; ls /etc/group 2>&1 | grep -c "No such"' \
    >"$TEST_DIR/out" 2>&1 </dev/null || status=$?
  output=$(cat "$TEST_DIR/out")
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "tug run on fuse-overlayfs did not finish in 30 s; its output: $output" >&2
    return 1
  fi
  assert_output "fuse.fuse-overlayfs
written
1"
  assert_success
  # The change is in the container's upper directory, the layer is untouched.
  local cid
  cid=$("$TUG" ps -a -q --no-trunc)
  run find "$XDG_DATA_HOME/tug/containers/$cid" -name made
  [ -n "$output" ]
  [ -f "$XDG_DATA_HOME/tug/layers/$(store_entries layers)/diff/etc/group" ]
  [ ! -e "$XDG_DATA_HOME/tug/layers/$(store_entries layers)/diff/made" ]
  tug_ok rm f
}

@test "--storage-driver vfs runs a container from its own copy" {
  load_busybox
  run_tug run --storage-driver vfs --name v busybox sh -c 'echo vfs-data >/made; awk "\$2 == \"/\" { print \$3 }" /proc/mounts'
  assert_status 0
  [ "$output" != "overlay" ]
  local cid
  cid=$("$TUG" ps -a -q --no-trunc)
  [ "$(cat "$XDG_DATA_HOME/tug/containers/$cid/rootfs/made")" = "vfs-data" ]
  # A full copy of the image: busybox is there as a regular file.
  [ -f "$XDG_DATA_HOME/tug/containers/$cid/rootfs/bin/busybox" ]
  # The image layer itself is untouched.
  [ ! -e "$XDG_DATA_HOME/tug/layers/$(store_entries layers)/diff/made" ]
  run_tug run --rm --storage-driver vfs busybox echo vfs-rm
  assert_output_equals "vfs-rm"
}

# The busybox layer's directory name in layers/.
busybox_layer_member_hex() {
  tar -xOf "$BUSYBOX_TAR" ./manifest.json | jq -r '.[0].Layers[0]' | cut -d/ -f1
}

@test "a SIGKILLed rmi never leaves a half-deleted layer that a later load reuses" {
  # A layer of many files, so that its removal takes a while.
  mkdir -p "$TEST_DIR/many/d"
  (cd "$TEST_DIR/many/d" && seq 1 20000 | xargs touch)
  tar -C "$TEST_DIR/many" -cf "$TEST_DIR/many.tar" .
  rm -rf "$TEST_DIR/many"
  busybox_layer "$TEST_DIR/bb.tar"
  make_layered_archive "$TEST_DIR/manyimg.tar" many:1 "$TEST_DIR/bb.tar" "$TEST_DIR/many.tar"
  local diff_hex
  diff_hex=$(sha256sum "$TEST_DIR/many.tar" | cut -d' ' -f1)
  tug_ok load -q -i "$TEST_DIR/manyimg.tar"

  "$TUG" rmi many:1 >/dev/null 2>&1 &
  local pid=$! i rc=0
  # Killed while the layer is being deleted (it is in the trash by then).
  for i in $(seq 500); do
    [ -n "$(store_entries tmp)" ] && break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  [ "$rc" -eq 137 ]  # the kill landed before rmi ended
  # The layer is whole in the store or gone from it, never half there.
  if [ -d "$XDG_DATA_HOME/tug/layers/$diff_hex" ]; then
    [ -e "$XDG_DATA_HOME/tug/layers/$diff_hex/layer.json" ]
    [ "$(ls "$XDG_DATA_HOME/tug/layers/$diff_hex/diff/d" | wc -l)" -eq 20000 ]
  fi

  # Loading again gives a whole image, and sweeps the killed rmi's trash.
  tug_ok load -q -i "$TEST_DIR/manyimg.tar"
  [ -z "$(store_entries tmp)" ]
  run_tug run --rm --network none many:1 sh -c 'ls /d | wc -l'
  assert_success
  assert_output_equals "20000"
}

@test "a layer an older tug left half-deleted is replaced by the next load, with a warning" {
  load_busybox
  local hex
  hex=$(busybox_layer_member_hex)
  tug_ok rmi busybox
  load_busybox
  # What an rmi that deleted in place left when it was killed: no record, part of the files.
  rm -f "$XDG_DATA_HOME/tug/layers/$hex/layer.json"
  "$TUG" unshare rm -rf "$XDG_DATA_HOME/tug/layers/$hex/diff/bin"
  run_tug load -i "$BUSYBOX_TAR"
  assert_success
  assert_output_contains "was damaged in the store; replacing it"
  run_tug run --rm --network none busybox echo whole again
  assert_output_equals "whole again"
}
