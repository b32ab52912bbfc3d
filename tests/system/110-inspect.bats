#!/usr/bin/env bats
# inspect (containers, then images), --format templates, rename.

load helpers

@test "inspect shows a container in docker's shape" {
  load_busybox
  run_tug run --name shape -v "$TEST_DIR:/data:ro" --tmpfs /scratch -e FOO=bar --add-host db:10.1.2.3 \
    busybox sh -c 'exit 3'
  assert_status 3
  busybox_id=$("$TUG" image inspect --format '{{.Id}}' busybox)
  run_tug inspect shape
  assert_status 0
  [ "$(echo "$output" | jq length)" = 1 ]
  [ "$(echo "$output" | jq -r '.[0].Name')" = "/shape" ]
  [ "$(echo "$output" | jq -r '.[0].State.Status')" = "exited" ]
  [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = "3" ]
  [ "$(echo "$output" | jq -r '.[0].State.Running')" = "false" ]
  # the image's Id as image inspect prints it
  [ "$(echo "$output" | jq -r '.[0].Image')" = "$busybox_id" ]
  [ "$(echo "$output" | jq -r '.[0].Path')" = "sh" ]
  [ "$(echo "$output" | jq -c '.[0].Args')" = '["-c","exit 3"]' ]
  [ "$(echo "$output" | jq -r '.[0].Config.Env | index("FOO=bar") != null')" = "true" ]
  [ "$(echo "$output" | jq -r '.[0].Mounts[0].Destination')" = "/data" ]
  [ "$(echo "$output" | jq -r '.[0].Mounts[0].RW')" = "false" ]
  [ "$(echo "$output" | jq -r '.[0].HostConfig.Binds[0]')" = "$TEST_DIR:/data:ro" ]
  [ "$(echo "$output" | jq -r '.[0].HostConfig.Tmpfs | has("/scratch")')" = "true" ]
  [ "$(echo "$output" | jq -r '.[0].HostConfig.ExtraHosts[0]')" = "db:10.1.2.3" ]
  upper=$(echo "$output" | jq -r '.[0].GraphDriver.Data.UpperDir // .[0].GraphDriver.Data.Dir')
  [ -d "$upper" ]
}

@test "inspect --format reads State.Pid of a running container and renders json" {
  load_busybox
  tug_ok run -d --name live busybox sleep 30
  id=$output
  run_tug inspect --format '{{.State.Pid}}' live
  assert_status 0
  [ "$output" = "$(jq -r .pid "$XDG_DATA_HOME/tug/containers/$id/state.json")" ]
  [ -d "/proc/$output" ]
  run_tug container inspect --format '{{json .Config.Cmd}}' live
  assert_output_equals '["sleep","30"]'
  run_tug inspect --format '{{.State.Running}} {{.Id}}' live
  assert_output_equals "true $id"
  tug_ok rm -f live
}

@test "inspect finds images after containers, honours --type, and fails on a missing name" {
  load_busybox
  tug_ok create --name c busybox true
  run_tug inspect --format '{{.Name}}' c
  assert_output_equals "/c"
  busybox_id=$("$TUG" image inspect --format '{{.Id}}' busybox)
  [[ "$busybox_id" =~ ^[0-9a-f]{64}$ ]]
  run_tug inspect --format '{{.Id}}' busybox
  assert_output_equals "$busybox_id"
  run_tug inspect --type container busybox
  assert_error 1 "no such container: busybox"
  run_tug inspect --format '{{.Name}}' c nosuch
  assert_status 1
  assert_output_contains "/c"
  assert_output_contains "Error: no such object: nosuch"
}

@test "inspect: --entrypoint apart from Cmd, .Image is the image's Id, -s sizes, missing keys fail" {
  load_busybox
  tug_ok create --name ep --entrypoint /bin/echo busybox hi
  run_tug inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' ep
  assert_output_equals '["/bin/echo"] ["hi"]'
  run_tug start -a ep
  assert_output_equals "hi"
  # commit keeps the entrypoint the run gave
  tug_ok commit ep epimg:1
  run_tug image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' epimg:1
  assert_output_equals '["/bin/echo"] ["hi"]'
  run_tug inspect --format '{{.Image}}' ep
  assert_output_equals "$("$TUG" image inspect --format '{{.Id}}' busybox)"
  # an image that sets no working directory shows an empty one
  run_tug image inspect --format '[{{.Config.WorkingDir}}]' busybox
  assert_output_equals "[]"
  run_tug inspect --format '{{.NoSuchKey}}' ep
  assert_error 125 "NoSuchKey"
  run_tug image inspect --format '{{.NoSuchKey}}' busybox
  assert_error 125 "NoSuchKey"
  # maps stay lenient: a label that is not there is no error
  run_tug inspect --format '{{.Config.Labels.nosuch}}' ep
  assert_status 0
  tug_ok run --name sized busybox sh -c 'head -c 100000 /dev/zero > /blob'
  run_tug inspect -s --format '{{.SizeRw}} {{.SizeRootFs}}' sized
  assert_status 0
  read -r rw rootfs <<<"$output"
  [ "$rw" -ge 100000 ]
  [ "$rootfs" -gt "$rw" ]
  # without -s there are no sizes (docker's)
  run_tug inspect --format '{{.SizeRw}}' sized
  assert_status 125
}

@test "rename: the new name works, the old one is free, a taken name is refused" {
  load_busybox
  tug_ok create --name old busybox true
  tug_ok create --name other busybox true
  tug_ok rename old new
  run_tug ps -a --format '{{.Names}}'
  assert_output_contains "new"
  assert_output_not_contains "old"
  run_tug inspect --format '{{.Name}}' new
  assert_output_equals "/new"
  run_tug rename new other
  assert_error 125 'already in use'
  tug_ok create --name old busybox true
  tug_ok container rename other third
  run_tug ps -a --format '{{.Names}}'
  assert_output_contains "third"
}
