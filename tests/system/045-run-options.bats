#!/usr/bin/env bats
# run's options, asserted inside the container.

load helpers

@test "-e, --env-file, -w, -u, --entrypoint, -h" {
  load_busybox
  printf '# comment\nFROM_FILE=yes\n\nSECOND=2\n' >"$TEST_DIR/env"
  export HOST_VALUE=from-host
  run_tug run --rm -e A=1 -e HOST_VALUE -e UNSET_VAR_XYZ --env-file "$TEST_DIR/env" busybox sh -c 'echo $A $HOST_VALUE ${UNSET_VAR_XYZ-absent} $FROM_FILE $SECOND'
  assert_output_equals "1 from-host absent yes 2"
  run_tug run --rm -w /new/dir busybox pwd
  assert_output_equals "/new/dir"
  run_tug run --rm -u 1000:1001 busybox id
  assert_output_contains "uid=1000 gid=1001"
  run_tug run --rm -u nobody busybox id -un
  assert_output_equals "nobody"
  run_tug run --rm -u nosuchuser busybox true
  assert_status 125
  assert_output_contains "nosuchuser"
  run_tug run --rm --entrypoint /bin/echo busybox via entrypoint
  assert_output_equals "via entrypoint"
  run_tug run --rm -h myhost busybox sh -c 'hostname; cat /etc/hostname; grep -c myhost /etc/hosts'
  assert_output_equals "$(printf 'myhost\nmyhost\n1')"
}

@test "the image's Cmd and Env apply; arguments replace Cmd" {
  load_busybox
  run_tug run --rm busybox sh -c 'echo $PATH'
  assert_output_equals "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  run bash -c "echo 'echo from-default-cmd' | '$TUG' run --rm -i busybox"
  assert_output_equals "from-default-cmd"
}

@test "-v binds: writes land on the host as the user, :ro refuses, files too" {
  load_busybox
  mkdir "$TEST_DIR/vol"
  echo host-file >"$TEST_DIR/vol/in"
  run_tug run --rm -v "$TEST_DIR/vol:/data" busybox sh -c 'cat /data/in; echo out > /data/out'
  assert_output_equals "host-file"
  [ "$(cat "$TEST_DIR/vol/out")" = out ]
  [ "$(stat -c %u "$TEST_DIR/vol/out")" = "$(id -u)" ]
  run_tug run --rm -v "$TEST_DIR/vol:/data:ro" busybox sh -c 'echo x > /data/x'
  assert_status 1
  assert_output_contains "Read-only file system"
  [ ! -e "$TEST_DIR/vol/x" ]
  run_tug run --rm -v "$TEST_DIR/vol/in:/etc/single" busybox cat /etc/single
  assert_output_equals "host-file"
  run_tug run --rm -v "$TEST_DIR/missing:/data" busybox true
  assert_error 125 "$TEST_DIR/missing"
  run_tug run --rm -v relative:/data busybox true
  assert_status 125
}

@test "--network none has only lo; --network host sees the host's interfaces" {
  load_busybox
  run_tug run --rm --network none busybox sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
  assert_output_equals "lo"
  host_ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')
  run_tug run --rm --network host busybox sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' '"
  assert_output_equals "$host_ifaces"
  run_tug run --rm --network bogus busybox true
  assert_status 125
}

@test "/proc, /dev, /sys and the /etc files are there and work" {
  load_busybox
  run_tug run --rm busybox sh -c 'head -c 16 /dev/urandom | wc -c; head -c 5 /dev/zero | wc -c; echo x > /dev/null && echo null-ok; ls -d /dev/pts /dev/shm /dev/mqueue; test -e /etc/resolv.conf && echo resolv; ls /sys | grep -c class; ps | wc -l'
  assert_status 0
  assert_output_contains "$(printf '16\n5\nnull-ok')"
  assert_output_contains "/dev/pts"
  assert_output_contains "/dev/shm"
  assert_output_contains "resolv"
}

@test "--read-only with --tmpfs, --add-host, --dns, --init" {
  load_busybox
  run_tug run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /x 2>/dev/null || echo ro; touch /scratch/y && echo tmpfs-ok'
  assert_output_equals "$(printf 'ro\ntmpfs-ok')"
  run_tug run --rm --add-host db:10.1.2.3 busybox grep db /etc/hosts
  assert_output_contains "10.1.2.3"
  run_tug run --rm --dns 9.9.9.9 busybox cat /etc/resolv.conf
  assert_output_equals "nameserver 9.9.9.9"
  run_tug run --rm --init busybox cat /proc/1/cmdline
  assert_output_contains "tug-init"
  run_tug run --rm --init busybox sh -c 'exit 4'
  assert_status 4
}

@test "names: --name shows in ps, a second use is refused" {
  load_busybox
  run_tug run --name named busybox sh -c 'exit 3'
  assert_status 3
  run_tug ps -a
  [[ "$(echo "$output" | head -1)" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
  assert_output_contains "Exited (3)"
  assert_output_contains "named"
  run_tug run --name named busybox true
  assert_error 125 "already in use"
  tug_ok rm named
  run_tug rm named
  assert_status 1
}
