#!/usr/bin/env bats
# tug events: the append-only event log that commands and monitors write,
# read back with filters, formats, --since/--until, and followed live.

load helpers

LOG() { echo "$XDG_RUNTIME_DIR/tug/events.log"; }

@test "a run/stop/rm cycle logs create, start, kill, die, stop, destroy in order" {
  load_busybox
  tug_ok run -d --name cyc busybox sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done'
  id=$output
  tug_ok stop -t 5 cyc
  tug_ok rm cyc
  run_tug events --stream=false --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}'
  assert_status 0
  assert_output_equals "create cyc
start cyc
kill cyc
die cyc
stop cyc
destroy cyc"
  # docker's default line: time, type, action, full id, sorted attributes.
  run_tug events --stream=false --filter event=die
  [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})\ container\ die\ $id\ \(exitCode=143,\ image=docker.io/library/busybox:latest,\ name=cyc\)$ ]]
  run_tug events --stream=false --filter event=kill --format '{{.Actor.Attributes.signal}}'
  assert_output_equals 15
  # Every line of the log is one JSON object.
  while read -r line; do echo "$line" | jq -e .type >/dev/null; done <"$(LOG)"
}

@test "a foreground run and start -a log attach before start, as docker does" {
  load_busybox
  tug_ok run --name fg busybox true
  tug_ok start -a fg
  tug_ok rm fg
  run_tug events --stream=false --filter type=container --format '{{.Status}} {{.Name}}'
  assert_output_equals "create fg
attach fg
start fg
die fg
attach fg
start fg
die fg
destroy fg"
}

@test "events --format json and {{json .}} give docker's fields; filters combine" {
  load_busybox
  tug_ok run --name one -l team=a busybox true
  run_tug run --name two -l team=b busybox sh -c 'exit 3'
  assert_status 3
  run_tug events --stream=false --format json --filter event=die --filter container=two
  assert_status 0
  [ "$(echo "$output" | wc -l)" = 1 ]
  echo "$output" | jq -e '.status == "die" and .Type == "container" and .Action == "die" and
    .Actor.Attributes.exitCode == "3" and .Actor.Attributes.name == "two" and
    .from == "docker.io/library/busybox:latest" and .scope == "local" and (.timeNano / 1000000000 | floor) == .time'
  run_tug events --stream=false --format '{{json .}}' --filter label=team=a --filter event=start
  echo "$output" | jq -e '.Actor.Attributes.name == "one"'
  # Values of one key are alternatives; podman's "died" means die.
  run_tug events --stream=false --format '{{.Actor.Attributes.name}}' --filter event=died \
    --filter container=one --filter container=two
  assert_output_equals "one
two"
  run_tug events --stream=false --filter image=busybox --filter event=create --format '{{.Actor.Attributes.name}}'
  assert_output_equals "one
two"
  # A key docker and podman do not know either is ignored, with a warning.
  run_tug events --stream=false --filter bogus=1 --filter event=die --format '{{.Actor.Attributes.name}}'
  assert_status 0
  assert_output_contains 'events: filter "bogus=1" is not known: ignored'
  assert_output_contains "one
two"
  run_tug events --stream=false --filter bogus
  assert_error 125 "invalid filter"
  run_tug events --stream=false --since yesterday-ish
  assert_error 125 "invalid time"
}

@test "image, volume and pod events" {
  load_busybox
  tug_ok tag busybox mine:1
  tug_ok rmi mine:1
  tug_ok volume create vol
  tug_ok volume rm vol
  run_tug events --stream=false --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
  assert_output_contains "image tag localhost/mine:1"
  assert_output_contains "image untag localhost/mine:1"
  assert_output_contains "volume create vol"
  assert_output_contains "volume destroy vol"
  # podman's event fields in templates: Name and Status of every type.
  run_tug events --stream=false --format '{{.Type}} {{.Status}} {{.Name}}'
  assert_output_contains "image tag localhost/mine:1"
  assert_output_contains "volume create vol"
  assert_output_contains "volume destroy vol"
  # docker's JSON keeps status and id for images only, not volumes.
  run_tug events --stream=false --format json --filter type=image --filter event=tag
  echo "$output" | jq -e '.status == "tag" and (.id | startswith("sha256:"))'
  run_tug events --stream=false --format json --filter type=volume --filter event=create
  echo "$output" | jq -e 'has("status") | not'
  # The short and the fully qualified name both select them.
  run_tug events --stream=false --filter image=mine --format '{{.Action}} {{.Actor.Attributes.name}}'
  assert_output_equals "tag localhost/mine:1
untag localhost/mine:1"
  run_tug events --stream=false --filter image=localhost/mine:1 --format '{{.Action}}'
  assert_output_equals "tag
untag"
  run_tug events --stream=false --filter type=volume --format '{{.Action}} {{.Actor.ID}}'
  assert_output_equals "create vol
destroy vol"
  tug_ok pod create --name pd
  tug_ok pod rm pd
  run_tug events --stream=false --filter type=pod --format '{{.Action}} {{.Actor.Attributes.name}}'
  assert_output_equals "create pd
remove pd"
}

@test "--since and --until select a window of the log" {
  load_busybox
  tug_ok run --name early busybox true
  sleep 1.1
  mid=$(date +%s)
  sleep 1.1
  tug_ok run --name late busybox true
  run_tug events --since "$mid" --until 0s --filter event=create --format '{{.Actor.Attributes.name}}'
  assert_status 0
  assert_output_equals late
  run_tug events --since 1h --until "$mid" --filter event=create --format '{{.Actor.Attributes.name}}'
  assert_output_equals early
  run_tug events --stream=false --until "$(date -u -d @"$mid" +%Y-%m-%dT%H:%M:%SZ)" --filter event=create --format '{{.Actor.Attributes.name}}'
  assert_output_equals early
}

@test "events follows the log live until interrupted" {
  load_busybox
  # timeout: an events that ignored SIGTERM fails the test instead of
  # hanging it (its exit status is then 124, checked below).
  timeout 30 "$TUG" events --format '{{.Action}} {{.Actor.Attributes.name}}' >ev.out 2>&1 3>&- &
  ev=$!
  tug_ok run --name live busybox true
  for _ in $(seq 100); do grep -q "die live" ev.out && break; sleep 0.1; done
  kill -TERM $ev
  st=0
  wait $ev || st=$?
  [ "$st" != 124 ]
  grep -qx "create live" ev.out
  grep -qx "start live" ev.out
  grep -qx "die live" ev.out
  # Without --since only new events: nothing from before it started.
  timeout 30 "$TUG" events --format '{{.Actor.Attributes.name}}' >ev2.out 2>&1 3>&- &
  ev=$!
  sleep 0.5
  kill -TERM $ev
  st=0
  wait $ev || st=$?
  [ "$st" != 124 ]
  [ ! -s ev2.out ]
}

@test "the log is bounded: it rotates, and readers see both files" {
  # A volume create line is about 124 bytes: 25 of them fill 1000 bytes
  # more than twice, so the log rotates at least twice and the oldest
  # events are gone.
  export TUG_EVENTS_MAX_SIZE=1000
  for i in $(seq 25); do tug_ok volume create "v$i"; done
  [ -f "$(LOG).1" ]
  [ "$(stat -c %s "$(LOG)")" -le 1000 ]
  [ "$(stat -c %s "$(LOG).1")" -le 1000 ]
  run_tug events --stream=false --filter type=volume --format '{{.Actor.ID}}'
  assert_status 0
  # The rotated file and the current one together hold the newest events,
  # oldest first and without a gap; the first ones were dropped.
  first=$(echo "$output" | head -1)
  [ "$first" != v1 ]
  [ "$output" = "$(seq "${first#v}" 25 | sed 's/^/v/')" ]
  # At least the rotated file's worth: it was full, 8 lines of 124 bytes.
  [ "$(echo "$output" | wc -l)" -ge 8 ]
}

@test "concurrent writers never interleave lines" {
  for j in 1 2 3 4; do
    (for i in $(seq 15); do "$TUG" volume create "w$j-$i" >/dev/null; done) &
  done
  wait
  # Every line is one whole JSON event, and all 60 creates are there, once.
  while read -r line; do echo "$line" | jq -e '.action == "create"' >/dev/null; done <"$(LOG)"
  [ "$(grep -c . "$(LOG)")" = 60 ]
  [ "$(jq -r 'select(.type == "volume" and .action == "create") | .id' "$(LOG)" | sort -u | wc -l)" = 60 ]
}

@test "health_status events when the status changes" {
  load_busybox
  tug_ok run -d --name h --health-cmd true --health-interval 100ms busybox sleep 60
  for _ in $(seq 50); do
    run_tug events --stream=false --filter event=health_status --format '{{.Action}}'
    [ -n "$output" ] && break
    sleep 0.1
  done
  sleep 0.5
  run_tug events --stream=false --filter event=health_status --format '{{.Action}}'
  assert_output_equals "health_status: healthy"
  tug_ok rm -f h
}
