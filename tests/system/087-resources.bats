#!/usr/bin/env bats
# Resource flags: cgroup limits, pause/unpause, --ulimit, --privileged.
#
# This host has cgroup v1 with cgroup2 at /sys/fs/cgroup/unified and no
# controllers delegated to the test user, so limits cannot be enforced and
# containers get no cgroup of their own: the tests check that tug says so.
# On a host with cgroup v2 delegation (systemd's user@.service with
# Delegate=yes) the same flags write memory.max, cpu.max, pids.max and
# pause freezes the container's cgroup; the cgroup unit tests cover the
# files written there.

load helpers

delegated() {
  local cg
  cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    if [ -w "$root$cg/cgroup.subtree_control" ] && grep -qw memory "$root$cg/cgroup.controllers" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

@test "-m, --cpus, --pids-limit: recorded in inspect; a warning names what is not enforced" {
  load_busybox
  run_tug run --name lim -m 64m --memory-swap 128m --cpus 1.5 -c 512 --pids-limit 100 busybox true
  assert_status 0
  if ! delegated; then
    assert_output_contains "resource limit not applied"
    assert_output_contains "--memory"
  fi
  run_tug inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}' lim
  assert_output_equals "67108864 134217728 1500000000 512 100"
  if ! delegated; then
    run_tug inspect --format '{{json .Warnings}}' lim
    assert_output_contains "limit not applied: --memory"
  fi
  run_tug run --rm -m lots busybox true
  assert_status 125
  run_tug run --rm --cpus -1 busybox true
  assert_error 125 "invalid --cpus"
}

@test "pause and unpause: a clear error without a cgroup of the container's own" {
  load_busybox
  tug_ok run -d --name p busybox sleep 60
  if delegated; then
    skip "this host delegates cgroup v2: pause is exercised by its freezer (not this machine)"
  fi
  run_tug pause p
  assert_error 125 "cgroup v2 freezer"
  run_tug unpause p
  assert_status 125
  # The container is untouched and still running.
  run_tug ps --format '{{.Names}} {{.State}}'
  assert_output_equals "p running"
  run_tug pause nosuch
  assert_error 1 "nosuch"
  tug_ok rm -f p
  tug_ok create --name made busybox true
  run_tug pause made
  assert_error 125 "not running"
}

@test "--ulimit sets soft and hard limits; bad names and values are usage errors" {
  load_busybox
  run_tug run --rm --ulimit nofile=100:200 --ulimit core=0 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
  assert_status 0
  assert_output_equals "100
200
0"
  run_tug run --rm --ulimit nofile=50 busybox sh -c 'ulimit -n; ulimit -Hn'
  assert_output_equals "50
50"
  run_tug create --name ul --ulimit nproc=10:20 busybox true
  run_tug inspect --format '{{json .HostConfig.Ulimits}}' ul
  assert_output_equals '[{"Hard":20,"Name":"nproc","Soft":10}]'
  run_tug run --rm --ulimit bogus=1 busybox true
  assert_error 125 "invalid ulimit"
  run_tug run --rm --ulimit nofile=20:10 busybox true
  assert_error 125 "soft limit"
  run_tug run --rm --ulimit nofile=abc busybox true
  assert_error 125 "invalid ulimit value"
  # Above the user's own hard limit: the kernel refuses, and tug says why.
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ]; then
    run_tug run --rm --ulimit "nofile=$((hard + 1)):$((hard + 1))" busybox true
    assert_error 125 "hard limit"
  fi
}

@test "--privileged: every capability, no seccomp, no masked paths" {
  load_busybox
  run_tug run --rm busybox sh -c 'grep CapEff /proc/self/status; grep Seccomp: /proc/self/status; cat /proc/kcore 2>&1 | head -c 0; ls -l /proc/kcore'
  assert_output_contains "Seccomp:	2"
  assert_output_not_contains "CapEff:	000001ffffffffff"
  run_tug run --rm --privileged busybox sh -c 'grep CapEff /proc/self/status; grep Seccomp: /proc/self/status; [ -c /proc/kcore ] && echo masked || echo unmasked'
  assert_status 0
  assert_output_contains "Seccomp:	0"
  assert_output_contains "unmasked"
  eff=$(echo "$output" | awk '/CapEff/ { print $2 }')
  # All capabilities the kernel knows (CAP_LAST_CAP + 1 bits).
  last=$(cat /proc/sys/kernel/cap_last_cap)
  [ "$eff" = "$(printf '%016x' $(( (1 << (last + 1)) - 1 )))" ]
  tug_ok create --name priv --privileged busybox true
  run_tug inspect --format '{{.HostConfig.Privileged}}' priv
  assert_output_equals "true"
}

@test "--userns: host is the default; modes tug lacks fail clearly" {
  load_busybox
  run_tug run --rm --userns host busybox id -u
  assert_output_equals "0"
  run_tug run --rm --userns=auto busybox true
  assert_error 125 "--userns=auto is not supported yet"
  run_tug run --rm --userns=bogus busybox true
  assert_error 125 "invalid --userns"
}
