#!/usr/bin/env bats
# Single-file images: `save --format squashfs`, `run squashfs:FILE`, squashfs
# files in the store (`load`), and `run --rootfs DIR`.

load helpers

# A three-layer image: busybox; /etc/gone, /etc/keep, /opt/d/{a,b} and a
# file of uid 1234; then /etc/gone deleted (whiteout) and /opt/d made opaque
# with a new /opt/d/c. Config: WorkingDir /work, Env FOO=bar, Cmd cat msg.
make_whiteout_image() {
  local l=$TEST_DIR/layers
  mkdir -p "$l/2/etc" "$l/2/opt/d" "$l/2/work" "$l/3/etc" "$l/3/opt/d"
  busybox_layer "$l/1.tar"
  echo gone >"$l/2/etc/gone"
  echo keep >"$l/2/etc/keep"
  echo a >"$l/2/opt/d/a"
  echo b >"$l/2/opt/d/b"
  echo "hello from the squashfs" >"$l/2/work/msg"
  echo owned >"$l/2/etc/owned"
  tar -C "$l/2" -cf "$l/2.tar" --owner=0 --group=0 etc/gone etc/keep opt work
  tar -C "$l/2" -rf "$l/2.tar" --owner=1234 --group=4321 etc/owned
  touch "$l/3/etc/.wh.gone" "$l/3/opt/d/.wh..wh..opq"
  echo c >"$l/3/opt/d/c"
  tar -C "$l/3" -cf "$l/3.tar" --owner=0 --group=0 etc opt
  CONFIG_EXTRA='{"WorkingDir":"/work","Env":["PATH=/usr/bin:/bin","FOO=bar"],"Cmd":["cat","msg"]}' \
    make_layered_archive "$TEST_DIR/wh.tar" localhost/wh:1 "$l/1.tar" "$l/2.tar" "$l/3.tar"
  tug_ok load -i "$TEST_DIR/wh.tar"
}

squashfuse_procs() {
  pgrep -u "$(id -u)" -f "squashfuse.* $1" || true
}

@test "save --format squashfs writes one flattened file that run uses with the image's config" {
  make_whiteout_image
  tug_ok save --format squashfs -o "$TEST_DIR/wh.sqfs" localhost/wh:1
  [ "$(head -c 4 "$TEST_DIR/wh.sqfs")" = "hsqs" ]
  # Flattened: the whiteout and the opaque directory are applied, the
  # config is inside, byte for byte (its sha256 is the image's id).
  run unsquashfs -l "$TEST_DIR/wh.sqfs"
  assert_line "squashfs-root/etc/keep"
  assert_line "squashfs-root/opt/d/c"
  assert_line "squashfs-root/.tug/config.json"
  assert_output_not_contains "etc/gone"
  assert_output_not_contains "opt/d/a"
  assert_output_not_contains ".wh."
  id=$("$TUG" image inspect --format '{{.Id}}' localhost/wh:1)
  [ "$(unsquashfs -cat "$TEST_DIR/wh.sqfs" /.tug/config.json | sha256sum | cut -d' ' -f1)" = "${id#sha256:}" ]
  [ "$(unsquashfs -cat "$TEST_DIR/wh.sqfs" /.tug/image.json | jq -r '.names[0]')" = "localhost/wh:1" ]
  # Owners are the container's ids, as in the layers.
  run unsquashfs -lln "$TEST_DIR/wh.sqfs" etc/owned
  assert_output_contains "1234/4321"
  assert_line --partial "drwxr-xr-x 0/0"

  # Cmd, WorkingDir and Env come from /.tug/config.json.
  run_tug run --rm "squashfs:$TEST_DIR/wh.sqfs"
  assert_success
  assert_output_equals "hello from the squashfs"
  run_tug run --rm "squashfs:$TEST_DIR/wh.sqfs" sh -c 'echo $FOO $(pwd); ls /opt/d; cat /etc/gone; stat -c %u:%g /etc/owned'
  assert_output_contains "bar /work"
  assert_line "c"
  refute_output --partial "opt/d/a"
  assert_output_contains "can't open '/etc/gone'"
  assert_line "1234:4321"
  # --rootfs takes the file too (podman's flag).
  run_tug run --rm --rootfs "$TEST_DIR/wh.sqfs" cat /etc/keep
  assert_success
  assert_output_equals "keep"
}

@test "writes go to a tmpfs: the squashfs file is never modified and nothing reaches disk" {
  load_busybox
  tug_ok save --format squashfs -o "$TEST_DIR/bb.sqfs" busybox
  before=$(sha256sum "$TEST_DIR/bb.sqfs" | cut -d' ' -f1)
  run_tug run --name w "squashfs:$TEST_DIR/bb.sqfs" sh -c \
    'echo data >/etc/new && rm /bin/ls && cat /etc/new && ls /bin/ls; grep " / " /proc/mounts | cut -d" " -f3'
  assert_output_contains "data"
  assert_output_contains "/bin/ls: No such file or directory"
  assert_line "overlay"
  [ "$(sha256sum "$TEST_DIR/bb.sqfs" | cut -d' ' -f1)" = "$before" ]
  id=$("$TUG" inspect --format '{{.Id}}' w)
  # The container's directory holds no copy of the change.
  [ -z "$(find "$XDG_DATA_HOME/tug/containers/$id" -name new)" ]
  # A second run starts from the image again.
  run_tug run --rm "squashfs:$TEST_DIR/bb.sqfs" sh -c 'ls /etc/new; ls /bin/ls'
  assert_output_contains "/etc/new: No such file or directory"
  assert_line "/bin/ls"
  [ -z "$(squashfuse_procs "$TEST_DIR/bb.sqfs")" ]
}

@test "two containers run from one squashfs file at once, each with its own writable layer" {
  load_busybox
  tug_ok save --format squashfs -o "$TEST_DIR/bb.sqfs" busybox
  tug_ok run -d --name one "squashfs:$TEST_DIR/bb.sqfs" sleep 60
  tug_ok run -d --name two "squashfs:$TEST_DIR/bb.sqfs" sleep 60
  tug_ok exec one sh -c 'echo 1 >/tmp/who'
  tug_ok exec two sh -c 'echo 2 >/tmp/who'
  tug_ok exec one cat /tmp/who
  assert_output_equals "1"
  tug_ok exec two cat /tmp/who
  assert_output_equals "2"
  # One squashfuse per container, children of their monitors, outside the
  # containers' pid namespaces.
  [ "$(squashfuse_procs "$TEST_DIR/bb.sqfs" | wc -l)" -eq 2 ]
  for c in one two; do
    mon=$("$TUG" inspect --format '{{.State.Pid}}' $c)
    id=$("$TUG" inspect --format '{{.Id}}' $c)
    mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
    pids=$(pgrep -P "$mon" -f squashfuse)
    [ -n "$pids" ]
  done
  tug_ok rm -f one two
  for i in $(seq 30); do
    [ -z "$(squashfuse_procs "$TEST_DIR/bb.sqfs")" ] && break
    sleep 0.1
  done
  [ -z "$(squashfuse_procs "$TEST_DIR/bb.sqfs")" ]
}

@test "squashfuse dies with a SIGKILLed monitor and leaves no mount behind" {
  load_busybox
  tug_ok save --format squashfs -o "$TEST_DIR/bb.sqfs" busybox
  tug_ok run -d --name k "squashfs:$TEST_DIR/bb.sqfs" sleep 60
  id=$output
  mon=$(jq -r .monitor_pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  pid=$(jq -r .pid "$XDG_DATA_HOME/tug/containers/$id/state.json")
  [ -n "$(squashfuse_procs "$TEST_DIR/bb.sqfs")" ]
  kill -9 "$mon"
  for i in $(seq 50); do
    [ -z "$(squashfuse_procs "$TEST_DIR/bb.sqfs")" ] && ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.1
  done
  [ -z "$(squashfuse_procs "$TEST_DIR/bb.sqfs")" ]
  ! kill -0 "$pid" 2>/dev/null
  # The mounts lived in the container's mount namespace only.
  ! grep -q "$id" /proc/self/mountinfo
  ! grep -q squashfuse /proc/self/mountinfo
  tug_ok rm -f k
}

@test "missing, foreign and corrupt squashfs files fail with clear errors" {
  run_tug run --rm "squashfs:$TEST_DIR/nope.sqfs" true
  assert_error 125 "no such file"
  echo "not an image" >"$TEST_DIR/text.sqfs"
  run_tug run --rm "squashfs:$TEST_DIR/text.sqfs" true
  assert_error 125 "is not a squashfs image"
  load_busybox
  tug_ok save --format squashfs -o "$TEST_DIR/bb.sqfs" busybox
  head -c 4096 "$TEST_DIR/bb.sqfs" >"$TEST_DIR/cut.sqfs"
  run_tug run --rm "squashfs:$TEST_DIR/cut.sqfs" true
  assert_error 125 "cannot read squashfs image"
  # Damage past the config: found when the container mounts it.
  cp "$TEST_DIR/bb.sqfs" "$TEST_DIR/bad.sqfs"
  size=$(stat -c %s "$TEST_DIR/bad.sqfs")
  dd if=/dev/zero of="$TEST_DIR/bad.sqfs" bs=1 seek=$((size / 3)) count=$((size / 3)) conv=notrunc status=none
  run_tug run --rm "squashfs:$TEST_DIR/bad.sqfs" cat /bin/busybox
  [ "$status" -ne 0 ]
  [ -z "$(squashfuse_procs "$TEST_DIR/bad.sqfs")" ]
  # A squashfs without /.tug (another tool's) runs with a command given.
  mkdir -p "$TEST_DIR/plain/bin"
  cp /bin/busybox "$TEST_DIR/plain/bin/busybox"
  mksquashfs "$TEST_DIR/plain" "$TEST_DIR/plain.sqfs" -quiet -no-progress >/dev/null
  run_tug run --rm "squashfs:$TEST_DIR/plain.sqfs" /bin/busybox echo foreign
  assert_output_equals "foreign"
  run_tug run --rm "squashfs:$TEST_DIR/plain.sqfs"
  assert_error 125 "no command"
  run_tug save --format squashfs busybox
  assert_error 125 "needs -o"
}

@test "load keeps a squashfs file in place as a store entry; rmi leaves the file" {
  make_whiteout_image
  tug_ok save --format squashfs -o "$TEST_DIR/wh.sqfs" localhost/wh:1
  tug_ok rmi localhost/wh:1
  tug_ok load -i "$TEST_DIR/wh.sqfs"
  assert_output_equals "Loaded image: localhost/wh:1"
  # Not unpacked: no layer in the store.
  [ -z "$(store_entries layers)" ]
  run_tug run --rm localhost/wh:1
  assert_output_equals "hello from the squashfs"
  run_tug save -o "$TEST_DIR/x.tar" localhost/wh:1
  assert_error 125 "not implemented"
  run_tug push --tls-verify=false localhost/wh:1 127.0.0.1:1/wh:1
  assert_error 125 "not implemented"
  mkdir "$TEST_DIR/ctx"
  printf 'FROM localhost/wh:1\nRUN true\n' >"$TEST_DIR/ctx/Containerfile"
  run_tug build -t localhost/derived "$TEST_DIR/ctx"
  assert_error 125 "not implemented"
  run_tug run --name c localhost/wh:1 true
  run_tug commit c localhost/committed
  assert_error 125 "not implemented"
  tug_ok rm c
  tug_ok rmi localhost/wh:1
  [ -s "$TEST_DIR/wh.sqfs" ]
}

@test "run --rootfs DIR uses the directory in place" {
  mkdir -p "$TEST_DIR/root/bin" "$TEST_DIR/root/etc"
  cp /bin/busybox "$TEST_DIR/root/bin/busybox"
  for t in sh cat echo; do ln -s busybox "$TEST_DIR/root/bin/$t"; done
  echo "from the dir" >"$TEST_DIR/root/etc/msg"
  run_tug run --rm --network none --rootfs "$TEST_DIR/root" /bin/sh -c 'cat /etc/msg; echo made >/etc/made'
  assert_success
  assert_output_equals "from the dir"
  [ "$(cat "$TEST_DIR/root/etc/made")" = "made" ]
  # A container of a directory runs again; diff cannot say what changed.
  tug_ok run --name inplace --network none --rootfs "$TEST_DIR/root" /bin/sh -c 'echo run >>/etc/runs'
  tug_ok start -a inplace
  [ "$(cat "$TEST_DIR/root/etc/runs")" = "run
run" ]
  run_tug diff inplace
  assert_error 125 "diff is not supported for --rootfs containers"
  # The directory is its own mount point: the record holds no overlay dirs,
  # and a container that printed nothing has no log file.
  id=$("$TUG" inspect --format '{{.Id}}' inplace)
  run ls "$XDG_DATA_HOME/tug/containers/$id"
  assert_output_not_contains merged
  assert_output_not_contains upper
  assert_output_not_contains ctr.log
  tug_ok rm inplace
  run_tug run --rm --rootfs "$TEST_DIR/missing" /bin/sh
  assert_error 125 "no such directory"
}
