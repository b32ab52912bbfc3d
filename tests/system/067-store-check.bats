#!/usr/bin/env bats
# tug system check: the store, damaged for real (each test has a store of
# its own: helpers.bash's XDG_DATA_HOME), each problem named on a line of
# its own, --repair removing what is broken so that a load restores it, and
# commands that meet a damaged object pointing to the repair.

load helpers
bats_require_minimum_version 1.5.0

S() { echo "$XDG_DATA_HOME/tug"; }

# The hex of the busybox image's only layer.
layer_hex() { ls "$(S)/layers"; }

# A pid no process has: that of a subshell that has exited.
dead_pid() {
  (exit 0) &
  local pid=$!
  wait "$pid"
  echo "$pid"
}

# run_tug_split ARGS...: $output is stdout, $stderr stderr.
run_tug_split() {
  run --separate-stderr "$TUG" "$@"
}

@test "a clean store passes: exit 0, store: ok next to the host's report" {
  load_busybox
  tug_ok create --name c busybox true
  tug_ok volume create vol
  run_tug system check
  assert_status 0
  assert_line --partial "ok    storage driver: "
  assert_line "ok    store: 1 image (1 layer, 1 verified against their blobs), 1 container, 1 volume, 0 networks, 0 pods"
  assert_line --partial "containers can run here"
  assert_line "store: ok"
  refute_output --partial "fail  store"
  run_tug system check --quick
  assert_status 0
  assert_line --partial "ok    store: 1 image (1 layer, contents not verified: --quick)"
  run_tug system check --format json
  assert_status 0
  [ "$(printf '%s' "$output" | jq -r '.[] | select(.name == "store") | .status')" = ok ]
  # --repair of a clean store changes nothing.
  local before
  before=$(cd "$(S)" && find . -path ./events.log -prune -o -printf '%p %s\n' | sort | md5sum)
  run_tug system check --repair
  assert_status 0
  assert_line "store: ok"
  [ "$(cd "$(S)" && find . -path ./events.log -prune -o -printf '%p %s\n' | sort | md5sum)" = "$before" ]
  tug_ok start -a c
}

@test "a layer without layer.json: run says so, check names it, --repair removes the image, load restores it" {
  load_busybox
  local id hex
  id=$(busybox_id)
  hex=$(layer_hex)
  rm "$(S)/layers/$hex/layer.json"
  run_tug run --rm busybox true
  assert_error 125 "image docker.io/library/busybox:latest is damaged: layer ${hex:0:12}: incomplete (no layer.json)"
  assert_output_contains "tug system check --repair"
  run_tug system check --quick
  assert_status 1
  assert_line "fail  store: image ${id:0:12} (docker.io/library/busybox:latest): layer ${hex:0:12}: incomplete (no layer.json)"
  assert_line --partial "store: 1 problem(s): \`tug system check --repair\` removes what is damaged"
  run_tug_split system check --repair
  assert_status 0
  assert_line "fixed store: image ${id:0:12} (docker.io/library/busybox:latest): layer ${hex:0:12}: incomplete (no layer.json): removed the image: pull or load it again"
  assert_line "store: 1 problem(s) repaired"
  [[ "$stderr" == *"removed the damaged image docker.io/library/busybox:latest (${id:0:12}): pull or load it again"* ]]
  [ -z "$(ls -A "$(S)/layers")" ]
  [ -z "$(ls -A "$(S)/images")" ]
  [ -z "$(ls -A "$(S)/l")" ]
  run_tug system check
  assert_status 0
  assert_line "store: ok"
  load_busybox
  run_tug run --rm busybox echo restored
  assert_status 0
  assert_output_equals "restored"
}

@test "a layer whose diff is gone: run and check name it; load after --repair restores it" {
  load_busybox
  local hex
  hex=$(layer_hex)
  "$TUG" unshare rm -rf "$(S)/layers/$hex/diff"
  run_tug run --rm busybox true
  assert_error 125 "layer ${hex:0:12}: its files (diff) are missing"
  assert_output_contains "tug system check --repair"
  run_tug system check --quick
  assert_status 1
  assert_line --partial "fail  store: image "
  assert_output_contains "layer ${hex:0:12}: its files (diff) are missing"
  run_tug system check --repair --quick
  assert_status 0
  load_busybox
  run_tug run --rm busybox echo ok
  assert_output_equals "ok"
}

@test "a changed, a removed and an added file in a layer: found without --quick, not by --quick" {
  load_busybox
  local id hex diff
  id=$(busybox_id)
  hex=$(layer_hex)
  diff=$(S)/layers/$hex/diff
  # Same size, another content: only the content's digest tells.
  "$TUG" unshare sed -i 's/^root:/evil:/' "$diff/etc/passwd"
  # --quick looks at presence only: the change is not its to see.
  run_tug system check --quick
  assert_status 0
  run_tug system check
  assert_status 1
  assert_line "fail  store: image ${id:0:12} (docker.io/library/busybox:latest): layer ${hex:0:12}: 1 file differs from its blob: /etc/passwd: content differs"
  "$TUG" unshare sh -c "rm '$diff/etc/group'; echo x >'$diff/etc/added'; chmod 0600 '$diff/etc/passwd'"
  run_tug system check
  assert_status 1
  assert_output_contains "layer ${hex:0:12}: 4 files differ from its blob: /etc/added: not in the layer's archive, /etc/passwd: mode 0600, the layer's archive has 0644, /etc/passwd: content differs, ..."
  run_tug system check --format json
  assert_status 1
  printf '%s' "$output" | jq -e '.[] | select(.name == "store" and .kind == "image" and (.problem | contains("/etc/passwd: content differs")))' >/dev/null
  run_tug system check --repair
  assert_status 0
  assert_line --partial "fixed store: image ${id:0:12} (docker.io/library/busybox:latest): layer ${hex:0:12}: 4 files differ"
  [ -z "$(ls -A "$(S)/layers")" ]
  load_busybox
  run_tug run --rm busybox sh -c 'cat /etc/group >/dev/null && grep -c ^root: /etc/passwd'
  assert_output_equals "1"
  run_tug system check
  assert_status 0
}

@test "a truncated image record: images warns and points to the repair, --repair removes it, load restores it" {
  load_busybox
  local id hex
  id=$(busybox_id)
  hex=$(layer_hex)
  truncate -s 20 "$(S)/images/$id.json"
  run_tug_split images --format '{{.ID}}'
  assert_status 0
  [ -z "$output" ]
  [[ "$stderr" == *"ignoring unreadable image record"*"tug system check --repair"* ]]
  run_tug system check
  assert_status 1
  assert_line --partial "fail  store: image ${id:0:12}: the record does not parse: "
  assert_line "fail  store: layer ${hex:0:12}: orphaned: no image or container uses it"
  run_tug system check --repair
  assert_status 0
  assert_line --partial "fixed store: image ${id:0:12}: the record does not parse: "
  assert_line "fixed store: layer ${hex:0:12}: orphaned: no image or container uses it: removed"
  [ ! -e "$(S)/images/$id.json" ]
  [ ! -e "$(S)/layers/$hex" ]
  load_busybox
  run_tug run --rm busybox echo back
  assert_output_equals "back"
}

@test "leftovers: staging dir and temp files of dead processes, orphan layer, dangling link and claim, half-made container" {
  load_busybox
  local dead hex cid
  dead=$(dead_pid)
  hex=$(printf 'orphan' | sha256sum | cut -d' ' -f1)
  # What a killed pull leaves in tmp/, what a killed atomic write leaves
  # beside a record, a complete layer no image uses, a short link to a
  # layer that is gone, a name claim of a container that is gone, and a
  # container directory a killed create left without its record.
  mkdir -p "$(S)/tmp/img-$dead-abcdef/layers/new-0-XYZ/diff/etc"
  echo partial >"$(S)/tmp/img-$dead-abcdef/layers/new-0-XYZ/diff/etc/file"
  echo '{"name": "half' >"$(S)/images/$(busybox_id).json.tmp-$dead"
  mkdir -p "$(S)/networks"
  : >"$(S)/networks/net.json.tmp-$dead"
  mkdir -p "$(S)/layers/$hex/diff"
  echo '{"diff_id": "sha256:'"$hex"'", "link": "ORPHANORPHANORPH", "size": 0}' >"$(S)/layers/$hex/layer.json"
  ln -s "../layers/$hex/diff" "$(S)/l/ORPHANORPHANORPH"
  ln -s ../layers/0000/diff "$(S)/l/DANGLINGDANGLING"
  cid=$(printf 'ghost' | sha256sum | cut -d' ' -f1)
  ln -s "$cid" "$(S)/names/ghost"
  local half
  half=$(printf 'half' | sha256sum | cut -d' ' -f1)
  mkdir -p "$(S)/containers/$half/upper"
  touch -d '1 hour ago' "$(S)/containers/$half"
  run_tug system check --quick
  assert_status 1
  assert_line "fail  store: temp tmp/img-$dead-abcdef: left by process $dead, which is gone (a killed pull, load, build, commit or rmi)"
  assert_line "fail  store: temp images/$(busybox_id).json.tmp-$dead: temporary file of process $dead, which is gone"
  assert_line "fail  store: temp networks/net.json.tmp-$dead: temporary file of process $dead, which is gone"
  assert_line "fail  store: layer ${hex:0:12}: orphaned: no image or container uses it"
  assert_line "fail  store: link l/DANGLINGDANGLING: dangling: its layer is gone"
  assert_line "fail  store: name ghost: claims a container that is gone"
  assert_line "fail  store: container ${half:0:12}: a directory without its record (a create or rm that was killed)"
  assert_line "store: 7 problem(s): \`tug system check --repair\` removes what is damaged"
  run_tug system check --repair
  assert_status 0
  assert_line "store: 7 problem(s) repaired"
  [ ! -e "$(S)/tmp/img-$dead-abcdef" ]
  [ ! -e "$(S)/images/$(busybox_id).json.tmp-$dead" ]
  [ ! -e "$(S)/networks/net.json.tmp-$dead" ]
  [ ! -e "$(S)/layers/$hex" ]
  [ ! -e "$(S)/l/ORPHANORPHANORPH" ]
  [ ! -e "$(S)/l/DANGLINGDANGLING" ]
  [ ! -e "$(S)/names/ghost" ]
  [ ! -e "$(S)/containers/$half" ]
  # The image itself was never in question.
  run_tug run --rm busybox echo intact
  assert_output_equals "intact"
  run_tug system check
  assert_status 0
  assert_line "store: ok"
}

@test "a damaged container record: ps warns, check names it, --repair removes it and frees its name" {
  load_busybox
  tug_ok create --name c busybox true
  local cid
  cid=$(cat "$(S)/names/c" 2>/dev/null || readlink "$(S)/names/c")
  truncate -s 10 "$(S)/containers/$cid/config.json"
  run_tug_split ps -a --format '{{.Names}}'
  assert_status 0
  [ -z "$output" ]
  [[ "$stderr" == *"ignoring damaged container ${cid:0:12}"*"tug system check --repair"* ]]
  run_tug start c
  assert_failure
  assert_output_contains "container ${cid:0:12} is damaged"
  assert_output_contains "tug system check --repair"
  run_tug system check --quick
  assert_status 1
  assert_line --partial "fail  store: container ${cid:0:12}: its record does not parse: "
  run_tug system check --quick --repair
  assert_status 0
  assert_line --partial "fixed store: container ${cid:0:12}: its record does not parse: "
  assert_line "fixed store: name c: claims a container that is gone: released"
  [ ! -e "$(S)/containers/$cid" ]
  tug_ok run --name c --rm busybox echo again
  assert_output_equals "again"
}

@test "a damaged volume record is rewritten with its files kept" {
  load_busybox
  tug_ok volume create vol
  tug_ok run --rm -v vol:/data busybox sh -c 'echo kept >/data/f'
  echo '{"name": "vol", "lab' >"$(S)/volumes/vol/volume.json"
  run_tug volume inspect vol
  assert_error 125 "the record $(S)/volumes/vol/volume.json is damaged"
  assert_output_contains "tug system check --repair"
  run_tug system check --quick
  assert_status 1
  assert_line --partial "fail  store: volume vol: its record does not parse: "
  run_tug system check --quick --repair
  assert_status 0
  assert_line --partial "fixed store: volume vol: its record does not parse: "
  assert_line --partial "rewrote the record (its files are kept; labels and options are lost)"
  run_tug run --rm -v vol:/data busybox cat /data/f
  assert_output_equals "kept"
  run_tug system check --quick
  assert_status 0
}

@test "a running container's files are never touched: its damaged image and record are kept" {
  load_busybox
  local id hex cid
  id=$(busybox_id)
  hex=$(layer_hex)
  tug_ok run -d --name r busybox sleep 1000
  cid=$(readlink "$(S)/names/r")
  # Its image's layer loses its record: the image is named, not removed,
  # while a container uses it.
  mv "$(S)/layers/$hex/layer.json" "$TEST_DIR/layer.json"
  run_tug system check --quick --repair
  assert_status 1
  assert_line "fail  store: image ${id:0:12} (docker.io/library/busybox:latest): layer ${hex:0:12}: incomplete (no layer.json) (container r uses it: remove the container, then repair)"
  assert_line "fail  store: container ${cid:0:12} (r): layer ${hex:0:12}: incomplete (no layer.json): it cannot start (remove it with tug rm r)"
  assert_line "store: 0 problem(s) repaired, 2 left (see above)"
  [ -e "$(S)/images/$id.json" ]
  [ -d "$(S)/layers/$hex/diff" ]
  mv "$TEST_DIR/layer.json" "$(S)/layers/$hex/layer.json"
  # Its own record does not parse: kept while it runs, and so are the
  # layers it may use.
  cp "$(S)/containers/$cid/config.json" "$TEST_DIR/config.json"
  truncate -s 10 "$(S)/containers/$cid/config.json"
  rm "$(S)/images/$id.json"
  run_tug system check --quick --repair
  assert_status 1
  assert_line --partial "fail  store: container ${cid:0:12}: its record does not parse: "
  assert_output_contains "(kept: it is running; stop it with tug kill ${cid:0:12})"
  assert_line "fail  store: layer ${hex:0:12}: orphaned: no image or container uses it (kept: a container record that does not parse may use it)"
  [ -d "$(S)/containers/$cid/upper" ]
  [ -d "$(S)/layers/$hex/diff" ]
  cp "$TEST_DIR/config.json" "$(S)/containers/$cid/config.json"
  run_tug exec r echo alive
  assert_output_equals "alive"
  tug_ok rm -f r
  # Its image's record went with the hand above: the layer is an orphan now.
  run_tug system check --repair
  assert_status 0
  assert_line "fixed store: layer ${hex:0:12}: orphaned: no image or container uses it: removed"
}

@test "SIGKILL of load and rmi at random moments: check --repair clears what is left, a load restores the image" {
  local trial cli
  for trial in $(seq 12); do
    if [ $((trial % 2)) = 1 ]; then
      "$TUG" load -i "$BUSYBOX_TAR" >/dev/null 2>&1 &
    else
      "$TUG" images -q | grep -q . || load_busybox
      "$TUG" rmi busybox >/dev/null 2>&1 &
    fi
    cli=$!
    sleep "0.$(printf '%03d' $((RANDOM % 300)))"
    kill -9 "$cli" 2>/dev/null || true
    wait "$cli" 2>/dev/null || true
    # The repair leaves nothing for a full check to find.
    run_tug system check --quick --repair
    assert_status 0
    run_tug system check
    assert_status 0
    assert_line "store: ok"
    load_busybox
    run_tug run --rm busybox echo "trial $trial"
    assert_output_equals "trial $trial"
  done
}

@test "rmi takes along the blobs no image uses (a killed rmi's, a failed pull's), unless a pull is at work" {
  load_busybox
  local orphan holder
  orphan=$(printf 'orphan-blob' | sha256sum | cut -d' ' -f1)
  printf 'orphan-blob' >"$(S)/blobs/sha256/$orphan"
  tug_ok tag busybox extra
  tug_ok load -i "$BUSYBOX_TAR"
  # A pull, load or build at work holds staging.lock shared: the orphan may
  # be one it is about to record, and stays.
  (
    exec 9>>"$(S)/staging.lock"
    flock -s 9
    exec sleep 60
  ) &
  holder=$!
  until ! flock -n -x "$(S)/staging.lock" true; do sleep 0.1; done
  tug_ok rmi -f extra busybox
  [ -e "$(S)/blobs/sha256/$orphan" ]
  kill "$holder"
  wait "$holder" 2>/dev/null || true
  load_busybox
  tug_ok rmi busybox
  [ ! -e "$(S)/blobs/sha256/$orphan" ]
  [ -z "$(ls "$(S)/blobs/sha256")" ]
  run_tug system check
  assert_status 0
  assert_line "store: ok"
}
