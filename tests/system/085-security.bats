#!/usr/bin/env bats
# The hardened runtime: capabilities, the default seccomp filter,
# no-new-privileges, masked and read-only kernel paths, no fd leaks.

load helpers

@test "default capabilities are docker's set" {
  load_busybox
  run_tug run --rm busybox sh -c 'grep CapEff /proc/self/status'
  # docker's 14 default capabilities: 0x00000000a80425fb
  assert_output_contains "00000000a80425fb"
  run_tug run --rm --cap-drop ALL busybox sh -c 'grep CapEff /proc/self/status'
  assert_output_contains "0000000000000000"
  run_tug run --rm --cap-drop ALL busybox chown 1:1 /tmp
  assert_status 1
  run_tug run --rm --cap-add NOT_A_CAP busybox true
  assert_error 125 "unknown capability"
}

@test "the inheritable set is empty and the bounding set is the container's, for root, other users and exec" {
  load_busybox
  run_tug run --rm busybox grep -E '^Cap(Inh|Bnd)' /proc/self/status
  assert_success
  assert_output_contains "CapInh:	0000000000000000"
  assert_output_contains "CapBnd:	00000000a80425fb"
  # a user switch keeps the empty inheritable set (CVE-2022-24769's pattern)
  run_tug run --rm -u 1000:1000 busybox grep -E '^Cap(Inh|Prm|Eff)' /proc/self/status
  assert_success
  assert_output_contains "CapInh:	0000000000000000"
  assert_output_contains "CapPrm:	0000000000000000"
  run_tug run -d --name capinh busybox sleep 60
  assert_success
  run_tug exec capinh grep CapInh /proc/self/status
  assert_output_contains "CapInh:	0000000000000000"
  run_tug rm -f -t 0 capinh
}

@test "the default seccomp filter refuses mount and new namespaces; unconfined lifts it" {
  load_busybox
  run_tug run --rm busybox sh -c 'grep "^Seccomp:" /proc/self/status; mkdir -p /m; mount -t tmpfs t /m && echo mounted; unshare -U true && echo unshared; echo end'
  assert_output_contains "Seccomp:	2"
  assert_output_not_contains "mounted"
  assert_output_not_contains "unshared"
  assert_output_contains "end"
  run_tug run --rm --security-opt seccomp=unconfined busybox grep "^Seccomp:" /proc/self/status
  assert_output_contains "Seccomp:	0"
  run_tug run --rm --security-opt apparmor=x busybox true
  assert_error 125 "not supported"
}

@test "no-new-privileges" {
  load_busybox
  run_tug run --rm busybox grep NoNewPrivs /proc/self/status
  assert_output_contains "NoNewPrivs:	0"
  run_tug run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
  assert_output_contains "NoNewPrivs:	1"
}

@test "kernel paths are masked or read-only" {
  load_busybox
  run_tug run --rm busybox sh -c 'wc -c < /proc/keys; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname && echo wrote'
  assert_output_not_contains "wrote"
  lines=($output)
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
}

@test "no file descriptor of tug leaks into the container" {
  load_busybox
  exec 7</dev/null
  run_tug run --rm busybox ls /proc/self/fd
  exec 7<&-
  # ls itself holds 0, 1, 2 and its directory fd (3).
  [ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "--security-opt seccomp=PROFILE.json: docker's profile format, read at create" {
  load_busybox
  cat > "$TEST_DIR/profile.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["sethostname"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}
  ]
}
JSON
  run_tug run --rm --security-opt "seccomp=$TEST_DIR/profile.json" busybox sh -c 'mkdir /x; echo rc=$?; grep Seccomp: /proc/self/status'
  assert_status 0
  assert_output_contains "Permission denied"
  assert_output_contains "rc=1"
  assert_output_contains "Seccomp:	2"
  # The killing action: SIGSYS, 128 + 31.
  run_tug run --rm --security-opt "seccomp=$TEST_DIR/profile.json" busybox hostname foo
  assert_status 159
  # The default filter's refusals are gone: the profile replaces it.
  run_tug run --rm --security-opt "seccomp=$TEST_DIR/profile.json" busybox sh -c 'unshare -U true && echo unshared'
  assert_output_contains "unshared"
  # Read at create: a later change of the file does not reach the container.
  tug_ok create --name prof --security-opt "seccomp=$TEST_DIR/profile.json" busybox sh -c 'mkdir /y && echo made'
  echo '{"defaultAction": "SCMP_ACT_ALLOW"}' > "$TEST_DIR/profile.json"
  run_tug start -a prof
  assert_output_contains "Permission denied"
  # Bad profiles fail at create with exit 125 and no container.
  echo 'not json' > "$TEST_DIR/bad.json"
  run_tug run --rm --security-opt "seccomp=$TEST_DIR/bad.json" busybox true
  assert_error 125 "seccomp profile"
  echo '{"defaultAction": "SCMP_ACT_SOMETIMES"}' > "$TEST_DIR/bad.json"
  run_tug run --rm --security-opt "seccomp=$TEST_DIR/bad.json" busybox true
  assert_error 125 "unsupported action"
  run_tug run --rm --security-opt "seccomp=$TEST_DIR/missing.json" busybox true
  assert_error 125 "missing.json"
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals "prof"
}
