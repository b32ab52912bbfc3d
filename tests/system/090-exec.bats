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

@test "exec exit codes: the command's, 127, 126, and 125 for a stopped container" {
  start_box
  run_tug exec box sh -c 'exit 6'
  assert_status 6
  run_tug exec box no-such-cmd
  assert_error 127 "no-such-cmd"
  run_tug exec box /etc/passwd
  assert_status 126
  tug_ok stop -t 0 box
  run_tug exec box true
  assert_error 125 "running"
  run_tug exec no-such-container true
  assert_error 1 "no-such-container"
  run_tug exec box
  assert_status 125
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
