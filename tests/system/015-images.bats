#!/usr/bin/env bats
# Images in the store: load, images, tag, rmi, inspect, history.

load helpers

@test "load a docker-archive and an oci-archive, from a file and from stdin" {
  run_tug load -i "$BUSYBOX_TAR"
  assert_status 0
  assert_output_equals "Loaded image: docker.io/library/busybox:latest"
  id=$("$TUG" images -q)
  [[ "$id" =~ ^[0-9a-f]{12}$ ]]
  export XDG_DATA_HOME=$TEST_DIR/other
  run bash -c "'$TUG' load < '$BUSYBOX_OCI_TAR'"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/busybox:latest"
  # Both formats of the same image give the same image id.
  [ "$("$TUG" images -q)" = "$id" ]
  "$TUG" unshare rm -rf "$TEST_DIR/other/tug"
}

@test "images shows docker's columns and formats" {
  load_busybox
  run_tug images
  assert_status 0
  header=$(echo "$output" | head -1)
  [[ "$header" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
  [[ "$(echo "$output" | sed -n 2p)" =~ ^docker.io/library/busybox\ +latest\ +[0-9a-f]{12}\ +.*ago\ +[0-9.]+MB$ ]]
  run_tug images --no-trunc -q
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  run_tug images --format json
  [ "$(echo "$output" | jq -r '.[0].Repository')" = "docker.io/library/busybox" ]
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "docker.io/library/busybox:latest"
  run_tug images --digests
  assert_output_contains "DIGEST"
  assert_output_contains "sha256:"
}

@test "tag adds names; rmi of one name untags, of the last deletes" {
  load_busybox
  id=$("$TUG" images -q)
  tug_ok tag busybox localhost:5000/me/box:v1
  run_tug images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_output_contains "docker.io/library/busybox:latest $id"
  assert_output_contains "localhost:5000/me/box:v1 $id"
  run_tug rmi localhost:5000/me/box:v1
  assert_status 0
  assert_output_equals "Untagged: localhost:5000/me/box:v1"
  run_tug rmi busybox
  assert_status 0
  assert_output_contains "Untagged: docker.io/library/busybox:latest"
  assert_output_contains "Deleted: "
  run_tug images -q
  assert_output_equals ""
  [ -z "$(ls "$XDG_DATA_HOME/tug/layers")" ]
  run_tug rmi busybox
  assert_error 125 "busybox"
}

@test "rmi refuses an image a container uses, unless -f" {
  load_busybox
  tug_ok run --name user busybox true
  run_tug rmi busybox
  assert_status 125
  assert_output_contains "in use"
  run_tug images -q
  [ -n "$output" ]
  tug_ok rmi -f busybox
  run_tug images -q
  assert_output_equals ""
  run_tug ps -a -q
  assert_output_equals ""
}

@test "image inspect and history" {
  load_busybox
  run_tug image inspect busybox
  assert_status 0
  [ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = "docker.io/library/busybox:latest" ]
  [ "$(echo "$output" | jq -r '.[0].Config.Cmd[0]')" = "sh" ]
  [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" = 1 ]
  id=$(echo "$output" | jq -r '.[0].Id')
  run_tug image inspect --format '{{.Id}}' busybox
  assert_output_equals "$id"
  run_tug history busybox
  assert_status 0
  [[ "$(echo "$output" | head -1)" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE ]]
  assert_output_contains "ADD busybox-static"
  assert_output_contains "CMD"
  run_tug image inspect nope
  assert_status 125
  run_tug history nope
  assert_status 125
}

@test "malformed references are refused" {
  load_busybox
  run_tug tag busybox 'UPPER/Case:tag'
  assert_status 125
  assert_output_contains "invalid reference format"
  run_tug run --rm 'bad::ref' true
  assert_status 125
}
