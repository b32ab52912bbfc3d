#!/usr/bin/env bats
# Shapes a podman user's scripts read: local short names under localhost/,
# images/history --format json, version's Client/Server, inspect's ImageName
# and ImageDigest, pod inspect's InfraConfig, the default network "podman",
# and what start/stop --all/--filter and rm -f -a print.

load helpers

busybox_full_id() {
  "$TUG" image inspect --format '{{.Id}}' busybox | sed 's/^sha256://'
}

@test "tag, build, commit and import put a short name under localhost/, and the short name finds it" {
  load_busybox
  tug_ok tag busybox app
  tug_ok tag busybox team/app:v2
  tug_ok tag busybox docker.io/hub
  tug_ok images --format '{{.Repository}}:{{.Tag}}'
  assert_line "localhost/app:latest"
  assert_line "localhost/team/app:v2"
  assert_line "docker.io/library/hub:latest"
  run_tug images --format '{{.Repository}}' --filter reference=app
  assert_output_equals "localhost/app"
  tug_ok images app --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "localhost/app:latest"

  # run, tag and rmi find them by the short name.
  tug_ok run --name c1 app echo from-app
  assert_output_equals "from-app"
  tug_ok ps -a --format '{{.Image}}'
  assert_output_equals "localhost/app:latest"
  tug_ok inspect --format '{{.ImageName}}|{{.Config.Image}}' c1
  assert_output_equals "localhost/app:latest|localhost/app:latest"
  tug_ok tag app again
  tug_ok image inspect --format '{{.Id}}' localhost/again:latest
  tug_ok rmi app
  assert_output_equals "Untagged: localhost/app:latest"
  run_tug image inspect localhost/app
  assert_failure 1

  # build -t and commit name their results the same way.
  mkdir ctx
  printf 'FROM busybox\nRUN echo built >/b\n' >ctx/Containerfile
  tug_ok build -q -t built ctx
  tug_ok images --format '{{.Repository}}:{{.Tag}}' built
  assert_output_equals "localhost/built:latest"
  tug_ok run --rm built cat /b
  assert_output_equals "built"
  tug_ok commit c1 committed:1
  tug_ok images --format '{{.Repository}}:{{.Tag}}' committed:1
  assert_output_equals "localhost/committed:1"
  tug_ok export -o rootfs.tar c1
  tug_ok import rootfs.tar imported
  tug_ok images --format '{{.Repository}}:{{.Tag}}' imported
  assert_output_equals "localhost/imported:latest"
  tug_ok run --rm imported echo imported-runs
  assert_output_equals "imported-runs"
}

@test "a short name is a local image's before docker.io's" {
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nRUN echo local >/which\n' >ctx/Containerfile
  tug_ok build -q -t dup ctx
  printf 'FROM busybox\nRUN echo hub >/which\n' >ctx/Containerfile
  tug_ok build -q -t docker.io/library/dup ctx
  tug_ok run --rm dup cat /which
  assert_output_equals "local"
  tug_ok run --rm docker.io/library/dup cat /which
  assert_output_equals "hub"
  tug_ok rmi dup
  assert_output_contains "Untagged: localhost/dup:latest"
  tug_ok run --rm dup cat /which
  assert_output_equals "hub"
  # busybox, loaded from a docker archive, stays docker.io's.
  tug_ok images --format '{{.Repository}}' busybox
  assert_output_equals "docker.io/library/busybox"
}

@test "images --format json is podman's array of image objects" {
  load_busybox
  tug_ok tag busybox app:1
  tug_ok create --name c busybox true
  tug_ok images --format json
  id=$(busybox_full_id)
  [ "$(echo "$output" | jq length)" = 1 ]
  [ "$(echo "$output" | jq -r '.[0] | keys_unsorted | join(",")')" = \
    "Id,ParentId,RepoTags,RepoDigests,Size,SharedSize,VirtualSize,Labels,Containers,Names,Digest,History,Created,CreatedAt" ]
  [ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
  [ "$(echo "$output" | jq -r '.[0].Names | join(" ")')" = "docker.io/library/busybox:latest localhost/app:1" ]
  [ "$(echo "$output" | jq -r '.[0].History | join(" ")')" = "localhost/app:1 docker.io/library/busybox:latest" ]
  [ "$(echo "$output" | jq -r '.[0].Containers')" = 1 ]
  [ "$(echo "$output" | jq -r '.[0].Created | type')" = number ]
  [ "$(echo "$output" | jq -r '.[0].Size | type')" = number ]
  digest=$(echo "$output" | jq -r '.[0].Digest')
  [[ "$digest" == sha256:* ]]
  [ "$(echo "$output" | jq -r '.[0].RepoDigests[0]')" = "docker.io/library/busybox@$digest" ]
  [[ "$(echo "$output" | jq -r '.[0].CreatedAt')" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
  # A filter narrows the list; nothing matching is an empty array.
  tug_ok images --format json --filter reference=nosuch
  assert_output_equals "[]"
}

@test "history --format json has podman's keys and the whole CreatedBy" {
  load_busybox
  long='echo this is a rather long command line that the table would truncate'
  mkdir ctx
  printf 'FROM busybox\nRUN %s\n' "$long" >ctx/Containerfile
  tug_ok build -q -t hist ctx
  id=$("$TUG" image inspect --format '{{.Id}}' hist | sed 's/^sha256://')
  tug_ok history --format json hist
  [ "$(echo "$output" | wc -l)" = 1 ]
  [ "$(echo "$output" | jq -r '.[0].id')" = "$id" ]
  [ "$(echo "$output" | jq -r '.[1].id')" = "<missing>" ]
  [ "$(echo "$output" | jq -r '.[0] | keys_unsorted | join(",")')" = "id,created,CreatedBy,size,Created" ]
  echo "$output" | jq -r '.[0].CreatedBy' | grep -qF "$long"
  [ "$(echo "$output" | jq -r '.[0].size | type')" = number ]
  [ "$(echo "$output" | jq -r '.[-1].CreatedBy')" = '/bin/sh -c #(nop) ADD busybox-static rootfs in /' ]
  run_tug history nosuch --format json
  assert_error 1 "image not known"
}

@test "version has docker's Client and Server" {
  tug_ok version --format '{{.Client.Version}}'
  v=$output
  [ -n "$v" ]
  tug_ok version --format '{{.Server.Version}} {{.Client.Os}} {{.Server.Os}}'
  assert_output_equals "$v linux linux"
  tug_ok version --format json
  [ "$(echo "$output" | jq -r '.Client.Version')" = "$v" ]
  [ "$(echo "$output" | jq -r '.Server.Components[0].Name')" = Engine ]
  tug_ok version
  assert_line "Client:"
  assert_line "Server:"
  assert_line " Engine:"
  assert_line " Version:           $v"
  assert_line "  Version:          $v"
  # A field the version has not is an error, as docker's struct makes it.
  run_tug version --format '{{.Nope.Version}}'
  assert_failure 125
  assert_output_contains "can't evaluate field Nope"
}

@test "inspect shows ImageName with its tag and ImageDigest" {
  load_busybox
  digest=$("$TUG" image inspect --format '{{.Digest}}' busybox)
  tug_ok create --name c busybox true
  tug_ok inspect --format '{{.ImageName}} {{.ImageDigest}}' c
  assert_output_equals "docker.io/library/busybox:latest $digest"
  id=$(busybox_full_id)
  tug_ok create --name byid "${id:0:12}" true
  tug_ok inspect --format '{{.ImageName}}' byid
  assert_output_equals "docker.io/library/busybox:latest"
  tug_ok ps -a --format json
  [ "$(echo "$output" | jq -r '.[0].Image')" = "docker.io/library/busybox:latest" ]
  [ "$(echo "$output" | jq -r '.[0].ImageID')" = "$id" ]
  tug_ok ps -a --format '{{.ImageID}}' --filter name=byid
  assert_output_equals "${id:0:12}"
}

@test "pod inspect has InfraConfig and podman's top-level keys" {
  load_busybox
  port=$(free_port)
  tug_ok pod create --name p -p "$port:80" --dns 10.1.2.3 --add-host h1:10.9.9.9
  tug_ok pod inspect p
  # One pod: one object, as podman 4.3 prints it.
  [ "$(echo "$output" | jq -r type)" = object ]
  for k in Id Name Created CreateCommand ExitPolicy State Hostname CreateCgroup CreateInfra \
    InfraContainerID InfraConfig SharedNamespaces NumContainers Containers; do
    echo "$output" | jq -e "has(\"$k\")" >/dev/null || { echo "missing $k"; return 1; }
  done
  [ "$(echo "$output" | jq -r '.CreateInfra')" = true ]
  [ "$(echo "$output" | jq -r '.InfraConfig.PortBindings["80/tcp"][0].HostPort')" = "$port" ]
  [ "$(echo "$output" | jq -r '.InfraConfig.DNSServer[0]')" = 10.1.2.3 ]
  [ "$(echo "$output" | jq -r '.InfraConfig.HostAdd[0]')" = h1:10.9.9.9 ]
  [ "$(echo "$output" | jq -r '.InfraConfig.HostNetwork')" = false ]
  [ "$(echo "$output" | jq -r '.SharedNamespaces | join(",")')" = ipc,net,uts ]
  tug_ok pod inspect --format '{{.InfraConfig.HostNetwork}} {{len .InfraConfig.PortBindings}}' p
  assert_output_equals "false 1"
  tug_ok pod create --name q
  tug_ok pod inspect p q
  [ "$(echo "$output" | jq -r 'type + " " + (length | tostring)')" = "array 2" ]
}

@test "network ls lists the default network podman; --network podman is the default mode" {
  load_busybox
  tug_ok network create zeta
  tug_ok network create alpha
  tug_ok network ls
  assert_line --index 0 "NETWORK ID     NAME      DRIVER    SCOPE"
  tug_ok network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
  assert_output_equals $'alpha bridge local\npodman bridge local\nzeta bridge local'
  tug_ok network ls -q --filter name=podman
  assert_output_equals podman
  tug_ok network ls --format '{{.ID}}' --filter name=podman
  assert_output_equals 2f259bab93aa
  tug_ok network exists podman
  tug_ok network inspect podman
  [ "$(echo "$output" | jq -r '.[0].Name')" = podman ]
  [ "$(echo "$output" | jq -r '.[0].IPAM.Config[0].Subnet')" = 10.0.2.0/24 ]
  tug_ok run --rm --network podman busybox sh -c 'ip -4 addr show | grep -c "inet 10.0.2.100"'
  assert_output_equals 1
  tug_ok create --name c --network podman busybox true
  tug_ok inspect --format '{{.HostConfig.NetworkMode}}' c
  assert_output_equals slirp4netns
  run_tug network rm podman
  assert_error 125 "default network podman cannot be removed"
  run_tug network create podman
  assert_error 125 "network name podman already used"
  tug_ok network create --ignore podman
  assert_output_equals podman
  tug_ok network prune -f
  tug_ok network ls -q
  assert_output_equals podman
}

@test "start --all and stop --all print full ids; start --filter works alone with exited= and status=" {
  load_busybox
  tug_ok create --name a busybox sleep 100
  tug_ok create --name b busybox sleep 100
  run_tug run --name e busybox sh -c 'exit 3'
  assert_status 3
  ids=$("$TUG" inspect --format '{{.Id}}' a b e | sort)
  tug_ok start --all
  assert_output_equals "$ids"
  tug_ok stop -t 0 --all
  assert_output_equals "$ids"
  tug_ok ps -q
  assert_output_equals ""
  tug_ok start --filter exited=3
  assert_output_equals "$("$TUG" inspect --format '{{.Id}}' e)"
  tug_ok stop -t 0 --filter name=a --filter name=b
  assert_output_equals "$("$TUG" inspect --format '{{.Id}}' a b | sort)"
  tug_ok start --filter status=exited --filter name=a
  assert_output_equals "$("$TUG" inspect --format '{{.Id}}' a)"
  tug_ok ps --format '{{.Names}}'
  assert_output_equals a
  tug_ok start --filter name=nosuch
  assert_output_equals ""
  run_tug start --filter bogus=1
  assert_error 125 'invalid filter "bogus=1"'
  run_tug start --all a
  assert_error 125 "conflict"
  tug_ok stop -t 0 --all
}

@test "rm -f -a removes pods' infra containers with their pods" {
  load_busybox
  tug_ok pod create --name p1
  infra=$("$TUG" pod inspect --format '{{.InfraContainerID}}' p1)
  tug_ok run -d --pod p1 --name m1 busybox sleep 100
  tug_ok pod create --name p2
  tug_ok create --name solo busybox true
  tug_ok rm -f -a
  assert_output_contains "$infra"
  tug_ok ps -a -q
  assert_output_equals ""
  tug_ok pod ps -q
  assert_output_equals ""
  # Without -f an infra container still refuses to go alone.
  tug_ok pod create --name p3
  run_tug rm -a
  assert_failure 1
  assert_output_contains "infra container of a pod"
  tug_ok pod inspect --format '{{.Name}}' p3
  assert_output_equals p3
}

@test "--format naming a field no object has fails in every listing, info, version and events" {
  load_busybox
  tug_ok create --name c1 busybox true
  tug_ok volume create v1
  tug_ok pod create --name p1
  for cmd in "ps -a" images "volume ls" "network ls" "pod ps" "history busybox" info version \
             "system df" "events --stream=false"; do
    run_tug $cmd --format '{{.NoSuchField}}'
    [ "$status" -ne 0 ] || { echo "$cmd: exit 0: $output"; false; }
    assert_output_contains "can't evaluate field NoSuchField"
  done
  # A field every row has, in any case, still works; one some rows lack is empty.
  tug_ok ps -a --format '{{.Names}} {{.names}}'
  assert_output_contains "c1 c1"
  tug_ok events --stream=false --format '{{.Type}} {{.Image}}|'
  assert_output_contains "volume |"
  assert_output_contains "container docker.io/library/busybox:latest|"
}
