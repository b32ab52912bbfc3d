#!/usr/bin/env bats
# tug build and podman build (buildah) agree: the same Containerfile from
# tests/build/ gives the same config fields and the same file tree.
# Skipped where podman is not installed. (Heredocs are left out: podman
# 4.3's builder does not know them, and a port range, which it keeps as
# one key where docker expands it.)

load helpers

CORPUS=$BATS_TEST_DIRNAME/../build

setup() {
  command -v podman >/dev/null || skip "podman is not installed"
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data XDG_RUNTIME_DIR=$TEST_DIR/run XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME/containers"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  printf '%s\n' 'unqualified-search-registries = ["docker.io"]' '[[registry]]' \
    'location = "docker.io"' 'blocked = true' >"$XDG_CONFIG_HOME/containers/registries.conf"
  PODMAN=(podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" --runtime runc
          --cgroup-manager=cgroupfs --events-backend=file --storage-driver overlay)
  cd "$TEST_DIR"
}

teardown() {
  [ -n "${PODMAN:-}" ] || return 0
  "${PODMAN[@]}" rm -f -a >/dev/null 2>&1 || true
  "${PODMAN[@]}" unshare rm -rf "$TEST_DIR/podman" >/dev/null 2>&1 || true
  tug_test_cleanup
}

# The fields of the OCI config a Containerfile sets, one per line; labels
# without the ones each builder adds of its own (buildah's version,
# MAINTAINER's label).
config_fields() {  # tool...
  local f
  for f in Env Cmd Entrypoint WorkingDir User ExposedPorts Volumes StopSignal; do
    echo "$f: $("$@" image inspect inst --format "{{json .Config.$f}}")"
  done
  "$@" image inspect inst --format '{{json .Config.Labels}}' | python3 -c '
import json, sys
labels = json.load(sys.stdin)
for k in sorted(labels):
    if k not in ("io.buildah.version", "maintainer"):
        print(k + "=" + labels[k])'
}

# Type, mode, owner and size of what the Containerfile made, from export.
file_tree() {  # tool...
  local id
  id=$("$@" create inst)
  "$@" export "$id" | tar -tv --numeric-owner |
    awk '{ name = $NF; sub(/^\.?\//, "", name); print $1, $2, ($1 ~ /^d/ ? "-" : $3), name }' |
    grep -E ' (srv|owned|copied|unpacked|heredoc-run|heredoc-copy|shell-form|exec-form|added-file)(/|$)' | sort
  "$@" rm "$id" >/dev/null
}

@test "tug and podman build the instructions corpus alike" {
  load_busybox
  "${PODMAN[@]}" load -q -i "$BUSYBOX_TAR" >/dev/null || skip "podman cannot load images here"
  cp -r "$CORPUS/instructions" ctx
  # podman 4.3's builder has no heredocs: both build the file without them.
  # Nor does it expand a port range as docker does.
  sed -i -e '/<<EOF$/,/^EOF$/d' -e '/<<EOT/,/^EOT$/d' -e 's/ 8000-8002//' ctx/Containerfile
  tug_ok build -q -t inst ctx
  run "${PODMAN[@]}" build -q --network none -t inst ctx
  [ "$status" -eq 0 ] || skip "podman build does not work on this host: ${output##*$'\n'}"
  diff <(config_fields "$TUG") <(config_fields "${PODMAN[@]}")
  diff <(file_tree "$TUG") <(file_tree "${PODMAN[@]}")
}
