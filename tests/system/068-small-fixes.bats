#!/usr/bin/env bats
# Small items of issue 18: --label-file, a malformed auth.json, create-like
# commands that store nothing when they refuse, and a store the user
# cannot use.

load helpers

@test "run/create --label-file: files first, --label overrides, comments and blank lines skipped" {
  load_busybox
  printf '%s\n' '# a comment' '' '  a=1' 'b' 'c= spaced value ' 'd=x=y' >"$TEST_DIR/l1"
  printf '%s\r\n' 'e=from two' 'a=from two' >"$TEST_DIR/l2"
  tug_ok create --name lf --label-file "$TEST_DIR/l1" --label-file "$TEST_DIR/l2" \
    --label a=flag busybox true
  run_tug inspect --format '{{json .Config.Labels}}' lf
  assert_output_equals '{"a":"flag","b":"","c":" spaced value ","d":"x=y","e":"from two"}'
  tug_ok run --rm --label-file "$TEST_DIR/l2" busybox true
  run_tug ps -a --filter label=e="from two" --format '{{.Names}}'
  assert_output_equals "lf"
}

@test "--label-file errors: a missing file, a line without a name, a name with blanks; nothing created" {
  load_busybox
  run_tug create --label-file "$TEST_DIR/nofile" busybox true
  assert_error 125 "$TEST_DIR/nofile: no such file or directory"
  printf '=v\n' >"$TEST_DIR/bad1"
  run_tug run --rm --label-file "$TEST_DIR/bad1" busybox true
  assert_error 125 "$TEST_DIR/bad1 line 1"
  printf 'ok=1\na b=2\n' >"$TEST_DIR/bad2"
  run_tug create --label-file "$TEST_DIR/bad2" busybox true
  assert_error 125 "label name \"a b\" contains whitespace"
  run_tug ps -a -q
  assert_output_equals ""
}

@test "pod create --label-file" {
  printf '%s\n' '# pod labels' 'tier=web' 'team' >"$TEST_DIR/pl"
  tug_ok pod create --name lp --label-file "$TEST_DIR/pl" --label tier=db
  run_tug pod inspect --format '{{json .Labels}}' lp
  assert_output_equals '{"team":"","tier":"db"}'
  run_tug pod create --name lp2 --label-file "$TEST_DIR/nofile"
  assert_error 125 "$TEST_DIR/nofile: no such file or directory"
  run_tug pod exists lp2
  assert_status 1
}

@test "a malformed auth file: pull, push, search and login all say so, naming the file, before any request" {
  load_busybox
  local reg=127.0.0.1:$(free_port)  # nothing listens: a request would fail otherwise
  printf '{not json' >"$TEST_DIR/bad.json"
  REGISTRY_AUTH_FILE=$TEST_DIR/bad.json run_tug pull --tls-verify=false "$reg/x/y"
  assert_error 125 "reading credentials: parsing $TEST_DIR/bad.json"
  assert_output_not_contains "connect"
  run_tug push --tls-verify=false --authfile "$TEST_DIR/bad.json" busybox "$reg/x/y"
  assert_error 125 "reading credentials: parsing $TEST_DIR/bad.json"
  run_tug search --tls-verify=false --authfile "$TEST_DIR/bad.json" "$reg/x"
  assert_error 125 "reading credentials: parsing $TEST_DIR/bad.json"
  run_tug login --tls-verify=false --authfile "$TEST_DIR/bad.json" -u a -p b "$reg"
  assert_error 125 "reading credentials: parsing $TEST_DIR/bad.json"
  assert_output_not_contains "connect"
  # The default location, and JSON that is not an auth file.
  mkdir -p "$XDG_RUNTIME_DIR/containers"
  echo '["a"]' >"$XDG_RUNTIME_DIR/containers/auth.json"
  run_tug pull --tls-verify=false "$reg/x/y"
  assert_error 125 "$XDG_RUNTIME_DIR/containers/auth.json: not a JSON object"
  echo '{"auths": "x"}' >"$XDG_RUNTIME_DIR/containers/auth.json"
  run_tug pull --tls-verify=false "$reg/x/y"
  assert_error 125 "\"auths\" is not a JSON object"
  # --creds does not read the file; a good file is used as before.
  run_tug pull --tls-verify=false --creds a:b "$reg/x/y"
  assert_failure 125
  assert_output_not_contains "reading credentials"
  echo '{"auths": {}}' >"$XDG_RUNTIME_DIR/containers/auth.json"
  run_tug pull --tls-verify=false "$reg/x/y"
  assert_failure 125
  assert_output_not_contains "reading credentials"
}

@test "pod create refuses a malformed name, label or taken name before storing anything" {
  load_busybox
  snapshot() { (cd "$XDG_DATA_HOME/tug" && find . | sort); }
  before=$(snapshot)
  tug_ok images --format '{{.Repository}}:{{.Tag}}'
  images_before=$output
  for bad in '../x' 'a/b' '-x' '.hidden' 'x y' 'é'; do
    run_tug pod create --name "$bad"
    assert_error 125 "invalid pod name"
    assert_output_contains "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
  done
  run_tug pod create ../positional
  assert_error 125 'invalid pod name "../positional"'
  run_tug pod create --name ok --label-file "$TEST_DIR/missing-labels"
  assert_error 125 "missing-labels"
  # No pause image, no pod directory, no file of any kind was added.
  tug_ok images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "$images_before"
  [ "$(snapshot)" = "$before" ]
  [ ! -e "$XDG_DATA_HOME/tug/pods" ] || [ -z "$(store_entries pods)" ]
  # A name in use is refused before anything changes too (the pause image
  # exists by now, so the store's file list is the measure).
  tug_ok pod create --name taken
  before=$(snapshot)
  run_tug pod create --name taken
  assert_error 125 'the pod name "taken" is already in use'
  [ "$(snapshot)" = "$before" ]
}

@test "a store the user cannot read: the error names the store and says permission denied" {
  local root=$TEST_DIR/locked
  tug_ok --root "$root" load -i "$BUSYBOX_TAR"
  chmod 000 "$root"
  local outs=() codes=() i
  for cmd in images "run --rm busybox true" "pull busybox"; do
    run_tug --root "$root" $cmd
    codes+=("$status") outs+=("$output")
  done
  chmod 700 "$root"
  for i in 0 1 2; do
    status=${codes[$i]} output=${outs[$i]}
    assert_error 125 "the storage root $root: permission denied: it is owned by uid $(id -u) with mode 0000"
    assert_output_contains "chmod u+rwx $root"
    assert_output_not_contains "blobs"
  done
  # Access restored: the store is whole.
  run_tug --root "$root" images --format '{{.Repository}}'
  assert_output_equals "docker.io/library/busybox"
  tug_ok --root "$root" rmi -a
  # A directory of another user's (root's /usr/share, 0755): not writable.
  run_tug --root /usr/share images
  assert_error 125 "the storage root /usr/share: permission denied: it is owned by uid 0 with mode 0755"
  assert_output_not_contains "mkdir"
  # A store below a directory the user cannot search.
  mkdir -m 0700 "$TEST_DIR/closed"
  chmod 000 "$TEST_DIR/closed"
  run_tug --root "$TEST_DIR/closed/store" images
  chmod 700 "$TEST_DIR/closed"
  assert_error 125 "the storage root $TEST_DIR/closed/store: permission denied: a directory above it cannot be searched"
}
