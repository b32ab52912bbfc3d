#!/usr/bin/env bats
# What builds leave behind: a killed build's RUN container dies with it and
# goes at the next build or prune; listings hide build containers unless
# `ps --external`; the build cache goes with the images it belongs to (rmi,
# image prune, system prune) and with `builder prune [-a]`.

load helpers

teardown() {
  # A build a failed test left running (its RUN container dies with it).
  if [ -n "${bpid:-}" ]; then kill -9 "$bpid" 2>/dev/null || true; fi
  tug_test_cleanup
}

# Bytes of the files under the store's build cache directory.
cache_bytes() {
  find "$XDG_DATA_HOME/tug/build-cache" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'
}

# A build whose second step sleeps (with a marker the test can find).
sleeping_build() {
  mkdir -p "$TEST_DIR/$1"
  printf 'FROM busybox\nRUN echo one > /one\nRUN sleep %s\n' "$2" >"$TEST_DIR/$1/Containerfile"
}

# pgrep for this test's sleep: SECS is unique to the test.
sleeper() {
  pgrep -u "$(id -u)" -f "^sleep $1\$" || true
}

# Waits until the build's `RUN sleep SECS` runs.
wait_sleeper() {
  local i
  for i in $(seq 150); do
    [ -n "$(sleeper "$1")" ] && return 0
    sleep 0.1
  done
  echo "the build's RUN sleep $1 did not start" >&2
  return 1
}

@test "a killed build leaves no running container, and the next build removes it" {
  load_busybox
  sleeping_build slow 3127
  "$TUG" build -t slow slow >"$TEST_DIR/build.log" 2>&1 &
  bpid=$!
  wait_sleeper 3127
  # While it runs: a build's container is not the user's.
  tug_ok ps -a -q
  assert_output_equals ""
  tug_ok ps --external --no-trunc --format '{{.Status}} {{.Command}}'
  assert_output_contains "Up "
  assert_output_contains "sleep 3127"

  kill -9 "$bpid"
  wait "$bpid" || true
  # The container dies with the build (its monitor watched the build).
  for i in $(seq 50); do [ -z "$(sleeper 3127)" ] && break; sleep 0.1; done
  [ -z "$(sleeper 3127)" ]
  tug_ok ps -a -q
  assert_output_equals ""
  tug_ok ps --external --format '{{.Status}}'
  assert_output_contains "Exited (137)"
  [ "$(line_count)" -eq 1 ]
  [ "$(ls "$XDG_DATA_HOME/tug/containers" | wc -l)" -eq 1 ]

  # The next build removes what the killed one left.
  mkdir quick && printf 'FROM busybox\nRUN echo two > /two\n' >quick/Containerfile
  tug_ok build -t quick quick
  tug_ok ps --external -q
  assert_output_equals ""
  [ "$(ls "$XDG_DATA_HOME/tug/containers" | wc -l)" -eq 0 ]
}

@test "container prune and system prune remove a killed build's container, running or not" {
  load_busybox
  sleeping_build slow 3128
  "$TUG" build slow >/dev/null 2>&1 &
  bpid=$!
  wait_sleeper 3128
  id=$("$TUG" ps --external -q --no-trunc)
  # Another build's container, alive, is not prune's to take.
  tug_ok container prune -f
  assert_output_not_contains "$id"
  [ -n "$(sleeper 3128)" ]
  kill -9 "$bpid"
  wait "$bpid" || true
  tug_ok container prune -f
  assert_output_contains "$id"
  tug_ok ps --external -q
  assert_output_equals ""
  [ -z "$(sleeper 3128)" ]

  # system prune likewise (and rm -a never touches a build's container).
  sleeping_build slow2 3129
  "$TUG" build slow2 >/dev/null 2>&1 &
  bpid=$!
  wait_sleeper 3129
  id=$("$TUG" ps --external -q --no-trunc)
  tug_ok rm -f -a
  assert_output_equals ""
  kill -9 "$bpid"
  wait "$bpid" || true
  tug_ok system prune -f
  assert_output_contains "$id"
  tug_ok ps --external -a -q
  assert_output_equals ""
}

@test "rm -a, container prune and ps -a leave a running build alone; it completes" {
  load_busybox
  mkdir b
  printf 'FROM busybox\nRUN sleep 2.131; echo slept > /slept\n' >b/Containerfile
  "$TUG" build -t b b >"$TEST_DIR/build.log" 2>&1 &
  bpid=$!
  wait_sleeper 2.131
  tug_ok ps --external -q
  [ "$(line_count)" -eq 1 ]
  tug_ok rm -f -a
  tug_ok container prune -f
  tug_ok ps -a -q
  assert_output_equals ""
  wait "$bpid"
  tug_ok run --rm b cat /slept
  assert_output_equals slept
  tug_ok ps --external -a -q
  assert_output_equals ""
}

@test "-q builds die with their build too" {
  load_busybox
  sleeping_build slow 3130
  "$TUG" build -q slow >/dev/null 2>&1 &
  bpid=$!
  wait_sleeper 3130
  kill -9 "$bpid"
  wait "$bpid" || true
  for i in $(seq 50); do [ -z "$(sleeper 3130)" ] && break; sleep 0.1; done
  [ -z "$(sleeper 3130)" ]
}

@test "rmi of a built image takes its build steps and their cache entries along" {
  load_busybox
  start=$(cache_bytes)
  [ "$start" -eq 0 ]
  mkdir app && echo data >app/f.txt
  printf 'FROM busybox\nENV A=1\nRUN echo hello > /hello\nCOPY f.txt /f.txt\nRUN cat /f.txt\n' \
    >app/Containerfile
  tug_ok build -t app app
  [ "$(cache_bytes)" -gt 0 ]
  tug_ok images -a -q
  [ "$(line_count)" -eq 5 ]
  tug_ok build -t app app
  [ "$(grep -c 'Using cache' <<<"$output")" -eq 4 ]

  tug_ok rmi app
  assert_output_contains "Untagged: localhost/app:latest"
  # The image and the three steps before it.
  [ "$(grep -c '^Deleted: ' <<<"$output")" -eq 4 ]
  tug_ok images -a -q
  assert_output_equals "$(busybox_id | cut -c1-12)"
  [ "$(cache_bytes)" -eq "$start" ]
}

@test "rmi keeps the steps another image is built on" {
  load_busybox
  mkdir one two
  printf 'FROM busybox\nRUN echo shared > /shared\nRUN echo one > /one\n' >one/Containerfile
  printf 'FROM busybox\nRUN echo shared > /shared\nRUN echo two > /two\n' >two/Containerfile
  tug_ok build -t one one
  tug_ok build -t two two
  assert_output_contains "Using cache"
  tug_ok rmi one
  [ "$(grep -c '^Deleted: ' <<<"$output")" -eq 1 ]
  # two still builds entirely from its cache.
  tug_ok build -t two two
  [ "$(grep -c 'Using cache' <<<"$output")" -eq 2 ]
  tug_ok rmi two
  [ "$(grep -c '^Deleted: ' <<<"$output")" -eq 2 ]
  [ "$(cache_bytes)" -eq 0 ]
}

@test "builder prune: dangling cache, then with -a all of it" {
  load_busybox
  mkdir app bad
  printf 'FROM busybox\nRUN echo hello > /hello\nRUN echo again > /again\n' >app/Containerfile
  printf 'FROM busybox\nRUN echo other > /other\nRUN exit 3\n' >bad/Containerfile
  tug_ok build -t app app
  run_tug build bad
  assert_status 3
  tug_ok images -a -q
  [ "$(line_count)" -eq 4 ]

  # The failed build's step is dangling; app's steps are its cache.
  tug_ok builder prune -f
  assert_output_contains "Deleted build cache objects:"
  assert_output_contains "Total reclaimed space: "
  [ "$(grep -c '^[0-9a-f]\{64\}$' <<<"$output")" -eq 1 ]
  tug_ok build -t app app
  [ "$(grep -c 'Using cache' <<<"$output")" -eq 2 ]

  # The prompt: no answer is no.
  run_tug builder prune -a </dev/null
  assert_success
  assert_output_contains "WARNING! This will remove all build cache."
  tug_ok images -a -q
  [ "$(line_count)" -eq 3 ]

  tug_ok builder prune -a -f
  [ "$(grep -c '^[0-9a-f]\{64\}$' <<<"$output")" -eq 1 ]
  tug_ok images -a -q
  [ "$(line_count)" -eq 2 ]
  [ "$(cache_bytes)" -eq 0 ]
  tug_ok run --rm app cat /hello /again
  assert_output_equals "hello
again"
  tug_ok build -t app app
  assert_output_not_contains "Using cache"
  # docker's alias.
  tug_ok buildx prune -f
  assert_output_contains "Total reclaimed space: "
}

@test "image prune and system prune remove a failed build's steps, not a kept image's cache" {
  load_busybox
  mkdir app bad
  printf 'FROM busybox\nRUN echo hello > /hello\nRUN echo again > /again\n' >app/Containerfile
  printf 'FROM busybox\nRUN echo other > /other\nRUN echo more > /more\nRUN exit 3\n' \
    >bad/Containerfile
  tug_ok build -t app app
  run_tug build bad
  assert_status 3
  tug_ok images -a -q
  [ "$(line_count)" -eq 5 ]
  tug_ok image prune -f
  [ "$(grep -c '^deleted: ' <<<"$output")" -eq 2 ]
  tug_ok images -a -q
  [ "$(line_count)" -eq 3 ]
  tug_ok build -t app app
  [ "$(grep -c 'Using cache' <<<"$output")" -eq 2 ]

  # system prune -a: app is unused, so it goes, with its steps and its cache.
  tug_ok system prune -a -f
  tug_ok images -a -q
  assert_output_equals ""
  [ "$(cache_bytes)" -eq 0 ]
}

@test "SIGINT or SIGTERM cancels a build even when its RUN command ignores them" {
  load_busybox
  sleeping_build slow 3132
  for sig in INT TERM; do
    "$TUG" build slow >"$TEST_DIR/build.log" 2>&1 &
    bpid=$!
    wait_sleeper 3132
    kill -s "$sig" "$bpid"
    rc=0
    wait "$bpid" || rc=$?
    [ "$rc" -eq 137 ]
    grep -q "RUN sleep 3132: the command exited with status 137" "$TEST_DIR/build.log"
    [ -z "$(sleeper 3132)" ]
    tug_ok ps --external -a -q
    assert_output_equals ""
  done
}

@test "system check names a killed build's container and --repair removes it" {
  load_busybox
  sleeping_build slow3 3132
  "$TUG" build slow3 >/dev/null 2>&1 &
  bpid=$!
  wait_sleeper 3132
  id=$("$TUG" ps --external -q)
  # A live build's container is no problem.
  run_tug system check --quick
  assert_output_not_contains "build container"
  kill -9 "$bpid"
  wait "$bpid" || true
  run_tug system check --quick
  assert_failure 1
  assert_output_contains "container $id"
  assert_output_contains "a build container whose build is gone"
  tug_ok system check --quick --repair
  assert_output_contains "removed the container"
  tug_ok ps --external -a -q
  assert_output_equals ""
  [ -z "$(sleeper 3132)" ]
  tug_ok system check --quick
}

# "412kB" -> 412000, as system df prints sizes.
df_bytes() {
  awk -v s="$1" 'BEGIN {
    n = s + 0; u = s; sub(/^[0-9.]+/, "", u)
    m["B"] = 1; m["kB"] = 1e3; m["MB"] = 1e6; m["GB"] = 1e9
    printf "%d\n", n * m[u] }'
}

@test "system df counts the build cache: its images' own layers and its records; builder prune -a empties it" {
  load_busybox
  mkdir app bad
  printf 'FROM busybox\nRUN echo hello > /hello\nRUN echo again > /again\n' >app/Containerfile
  printf 'FROM busybox\nRUN head -c 400000 /dev/urandom > /big\nRUN exit 3\n' >bad/Containerfile
  tug_ok system df --format '{{.Type}}|{{.Total}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}'
  assert_line "Build Cache|0|0|0B|0B"
  tug_ok build -t app app
  tug_ok build -t app app
  [ "$(grep -c 'Using cache' <<<"$output")" -eq 2 ]
  # One step image (app's first RUN): the cache's. Its layer is app's too, so
  # what the cache alone holds is its records (a few kB), not 0.
  tug_ok system df --format '{{.Type}}|{{.Total}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}'
  grep -q '^Images|2|0|' <<<"$output"
  line=$(grep '^Build Cache|' <<<"$output")
  IFS='|' read -r _ total active size recl <<<"$line"
  [ "$total" = 1 ] && [ "$active" = 0 ]
  [ "$(df_bytes "$size")" -gt 0 ] && [ "$(df_bytes "$size")" -lt 100000 ]
  [ "$recl" = "$size" ]
  # A failed build's step holds a 400 kB layer no image has: the cache's.
  run_tug build bad
  assert_status 3
  tug_ok system df --format '{{.Type}}|{{.Total}}|{{.Size}}'
  line=$(grep '^Build Cache|' <<<"$output")
  IFS='|' read -r _ total size <<<"$line"
  [ "$total" = 2 ]
  [ "$(df_bytes "$size")" -gt 400000 ]
  tug_ok system df -v
  assert_line "Build cache usage: $size"
  [ "$(grep -cE '^[0-9a-f]{12} +regular +' <<<"$output")" -eq 2 ]
  # Both hold busybox's layer, an image's (shared); only the failed step's
  # own layer is the cache's alone.
  grep -qE '^[0-9a-f]{12} +regular +4[0-9][0-9]kB .* 0 +true$' <<<"$output"
  grep -qE '^[0-9a-f]{12} +regular +0B .* 0 +true$' <<<"$output"
  # builder prune -a: nothing left, and df says so.
  tug_ok builder prune -a -f
  tug_ok system df --format '{{.Type}}|{{.Total}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}'
  assert_line "Build Cache|0|0|0B|0B"
  grep -q '^Images|2|' <<<"$output"
  [ "$(cache_bytes)" -eq 0 ]
  tug_ok system df -v
  assert_line "Build cache usage: 0B"
}
