#!/usr/bin/env bats
# tug exec: commands joining a running container.

load helpers


start_box() {
  load_busybox
  tug_ok run -d --name box -e FROM_RUN=yes -w /tmp busybox sleep 120
}

@test "exec runs in the container's namespaces, root and environment" {
  start_box
  run_tug exec box sh -c 'echo $$; hostname; cat /etc/hostname; pwd; echo $FROM_RUN; ls /proc | grep -c "^[0-9]"'
  assert_status 0
  lines=($output)
  # A new process in the container's pid namespace (PID 1 is sleep).
  [ "${lines[0]}" -gt 1 ]
  [ "${lines[1]}" = "${lines[2]}" ]
  [ "${lines[3]}" = "/tmp" ]
  [ "${lines[4]}" = "yes" ]
  run_tug exec box cat /proc/1/cmdline
  assert_output_contains "sleep"
  # The container's files, not the host's.
  run_tug exec box cat /etc/passwd
  assert_output_contains "root:x:0:0:root:/root:/bin/sh"
  assert_output_not_contains "tugtest"
  tug_ok rm -f box
}

@test "exec exit codes: the command's, 127, 126, and docker's 1 for a stopped container" {
  start_box
  run_tug exec box sh -c 'exit 6'
  assert_status 6
  run_tug exec box no-such-cmd
  assert_error 127 "no-such-cmd"
  run_tug exec box /etc/passwd
  assert_status 126
  tug_ok stop -t 0 box
  run_tug exec box true
  assert_error 1 "running"
  run_tug exec no-such-container true
  assert_error 1 "no-such-container"
  # docker's: a container without a command is 1, nothing at all 125.
  run_tug exec box
  assert_status 1
  run_tug exec
  assert_status 125
  tug_ok create --name never busybox true
  run_tug exec never true
  assert_error 1 "running"
}

@test "exec -w of a missing directory and -u of an unknown user fail with 126, creating nothing" {
  start_box
  run_tug exec -w /nosuch box pwd
  assert_error 126 "/nosuch"
  # exec does not create it (run -w does).
  run_tug exec box test -e /nosuch
  assert_status 1
  run_tug exec -u nosuchuser box id
  assert_error 126 "nosuchuser"
  tug_ok rm -f box
}

@test "exec --privileged gives the process every capability, the container keeps its own" {
  start_box
  run_tug exec box sh -c 'grep CapEff /proc/self/status'
  assert_status 0
  plain=$output
  run_tug exec --privileged box sh -c 'grep CapEff /proc/self/status'
  assert_status 0
  full=$output
  [ "$plain" != "$full" ]
  # every capability up to the kernel's last one, e.g. 000001ffffffffff
  [[ "$full" =~ CapEff:[[:space:]]+0*1?f{10,}$ ]]
  run_tug exec box sh -c 'grep CapEff /proc/1/status'
  assert_output_equals "$plain"
  tug_ok rm -f box
}

@test "exec -u, -w, -e, -i, -t, -d" {
  start_box
  run_tug exec -u nobody -w /etc -e X=1 box sh -c 'id -u; pwd; echo $X'
  assert_output_equals "$(printf '65534\n/etc\n1')"
  run bash -c "echo piped | '$TUG' exec -i box cat"
  assert_output_equals "piped"
  run_tug exec box cat
  assert_output_equals ""
  run_tug exec -t box tty
  [[ "$output" == /dev/pts/* ]]
  tug_ok exec -d box sh -c 'sleep 0.3; echo done > /tmp/detached'
  sleep 1
  run_tug exec box cat /tmp/detached
  assert_output_equals "done"
  tug_ok rm -f box
}
