#!/usr/bin/env bats
# Storage on a cluster: a data root on a network filesystem (NFS, Lustre,
# GPFS...) is refused when chosen and replaced by node-local storage when it
# is only the default; read-only additional image stores are used in place.
# No NFS server runs here: TUG_TEST_FS_TYPE=PREFIX=TYPE makes tug see the
# filesystem under PREFIX as TYPE (the documented test hook).

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  local d
  for d in "$TEST_DIR/tmp/tug-$(id -u)/storage" "$TEST_DIR/shared"; do
    [ -e "$d" ] || continue
    "$TUG" --root "$d" unshare chmod -R u+w "$d" >/dev/null 2>&1 || chmod -R u+w "$d" || true
    "$TUG" --root "$d" rm -f -a >/dev/null 2>&1 || true
    remove_store "$d"
  done
  tug_test_cleanup
}

@test "a default data root on NFS moves to node-local storage, saying so once" {
  export TMPDIR=$TEST_DIR/tmp
  mkdir -p "$TMPDIR"
  export TUG_TEST_FS_TYPE="$XDG_DATA_HOME=nfs"
  local local_root=$TMPDIR/tug-$(id -u)/storage
  run --separate-stderr "$TUG" load -i "$BUSYBOX_TAR"
  assert_status 0
  [[ "$stderr" == *"$XDG_DATA_HOME/tug is on nfs"* ]]
  [[ "$stderr" == *"$local_root"* ]]
  [ -n "$(ls "$local_root/images")" ]
  [ -z "$(ls -A "$XDG_DATA_HOME/tug/images" 2>/dev/null)" ]
  run --separate-stderr "$TUG" run --rm busybox echo local
  assert_status 0
  [ "$output" = "local" ]
  [ -z "$stderr" ]
  run_tug info --format '{{.store.graphRoot}} {{.store.graphRootFilesystem}}'
  assert_output_contains "$local_root"
  run_tug info
  assert_output_contains "is on nfs"
  run_tug system check
  assert_status 0
  assert_line --partial "warn  storage: $XDG_DATA_HOME/tug is on nfs (a network filesystem); using $local_root"
}

@test "a chosen data root on a network filesystem is refused, naming --root or storage.conf" {
  load_busybox
  mkdir -p "$TEST_DIR/lustre/root"
  export TUG_TEST_FS_TYPE="$TEST_DIR/lustre=lustre:$TEST_DIR/gpfs=gpfs"
  run_tug --root "$TEST_DIR/lustre/root" images
  assert_error 125 "is on lustre, a network filesystem"
  assert_output_contains "--root"
  [ -z "$(ls -A "$TEST_DIR/lustre/root")" ]
  printf '[storage]\ngraphroot = "%s"\n' "$TEST_DIR/gpfs/store" >"$XDG_CONFIG_HOME/containers/storage.conf"
  run_tug run --rm busybox true
  assert_error 125 "is on gpfs"
  assert_output_contains "$XDG_CONFIG_HOME/containers/storage.conf"
  # A local --root still wins over storage.conf.
  run_tug --root "$XDG_DATA_HOME/tug" run --rm busybox echo ok
  assert_status 0
  assert_output_equals "ok"
  rm "$XDG_CONFIG_HOME/containers/storage.conf"
}

@test "additionalimagestores: images of a read-only store run from another root, never written" {
  local shared=$TEST_DIR/shared
  tug_ok --root "$shared" load -i "$BUSYBOX_TAR"
  "$TUG" --root "$shared" unshare chmod -R a-w "$shared"
  local before
  before=$(cd "$shared" && find . -printf '%p %s %T@\n' | sort | md5sum)
  printf '[storage.options]\nadditionalimagestores = ["%s"]\n' "$shared" \
    >"$XDG_CONFIG_HOME/containers/storage.conf"

  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "docker.io/library/busybox:latest"
  run_tug run --rm busybox sh -c 'echo from-shared; ls -ln /bin/busybox | awk "{print \$3}"'
  assert_status 0
  assert_output_equals "from-shared
0"
  # Nothing was copied into our own store: the layers were used in place.
  [ -z "$(ls -A "$XDG_DATA_HOME/tug/layers")" ]
  [ -z "$(ls -A "$XDG_DATA_HOME/tug/images")" ]
  # A container's own changes go to our store.
  tug_ok run --name c busybox sh -c 'echo mine >/mine'
  run_tug cp c:/mine -
  assert_output_contains "mine"
  tug_ok rm c
  run_tug rmi busybox
  assert_error 125 "read-only additional image store $shared"
  run_tug tag busybox mine:1
  assert_error 125 "read-only additional image store"
  run_tug system check
  assert_line --partial "ok    additional image store: $shared"
  [ "$(cd "$shared" && find . -printf '%p %s %T@\n' | sort | md5sum)" = "$before" ]
  rm "$XDG_CONFIG_HOME/containers/storage.conf"
}

@test "system check and info report every condition with advice" {
  run_tug system check
  assert_status 0
  for name in "user namespaces" "id mapping" "newuidmap/newgidmap" "runtime directory" \
    "storage" "fuse-overlayfs" "network" "cgroups" "unprivileged ports" "storage driver"; do
    assert_line --partial "  $name: "
  done
  assert_line --partial "ok    id mapping: subordinate ranges"
  # no cgroup delegation for this suite: a warning with what to do
  assert_output_contains "Delegate="
  run_tug system check --format json
  assert_status 0
  [ "$(printf '%s' "$output" | jq -r '.[] | select(.name == "user namespaces") | .status')" = "ok" ]
  run env -u XDG_RUNTIME_DIR "$TUG" system check
  assert_line --partial "warn  runtime directory: XDG_RUNTIME_DIR is unset or unusable: using /tmp/tug-$(id -u)"
  run_tug info
  assert_output_contains "checks:"
  assert_output_contains "unprivileged ports: ok"
  # An unwritable store keeps containers from running: exit 1.
  mkdir -p "$TEST_DIR/ro/tug"
  run_tug --root "$TEST_DIR/ro/tug" images
  chmod a-w "$TEST_DIR/ro/tug"
  run_tug --root "$TEST_DIR/ro/tug" system check
  assert_status 1
  assert_line --partial "fail  storage: $TEST_DIR/ro/tug is not writable"
  assert_output_contains "keep containers from running"
  chmod u+w "$TEST_DIR/ro/tug"
}
