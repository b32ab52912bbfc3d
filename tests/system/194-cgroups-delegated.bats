#!/usr/bin/env bats
# --cgroups=enabled|split|no-conmon|disabled where a cgroup v2 subtree is
# delegated (run-bats gives *-delegated files one, as systemd's Delegate=yes
# gives a unit). What a host needs beyond this: memory/cpu/pids controllers
# delegated too for limits (this machine delegates none), and systemd itself
# to put a unit's processes in the unit's cgroup.

load helpers

need_cgroup() {
  if [ -z "${TUG_TEST_CGROUP:-}" ]; then
    skip "no delegated cgroup v2 subtree (run the suite as root to get one)"
  fi
}

state_of() { jq -r ".$2" "$XDG_DATA_HOME/tug/containers/$1/state.json"; }

@test "--cgroups=split: the container's cgroup is a child of the caller's (the unit's) cgroup" {
  need_cgroup
  load_busybox
  tug_ok run -d --cgroups=split --name s busybox sleep 1000
  id=$output
  cg=$(state_of "$id" cgroup)
  [ "$cg" = "$TUG_TEST_CGROUP/tug-${id:0:12}" ]
  grep -qx "$(state_of "$id" pid)" "$cg/cgroup.procs"
  # The monitor stays in the caller's subtree (a unit's MainPID must).
  mon=$(state_of "$id" monitor_pid)
  mcg=$(sed -n 's/^0:://p' /proc/$mon/cgroup)
  [[ "/sys/fs/cgroup/unified$mcg" == "$TUG_TEST_CGROUP"* ]] || [[ "/sys/fs/cgroup$mcg" == "$TUG_TEST_CGROUP"* ]]
  run_tug inspect --format '{{.HostConfig.Cgroups}}' s
  assert_output_equals split
  tug_ok pause s
  tug_ok unpause s
  tug_ok rm -f s
}

@test "--cgroups=disabled: no cgroup even where one could be made; pause and limits say why" {
  need_cgroup
  load_busybox
  tug_ok run -d --cgroups=disabled --name d busybox sleep 1000
  id=$output
  [ "$(state_of "$id" cgroup)" = "" ]
  [ ! -e "$TUG_TEST_CGROUP/tug-${id:0:12}" ]
  run_tug pause d
  assert_error 125 "was created with --cgroups=disabled"
  run_tug create --cgroups=disabled --memory 64m busybox true
  assert_error 125 "conflict with --cgroups=disabled"
  run_tug inspect --format '{{.HostConfig.Cgroups}}' d
  assert_output_equals disabled
  tug_ok rm -f d
}

@test "--cgroups=no-conmon and enabled: the container's own cgroup, as by default" {
  need_cgroup
  load_busybox
  tug_ok run -d --cgroups=no-conmon --name n busybox sleep 1000
  id=$output
  [ "$(state_of "$id" cgroup)" = "$TUG_TEST_CGROUP/tug-${id:0:12}" ]
  run_tug inspect --format '{{.HostConfig.Cgroups}}' n
  assert_output_equals no-conmon
  tug_ok run --rm --cgroups=enabled busybox true
  run_tug run --rm --cgroups=bogus busybox true
  assert_error 125 'invalid --cgroups mode "bogus"'
  tug_ok rm -f n
}

@test "a Quadlet .container unit's ExecStart (with --cgroups=split) runs here as systemd would run it" {
  need_cgroup
  load_busybox
  mkdir -p "$XDG_CONFIG_HOME/containers/systemd" "$TEST_DIR/out"
  printf '[Container]\nImage=busybox\nExec=sleep 1000\nLabel=a=b\n' \
    >"$XDG_CONFIG_HOME/containers/systemd/sleeper.container"
  "$TUG_PREFIX/lib/systemd/user-generators/tug-systemd-generator" "$TEST_DIR/out"
  cmd=$(sed -n 's/^ExecStart=//p' "$TEST_DIR/out/sleeper.service" |
    sed -e "s|%t|$XDG_RUNTIME_DIR|g" -e "s|%N|sleeper|g" -e "s|%n|sleeper.service|g")
  export PODMAN_SYSTEMD_UNIT=sleeper.service
  eval "$cmd"
  unset PODMAN_SYSTEMD_UNIT
  run_tug inspect --format '{{.Name}} {{.State.Status}} {{.HostConfig.Cgroups}} {{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}} {{.Config.Labels.a}}' systemd-sleeper
  assert_output_equals "/systemd-sleeper running split sleeper.service b"
  [ "$(cat "$XDG_RUNTIME_DIR/sleeper.cid")" = "$("$TUG" inspect --format '{{.Id}}' systemd-sleeper)" ]
  stop=$(sed -n 's/^ExecStop=//p' "$TEST_DIR/out/sleeper.service" | sed -e "s|%t|$XDG_RUNTIME_DIR|g" -e "s|%N|sleeper|g")
  eval "$stop"
  run_tug ps -a -q
  assert_output_equals ""
}
