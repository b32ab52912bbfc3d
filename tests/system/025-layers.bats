#!/usr/bin/env bats
# Images of several layers: later layers add, replace and delete files of
# earlier ones; whiteouts (.wh.NAME) and opaque directories (.wh..wh..opq)
# hide what lies below, on every storage driver; save/load keeps the layers.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  remove_store "$TEST_DIR/data2/tug"
  tug_test_cleanup
}

# Builds layered:1 from busybox's layer plus two layers made here:
#   layer 2 adds /data/{a,b}, /opq/{old1,old2}, /etc/motd, /swap (a file)
#   layer 3 deletes /data/a and /etc/group, makes /opq opaque and adds
#           /opq/new, replaces /swap by a directory and /etc/motd's content
build_layered() {
  local l2=$TEST_DIR/l2 l3=$TEST_DIR/l3
  mkdir -p "$l2/data" "$l2/opq" "$l2/etc" "$l3/data" "$l3/opq" "$l3/etc" "$l3/swap"
  echo a >"$l2/data/a"
  echo b >"$l2/data/b"
  echo old1 >"$l2/opq/old1"
  echo old2 >"$l2/opq/old2"
  echo "motd v1" >"$l2/etc/motd"
  echo "a file" >"$l2/swap"
  : >"$l3/data/.wh.a"
  : >"$l3/etc/.wh.group"
  : >"$l3/opq/.wh..wh..opq"
  echo new >"$l3/opq/new"
  echo "motd v2" >"$l3/etc/motd"
  echo inside >"$l3/swap/inside"
  tar -C "$l2" --owner=0 --group=0 --numeric-owner -cf "$TEST_DIR/layer2.tar" .
  tar -C "$l3" --owner=0 --group=0 --numeric-owner -cf "$TEST_DIR/layer3.tar" .
  busybox_layer "$TEST_DIR/layer1.tar"
  make_layered_archive "$TEST_DIR/layered.tar" layered:1 \
    "$TEST_DIR/layer1.tar" "$TEST_DIR/layer2.tar" "$TEST_DIR/layer3.tar"
  tug_ok load -i "$TEST_DIR/layered.tar"
}

# What a container sees of the paths the layers touched.
VIEW='ls -A /data /opq /swap; cat /etc/motd /swap/inside; [ -e /etc/group ] && echo group-present || echo group-gone; find / -xdev -name ".wh.*" | wc -l'
EXPECTED='/data:
b

/opq:
new

/swap:
inside
motd v2
inside
group-gone
0'

@test "whiteouts and opaque directories hide the lower layers' files" {
  build_layered
  run_tug run --rm layered:1 sh -c "$VIEW"
  assert_success
  assert_output "$EXPECTED"
  # The image is three layers; the stored layers keep their own contents.
  run --separate-stderr "$TUG" image inspect layered:1
  [ "$(jq '.[0].RootFS.Layers | length' <<<"$output")" -eq 3 ]
}

@test "the vfs driver flattens the layers to the same view" {
  build_layered
  run_tug run --rm --storage-driver vfs layered:1 sh -c "$VIEW"
  assert_success
  assert_output "$EXPECTED"
}

@test "files deleted in a container disappear from its view and its export" {
  build_layered
  tug_ok run --name del layered:1 sh -c 'rm /data/b /opq/new; rm -r /swap; echo x >/data/c'
  run_tug run --rm layered:1 ls -A /data
  assert_output "b"
  tug_ok export -o "$TEST_DIR/del.tar" del
  run bash -c "tar -tf '$TEST_DIR/del.tar' | sed 's,^\./,,' | grep -E '^(data|opq|swap)(/|$)' | LC_ALL=C sort"
  assert_output "data/
data/c
opq/"
  run bash -c "tar -tf '$TEST_DIR/del.tar' | grep -c '\.wh\.'"
  assert_output "0"
}

@test "save and load keep the three layers and the image id; history lists them" {
  build_layered
  local id
  id=$("$TUG" image inspect --format '{{.Id}}' layered:1)
  tug_ok save -o "$TEST_DIR/saved.tar" layered:1
  [ "$(tar -xOf "$TEST_DIR/saved.tar" manifest.json | jq '.[0].Layers | length')" -eq 3 ]
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" load -i "$TEST_DIR/saved.tar"
  assert_success
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" image inspect --format '{{.Id}}' layered:1
  assert_output "$id"
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" run --rm layered:1 sh -c "$VIEW"
  assert_output "$EXPECTED"

  run_tug history layered:1
  assert_success
  [ "$(line_count)" -eq 4 ]
  assert_line --index 1 --partial "layer 3: layer3.tar"
  assert_line --index 3 --partial "layer 1: layer1.tar"
}
