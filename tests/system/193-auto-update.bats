#!/usr/bin/env bats
# tug auto-update against Debian's docker-registry on 127.0.0.1. There is
# no systemd here, so the restart of a container's unit goes through a fake
# systemctl ($TUG_SYSTEMCTL, which tug calls instead of systemctl): it does
# what the unit's ExecStart would, `tug run -d --replace ...` from the image
# name, and fails like `systemctl restart` when the container does not run.

load helpers

setup_file() {
  start_test_registry
}

teardown_file() {
  stop_test_registry
}

# push_version TAG CONTAINERFILE: builds an image from busybox and pushes it
# to $REG/app:TAG from a store of its own.
push_version() {
  local save=$XDG_DATA_HOME dir=$TEST_DIR/ctx-$RANDOM
  export XDG_DATA_HOME=$TEST_DIR/pusher
  mkdir -p "$XDG_DATA_HOME" "$dir"
  printf '%s\n' "$2" >"$dir/Containerfile"
  [ -e "$XDG_DATA_HOME/tug/images" ] || load_busybox
  tug_ok build -q -t "app-$RANDOM" "$dir"
  tug_ok push --tls-verify=false "$output" "$REG/app:$1"
  export XDG_DATA_HOME=$save
}

teardown() {
  if [ -d "$TEST_DIR/pusher/tug" ]; then remove_store "$TEST_DIR/pusher/tug"; fi
  tug_test_cleanup
}

# The fake systemctl: `--user restart UNIT` runs the unit's container again
# (make_fake_systemctl [POLICY IMAGE], default registry and $REG/app:latest).
make_fake_systemctl() {
  cat >"$TEST_DIR/systemctl" <<SH
#!/bin/sh
echo "\$*" >>"$TEST_DIR/systemctl.log"
[ "\$1 \$2" = "--user restart" ] || exit 2
PODMAN_SYSTEMD_UNIT=\$3 "$TUG" run -d --replace --name app --pull never \\
  -l io.containers.autoupdate=${1:-registry} "${2:-$REG/app:latest}" >/dev/null 2>&1 || exit 1
sleep 0.3
[ "\$("$TUG" inspect --format '{{.State.Status}}' app)" = running ] || exit 1
SH
  chmod +x "$TEST_DIR/systemctl"
  export TUG_SYSTEMCTL=$TEST_DIR/systemctl
}

@test "auto-update: up to date, --dry-run sees a newer image, update restarts the unit, a broken image is rolled back" {
  push_version latest $'FROM busybox\nRUN echo v1 >/version\nCMD ["sleep", "1000"]'
  make_fake_systemctl
  PODMAN_SYSTEMD_UNIT=app.service tug_ok run -d --name app --tls-verify=false \
    -l io.containers.autoupdate=registry "$REG/app:latest"
  v1=$("$TUG" inspect --format '{{.Image}}' app)

  run_tug auto-update --tls-verify=false --format '{{.Unit}} {{.ContainerName}} {{.Image}} {{.Policy}} {{.Updated}}'
  assert_success
  assert_output_equals "app.service app $REG/app:latest registry false"
  [ ! -e "$TEST_DIR/systemctl.log" ]

  push_version latest $'FROM busybox\nRUN echo v2 >/version\nCMD ["sleep", "1000"]'
  run_tug auto-update --dry-run --tls-verify=false
  assert_success
  assert_line --index 0 --partial "UNIT"
  assert_line --index 0 --partial "POLICY"
  assert_output_contains "pending"
  # --dry-run neither pulls nor restarts.
  [ "$("$TUG" inspect --format '{{.Id}}' "$REG/app:latest")" = "${v1#sha256:}" ]
  [ ! -e "$TEST_DIR/systemctl.log" ]

  run_tug auto-update --tls-verify=false --format '{{.Updated}}'
  assert_success
  assert_output_equals "true"
  [ "$(cat "$TEST_DIR/systemctl.log")" = "--user restart app.service" ]
  run_tug exec app cat /version
  assert_output_equals v2
  v2=$("$TUG" inspect --format '{{.Image}}' app)
  [ "$v2" != "$v1" ]
  # Now up to date again.
  run_tug auto-update --tls-verify=false --format '{{.Updated}}'
  assert_output_equals "false"

  # A new image whose command cannot run: the unit's restart fails, the name
  # goes back to v2 and the unit runs it again.
  push_version latest $'FROM busybox\nRUN echo v3 >/version\nCMD ["/no/such/program"]'
  run_tug auto-update --tls-verify=false --format '{{.Updated}}'
  assert_success
  assert_line "rolled back"
  assert_output_contains "rolling back"
  [ "$(wc -l <"$TEST_DIR/systemctl.log")" = 3 ]
  run_tug inspect --format '{{.State.Status}} {{.Image}}' app
  assert_output_equals "running $v2"
  run_tug exec app cat /version
  assert_output_equals v2
  [ "$("$TUG" inspect --format '{{.Id}}' "$REG/app:latest")" = "$v2" ]
}

@test "auto-update: containers without a unit, or another policy, fail clearly" {
  push_version latest $'FROM busybox\nCMD ["sleep", "1000"]'
  make_fake_systemctl
  tug_ok run -d --name nounit --tls-verify=false -l io.containers.autoupdate=registry "$REG/app:latest"
  tug_ok run -d --name bogus --pull never -l io.containers.autoupdate=bogus \
    -l PODMAN_SYSTEMD_UNIT=x.service "$REG/app:latest"
  tug_ok run -d --name ignored --pull never "$REG/app:latest"
  run_tug auto-update --tls-verify=false --format '{{.ContainerName}} {{.Updated}}'
  assert_failure 125
  assert_line "nounit failed"
  assert_line "bogus failed"
  refute_output --partial ignored
  assert_output_contains "Error: nounit: container nounit does not run in a systemd unit"
  assert_output_contains 'Error: bogus: unknown auto-update policy "bogus" (use registry or local)'
  [ ! -e "$TEST_DIR/systemctl.log" ]
}

@test "auto-update: an unreachable registry is a failure of that unit, nothing restarted" {
  load_busybox
  make_fake_systemctl
  tug_ok tag busybox 127.0.0.1:1/app:latest
  PODMAN_SYSTEMD_UNIT=gone.service tug_ok run -d --name app --pull never \
    -l io.containers.autoupdate=registry 127.0.0.1:1/app:latest sleep 1000
  run_tug auto-update --tls-verify=false --format '{{.Unit}} {{.Updated}}'
  assert_failure 125
  assert_line "gone.service failed"
  [ ! -e "$TEST_DIR/systemctl.log" ]
  run_tug inspect --format '{{.State.Status}}' app
  assert_output_equals running
}

# build_local VERSION CMD: builds localhost/app:latest from busybox with
# /version holding VERSION.
build_local() {
  local dir=$TEST_DIR/ctx-$1
  mkdir -p "$dir"
  printf 'FROM busybox\nRUN echo %s >/version\nCMD %s\n' "$1" "$2" >"$dir/Containerfile"
  tug_ok build -q -t localhost/app:latest "$dir"
}

@test "auto-update local: a newer image under the name in the local store restarts the unit; a broken one is rolled back" {
  load_busybox
  build_local v1 '["sleep", "1000"]'
  make_fake_systemctl local localhost/app:latest
  PODMAN_SYSTEMD_UNIT=app.service tug_ok run -d --name app --pull never \
    -l io.containers.autoupdate=local localhost/app:latest
  v1=$("$TUG" inspect --format '{{.Image}}' app)
  # No registry is asked: the name is not even resolvable to one.
  run_tug auto-update --format '{{.Unit}} {{.ContainerName}} {{.Image}} {{.Policy}} {{.Updated}}'
  assert_success
  assert_output_equals "app.service app localhost/app:latest local false"
  [ ! -e "$TEST_DIR/systemctl.log" ]

  build_local v2 '["sleep", "1000"]'
  run_tug auto-update --dry-run --format '{{.Policy}} {{.Updated}}'
  assert_output_equals "local pending"
  [ ! -e "$TEST_DIR/systemctl.log" ]
  run_tug inspect --format '{{.Image}}' app
  assert_output_equals "$v1"
  run_tug auto-update --format '{{.Updated}}'
  assert_success
  assert_output_equals "true"
  [ "$(cat "$TEST_DIR/systemctl.log")" = "--user restart app.service" ]
  run_tug exec app cat /version
  assert_output_equals v2
  v2=$("$TUG" inspect --format '{{.Image}}' app)
  [ "$v2" != "$v1" ]
  run_tug auto-update --format '{{.Updated}}'
  assert_output_equals "false"

  # A new local image that cannot run: restarted, failed, the name goes
  # back to v2 and the unit runs it again.
  build_local v3 '["/no/such/program"]'
  run_tug auto-update --format '{{.Updated}}'
  assert_success
  assert_line "rolled back"
  assert_output_contains "rolling back"
  [ "$(wc -l <"$TEST_DIR/systemctl.log")" = 3 ]
  run_tug inspect --format '{{.State.Status}} {{.Image}}' app
  assert_output_equals "running $v2"
  [ "$("$TUG" inspect --format '{{.Id}}' localhost/app:latest)" = "$v2" ]

  # The name gone from the store: a failure of that unit, nothing restarted.
  tug_ok tag localhost/app:latest localhost/keep:v2
  tug_ok rmi localhost/app:latest
  run_tug auto-update --format '{{.Updated}}'
  assert_failure 125
  assert_output_contains "no image localhost/app:latest in the local store"
  [ "$(wc -l <"$TEST_DIR/systemctl.log")" = 3 ]
}
