#!/usr/bin/env bats
# Images in the local store: load, images, tag, rmi, image inspect, history,
# and the errors each command gives for an image that does not exist.

load helpers
bats_require_minimum_version 1.5.0

@test "load -i reads a docker-archive and an oci-archive" {
  local id
  id=$(busybox_id)
  run_tug load -i "$BUSYBOX_TAR"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/busybox:latest"
  run_tug images -q --no-trunc
  assert_output_equals "sha256:$id"

  # A fresh store, the OCI layout: same config, so the same id.
  export XDG_DATA_HOME=$TEST_DIR/data-oci
  mkdir -p "$XDG_DATA_HOME"
  run_tug load -i "$BUSYBOX_OCI_TAR"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/busybox:latest"
  run_tug images -q --no-trunc
  assert_output_equals "sha256:$id"
  # The layer landed on disk: busybox is runnable from the store.
  [ -x "$XDG_DATA_HOME/tug/layers/$(tar -xOf "$BUSYBOX_TAR" ./manifest.json | jq -r '.[0].Layers[0]' | cut -d/ -f1)/diff/bin/busybox" ]
  "$TUG" unshare rm -rf "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$TEST_DIR/data
}

@test "load reads an archive from stdin, in both formats" {
  run "$TUG" load <"$BUSYBOX_TAR"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/busybox:latest"
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "docker.io/library/busybox:latest"

  export XDG_DATA_HOME=$TEST_DIR/data-oci
  mkdir -p "$XDG_DATA_HOME"
  run "$TUG" load <"$BUSYBOX_OCI_TAR"
  assert_status 0
  assert_output_contains "Loaded image: docker.io/library/busybox:latest"
  run_tug run --rm busybox echo loaded-from-stdin
  assert_output_equals "loaded-from-stdin"
  "$TUG" unshare rm -rf "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$TEST_DIR/data
}

@test "loading the same archive twice keeps one image" {
  load_busybox
  load_busybox
  run_tug images -q
  assert_output_equals "$(busybox_id | cut -c1-12)"
}

@test "images prints docker's header and a busybox row" {
  load_busybox
  run_tug images
  assert_status 0
  [ "$(line_count)" -eq 2 ]
  local header row
  header=$(printf '%s\n' "$output" | sed -n 1p)
  row=$(printf '%s\n' "$output" | sed -n 2p)
  # Columns are separated by at least two spaces, as docker aligns them.
  [ "$(printf '%s' "$header" | sed -E 's/ {2,}/|/g')" = "REPOSITORY|TAG|IMAGE ID|CREATED|SIZE" ]
  local -a cols
  IFS='|' read -r -a cols <<<"$(printf '%s' "$row" | sed -E 's/ {2,}/|/g')"
  [ "${#cols[@]}" -eq 5 ]
  [ "${cols[0]}" = "docker.io/library/busybox" ]
  [ "${cols[1]}" = "latest" ]
  [ "${cols[2]}" = "$(busybox_id | cut -c1-12)" ]
  [[ "${cols[3]}" == *ago ]]
  # 2.14MB: the size of the single layer, in docker's units.
  [[ "${cols[4]}" =~ ^[0-9.]+MB$ ]]
  # The IMAGE ID column starts where its header starts.
  local hpos rpos
  hpos=$(awk -v s="$header" 'BEGIN{print index(s, "IMAGE ID")}')
  rpos=$(awk -v s="$row" -v id="${cols[2]}" 'BEGIN{print index(s, id)}')
  [ "$hpos" -eq "$rpos" ]
}

@test "images -q prints the 12-hex id, --no-trunc the full sha256" {
  load_busybox
  local id
  id=$(busybox_id)
  run_tug images -q
  assert_status 0
  [[ "$output" =~ ^[0-9a-f]{12}$ ]]
  assert_output_equals "${id:0:12}"

  run_tug images --no-trunc
  assert_status 0
  assert_output_contains "sha256:$id"
  [[ "$(printf '%s\n' "$output" | sed -n 2p)" =~ sha256:[0-9a-f]{64} ]]
}

@test "images --digests adds a DIGEST column with the manifest digest" {
  load_busybox
  run_tug images --digests
  assert_status 0
  [ "$(printf '%s\n' "$output" | sed -n 1p | sed -E 's/ {2,}/|/g')" = "REPOSITORY|TAG|DIGEST|IMAGE ID|CREATED|SIZE" ]
  local digest
  digest=$(printf '%s\n' "$output" | sed -n 2p | sed -E 's/ {2,}/|/g' | cut -d'|' -f3)
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]
  # The same digest image inspect reports.
  run_tug image inspect --format '{{.Digest}}' busybox
  assert_output_equals "$digest"
}

@test "images --format json is a JSON array jq can read" {
  load_busybox
  run --separate-stderr "$TUG" images --format json
  assert_status 0
  [ "$(jq length <<<"$output")" -eq 1 ]
  # podman's image objects (330-shapes has the rest).
  [ "$(jq -r '.[0].Names[0]' <<<"$output")" = "docker.io/library/busybox:latest" ]
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$(busybox_id)" ]
  [[ "$(jq -r '.[0].Size' <<<"$output")" =~ ^[0-9]+$ ]]
}

@test "images --format with a Go template" {
  load_busybox
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_status 0
  assert_output_equals "docker.io/library/busybox:latest"
  run_tug images --format '{{.ID}} {{.Tag}}'
  assert_output_equals "$(busybox_id | cut -c1-12) latest"
}

@test "tag adds a second name to the same image" {
  load_busybox
  tug_ok tag busybox example.org/team/box:v1
  run_tug images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_status 0
  [ "$(line_count)" -eq 2 ]
  local short
  short=$(busybox_id | cut -c1-12)
  assert_output_contains "docker.io/library/busybox:latest $short"
  assert_output_contains "example.org/team/box:v1 $short"
  # Still one image in the store.
  run_tug images -q --no-trunc
  [ "$(printf '%s\n' "$output" | sort -u | wc -l)" -eq 1 ]
  [ "$(ls "$XDG_DATA_HOME/tug/images" | wc -l)" -eq 1 ]
  # The new name runs the same image.
  run_tug run --rm example.org/team/box:v1 echo tagged
  assert_output_equals "tagged"
}

@test "rmi of one of two names only untags; rmi of the last name deletes" {
  load_busybox
  tug_ok tag busybox other:v2
  run_tug rmi other:v2
  assert_status 0
  assert_output_equals "Untagged: localhost/other:v2"
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "docker.io/library/busybox:latest"
  [ -n "$(store_entries layers)" ]

  local id
  id=$(busybox_id)
  run_tug rmi busybox
  assert_status 0
  [ "$(line_count)" -eq 2 ]
  [ "$(printf '%s\n' "$output" | sed -n 1p)" = "Untagged: docker.io/library/busybox:latest" ]
  [ "$(printf '%s\n' "$output" | sed -n 2p)" = "Deleted: $id" ]
  run_tug images -q
  assert_output_equals ""
  # The layer and the image record went with it.
  [ -z "$(store_entries layers)" ]
  [ -z "$(store_entries images)" ]
}

@test "rmi refuses an image a container uses; rmi -f removes both" {
  load_busybox
  tug_ok run --name user-of-image busybox true
  local cid
  cid=$("$TUG" ps -a -q --no-trunc)
  [ -n "$cid" ]

  run --separate-stderr "$TUG" rmi busybox
  assert_status 1
  [[ "$stderr" == Error:*"$cid"* ]] || [[ "$stderr" == Error:*"in use"* ]]
  run_tug images -q
  assert_output_equals "$(busybox_id | cut -c1-12)"
  run_tug run --rm busybox echo still-here
  assert_output_equals "still-here"

  run_tug rmi -f busybox
  assert_status 0
  assert_output_contains "Deleted: $(busybox_id)"
  run_tug images -q
  assert_output_equals ""
  run_tug ps -a -q
  assert_output_equals ""
  [ ! -e "$XDG_DATA_HOME/tug/containers/$cid" ]
  [ ! -e "$XDG_DATA_HOME/tug/names/user-of-image" ]
  [ -z "$(store_entries layers)" ]
}

@test "rmi ID of an image with two names needs -f" {
  load_busybox
  tug_ok tag busybox other:v2
  local id
  id=$(busybox_id)
  run --separate-stderr "$TUG" rmi "${id:0:12}"
  assert_status 1
  [[ "$stderr" == *"must be forced"*"multiple repositories"* ]]
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  [ "$(line_count)" -eq 2 ]
  run_tug rmi -f "${id:0:12}"
  assert_status 0
  assert_output_contains "Deleted: $id"
  run_tug images -q
  assert_output_equals ""
}

@test "images --filter label=KEY and label=KEY=VALUE match the image's labels" {
  load_busybox
  tug_ok run --name c busybox true
  tug_ok commit -c 'LABEL tier=web' -c 'LABEL other=1' c labelled:1
  run_tug images --filter label=tier --format '{{.Repository}}'
  assert_output_equals "localhost/labelled"
  run_tug images --filter label=tier=web --filter label=other --format '{{.Repository}}'
  assert_output_equals "localhost/labelled"
  run_tug images --filter label=tier=db --format '{{.Repository}}'
  assert_output_equals ""
  run_tug images --filter label=nosuch --format '{{.Repository}}'
  assert_status 0
  assert_output_equals ""
}

@test "image inspect reports Id, RepoTags, Config.Cmd and the layers" {
  load_busybox
  local id
  id=$(busybox_id)
  run --separate-stderr "$TUG" image inspect busybox
  assert_status 0
  [ "$(jq length <<<"$output")" -eq 1 ]
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -c '.[0].RepoTags' <<<"$output")" = '["docker.io/library/busybox:latest"]' ]
  [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["sh"]' ]
  [ "$(jq -r '.[0].Config.Env[0]' <<<"$output")" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
  [ "$(jq '.[0].RootFS.Layers | length' <<<"$output")" -eq 1 ]
  [ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")" = "sha256:$(tar -xOf "$BUSYBOX_TAR" ./manifest.json | jq -r '.[0].Layers[0]' | cut -d/ -f1)" ]
  [ "$(jq -r '.[0].Os + "/" + .[0].Architecture' <<<"$output")" = "linux/amd64" ]

  # By short id as well as by name.
  run --separate-stderr "$TUG" image inspect "${id:0:12}"
  assert_status 0
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]

  run_tug image inspect --format '{{.Id}}' busybox
  assert_status 0
  assert_output_equals "$id"
}

@test "history shows CREATED BY and SIZE with the ADD and CMD entries" {
  load_busybox
  run_tug history busybox
  assert_status 0
  local header
  header=$(printf '%s\n' "$output" | sed -n 1p)
  [[ "$header" == IMAGE*CREATED*"CREATED BY"*SIZE* ]]
  [ "$(line_count)" -eq 3 ]
  # Newest first: the CMD (an empty layer, 0B) then the ADD of the rootfs.
  local cmd_row add_row
  cmd_row=$(printf '%s\n' "$output" | sed -n 2p)
  add_row=$(printf '%s\n' "$output" | sed -n 3p)
  [[ "$cmd_row" == *'CMD ["sh"]'* ]]
  [[ "$cmd_row" =~ [[:space:]]0B([[:space:]]|$) ]]
  [[ "$add_row" == *"ADD busybox-static"* ]]
  [[ "$add_row" =~ [[:space:]][0-9.]+MB([[:space:]]|$) ]]
  # The top row carries the image id; the base layer is <missing>, as docker.
  [[ "$cmd_row" == "$(busybox_id | cut -c1-12)"* ]]
  [[ "$add_row" == "<missing>"* ]]
}

@test "every image command gives a one-line error for an unknown image" {
  load_busybox
  local -a cmds=(
    "history no-such-image"
    "image inspect no-such-image"
    "rmi no-such-image"
    "tag no-such-image other:tag"
    "save -o $TEST_DIR/out.tar no-such-image"
    "run --rm no-such-image true"
    "image history no-such-image"
  )
  local c
  for c in "${cmds[@]}"; do
    # shellcheck disable=SC2086
    run --separate-stderr "$TUG" $c
    # docker's codes: 1 for an image that does not exist, 125 for run's failures.
    local want=1
    [[ $c == run* ]] && want=125
    if [ "$status" -ne "$want" ]; then
      echo "tug $c: exit $status, expected $want" >&2
      return 1
    fi
    if [ "$(printf '%s\n' "$stderr" | grep -c .)" -ne 1 ] || [[ "$stderr" != "Error: "*no-such-image* ]]; then
      echo "tug $c: expected a one-line error naming the image, got:" >&2
      echo "$stderr" >&2
      return 1
    fi
    [[ "$stderr" == *"image not known"* || "$stderr" == *"no such image"* || "$stderr" == *"not found"* ]]
  done
  [ ! -e "$TEST_DIR/out.tar" ]
  # Nothing changed in the store.
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "docker.io/library/busybox:latest"
}

@test "a malformed reference is refused with exit 125" {
  load_busybox
  run --separate-stderr "$TUG" tag busybox 'Bad:Name:x'
  assert_status 125
  [[ "$stderr" == Error:* ]]
  # inspect looks names up: a malformed one is an image that does not
  # exist, docker's 1.
  run --separate-stderr "$TUG" image inspect 'UPPER/case'
  assert_status 1
  [[ "$stderr" == Error:* ]]
  # docker's words for it, and run refuses before touching the store.
  run --separate-stderr "$TUG" tag busybox 'UPPER/Case:tag'
  assert_status 125
  [[ "$stderr" == *"invalid reference format"* ]]
  run --separate-stderr "$TUG" run --rm 'bad::ref' true
  assert_status 125
  [[ "$stderr" == Error:* ]]
  run_tug ps -a -q
  assert_output_equals ""
}
