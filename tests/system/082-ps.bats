#!/usr/bin/env bats
# ps filters, sizes, --last/--latest, and run --replace.

load helpers

@test "ps --filter by status, exited code, name, id, label and ancestor" {
  load_busybox
  tug_ok tag busybox other-tag
  tug_ok run --name ok-one -l team=a busybox true
  run_tug run --name bad-two -l team=b busybox sh -c 'exit 3'
  assert_status 3
  tug_ok run -d --name live-three -l team=a other-tag sleep 60
  tug_ok create --name made-four busybox true
  names() { run_tug ps "$@" --format '{{.Names}}'; assert_status 0; echo "$output" | sort | tr '\n' ' '; }
  [ "$(names)" = "live-three " ]
  [ "$(names -a --filter status=exited)" = "bad-two ok-one " ]
  [ "$(names --filter status=exited)" = "bad-two ok-one " ]
  [ "$(names -a --filter status=created)" = "made-four " ]
  [ "$(names -a --filter status=running --filter status=created)" = "live-three made-four " ]
  [ "$(names -a --filter exited=3)" = "bad-two " ]
  [ "$(names -a --filter name=two)" = "bad-two " ]
  [ "$(names -a --filter label=team=a)" = "live-three ok-one " ]
  [ "$(names -a --filter label=team)" = "bad-two live-three ok-one " ]
  [ "$(names -a --filter label=team=a --filter status=exited)" = "ok-one " ]
  # ancestor matches the image, by any of its names or its id, as docker.
  [ "$(names -a --filter ancestor=other-tag)" = "bad-two live-three made-four ok-one " ]
  [ "$(names -a --filter ancestor=other-tag --filter status=running)" = "live-three " ]
  run_tug ps -a -q --filter ancestor=nosuch
  assert_output_equals ""
  id=$("$TUG" inspect --format '{{.Id}}' ok-one)
  [ "$(names -a --filter "id=${id:0:6}")" = "ok-one " ]
  [ "$(names -a --filter since=bad-two)" = "live-three made-four " ]
  [ "$(names -a --filter before=bad-two)" = "ok-one " ]
  run_tug ps -a -q --filter status=exited
  [ "$(line_count)" -eq 2 ]
  run_tug ps --filter colour=red
  assert_error 125 "invalid filter"
  run_tug ps --filter status=sleeping
  assert_error 125 "invalid filter"
  run_tug ps -a --filter since=nosuch
  assert_error 1 "nosuch"
  tug_ok rm -f live-three
}

@test "ps --format json lists Names, a template prints the name" {
  load_busybox
  tug_ok create --name jsonc busybox true
  run_tug ps -a --format json
  assert_status 0
  [ "$(jq -c '.[0].Names' <<<"$output")" = '["jsonc"]' ]
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals "jsonc"
}

@test "ps -n, -l and -s" {
  load_busybox
  tug_ok run --name first busybox true
  tug_ok run --name second busybox sh -c 'head -c 1048576 /dev/zero > /big'
  tug_ok run --name third busybox true
  run_tug ps -n 2 --format '{{.Names}}'
  assert_output_equals "third
second"
  run_tug ps -l --format '{{.Names}}'
  assert_output_equals "third"
  run_tug ps -a -s
  assert_status 0
  [[ "$(echo "$output" | head -1)" =~ NAMES\ +SIZE$ ]]
  line=$(echo "$output" | grep second)
  # 1 MiB and the few blocks of the mount points tug makes in the upper
  # layer (/run/.containerenv, /etc/mtab).
  [[ "$line" =~ 1\.0(5|6|49)MB\ \(virtual\  ]] || {
    echo "size column: $line"
    false
  }
  # The others hold only the runtime's mount points: a few kB at most.
  run_tug ps -a -s --format '{{.Names}} {{.Size}}'
  [[ "$(echo "$output" | grep first)" =~ ^first\ [0-9.]+k?B\ \(virtual\ [0-9.]+MB\)$ ]]
}

@test "run --replace removes a container of the same name, running or not" {
  load_busybox
  tug_ok run -d --name svc busybox sleep 60
  old=$output
  tug_ok run -d --replace --name svc busybox sleep 60
  new=$output
  [ "$old" != "$new" ]
  run_tug ps -a --format '{{.ID}} {{.Names}}'
  assert_output_equals "${new:0:12} svc"
  tug_ok create --replace --name svc busybox true
  run_tug ps -a --format '{{.Names}} {{.State}}'
  assert_output_equals "svc created"
  # Without --replace the name is still taken.
  run_tug create --name svc busybox true
  assert_error 125 "already in use"
  # A failing --replace (bad flag value) leaves the old container alone.
  run_tug create --replace --name svc --ulimit bogus=1 busybox true
  assert_status 125
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals "svc"
}
