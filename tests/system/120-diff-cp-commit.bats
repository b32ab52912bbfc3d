#!/usr/bin/env bats
# diff, cp (both ways, tar streams, escapes) and commit.

load helpers

@test "diff lists additions, changes and deletions like docker" {
  load_busybox
  tug_ok run --name d busybox sh -c 'echo hi > /new; echo x >> /etc/passwd; rm /bin/ls; mkdir /dir; touch /dir/f'
  run_tug diff d
  assert_status 0
  assert_output_contains "A /new"
  assert_output_contains "C /etc/passwd"
  assert_output_contains "C /etc"
  assert_output_contains "D /bin/ls"
  assert_output_contains "A /dir/f"
  # The runtime's own mount points are not changes.
  assert_output_not_contains "/etc/hosts"
  run_tug container diff d
  assert_output_contains "D /bin/ls"
}

@test "cp out gives identical bytes; directories and /. follow docker's rules" {
  load_busybox
  tug_ok run --name src busybox sh -c 'mkdir -p /data/sub; echo one > /data/a; echo two > /data/sub/b'
  tug_ok cp src:/bin/busybox ./bb
  layer=$(ls -d "$XDG_DATA_HOME"/tug/layers/*/diff | head -1)
  cmp ./bb "$layer/bin/busybox"
  [ -x ./bb ]
  [ "$(stat -c %u ./bb)" = "$(id -u)" ]
  tug_ok cp src:/data ./out
  [ "$(cat out/a)" = one ]
  [ "$(cat out/sub/b)" = two ]
  mkdir into
  tug_ok cp src:/data into
  [ "$(cat into/data/a)" = one ]
  mkdir contents
  tug_ok cp src:/data/. contents
  [ "$(cat contents/sub/b)" = two ]
  [ ! -e contents/data ]
  run_tug cp src:/nope ./x
  assert_status 125
  assert_output_contains "could not find the file /nope"
  run_tug cp src:/data ./bb
  assert_error 125 "cannot copy a directory to a file"
}

@test "cp in is seen by the next start, owned by the container's root" {
  load_busybox
  tug_ok create --name dst busybox sh -c 'cat /in.txt /etc/in.txt /tmp/t/tarred; stat -c %u:%g /in.txt'
  echo payload > in.txt
  tug_ok cp in.txt dst:/in.txt
  tug_ok container cp in.txt dst:/etc/
  mkdir -p t && echo viatar > t/tarred
  tar cf - t | "$TUG" cp - dst:/tmp
  run_tug start -a dst
  assert_status 0
  assert_output_equals "$(printf 'payload\npayload\nviatar\n0:0')"
}

@test "cp resolves symlinks inside the container, never on the host" {
  load_busybox
  tug_ok run --name esc busybox sh -c 'ln -s / /escape; ln -s ../../../../.. /up; echo inside > /marker'
  tug_ok run --rm busybox cat /etc/passwd
  ctr_passwd=$output
  tug_ok cp esc:/escape/etc/passwd ./p1
  [ "$(cat p1)" = "$ctr_passwd" ]
  ! cmp -s p1 /etc/passwd
  tug_ok cp esc:/up/marker ./m
  [ "$(cat m)" = inside ]
  # Copying in through the symlink also lands inside the container.
  echo planted > plant
  tug_ok cp plant esc:/escape/tmp/
  [ ! -e /tmp/plant ] || [ "$(cat /tmp/plant)" != planted ]
  run_tug cp esc:/tmp/plant ./back
  [ "$(cat back)" = planted ]
  # A symlink given as the source is copied as a symlink.
  tug_ok cp esc:/escape ./link
  [ -L link ]
  [ "$(readlink link)" = / ]
}

@test "cp - writes a tar of the source to stdout" {
  load_busybox
  tug_ok run --name t busybox sh -c 'mkdir /d; echo z > /d/z'
  "$TUG" cp t:/d - > d.tar
  run tar tf d.tar
  assert_output_contains "d/z"
  mkdir x && tar xf d.tar -C x
  [ "$(cat x/d/z)" = z ]
}

@test "cp refuses copying between containers" {
  load_busybox
  tug_ok run -d --name busy busybox sleep 30
  echo x > f
  tug_ok create --name other busybox true
  run_tug cp busy:/f other:/f
  assert_error 125 "copying between containers is not supported"
  tug_ok rm -f busy
}

@test "commit makes an image with the container's files, deletions and -c changes" {
  load_busybox
  tug_ok run --name c busybox sh -c 'echo committed > /the-file; rm /bin/ls'
  run_tug commit -c 'ENV FROM_COMMIT=yes' -c 'LABEL k=v' -m "my change" c newimg:v1
  assert_status 0
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=${output#sha256:}
  run_tug run --rm newimg:v1 cat /the-file
  assert_output_equals committed
  run_tug run --rm newimg:v1 test -e /bin/ls
  assert_status 1
  run_tug run --rm newimg:v1 sh -c 'echo $FROM_COMMIT'
  assert_output_equals yes
  run_tug image inspect --format '{{.Id}} {{index .Config.Labels "k"}}' newimg:v1
  assert_output_equals "$id v"
  run_tug history newimg:v1
  assert_output_contains "my change"
  # An untagged commit, through the container group.
  tug_ok container commit c
  [[ "$output" =~ ^sha256: ]]
}
