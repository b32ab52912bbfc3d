#!/usr/bin/env bats
# tug update / tug container update (docker update): resource limits and
# the restart policy of created and running containers.
#
# This host has cgroup v1 and delegates no controller to the test user: the
# limits are recorded (inspect) and tug says they are not enforced. On a
# host with cgroup v2 and memory/cpu/pids delegated (systemd's
# user@.service with Delegate=yes), the container's cgroup gets them at
# start, and a running container's at once (336-update-delegated.bats).

load helpers

# A host that delegates the pids controller enforces --pids-limit.
delegated() {
  local cg
  cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    if [ -w "$root$cg/cgroup.subtree_control" ] && grep -qw pids "$root$cg/cgroup.controllers" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

limits_of() {
  run_tug inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.MemoryReservation}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpusetCpus}} {{.HostConfig.CpusetMems}} {{.HostConfig.BlkioWeight}}' "$1"
}

@test "update of a created container: inspect shows the new values, names printed as given" {
  load_busybox
  tug_ok create --name upd -m 64m busybox true
  id=${lines[-1]}
  run_tug update -m 128m --memory-swap 256m --cpus 0.5 -c 512 --pids-limit 50 \
    --memory-reservation 32m --cpuset-cpus 0 --cpuset-mems 0 --blkio-weight 300 upd "${id:0:12}"
  assert_status 0
  [ "$(echo "$output" | grep -v -i warn)" = "upd
${id:0:12}" ]
  limits_of upd
  assert_output_equals "134217728 268435456 500000000 512 50 33554432 0 0 0 0 300"
  # Only what is given changes; a 0 leaves a value as it is (docker).
  tug_ok container update --pids-limit 0 --cpu-shares 0 -m 0 upd
  limits_of upd
  assert_output_equals "134217728 268435456 500000000 512 50 33554432 0 0 0 0 300"
  tug_ok update --restart on-failure:3 upd
  run_tug events --stream=false --filter event=update --format '{{.Actor.Attributes.name}} {{.Action}}'
  assert_line "upd update"
  run_tug inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' upd
  assert_output_equals "on-failure 3"
  # The limits go with the record to the start (where the host enforces
  # none, the start still works and inspect says why).
  tug_ok start -a upd
  if ! delegated; then
    run_tug inspect --format '{{json .Warnings}}' upd
    assert_output_contains "limit not applied: --pids-limit"
  fi
  tug_ok rm upd
}

@test "update --restart on a running container: its monitor applies the new policy" {
  load_busybox
  tug_ok run -d --name flaky busybox sh -c 'sleep 1; exit 1'
  tug_ok update --restart=on-failure:2 flaky
  assert_output_equals "flaky"
  for _ in $(seq 100); do
    run_tug inspect --format '{{.RestartCount}} {{.State.Status}}' flaky
    [ "$output" = "2 exited" ] && break
    sleep 0.1
  done
  assert_output_equals "2 exited"
  run_tug inspect --format '{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}' flaky
  assert_output_equals "1 on-failure"
  tug_ok rm -f flaky
}

@test "update --restart=no stops a running container's restarts" {
  load_busybox
  tug_ok run -d --restart always --name looper busybox sh -c 'sleep 1; exit 3'
  tug_ok update --restart no looper
  tug_ok wait looper
  assert_output_equals 3
  sleep 1
  run_tug inspect --format '{{.RestartCount}} {{.State.Status}} {{.HostConfig.RestartPolicy.Name}}' looper
  assert_output_equals "0 exited no"
  tug_ok rm -f looper
}

@test "update of a running container's limits: recorded, and a warning names what applies later" {
  load_busybox
  tug_ok run -d --name busy busybox sleep 100
  run_tug update --pids-limit 64 busy
  assert_status 0
  assert_output_contains "busy"
  # No cgroup can take it here: stderr says so, naming the limit.
  if ! delegated; then
    assert_output_contains "--pids-limit"
  fi
  run_tug inspect --format '{{.HostConfig.PidsLimit}}' busy
  assert_output_equals 64
  tug_ok rm -f busy
}

@test "update errors: unknown container, no flags, bad values, conflicts" {
  load_busybox
  run_tug update --memory 64m nosuch
  assert_error 1 'no container with name or ID "nosuch" found'
  tug_ok create --name e busybox true
  run_tug update e
  assert_error 1 "you must provide one or more flags when using this command"
  run_tug update -m lots e
  assert_error 125 'invalid argument "lots" for "-m, --memory" flag'
  run_tug update --cpu-shares abc e
  assert_status 125
  run_tug update --restart sometimes e
  assert_error 1 'invalid restart policy "sometimes"'
  run_tug update -m 1m e
  assert_error 1 "Minimum memory limit allowed is 6MB"
  run_tug update --blkio-weight 5 e
  assert_error 1 "Range of blkio weight is from 10 to 1000"
  run_tug update --cpus 0.5 --cpu-period 50000 e
  assert_error 1 "Conflicting options: Nano CPUs and CPU Period cannot both be set"
  tug_ok update --cpus 0.5 e
  run_tug update --cpu-quota 20000 e
  assert_error 1 "CPU Quota cannot be updated as NanoCPUs has already been set"
  tug_ok update -m 64m --memory-swap 128m e
  run_tug update -m 256m e
  assert_error 1 "Memory limit should be smaller than already set memoryswap limit"
  # One failing name does not stop the others; the exit says one failed.
  run_tug update --pids-limit 10 nosuch e
  assert_status 1
  assert_output_contains "e"
  run_tug inspect --format '{{.HostConfig.PidsLimit}} {{.HostConfig.Memory}}' e
  assert_output_equals "10 67108864"
  tug_ok rm e
  # --rm containers keep no restart policy (docker's rule).
  tug_ok create --rm --name gone busybox true
  run_tug update --restart always gone
  assert_error 1 "Restart policy cannot be updated because AutoRemove is enabled for the container"
  tug_ok rm gone
}
