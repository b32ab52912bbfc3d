#!/usr/bin/env bats
# container prune, system df, system prune.

load helpers

df_field() {  # TYPE-prefix column-number
  "$TUG" system df | awk -v t="$1" -v c="$2" 'index($0, t) == 1 { n = split(t, w, " "); print $(c + n - 1) }'
}

@test "container prune removes stopped containers and keeps running ones" {
  load_busybox
  tug_ok run --name gone1 busybox sh -c 'echo data > /f'
  tug_ok create --name gone2 busybox true
  tug_ok run -d --name stays busybox sleep 30
  [ "$(df_field Containers 2)" = 3 ]
  [ "$(df_field Containers 3)" = 1 ]
  run_tug container prune -f
  assert_status 0
  assert_output_contains "Deleted Containers:"
  assert_output_contains "Total reclaimed space:"
  [ "$(echo "$output" | grep -cE '^[0-9a-f]{64}$')" = 2 ]
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals stays
  [ "$(df_field Containers 2)" = 1 ]
  tug_ok rm -f stays
}

@test "prune asks first and takes end of input as no" {
  load_busybox
  tug_ok create --name kept busybox true
  run "$TUG" container prune </dev/null
  assert_status 0
  assert_output_contains "Are you sure you want to continue? [y/N]"
  run_tug ps -a -q
  [ "$(line_count)" = 1 ]
  run bash -c "echo y | '$TUG' container prune"
  assert_output_contains "Deleted Containers:"
  run_tug ps -a -q
  [ "$(line_count)" = 0 ]
}

@test "system df counts images and containers; system prune -a removes unused images" {
  load_busybox
  [ "$(df_field Images 2)" = 1 ]
  [ "$(df_field Images 3)" = 0 ]
  tug_ok run --name c busybox sh -c 'echo x > /x'
  tug_ok commit c dangling-later
  tug_ok tag dangling-later keep
  [ "$(df_field Images 2)" = 2 ]
  [ "$(df_field Images 3)" = 1 ]
  run_tug system df
  assert_output_contains "Local Volumes"
  assert_output_contains "Build Cache"
  # podman's Total and docker's TotalCount both name the count.
  tug_ok system df --format '{{.Type}} {{.Total}} {{.TotalCount}} {{.Active}}'
  assert_output_equals "Images 2 2 1
Containers 1 1 0
Local Volumes 0 0 0
Build Cache 0 0 0"
  # -v: docker's sections, one row per image, container and volume.
  tug_ok volume create dfvol
  tug_ok create --name user -v dfvol:/d busybox true
  tug_ok system df -v
  assert_line --index 0 "Images space usage:"
  assert_output_contains "Containers space usage:"
  assert_output_contains "Local Volumes space usage:"
  assert_output_contains "Build cache usage: 0B"
  echo "$output" | grep -E '^localhost/(keep|dangling-later) +latest +[0-9a-f]{12} '
  echo "$output" | grep -E '^[0-9a-f]{12} +[^ ]*busybox[^ ]* +"true" +1 +.* Created +user$'
  echo "$output" | grep -E '^dfvol +1 +[0-9.]+k?B$'
  tug_ok rm user
  tug_ok volume rm dfvol
  # Without -a only untagged images go: none here, but the container does.
  run_tug system prune -f
  assert_status 0
  assert_output_contains "Deleted Containers:"
  assert_output_not_contains "Deleted Images:"
  [ "$(df_field Images 2)" = 2 ]
  busybox_id=$("$TUG" image inspect --format '{{.Id}}' busybox)
  run_tug system prune -a -f
  assert_status 0
  assert_output_contains "deleted: sha256:$busybox_id"
  assert_output_contains "untagged: localhost/keep:latest"
  run_tug images -q
  [ "$(line_count)" = 0 ]
  [ "$(df_field Images 2)" = 0 ]
}

@test "system prune removes dangling images only" {
  load_busybox
  tug_ok run --name c busybox true
  tug_ok commit c
  dangling=${output#sha256:}
  tug_ok rm c
  busybox_id=$("$TUG" image inspect --format '{{.Id}}' busybox)
  run_tug system prune -f
  assert_output_contains "deleted: sha256:$dangling"
  assert_output_not_contains "$busybox_id"
  run_tug images -q
  [ "$(line_count)" = 1 ]
}
