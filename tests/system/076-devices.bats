#!/usr/bin/env bats
# --device (host nodes) and CDI devices (--device VENDOR/CLASS=NAME, --gpus),
# with CDI specs the tests write for harmless devices. TUG_CDI_SPEC_DIRS
# points tug at the test's spec directory instead of /etc/cdi and /var/run/cdi.

load helpers
bats_require_minimum_version 1.5.0

# helpers' setup, then a CDI directory of our own.
eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
setup() {
  helpers_setup
  export TUG_CDI_SPEC_DIRS=$TEST_DIR/cdi-etc:$TEST_DIR/cdi-run
  mkdir -p "$TEST_DIR/cdi-etc" "$TEST_DIR/cdi-run"
}

@test "--device binds a host device, under its own name or another" {
  load_busybox
  run_tug run --rm --device /dev/zero --device /dev/null:/dev/mynull --device /dev/zero:/dev/rozero:r \
    busybox sh -c 'head -c 5 /dev/zero | wc -c; echo gone >/dev/mynull && echo null-ok; ls -l /dev/mynull | cut -c1; head -c 2 /dev/rozero | wc -c'
  assert_status 0
  assert_line "5"
  assert_line "null-ok"
  assert_line "c"
  assert_line "2"
  # rootless, r without w cannot be enforced on a device node: said so
  assert_output_contains "permissions without w are not enforced"
  tug_ok create --name d --device /dev/zero:/dev/z2:rw busybox true
  run_tug inspect --format '{{json .HostConfig.Devices}}' d
  assert_output_contains '"PathOnHost":"/dev/zero"'
  assert_output_contains '"PathInContainer":"/dev/z2"'
}

@test "--device errors: missing node, not a device, bad permissions" {
  load_busybox
  run_tug run --rm --device /dev/nonexistent-xyz busybox true
  assert_error 125 'adding custom device "/dev/nonexistent-xyz"'
  echo x >"$TEST_DIR/plain"
  run_tug run --rm --device "$TEST_DIR/plain" busybox true
  assert_error 125 "is not a device node"
  run_tug run --rm --device /dev/zero:/dev/z:rx busybox true
  assert_error 125 "invalid device"
  run_tug run --rm --device dev/zero busybox true
  assert_error 125 "must be absolute"
}

write_spec() {
  echo "payload of the vendor" >"$TEST_DIR/vendor-lib.txt"
  cat >"$TEST_DIR/cdi-etc/example.yaml" <<YAML
cdiVersion: "0.6.0"
kind: example.com/widget
containerEdits:
  env:
    - WIDGET_SPEC=1
devices:
  - name: w0
    containerEdits:
      env:
        - WIDGET=w0
      deviceNodes:
        - path: /dev/widget0
          hostPath: /dev/null
      mounts:
        - hostPath: $TEST_DIR/vendor-lib.txt
          containerPath: /usr/lib/widget/lib.txt
          options: [ro, bind]
  - name: hooked
    containerEdits:
      hooks:
        - hookName: createContainer
          path: $TEST_DIR/hook.sh
          args: [hook.sh, created]
        - hookName: startContainer
          path: /bin/sh
          args: [sh, -c, "echo started >/tmp/start-hook"]
YAML
  cat >"$TEST_DIR/hook.sh" <<HOOK
#!/bin/sh
# A createContainer hook: the container's state arrives on stdin.
cat >"$TEST_DIR/hook-state-\$1"
HOOK
  chmod +x "$TEST_DIR/hook.sh"
}

@test "CDI: a YAML spec's device nodes, mounts and env, spec-level and device-level" {
  load_busybox
  write_spec
  run_tug run --rm --device example.com/widget=w0 busybox \
    sh -c 'echo "$WIDGET_SPEC $WIDGET"; ls -l /dev/widget0 | cut -c1; echo data >/dev/widget0 && echo node-ok; cat /usr/lib/widget/lib.txt; { echo x >/usr/lib/widget/lib.txt; } 2>/dev/null || echo lib-ro'
  assert_status 0
  assert_line "1 w0"
  assert_line "c"
  assert_line "node-ok"
  assert_line "payload of the vendor"
  assert_line "lib-ro"
}

@test "CDI: a JSON spec in the second directory; createContainer and startContainer hooks run" {
  load_busybox
  write_spec
  printf '%s' '{"cdiVersion":"0.7.0","kind":"example.org/json","devices":[{"name":"one","containerEdits":{"env":["FROM_JSON=yes"]}}]}' \
    >"$TEST_DIR/cdi-run/j.json"
  run_tug run --rm --device example.org/json=one busybox sh -c 'echo $FROM_JSON'
  assert_output_equals "yes"
  run_tug run --name h --device example.com/widget=hooked busybox cat /tmp/start-hook
  assert_status 0
  assert_output_equals "started"
  [ -s "$TEST_DIR/hook-state-created" ]
  local id
  id=$("$TUG" inspect --format '{{.Id}}' h)
  [ "$(jq -r .id "$TEST_DIR/hook-state-created")" = "$id" ]
  # A failing hook fails the start with its name.
  printf '#!/bin/sh\nexit 3\n' >"$TEST_DIR/hook.sh"
  run_tug start -a h
  assert_error 125 "createContainer hook $TEST_DIR/hook.sh failed (status 3)"
}

@test "CDI: unknown devices, unsupported hooks and --gpus fail clearly" {
  load_busybox
  run_tug run --rm --device example.com/widget=w0 busybox true
  assert_error 125 "CDI device example.com/widget=w0 not found"
  assert_output_contains "no CDI specs are installed"
  write_spec
  run_tug run --rm --device example.com/widget=w9 busybox true
  assert_error 125 "known devices: example.com/widget=w0, example.com/widget=hooked"
  run_tug run --rm --gpus all busybox true
  assert_error 125 "CDI device nvidia.com/gpu=all not found"
  run_tug run --rm --gpus 2 busybox true
  assert_error 125 "invalid --gpus"
  cat >"$TEST_DIR/cdi-etc/bad-hook.yaml" <<'YAML'
cdiVersion: "0.6.0"
kind: example.com/poststop
devices:
  - name: p
    containerEdits:
      hooks:
        - hookName: poststop
          path: /bin/true
YAML
  run_tug run --rm --device example.com/poststop=p busybox true
  assert_error 125 'CDI hook "poststop" (/bin/true) is not supported'
  printf 'cdiVersion: "0.6.0"\nkind: [broken\n' >"$TEST_DIR/cdi-etc/broken.yaml"
  run_tug run --rm --device example.com/widget=w0 busybox true
  assert_error 125 "CDI spec $TEST_DIR/cdi-etc/broken.yaml"
}

@test "--gpus all uses nvidia.com/gpu=all from a spec" {
  load_busybox
  cat >"$TEST_DIR/cdi-run/nvidia.yaml" <<'YAML'
cdiVersion: "0.6.0"
kind: nvidia.com/gpu
devices:
  - name: all
    containerEdits:
      env: [NVIDIA_VISIBLE_DEVICES=all]
      deviceNodes:
        - path: /dev/nvidia-fake
          hostPath: /dev/zero
YAML
  run_tug run --rm --gpus all busybox sh -c 'echo $NVIDIA_VISIBLE_DEVICES; head -c 3 /dev/nvidia-fake | wc -c'
  assert_status 0
  assert_output_equals "all
3"
}
