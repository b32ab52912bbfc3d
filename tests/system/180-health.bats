#!/usr/bin/env bats
# Healthchecks: run by each container's monitor at its interval, recorded
# in health.json, shown by inspect (.State.Health) and ps, run on demand by
# `tug healthcheck run`.

load helpers

health() { "$TUG" inspect --format '{{.State.Health.Status}}' "$1"; }

# wait_health CTR STATUS [TENTHS]: polls inspect until the status shows.
wait_health() {
  local i
  for i in $(seq "${3:-100}"); do
    [ "$(health "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "# $1 is $(health "$1"), not $2" >&3
  return 1
}

@test "a passing --health-cmd makes the container healthy; ps and inspect show it" {
  load_busybox
  tug_ok run -d --name ok --health-cmd 'echo checked; test -e /tmp' --health-interval 300ms \
    busybox sleep 60
  id=$output
  run_tug inspect --format '{{json .Config.Healthcheck}}' ok
  assert_output_equals '{"Interval":300000000,"Test":["CMD-SHELL","echo checked; test -e /tmp"]}'
  # Before the first check (one interval after the start) it is starting.
  run_tug ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "ok Up "*"(starting)" ]]
  wait_health ok healthy
  run_tug ps --format '{{.Status}}'
  [[ "$output" == Up*"(healthy)" ]]
  run_tug inspect --format '{{.State.Health.FailingStreak}} {{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}' ok
  assert_output_equals "0 0 checked"
  jq -e '.Status == "healthy" and (.Log | length) >= 1' "$XDG_DATA_HOME/tug/containers/$id/health.json"
  # It keeps checking, and keeps only the last five results.
  sleep 2.5
  run_tug inspect --format '{{len .State.Health.Log}}' ok
  assert_output_equals 5
  run_tug ps --filter health=healthy --format '{{.Names}}'
  assert_output_equals ok
  run_tug ps --filter health=unhealthy --format '{{.Names}}'
  assert_output_equals ""
  tug_ok rm -f ok
}

@test "a failing check turns unhealthy after --health-retries failures" {
  load_busybox
  tug_ok run -d --name bad --health-cmd 'echo nope >&2; exit 3' --health-interval 200ms \
    --health-retries 2 busybox sleep 60
  wait_health bad unhealthy
  run_tug inspect --format '{{.State.Health.FailingStreak}}' bad
  [ "$output" -ge 2 ]
  run_tug inspect --format '{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}' bad
  assert_output_equals "3 nope"
  run_tug ps --format '{{.Status}}'
  [[ "$output" == Up*"(unhealthy)" ]]
  run_tug ps --filter health=unhealthy -q
  [ -n "$output" ]
  tug_ok rm -f bad
}

@test "the check sees the container's files and turns healthy when they appear" {
  load_busybox
  tug_ok run -d --name flip --health-cmd '["CMD","test","-e","/ready"]' --health-interval 200ms \
    --health-retries 100 busybox sh -c 'sleep 1; touch /ready; sleep 60'
  run_tug inspect --format '{{json .Config.Healthcheck.Test}}' flip
  assert_output_equals '["CMD","test","-e","/ready"]'
  run health flip
  assert_output_equals starting
  wait_health flip healthy 60
  run_tug inspect --format '{{(index .State.Health.Log 0).ExitCode}}' flip
  assert_output_equals 1
  tug_ok rm -f flip
}

@test "a check that outlives --health-timeout is killed and counts as a failure" {
  load_busybox
  tug_ok run -d --name slow --health-cmd 'sleep 30' --health-interval 1h \
    --health-timeout 300ms --health-retries 1 busybox sleep 60
  run_tug healthcheck run slow
  assert_status 1
  run health slow
  assert_output_equals unhealthy
  run_tug inspect --format '{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}' slow
  assert_output_equals "-1 Health check exceeded timeout (300ms)"
  # The killed check's processes are gone from the container.
  run_tug top slow
  assert_output_not_contains "sleep 30"
  tug_ok rm -f slow
}

@test "failures in --health-start-period do not count" {
  load_busybox
  tug_ok run -d --name sp --health-cmd 'false' --health-interval 100ms --health-retries 1 \
    --health-start-period 30s busybox sleep 60
  sleep 1.5
  run health sp
  assert_output_equals starting
  run_tug inspect --format '{{.State.Health.FailingStreak}}' sp
  assert_output_equals 0
  run_tug inspect --format '{{len .State.Health.Log}}' sp
  [ "$output" -ge 3 ]
  tug_ok rm -f sp
}

@test "healthcheck run: exit 0 healthy, 1 unhealthy; errors without a check or when stopped" {
  load_busybox
  tug_ok run -d --name hc --health-cmd 'test ! -e /broken' --health-interval 1h busybox sleep 60
  run health hc
  assert_output_equals starting
  run_tug healthcheck run hc
  assert_status 0
  run health hc
  assert_output_equals healthy
  tug_ok exec hc touch /broken
  # Each failed run exits 1; the status turns only after three (the default retries).
  for i in 1 2; do
    run_tug healthcheck run hc
    assert_status 1
    assert_output_equals unhealthy
  done
  run health hc
  assert_output_equals healthy
  run_tug healthcheck run hc
  assert_status 1
  run health hc
  assert_output_equals unhealthy
  run_tug inspect --format '{{.State.Health.FailingStreak}}' hc
  assert_output_equals 3
  tug_ok run -d --name plain busybox sleep 60
  run_tug healthcheck run plain
  assert_error 125 "no defined healthcheck"
  run_tug inspect --format '{{.State.Health}}' plain
  assert_output_equals "<no value>"
  tug_ok stop -t 0 hc
  run_tug healthcheck run hc
  assert_error 125 "not running"
  run_tug healthcheck run nope
  assert_error 125 "nope"
  tug_ok rm -f hc plain
}

@test "HEALTHCHECK from the image applies; flags override it, --no-healthcheck drops it" {
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nHEALTHCHECK --interval=200ms --retries=1 CMD echo from-image\n' >ctx/Containerfile
  tug_ok build -q -t hcimg ctx
  tug_ok run -d --name img hcimg sleep 60
  wait_health img healthy
  run_tug inspect --format '{{(index .State.Health.Log 0).Output}}' img
  assert_output_equals from-image
  tug_ok run -d --name over --health-cmd 'echo flag' hcimg sleep 60
  wait_health over healthy
  run_tug inspect --format '{{.Config.Healthcheck.Interval}} {{(index .State.Health.Log 0).Output}}' over
  assert_output_equals "200000000 flag"
  tug_ok run -d --name off --no-healthcheck hcimg sleep 60
  run_tug inspect --format '{{json .Config.Healthcheck.Test}} {{.State.Health}}' off
  assert_output_equals '["NONE"] <no value>'
  tug_ok create --name none --health-cmd none hcimg
  run_tug inspect --format '{{json .Config.Healthcheck.Test}}' none
  assert_output_equals '["NONE"]'
  tug_ok rm -f img over off none
}

@test "bad health flags fail before anything is created" {
  load_busybox
  run_tug run -d --health-cmd true --health-interval 10x busybox true
  assert_error 125 "invalid --health-interval"
  run_tug run -d --health-cmd true --health-timeout 10us busybox true
  assert_error 125 "less than 1ms"
  run_tug run -d --health-cmd true --health-retries -1 busybox true
  assert_error 125 "cannot be negative"
  run_tug run -d --health-interval 1s busybox true
  assert_error 125 "need a check"
  run_tug ps -a -q
  assert_output_equals ""
}

@test "a restart resets the health to starting; the monitor stays small with checks" {
  load_busybox
  tug_ok run -d --name r --health-cmd true --health-interval 100ms busybox sleep 60
  id=$output
  wait_health r healthy
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  sleep 1
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$mon/status)
  echo "# monitor peak RSS after ~15 checks: ${hwm} kB" >&3
  [ "$hwm" -le 2048 ]
  tug_ok stop -t 0 r
  tug_ok start r
  run health r
  assert_output_equals starting
  wait_health r healthy
  tug_ok rm -f r
}
