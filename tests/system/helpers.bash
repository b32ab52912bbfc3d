# Loaded by every bats file. Each test gets its own storage and runtime
# directories, so tests never see each other's images or containers.

TUG=${TUG_PREFIX}/bin/tug
BUSYBOX_TAR=${TUG_TEST_CACHE}/busybox.tar
BUSYBOX_OCI_TAR=${TUG_TEST_CACHE}/busybox-oci.tar

setup() {
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data
  export XDG_RUNTIME_DIR=$TEST_DIR/run
  export XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  # run/create pull missing images: keep every test off the network. A
  # name that is not in the store fails at once instead of asking docker.io.
  mkdir -p "$XDG_CONFIG_HOME/containers"
  printf '%s\n' 'unqualified-search-registries = ["docker.io"]' '[[registry]]' \
    'location = "docker.io"' 'blocked = true' >"$XDG_CONFIG_HOME/containers/registries.conf"
  cd "$TEST_DIR"
}

teardown() {
  tug_test_cleanup
}

# What every test's teardown does (files with a teardown of their own call
# it last): containers a test left behind are removed, then any process
# still working in this test's directory is reported as a leak and the test
# fails, then the store goes. Layers and upper dirs hold files of
# subordinate uids that only the user namespace's root may delete.
tug_test_cleanup() {
  local rc=0 leaked i
  if [ -n "$(ls -A "$XDG_DATA_HOME/tug/pods" 2>/dev/null)" ]; then
    "$TUG" pod rm -f -a >/dev/null 2>&1 || true
  fi
  if [ -n "$(ls -A "$XDG_DATA_HOME/tug/containers" 2>/dev/null)" ]; then
    "$TUG" rm -f -a >/dev/null 2>&1 || true
  fi
  # A monitor or a helper may need a moment to exit after rm returns.
  for i in $(seq 30); do
    leaked=$(pgrep -u "$(id -u)" -f -- "$TEST_DIR/" || true)
    [ -z "$leaked" ] && break
    sleep 0.1
  done
  if [ -n "$leaked" ]; then
    echo "# processes still using $TEST_DIR 3 s after the test (killed):" >&3
    ps -o pid=,args= -p "$(echo $leaked | tr ' ' ,)" | sed 's/^/#   /' >&3 || true
    kill -9 $leaked 2>/dev/null || true
    rc=1
  fi
  remove_store "$XDG_DATA_HOME/tug"
  return $rc
}

# run_tug ARGS...: runs tug, sets $status and $output (stdout+stderr).
run_tug() {
  run "$TUG" "$@"
}

# Runs tug and fails the test unless it exits 0; output in $output.
tug_ok() {
  run "$TUG" "$@"
  if [ "$status" -ne 0 ]; then
    echo "# tug $* exited $status:" >&3
    echo "$output" | sed 's/^/#   /' >&3
    return 1
  fi
}

load_busybox() {
  tug_ok load -i "$BUSYBOX_TAR"
}

assert_status() {
  if [ "$status" -ne "$1" ]; then
    echo "expected exit status $1, got $status; output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_output_contains() {
  if [[ "$output" != *"$1"* ]]; then
    echo "expected output to contain: $1" >&2
    echo "actual output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_output_not_contains() {
  if [[ "$output" == *"$1"* ]]; then
    echo "expected output NOT to contain: $1" >&2
    echo "actual output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_output_equals() {
  if [ "$output" != "$1" ]; then
    echo "expected output: $1" >&2
    echo "actual output:   $output" >&2
    return 1
  fi
}

# A one-line error with the given text, on a failed command.
assert_error() {
  assert_status "$1"
  assert_output_contains "Error: "
  assert_output_contains "$2"
}

# The names bats-assert users know, in a few lines each (bats-assert is not
# needed, so the suite runs with Debian's bats alone).
assert_success() { assert_status 0; }

# assert_failure [N]: any non-zero status, or exactly N.
assert_failure() {
  if [ $# -gt 0 ]; then
    assert_status "$1"
  elif [ "$status" -eq 0 ]; then
    echo "expected a failure, got exit status 0; output:" >&2
    echo "$output" >&2
    return 1
  fi
}

# assert_output [--partial|--regexp] TEXT
assert_output() {
  case "$1" in
    --partial) assert_output_contains "$2" ;;
    --regexp)
      if ! [[ "$output" =~ $2 ]]; then
        echo "expected output to match: $2" >&2
        echo "actual output:" >&2
        echo "$output" >&2
        return 1
      fi ;;
    *) assert_output_equals "$1" ;;
  esac
}

# refute_output [--partial] TEXT
refute_output() {
  [ "$1" = --partial ] && shift
  assert_output_not_contains "$1"
}

# assert_line [--index N] [--partial] TEXT: some line (or line N, from 0)
# of $output is TEXT, or contains it with --partial.
assert_line() {
  local index="" partial=0 line i=0
  while [ $# -gt 1 ]; do
    case "$1" in
      --index) index=$2; shift 2 ;;
      --partial) partial=1; shift ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  while IFS= read -r line; do
    if [ -z "$index" ] || [ "$i" -eq "$index" ]; then
      if { [ $partial = 1 ] && [[ "$line" == *"$1"* ]]; } || [ "$line" = "$1" ]; then
        return 0
      fi
    fi
    i=$((i + 1))
  done <<<"$output"
  echo "expected a line${index:+ $index} $([ $partial = 1 ] && echo containing || echo equal to): $1" >&2
  echo "actual output:" >&2
  echo "$output" >&2
  return 1
}

# Number of lines in $output.
line_count() {
  if [ -z "$output" ]; then echo 0; else printf '%s\n' "$output" | wc -l; fi
}

# ---- Hand-built images (used by the image, archive, storage and nosub tests)

# The full id (config digest hex) of the cached busybox image.
busybox_id() {
  tar -xOf "$BUSYBOX_TAR" ./manifest.json | jq -r '.[0].Config' | sed 's/\.json$//'
}

# make_docker_archive OUT NAME LAYER.tar [DIFF_ID]: writes a docker-archive
# (what `docker save` writes) holding one image NAME with the single layer
# LAYER.tar. DIFF_ID (hex) overrides the layer's real digest in the config,
# to build an archive whose digests do not match. CONFIG_EXTRA, if set, is a
# JSON object merged into the config's "config" (Cmd, Env, WorkingDir, ...).
make_docker_archive() {
  local out=$1 name=$2 layer=$3 diff_id=${4:-}
  local real dir config cid extra=${CONFIG_EXTRA:-}
  [ -n "$extra" ] || extra='{}'
  real=$(sha256sum "$layer" | cut -d' ' -f1)
  [ -n "$diff_id" ] || diff_id=$real
  dir=$(mktemp -d "$TEST_DIR/archive.XXXXXX")
  mkdir "$dir/$real"
  cp "$layer" "$dir/$real/layer.tar"
  config=$(jq -cn --arg d "sha256:$diff_id" --argjson extra "$extra" \
    '{architecture:"amd64",os:"linux",created:"2024-01-01T00:00:00Z",
      config:({Env:["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],Cmd:["sh"]} + $extra),
      rootfs:{type:"layers",diff_ids:[$d]},
      history:[{created:"2024-01-01T00:00:00Z",created_by:"hand-built layer"}]}')
  cid=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"$dir/$cid.json"
  jq -cn --arg c "$cid.json" --arg n "$name" --arg l "$real/layer.tar" \
    '[{Config:$c,RepoTags:[$n],Layers:[$l]}]' >"$dir/manifest.json"
  tar -C "$dir" -cf "$out" manifest.json "$cid.json" "$real"
  rm -rf "$dir"
}

# The rootfs layer of the cached busybox image, as a file.
busybox_layer() {
  local out=$1 member
  member=$(tar -xOf "$BUSYBOX_TAR" ./manifest.json | jq -r '.[0].Layers[0]')
  tar -xOf "$BUSYBOX_TAR" "./$member" >"$out"
}

# Names under $XDG_DATA_HOME/tug/DIR (empty output when DIR is empty or absent).
store_entries() {
  ls -A "$XDG_DATA_HOME/tug/$1" 2>/dev/null || true
}

# Byte offset, in ARCHIVE, of the start of MEMBER's data (GNU tar's block
# numbers; MEMBER as `tar -t` lists it). Only for members without a pax
# extended header, which is what the test archives hold.
tar_member_offset() {
  local block
  block=$(tar -tRf "$1" | awk -v m="$2" '{ n = $0; sub(/^block [0-9]+: /, "", n); if (n == m) { b = $2; sub(/:$/, "", b); print b; exit } }')
  [ -n "$block" ] || return 1
  echo $(((block + 1) * 512))
}

# Inverts the byte at OFFSET in FILE, in place.
flip_byte() {
  local file=$1 off=$2 b
  b=$(od -An -tu1 -j "$off" -N1 "$file" | tr -d ' ')
  printf "\\$(printf %03o $((b ^ 255)))" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# Removes a store directory whose files may belong to subordinate uids.
remove_store() {
  [ -e "$1" ] || return 0
  "$TUG" unshare rm -rf "$1" >/dev/null 2>&1 || rm -rf "$1"
}

# make_layered_archive OUT NAME LAYER.tar...: a docker-archive of one image
# NAME whose layers are the given tars, bottom first, each with a history
# entry "layer N: BASENAME". CONFIG_EXTRA works as for make_docker_archive.
make_layered_archive() {
  local out=$1 name=$2
  shift 2
  local dir extra=${CONFIG_EXTRA:-} l d n=0 cid config
  [ -n "$extra" ] || extra='{}'
  dir=$(mktemp -d "$TEST_DIR/archive.XXXXXX")
  local -a diffs=() members=() hist=()
  for l in "$@"; do
    d=$(sha256sum "$l" | cut -d' ' -f1)
    mkdir -p "$dir/$d"
    cp "$l" "$dir/$d/layer.tar"
    diffs+=("sha256:$d")
    members+=("$d/layer.tar")
    n=$((n + 1))
    hist+=("layer $n: $(basename "$l")")
  done
  config=$(jq -cn --argjson extra "$extra" \
    --args '{architecture:"amd64",os:"linux",created:"2024-01-01T00:00:00Z",
      config:({Env:["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],Cmd:["sh"]} + $extra),
      rootfs:{type:"layers",diff_ids:$ARGS.positional[:($ARGS.positional|length/2)]},
      history:[$ARGS.positional[($ARGS.positional|length/2):][] | {created:"2024-01-01T00:00:00Z",created_by:.}]}' \
    "${diffs[@]}" "${hist[@]}")
  cid=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"$dir/$cid.json"
  jq -cn --arg c "$cid.json" --arg n "$name" '[{Config:$c,RepoTags:[$n],Layers:$ARGS.positional}]' \
    --args "${members[@]}" >"$dir/manifest.json"
  (cd "$dir" && tar -cf "$out" manifest.json "$cid.json" $(printf '%s\n' "${members[@]}" | cut -d/ -f1 | sort -u))
  rm -rf "$dir"
}

# A free tcp port on 127.0.0.1 (the kernel's pick, released at once).
free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts Debian's docker-registry on a free port of 127.0.0.1 for the
# file's tests, its data under $BATS_FILE_TMPDIR/registry: exports REG_ROOT
# and REG (HOST:PORT) and returns once it answers. stop_test_registry ends it.
start_test_registry() {
  export REG_ROOT=$BATS_FILE_TMPDIR/registry
  mkdir -p "$REG_ROOT/data"
  export REG=127.0.0.1:$(free_port)
  cat >"$REG_ROOT/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_ROOT/data
http:
  addr: $REG
YAML
  docker-registry serve "$REG_ROOT/config.yml" >"$REG_ROOT/log" 2>&1 3>&- &
  echo $! >"$REG_ROOT/pid"
  for _ in $(seq 100); do curl -s -o /dev/null "http://$REG/v2/" && return 0; sleep 0.1; done
  cat "$REG_ROOT/log" >&2
  return 1
}

stop_test_registry() {
  kill "$(cat "$REG_ROOT/pid")" 2>/dev/null || true
}
