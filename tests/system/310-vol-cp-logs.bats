#!/usr/bin/env bats
# cp with running containers and through a container's mounts, the log
# drivers and their options, and volumes from the command line.

load helpers

@test "cp in and out of a running container, seen at once inside" {
  load_busybox
  tug_ok run -d --name c busybox sleep 300
  echo payload > f
  tug_ok cp f c:/tmp/
  tug_ok exec c cat /tmp/f
  assert_output_equals "payload"
  tug_ok exec c stat -c %u:%g /tmp/f
  assert_output_equals "0:0"
  tug_ok cp c:/etc/hostname ./hn
  tug_ok exec c hostname
  [ "$(cat hn)" = "$output" ]
  # Directories both ways, and a tar stream.
  mkdir -p d/sub && echo deep > d/sub/x
  tug_ok cp d c:/tmp/
  tug_ok exec c cat /tmp/d/sub/x
  assert_output_equals "deep"
  tug_ok cp c:/tmp/d ./back
  [ "$(cat back/sub/x)" = deep ]
  "$TUG" cp c:/tmp/d - > d.tar
  run tar tf d.tar
  assert_output_contains "d/sub/x"
  run_tug cp c:/nope ./x
  assert_error 125 "could not find the file /nope"
  run_tug cp f c:/nodir/
  assert_status 125
  tug_ok rm -f c
}

@test "cp with a running container reaches its volumes and tmpfs mounts" {
  load_busybox
  mkdir -p "$TEST_DIR/bind"
  tug_ok run -d --name c -v vol:/data --tmpfs /scratch -v "$TEST_DIR/bind:/b" busybox sleep 300
  echo v > f
  tug_ok cp f c:/data/
  mp=$("$TUG" volume inspect --format '{{.Mountpoint}}' vol)
  [ "$(cat "$mp/f")" = v ]
  tug_ok cp f c:/scratch/inmem
  tug_ok exec c cat /scratch/inmem
  assert_output_equals "v"
  tug_ok cp f c:/b/
  [ "$(cat "$TEST_DIR/bind/f")" = v ]
  tug_ok exec c sh -c 'echo made-inside > /scratch/out'
  tug_ok cp c:/scratch/out ./out
  [ "$(cat out)" = made-inside ]
  tug_ok rm -f c
}

@test "cp into a volume of a created container lands in the volume" {
  load_busybox
  tug_ok create --name c -v vv:/data busybox cat /data/f /ro/f
  echo in-volume > f
  tug_ok cp f c:/data/
  mp=$("$TUG" volume inspect --format '{{.Mountpoint}}' vv)
  [ "$(cat "$mp/f")" = in-volume ]
  tug_ok cp c:/data/f ./again
  [ "$(cat again)" = in-volume ]
  # A bind mount of a stopped container, read-only ones refused.
  mkdir -p "$TEST_DIR/robind" && echo ro > "$TEST_DIR/robind/f"
  tug_ok create --name r -v "$TEST_DIR/robind:/ro:ro" busybox true
  tug_ok cp r:/ro/f ./rof
  [ "$(cat rof)" = ro ]
  run_tug cp f r:/ro/g
  assert_status 125
  assert_output_contains "read-only file system"
  [ ! -e "$TEST_DIR/robind/g" ]
  # The rootfs under the volume's mount point is untouched: diff is empty
  # but for the mount point itself.
  run_tug diff c
  assert_output_not_contains "/data/f"
}

@test "cp never follows a container's symlink to the host" {
  load_busybox
  mkdir -p "$TEST_DIR/hostdir"
  echo secret > "$TEST_DIR/hostdir/secret"
  tug_ok run -d --name c busybox sh -c "ln -s $TEST_DIR/hostdir /x; ln -s $TEST_DIR/hostdir/secret /s; ln -s /proc/1/root /pr; ln -s ../../../.. /up; sleep 300"
  sleep 0.3
  echo evil > evil
  run_tug cp evil c:/x/
  assert_status 125
  [ ! -e "$TEST_DIR/hostdir/evil" ]
  run_tug cp evil c:/x/evil
  assert_status 125
  [ ! -e "$TEST_DIR/hostdir/evil" ]
  # Out: the link is copied as a link; followed (-L) it resolves inside.
  tug_ok cp c:/s ./s
  [ -L s ]
  run_tug cp -L c:/s ./s2
  assert_status 125
  [ ! -e s2 ]
  run_tug cp c:/x/secret ./s3
  assert_status 125
  [ ! -e s3 ]
  # ".." stops at the container's root.
  tug_ok cp evil c:/up/tmp/
  [ ! -e /tmp/evil ] || [ "$(cat /tmp/evil)" != evil ]
  tug_ok exec c cat /tmp/evil
  assert_output_equals "evil"
  # A magic link (/proc/1/root) is refused rather than followed.
  run_tug cp evil c:/pr/tmp/
  assert_status 125
  tug_ok rm -f c
}

@test "--log-driver json-file writes docker's format; logs reads it" {
  load_busybox
  tug_ok run --name j --log-driver json-file busybox sh -c 'echo out; sleep 0.2; echo err >&2'
  path=$("$TUG" inspect --format '{{.LogPath}}' j)
  [ -f "$path" ]
  run head -1 "$path"
  [[ "$output" =~ ^\{\"log\":\"out\\n\",\"stream\":\"stdout\",\"time\":\"[0-9T:.-]+Z\"\}$ ]]
  grep -q '"log":"err\\n","stream":"stderr"' "$path"
  # A line without its newline is a partial record, continued by the next.
  tug_ok run --name pj --log-driver json-file busybox sh -c 'printf par; sleep 0.2; echo tial'
  grep -q '"log":"par","stream":"stdout"' "$("$TUG" inspect --format '{{.LogPath}}' pj)"
  run_tug logs pj
  assert_output_equals "partial"
  run "$TUG" logs j
  assert_status 0
  assert_line "out"
  assert_line "err"
  run_tug inspect --format '{{.HostConfig.LogConfig.Type}}' j
  assert_output_equals "json-file"
  # The default stays k8s-file (podman's format).
  tug_ok run --name k busybox echo kfile
  path=$("$TUG" inspect --format '{{.LogPath}}' k)
  run cat "$path"
  [[ "$output" =~ ^[0-9T:.-]+Z\ stdout\ F\ kfile$ ]]
}

@test "--log-driver none keeps no log; logs says the driver cannot be read" {
  load_busybox
  tug_ok run --name n --log-driver none busybox echo hidden
  assert_output_equals "hidden"
  run_tug logs n
  assert_error 125 "configured logging driver does not support reading"
  [ ! -e "$XDG_DATA_HOME/tug/containers/$("$TUG" inspect --format '{{.Id}}' n)/ctr.log" ]
  run_tug run --rm --log-driver bogus busybox true
  assert_error 125 "invalid log driver \"bogus\""
}

@test "--log-driver journald fails clearly without a journal" {
  [ -S /run/systemd/journal/socket ] && skip "this host has a journal"
  load_busybox
  run_tug run --rm --log-driver journald busybox true
  assert_error 125 "the journald log driver needs systemd's journal"
  run_tug ps -a -q
  assert_output_equals ""
}

@test "--log-driver passthrough hands the container the caller's stdio" {
  load_busybox
  run "$TUG" run --name p --log-driver passthrough busybox sh -c 'echo to-out; echo to-err >&2; exit 3'
  assert_status 3
  assert_line "to-out"
  assert_line "to-err"
  # Straight through: the container's stdout is the file given, not a pipe.
  "$TUG" run --rm --log-driver passthrough busybox stat -L -c %F /proc/self/fd/1 > fd1
  [[ "$(cat fd1)" == regular* ]]
  "$TUG" run --rm busybox stat -L -c %F /proc/self/fd/1 > fd1
  [ "$(cat fd1)" = "fifo" ]
  run_tug logs p
  assert_error 125 "does not support reading"
  run_tug run --rm -t --log-driver passthrough busybox true
  assert_error 125 "cannot be used with a terminal"
}

@test "--log-opt max-size rotates, max-file keeps that many, path moves the log" {
  load_busybox
  tug_ok run --name r --log-opt max-size=1k --log-opt max-file=3 busybox \
    sh -c 'i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done'
  path=$("$TUG" inspect --format '{{.LogPath}}' r)
  [ -f "$path" ] && [ -f "$path.1" ] && [ -f "$path.2" ] && [ ! -e "$path.3" ]
  for f in "$path" "$path.1" "$path.2"; do [ "$(stat -c %s "$f")" -le 1024 ]; done
  run_tug logs r
  # The newest lines are there, in order, the oldest rotated away.
  [ "$(echo "$output" | tail -1)" = "line-99-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" ]
  assert_output_not_contains "line-0-"
  [ "$(echo "$output" | sort -t- -k2 -n | tr '\n' ' ')" = "$(echo "$output" | tr '\n' ' ')" ]
  # max-file 1 (the default): the file is emptied, never renamed.
  tug_ok run --name one --log-opt max-size=1k busybox \
    sh -c 'i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done'
  path=$("$TUG" inspect --format '{{.LogPath}}' one)
  [ ! -e "$path.1" ] && [ "$(stat -c %s "$path")" -le 1024 ]
  tug_ok run --name at --log-opt path="$TEST_DIR/my.log" --log-opt tag=mytag busybox echo moved
  grep -q " stdout F moved" "$TEST_DIR/my.log"
  run_tug logs at
  assert_output_equals "moved"
  run_tug inspect --format '{{.HostConfig.LogConfig.Config.tag}}' at
  assert_output_equals "mytag"
  run_tug run --rm --log-opt max-size=lots busybox true
  assert_error 125 "invalid --log-opt max-size"
  run_tug run --rm --log-opt colour=blue busybox true
  assert_error 125 "unknown log option \"colour\""
}

@test "logs --until and --since bound the records by time" {
  load_busybox
  tug_ok run --name t busybox sh -c 'echo early; sleep 2.2; echo late'
  tug_ok logs -t t
  early_ts=$(echo "$output" | head -1 | cut -d' ' -f1)
  late_ts=$(echo "$output" | tail -1 | cut -d' ' -f1)
  run_tug logs --until "$early_ts" t
  assert_output_equals "early"
  run_tug logs --since "$late_ts" t
  assert_output_equals "late"
  # Durations count back from now.
  run_tug logs --until 1h t
  assert_output_equals ""
  run_tug logs --since 1h t
  assert_output_equals "$(printf 'early\nlate')"
  now=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)
  run_tug logs --until "$now" t
  assert_output_equals "$(printf 'early\nlate')"
  run_tug logs --until 2000-01-01T00:00:00Z t
  assert_output_equals ""
  run_tug logs --until soon t
  assert_error 125 "invalid --until value"
}

@test "run -v /path makes an anonymous volume; run --rm and rm -v remove it" {
  load_busybox
  tug_ok run --name a -v /data busybox sh -c 'echo kept > /data/f'
  run_tug volume ls -q
  [ "$(echo "$output" | wc -l)" = 1 ]
  vol=$output
  [ ${#vol} = 64 ]
  run_tug volume inspect --format '{{.Anonymous}}' "$vol"
  assert_output_equals "true"
  mp=$("$TUG" volume inspect --format '{{.Mountpoint}}' "$vol")
  [ "$(cat "$mp/f")" = kept ]
  tug_ok rm -v a
  run_tug volume ls -q
  assert_output_equals ""
  # run --rm: the anonymous one goes, a named one stays.
  tug_ok run --rm -v /anon -v named:/named busybox true
  run_tug volume ls -q
  assert_output_equals "named"
  # Detached --rm too (the monitor's rm).
  tug_ok run -d --rm -v /anon busybox true
  for i in $(seq 50); do [ "$("$TUG" volume ls -q)" = named ] && break; sleep 0.1; done
  run_tug volume ls -q
  assert_output_equals "named"
  run_tug run --rm -v relative busybox true
  assert_status 125
}

@test "--volumes-from shares another container's volumes and binds, ro or rw" {
  load_busybox
  mkdir -p "$TEST_DIR/host"
  tug_ok create --name src -v shared:/data -v /anon -v "$TEST_DIR/host:/h" busybox true
  tug_ok run --rm --volumes-from src busybox sh -c 'echo one > /data/f; echo two > /anon/g; echo three > /h/h'
  mp=$("$TUG" volume inspect --format '{{.Mountpoint}}' shared)
  [ "$(cat "$mp/f")" = one ]
  [ "$(cat "$TEST_DIR/host/h")" = three ]
  run_tug run --rm --volumes-from src:ro busybox sh -c 'cat /data/f /anon/g; echo x > /data/f'
  assert_output_contains "one"
  assert_output_contains "two"
  assert_output_contains "Read-only file system"
  # The anonymous volume of src survives the --rm of the borrower.
  [ "$("$TUG" volume ls -q | wc -l)" = 2 ]
  run_tug run --rm --volumes-from nosuch busybox true
  assert_error 125 "no container with name or ID \"nosuch\" found"
  run_tug run --rm --volumes-from src:bogus busybox true
  assert_error 125 "invalid --volumes-from mode"
}

@test "volume create -o: tmpfs, bind to a host directory, uid and gid" {
  load_busybox
  tug_ok volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tv
  tug_ok run --rm -v tv:/t busybox sh -c 'grep " /t " /proc/mounts; echo x > /t/f'
  assert_output_contains "tmpfs /t tmpfs"
  assert_output_contains "size=1024k"
  # A tmpfs: nothing stays between containers.
  tug_ok run --rm -v tv:/t busybox ls /t
  assert_output_equals ""
  run_tug volume inspect --format '{{.Options.type}} {{.Options.o}}' tv
  assert_output_equals "tmpfs size=1m"
  mkdir -p "$TEST_DIR/dev"
  tug_ok volume create -o type=none -o o=bind -o device="$TEST_DIR/dev" bv
  tug_ok run --rm -v bv:/b busybox sh -c 'echo via-volume > /b/f'
  [ "$(cat "$TEST_DIR/dev/f")" = via-volume ]
  tug_ok volume create -o uid=1000 -o gid=1001 owned
  tug_ok run --rm -v owned:/o busybox stat -c %u:%g /o
  assert_output_equals "1000:1001"
  run_tug volume create -o type=none -o device=/nonexistent -o o=bind bad1
  assert_status 125
  run_tug volume create -o type=ext4 -o device=/dev/sda1 bad2
  assert_error 125 "cannot be mounted without root"
  run_tug volume create -o colour=blue bad3
  assert_error 125 "invalid mount option colour for driver local"
  run_tug volume ls -q
  assert_output_not_contains "bad"
}

@test "volume ls --filter name, label, dangling, driver" {
  load_busybox
  tug_ok volume create -l env=prod alpha
  tug_ok volume create -l env=dev beta
  tug_ok volume create gamma
  tug_ok create --name user -v beta:/b busybox true
  run_tug volume ls -q --filter name=alp
  assert_output_equals "alpha"
  run_tug volume ls -q --filter label=env
  assert_output_equals "$(printf 'alpha\nbeta')"
  run_tug volume ls -q --filter label=env=dev
  assert_output_equals "beta"
  run_tug volume ls -q --filter dangling=true
  assert_output_equals "$(printf 'alpha\ngamma')"
  run_tug volume ls -q --filter dangling=false
  assert_output_equals "beta"
  run_tug volume ls -q --filter name=alpha --filter name=gamma
  assert_output_equals "$(printf 'alpha\ngamma')"
  run_tug volume ls -q --filter driver=local --filter label=env=prod
  assert_output_equals "alpha"
  run_tug volume ls --filter colour=red
  assert_error 125 "invalid filter"
}

@test "volume rm -a removes the volumes no container uses" {
  load_busybox
  tug_ok volume create idle1
  tug_ok volume create idle2
  tug_ok create --name user -v busy:/b busybox true
  # As podman: the unused ones go, each one in use is an error (exit 2).
  run_tug volume rm -a
  assert_status 2
  assert_output_contains "idle1"
  assert_output_contains "idle2"
  assert_output_contains "Error: volume busy is being used"
  run_tug volume ls -q
  assert_output_equals "busy"
  run_tug volume rm -a busy
  assert_error 125 "choose either one or more volumes or all"
  run_tug volume rm
  assert_error 125 "choose either one or more volumes or all"
  tug_ok volume rm -a -f
  run_tug volume ls -q
  assert_output_equals ""
  run_tug ps -a -q
  assert_output_equals ""
}

@test ":U chowns a volume at the first start only" {
  load_busybox
  tug_ok create --name c -u 1000:1000 -v vv:/data:U busybox stat -c %u:%g /data
  tug_ok start -a c
  assert_output_equals "1000:1000"
  # Changed by someone else between starts: the next start keeps it.
  tug_ok run --rm -v vv:/data busybox chown 0:0 /data
  tug_ok start -a c
  assert_output_equals "0:0"
}
