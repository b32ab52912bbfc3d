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
