#!/usr/bin/env bats
# tug-systemd-generator: Quadlet-style .container, .volume, .network and
# .pod files turned into service units. No systemd runs here: the generator
# is run as systemd runs it (NORMAL_DIR argument) and its units are compared
# with tests/systemd/quadlet/ and checked with systemd-analyze verify.

load helpers

EXPECTED=$BATS_TEST_DIRNAME/../systemd/quadlet
GENERATOR=$TUG_PREFIX/lib/systemd/user-generators/tug-systemd-generator
QDIR=

setup() {
  # helpers' setup, then the unit directory.
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data XDG_RUNTIME_DIR=$TEST_DIR/run XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME/containers"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  printf '%s\n' 'unqualified-search-registries = ["docker.io"]' '[[registry]]' \
    'location = "docker.io"' 'blocked = true' >"$XDG_CONFIG_HOME/containers/registries.conf"
  QDIR=$XDG_CONFIG_HOME/containers/systemd
  mkdir -p "$QDIR" "$TEST_DIR/out"
  cd "$TEST_DIR"
}

normalize() {
  sed -e "s|$TUG_PREFIX|PREFIX|g" -e "s|$QDIR|QDIR|g" "$1"
}

write_examples() {
  cat >"$QDIR/web.container" <<'UNIT'
# A web server: the usual keys.
[Unit]
Description=The web server
After=local-fs.target

[Container]
Image=localhost/busybox:latest
Exec=httpd -f -p 8080 -h /srv
ContainerName=web
Environment=A=1 "B=two words"
Environment=C=%h
PublishPort=127.0.0.1:8080:8080
Volume=data.volume:/srv:ro
Volume=/etc/hostname:/host-name:ro
Network=net.network
Label=app=web tier=front
AutoUpdate=registry
User=1000
Group=1000
WorkingDir=/srv
Tmpfs=/tmp
ReadOnly=yes
HostName=web.local
AddCapability=NET_BIND_SERVICE
DropCapability=MKNOD CHOWN
PodmanArgs=--stop-signal SIGINT \
  --init

[Service]
Restart=always
TimeoutStartSec=900

[Install]
WantedBy=default.target
UNIT
  cat >"$QDIR/notifier.container" <<'UNIT'
[Container]
Image=busybox
Notify=yes
Pod=app.pod
EnvironmentFile=/etc/tug.env
UNIT
  cat >"$QDIR/data.volume" <<'UNIT'
[Volume]
Label=backup=yes
UNIT
  cat >"$QDIR/net.network" <<'UNIT'
[Unit]
Description=The app's network

[Network]
Subnet=10.89.7.0/24
Gateway=10.89.7.1
Label=app=web
Internal=yes
UNIT
  cat >"$QDIR/app.pod" <<'UNIT'
[Pod]
PublishPort=8081:80
PodName=the-app
UNIT
}

# verify_all: every generated unit, together (they depend on each other).
verify_all() {
  local f out=""
  for f in "$TEST_DIR"/out/*.service; do
    run systemd-analyze verify --user "$f"
    if [ "$status" -ne 0 ] || [ -n "$output" ]; then
      out+="$f: status $status: $output"$'\n'
    fi
  done
  if [ -n "$out" ]; then
    echo "$out" >&2
    return 1
  fi
}

@test "quadlet: .container, .volume, .network and .pod files become service units" {
  write_examples
  # As systemd runs it from user-generators: NORMAL_DIR EARLY_DIR LATE_DIR.
  run "$GENERATOR" "$TEST_DIR/out" "$TEST_DIR/early" "$TEST_DIR/late"
  assert_success
  run ls "$TEST_DIR/out"
  assert_output_equals "$(printf '%s\n' app-pod.service data-volume.service default.target.wants net-network.service notifier.service web.service)"
  for u in web.service notifier.service data-volume.service net-network.service app-pod.service; do
    normalize "$TEST_DIR/out/$u" >"$TEST_DIR/got"
    diff -u "$EXPECTED/$u" "$TEST_DIR/got"
  done
  # [Install] WantedBy= gives the link systemctl enable would make.
  [ "$(readlink "$TEST_DIR/out/default.target.wants/web.service")" = ../web.service ]
  verify_all
}

@test "quadlet: the .volume unit creates the volume (and again: --ignore)" {
  write_examples
  "$GENERATOR" "$TEST_DIR/out"
  cmd=$(sed -n 's/^ExecStart=//p' "$TEST_DIR/out/data-volume.service")
  eval "$cmd"
  eval "$cmd"
  run_tug volume inspect --format '{{.Name}} {{.Labels.backup}}' systemd-data
  assert_output_equals "systemd-data yes"
}

@test "quadlet: --dryrun prints, and a file in an earlier directory wins" {
  write_examples
  mkdir -p "$TEST_DIR/other"
  printf '[Volume]\nVolumeName=elsewhere\n' >"$TEST_DIR/other/data.volume"
  QUADLET_UNIT_DIRS=$TEST_DIR/other:$QDIR run "$TUG_PREFIX/libexec/tug/tug-systemd-generator" --user --dryrun
  assert_success
  assert_line "---data-volume.service---"
  assert_output_contains "volume create --ignore elsewhere"
  assert_output_contains "---web.service---"
}

@test "quadlet: unknown keys, unimplemented keys and a missing Image are errors naming file and line" {
  write_examples
  printf '[Container]\nImage=busybox\n\nImagee=typo\n' >"$QDIR/typo.container"
  printf '[Container]\nImage=busybox\nTimezone=UTC\n' >"$QDIR/tz.container"
  printf '[Container]\nExec=true\n' >"$QDIR/noimage.container"
  printf '[Container]\nImage=busybox\nReadOnly=perhaps\n' >"$QDIR/badbool.container"
  printf 'Image=busybox\n' >"$QDIR/nosection.container"
  run "$GENERATOR" "$TEST_DIR/out"
  assert_failure 1
  assert_line "tug-systemd-generator: $QDIR/typo.container:4: unknown key Imagee in section [Container] (see podman-systemd.unit(5) for the keys of [Container])"
  assert_output_contains "$QDIR/tz.container:3: key Timezone in section [Container] is not implemented by tug"
  assert_output_contains "$QDIR/noimage.container:1: no Image= in [Container]"
  assert_output_contains "$QDIR/badbool.container:3: ReadOnly=perhaps is not a boolean"
  assert_output_contains "$QDIR/nosection.container:1: KEY=VALUE outside of a section"
  # The good files still have their units; the bad ones none.
  [ -f "$TEST_DIR/out/web.service" ]
  [ ! -e "$TEST_DIR/out/typo.service" ]
  [ ! -e "$TEST_DIR/out/tz.service" ]
}

@test "quadlet: no unit directory, no units; usage errors" {
  run "$GENERATOR" "$TEST_DIR/out"
  assert_success
  [ -z "$(ls "$TEST_DIR/out")" ]
  run "$GENERATOR"
  assert_failure 2
  assert_output_contains "missing output directory"
}

@test "quadlet: Notify=healthy and the Health* keys become --sdnotify=healthy and --health-* flags" {
  printf '%s\n' '[Container]' 'Image=busybox' 'Exec=sleep 1000' 'Notify=healthy' \
    "HealthCmd=test -e /tmp/ok" 'HealthInterval=2s' 'HealthRetries=4' 'HealthStartPeriod=5s' \
    'HealthTimeout=1s' >"$QDIR/hc.container"
  printf '%s\n' '[Container]' 'Image=busybox' 'HealthOnFailure=kill' >"$QDIR/onfail.container"
  run "$GENERATOR" "$TEST_DIR/out"
  assert_failure 1
  assert_output_contains "$QDIR/onfail.container:3: key HealthOnFailure in section [Container] is not implemented by tug"
  grep -qx "ExecStart=$TUG_PREFIX/bin/tug run --name=systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split -d --sdnotify=healthy --health-cmd \"test -e /tmp/ok\" --health-interval 2s --health-retries 4 --health-start-period 5s --health-timeout 1s busybox sleep 1000" \
    "$TEST_DIR/out/hc.service"
  mkdir "$TEST_DIR/verify" && cp "$TEST_DIR/out/hc.service" "$TEST_DIR/verify/"
  run systemd-analyze verify --user "$TEST_DIR/verify/hc.service"
  [ "$status" -eq 0 ] && [ -z "$output" ]
  # tug run/create take these flags (the unit itself needs --cgroups=split: a delegated cgroup).
  load_busybox
  tug_ok create --sdnotify=healthy --health-cmd "test -e /tmp/ok" --health-interval 2s \
    --health-retries 4 --health-start-period 5s --health-timeout 1s busybox sleep 1000
  run_tug inspect --format '{{.Config.SdNotifyMode}} {{.Config.Healthcheck.Retries}}' "$output"
  assert_output_equals "healthy 4"
}
