#!/usr/bin/env bats
# --ipc container:NAME and pods share the owner's /dev/shm with its IPC
# namespace, as docker and podman do: a file one writes there, the other
# reads. (The namespace modes themselves: 320-container-env.bats.)

load helpers

@test "--ipc container:NAME shares the owner's /dev/shm both ways" {
  load_busybox
  tug_ok run -d --name o --ipc shareable busybox sleep 300
  tug_ok exec o sh -c 'echo x > /dev/shm/f'
  tug_ok run --rm --ipc container:o busybox cat /dev/shm/f
  assert_output_equals "x"
  # What the joiner writes, the owner sees, also after the joiner is gone.
  tug_ok run --rm --ipc container:o busybox sh -c 'echo y > /dev/shm/g'
  tug_ok exec o cat /dev/shm/g
  assert_output_equals "y"
  # A long-lived joiner: both write, both read, one filesystem.
  tug_ok run -d --name j --ipc container:o busybox sleep 300
  tug_ok exec j sh -c 'echo z > /dev/shm/h'
  tug_ok exec o cat /dev/shm/h
  assert_output_equals "z"
  tug_ok exec o sh -c 'echo w > /dev/shm/i'
  tug_ok exec j cat /dev/shm/i
  assert_output_equals "w"
  # The same mount: same device, mode 1777 and nosuid,nodev,noexec as the owner's.
  [ "$("$TUG" exec o stat -c '%d %a' /dev/shm)" = "$("$TUG" exec j stat -c '%d %a' /dev/shm)" ]
  tug_ok exec j grep ' /dev/shm ' /proc/mounts
  assert_output_contains "nosuid,nodev,noexec"
  # A container joining the joiner shares the same /dev/shm too.
  tug_ok run --rm --ipc container:j busybox cat /dev/shm/f
  assert_output_equals "x"
}

@test "the default ipc mode is shareable; private refuses joiners; none gives them their own" {
  load_busybox
  tug_ok run -d --name dflt busybox sleep 300
  tug_ok inspect --format '{{.HostConfig.IpcMode}}' dflt
  assert_output_equals "shareable"
  tug_ok exec dflt sh -c 'echo d > /dev/shm/d'
  tug_ok run --rm --ipc container:dflt busybox cat /dev/shm/d
  assert_output_equals "d"

  tug_ok run -d --name priv --ipc private busybox sleep 300
  tug_ok inspect --format '{{.HostConfig.IpcMode}}' priv
  assert_output_equals "private"
  run_tug run --rm --ipc container:priv busybox true
  assert_status 125
  assert_output_contains "non-shareable IPC (hint: use IpcMode:shareable for the donor container)"

  # An owner without /dev/shm: the joiner has a tmpfs of its own (podman).
  tug_ok run -d --name noshm --ipc none busybox sleep 300
  tug_ok run --rm --ipc container:noshm busybox sh -c 'echo n > /dev/shm/n && cat /dev/shm/n'
  assert_output_equals "n"
  run_tug exec noshm ls /dev/shm
  assert_failure

  tug_ok inspect --format '{{.HostConfig.IpcMode}}' "$("$TUG" run -d --ipc container:dflt busybox sleep 300)"
  assert_output_equals "container:$("$TUG" inspect --format '{{.Id}}' dflt)"
}

@test "a pod's members share one /dev/shm" {
  load_busybox
  tug_ok pod create --name pp
  tug_ok run -d --pod pp --name a busybox sleep 300
  tug_ok exec a sh -c 'echo from-a > /dev/shm/a'
  tug_ok run --rm --pod pp busybox sh -c 'cat /dev/shm/a; echo from-b > /dev/shm/b'
  assert_output_equals "from-a"
  tug_ok exec a cat /dev/shm/b
  assert_output_equals "from-b"
  tug_ok pod rm -f pp
}

@test "a restarted joiner shares the owner's /dev/shm again" {
  load_busybox
  tug_ok run -d --name o busybox sleep 300
  tug_ok exec o sh -c 'echo 1 > /dev/shm/one'
  tug_ok run -d --name j --ipc container:o busybox sleep 300
  tug_ok stop -t 0 j
  tug_ok exec o sh -c 'echo 2 > /dev/shm/two'
  tug_ok start j
  tug_ok exec j cat /dev/shm/one /dev/shm/two
  assert_output_equals "1
2"
}
