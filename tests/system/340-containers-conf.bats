#!/usr/bin/env bats
# containers.conf: podman's files, drop-ins and environment variables, the
# keys tug honours as defaults that the command line overrides, the ones it
# lists as unused in `tug info`, and the errors of a malformed file.

load helpers

# Writes stdin to the user's containers.conf (or to the file named).
user_conf() {
  local f=${1:-$XDG_CONFIG_HOME/containers/containers.conf}
  mkdir -p "$(dirname "$f")"
  cat >"$f"
}

@test "env: the lowest default, below the image's Env and -e" {
  load_busybox
  user_conf <<'EOF2'
[containers]
env = ["FROM_CONF=conf", "OVERRIDDEN=conf", "PATH=/nowhere"]
EOF2
  run_tug run --rm -e OVERRIDDEN=cli busybox sh -c 'echo "$FROM_CONF/$OVERRIDDEN"; echo "$PATH"'
  assert_success
  assert_line "conf/cli"
  # busybox's own PATH wins over the configuration's.
  assert_output_not_contains "/nowhere"
  assert_output_contains "/bin"
}

@test "default_capabilities replaces the default set; --cap-add still adds" {
  load_busybox
  user_conf <<'EOF2'
[containers]
default_capabilities = ["CHOWN", "KILL"]
EOF2
  run_tug run --rm busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  assert_success
  # CHOWN is bit 0, KILL bit 5.
  assert_output_equals "0000000000000021"
  run_tug run --rm --cap-add NET_RAW busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  assert_output_equals "0000000000002021"
}

@test "dns_servers, dns_searches and dns_options fill /etc/resolv.conf; --dns overrides" {
  load_busybox
  user_conf <<'EOF2'
[containers]
dns_servers = ["192.0.2.53"]
dns_searches = ["conf.example"]
dns_options = ["ndots:3"]
EOF2
  run_tug run --rm busybox cat /etc/resolv.conf
  assert_success
  assert_line "nameserver 192.0.2.53"
  assert_output_contains "conf.example"
  assert_output_contains "ndots:3"
  run_tug run --rm --dns 192.0.2.99 busybox cat /etc/resolv.conf
  assert_line "nameserver 192.0.2.99"
  assert_output_not_contains "192.0.2.53"
}

@test "pids_limit, log_driver and stop_timeout show in inspect; flags override" {
  load_busybox
  user_conf <<'EOF2'
[containers]
pids_limit = 123
log_driver = "json-file"
[engine]
stop_timeout = 42
EOF2
  tug_ok create --name fromconf busybox true
  run_tug inspect --format '{{.HostConfig.PidsLimit}} {{.HostConfig.LogConfig.Type}} {{.Config.StopTimeout}}' fromconf
  assert_output_equals "123 json-file 42"
  tug_ok create --name fromcli --pids-limit 77 --log-driver k8s-file --stop-timeout 3 busybox true
  run_tug inspect --format '{{.HostConfig.PidsLimit}} {{.HostConfig.LogConfig.Type}} {{.Config.StopTimeout}}' fromcli
  assert_output_equals "77 k8s-file 3"
}

@test "volumes are mounted in every container" {
  load_busybox
  mkdir -p "$TEST_DIR/shared"
  echo from-host >"$TEST_DIR/shared/marker"
  user_conf <<EOF2
[containers]
volumes = ["$TEST_DIR/shared:/confvol:ro"]
EOF2
  run_tug run --rm busybox cat /confvol/marker
  assert_success
  assert_output_equals "from-host"
  run_tug run --rm busybox sh -c 'echo x >/confvol/new'
  assert_failure
  [ ! -e "$TEST_DIR/shared/new" ]
}

@test "a drop-in overrides one key; the others keep the main file's values" {
  load_busybox
  user_conf <<'EOF2'
[containers]
env = ["A=main"]
pids_limit = 100
EOF2
  user_conf "$XDG_CONFIG_HOME/containers/containers.conf.d/50-pids.conf" <<'EOF2'
[containers]
pids_limit = 200
EOF2
  # Lexical order: 90 comes after 50.
  user_conf "$XDG_CONFIG_HOME/containers/containers.conf.d/90-pids.conf" <<'EOF2'
[containers]
pids_limit = 300
EOF2
  echo '[containers]' >"$XDG_CONFIG_HOME/containers/containers.conf.d/README"
  echo 'pids_limit = "not read: no .conf suffix"' >>"$XDG_CONFIG_HOME/containers/containers.conf.d/README"
  tug_ok create --name dropin busybox sh -c 'echo $A'
  run_tug inspect --format '{{.HostConfig.PidsLimit}}' dropin
  assert_output_equals "300"
  run_tug start -a dropin
  assert_output_equals "main"
  run_tug info --format '{{range .containersConf.files}}{{.}} {{end}}'
  assert_output_contains "containers.conf.d/50-pids.conf $XDG_CONFIG_HOME/containers/containers.conf.d/90-pids.conf"
}

@test "CONTAINERS_CONF replaces the list; CONTAINERS_CONF_OVERRIDE goes on top" {
  load_busybox
  user_conf <<'EOF2'
[containers]
env = ["A=user"]
pids_limit = 100
EOF2
  user_conf "$TEST_DIR/only.conf" <<'EOF2'
[containers]
pids_limit = 111
log_tag = "only"
EOF2
  user_conf "$TEST_DIR/over.conf" <<'EOF2'
[containers]
pids_limit = 222
EOF2
  CONTAINERS_CONF=$TEST_DIR/only.conf run_tug run --name c1 busybox sh -c 'echo "[$A]"'
  assert_line "[]"
  run_tug inspect --format '{{.HostConfig.PidsLimit}}' c1
  assert_output_equals "111"
  CONTAINERS_CONF=$TEST_DIR/only.conf CONTAINERS_CONF_OVERRIDE=$TEST_DIR/over.conf \
    run_tug create --name c2 busybox true
  run_tug inspect --format '{{.HostConfig.PidsLimit}} {{index .HostConfig.LogConfig.Config "tag"}}' c2
  assert_output_equals "222 only"
  CONTAINERS_CONF_OVERRIDE=$TEST_DIR/over.conf run_tug info --format '{{range .containersConf.files}}{{.}} {{end}}'
  assert_output_contains "$XDG_CONFIG_HOME/containers/containers.conf $TEST_DIR/over.conf"
  CONTAINERS_CONF=$TEST_DIR/missing.conf run_tug ps
  assert_error 125 "CONTAINERS_CONF: no file $TEST_DIR/missing.conf"
}

@test "a malformed file is an error naming the file and line; a wrong type names the key" {
  user_conf <<'EOF2'
[containers]
# comment

env = ["A=1"
EOF2
  run_tug ps
  assert_error 125 "$XDG_CONFIG_HOME/containers/containers.conf:4"
  run_tug run --rm busybox true
  assert_status 125
  user_conf <<'EOF2'
[containers]
pids_limit = "lots"
EOF2
  run_tug info
  assert_error 125 "$XDG_CONFIG_HOME/containers/containers.conf: containers.pids_limit must be an integer"
  user_conf <<'EOF2'
[engine]
image_default_transport = "oci-archive:"
EOF2
  run_tug ps
  assert_error 125 "image_default_transport"
}

@test "tug info lists the files read and each unused key once" {
  user_conf <<'EOF2'
[containers]
tz = "UTC"
pids_limit = 10
[machine]
cpus = 4
EOF2
  user_conf "$XDG_CONFIG_HOME/containers/containers.conf.d/x.conf" <<'EOF2'
[containers]
tz = "local"
EOF2
  run_tug info
  assert_success
  assert_output_contains "containersConf:"
  assert_line "  - $XDG_CONFIG_HOME/containers/containers.conf"
  [ "$(grep -c -- '- containers.tz$' <<<"$output")" = 1 ]
  assert_line "  - machine.cpus"
  assert_output_not_contains "containers.pids_limit"
  run_tug info --format json
  assert_success
  jq -e '.containersConf.ignoredKeys | index("containers.tz")' <<<"$output"
}

@test "engine.events_logger = none leaves no events; --events-backend file overrides" {
  load_busybox
  user_conf <<'EOF2'
[engine]
events_logger = "none"
EOF2
  rm -f "$XDG_RUNTIME_DIR/tug/events.log"
  tug_ok run --rm --name quiet busybox true
  run_tug events --stream=false --filter type=container
  assert_output_not_contains "quiet"
  if [ -f "$XDG_RUNTIME_DIR/tug/events.log" ]; then
    ! grep -q quiet "$XDG_RUNTIME_DIR/tug/events.log"
  fi
  tug_ok --events-backend file run --rm --name loud busybox true
  grep -q loud "$XDG_RUNTIME_DIR/tug/events.log"
}

@test "the packaged /usr/share file leaves the docker default capabilities" {
  # Debian's podman installs podman's defaults there (without NET_RAW); it
  # is read, but is not an admin's choice.
  [ -f /usr/share/containers/containers.conf ] || skip "no /usr/share/containers/containers.conf"
  load_busybox
  run_tug run --rm busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  assert_success
  # NET_RAW is bit 13.
  (( (0x$output >> 13) & 1 ))
  run_tug info --format '{{range .containersConf.files}}{{.}} {{end}}'
  assert_output_contains "/usr/share/containers/containers.conf"
}

@test "shm_size sizes /dev/shm; --shm-size overrides; inspect shows ShmSize" {
  load_busybox
  user_conf <<'EOF2'
[containers]
shm_size = "32m"
EOF2
  run_tug run --rm busybox sh -c "df -k /dev/shm | awk 'NR == 2 { print \$2 }'"
  assert_success
  assert_output_equals "32768"
  run_tug run --rm --shm-size 16m busybox sh -c "df -k /dev/shm | awk 'NR == 2 { print \$2 }'"
  assert_output_equals "16384"
  tug_ok create --name shm busybox true
  run_tug inspect --format '{{.HostConfig.ShmSize}}' shm
  assert_output_equals "33554432"
  run_tug run --rm --shm-size 0 busybox true
  assert_error 125 "invalid --shm-size"
}
