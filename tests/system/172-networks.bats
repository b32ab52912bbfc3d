#!/usr/bin/env bats
# User-defined networks: tug network create|ls|inspect|rm|prune|connect|
# disconnect, containers reaching each other by name and alias through the
# DNS responder, isolation between networks, internal networks, ports, and
# the rootless network namespace's holder living only while it is used.

load helpers

# A busybox httpd named $1 on the given run flags, serving "page of $1".
serve() {
  local name=$1
  shift
  tug_ok run -d --name "$name" "$@" busybox sh -c \
    "mkdir /w; echo 'page of $name' >/w/i; exec httpd -f -p 80 -h /w"
}

# The holder of this test's rootless network namespace (empty if none).
holder_pid() {
  pgrep -u "$(id -u)" -f -- "tug-netns --socket $XDG_RUNTIME_DIR/" || true
}

@test "network create, ls, inspect, exists, rm: names, subnets and clear errors" {
  tug_ok network create n1
  assert_output_equals "n1"
  run_tug network create n1
  assert_error 125 "network name n1 already used"
  tug_ok network create --ignore n1
  tug_ok network create --subnet 10.99.0.0/24 --gateway 10.99.0.254 --internal --label tier=back n2
  tug_ok network inspect --format \
    '{{.Name}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{.Labels.tier}}' n2
  assert_output_equals "n2 bridge 10.99.0.0/24 10.99.0.254 true back"
  # The default subnet is a free 10.89.N.0/24, its gateway the first address.
  tug_ok network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' n1
  [[ "$output" =~ ^10\.89\.([0-9]+)\.0/24\ 10\.89\.([0-9]+)\.1$ ]]
  tug_ok network ls
  [[ "${lines[0]}" =~ ^NETWORK\ ID\ +NAME\ +DRIVER\ +SCOPE$ ]]
  [[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +n1\ +bridge\ +local$ ]]
  [[ "${lines[2]}" =~ ^[0-9a-f]{12}\ +n2\ +bridge\ +local$ ]]
  # podman's default network is listed too, by name.
  [[ "${lines[3]}" =~ ^2f259bab93aa\ +podman\ +bridge\ +local$ ]]
  tug_ok network ls -q --filter label=tier=back
  assert_output_equals "n2"
  tug_ok network exists n1
  run_tug network exists nope
  assert_status 1

  run_tug network create --subnet 10.99.0.128/25 n3
  assert_error 125 "overlaps network n2"
  run_tug network create --subnet 10.99.1.0/33 n3
  assert_error 125 "the prefix must be between /8 and /30"
  run_tug network create --gateway 10.98.0.1 --subnet 10.97.0.0/24 n3
  assert_error 125 "is not a host address in 10.97.0.0/24"
  run_tug network create -d macvlan n3
  assert_error 125 'network driver "macvlan" is not supported'
  run_tug network create 'bad/name'
  assert_error 125 "invalid network name"
  run_tug network create host
  assert_error 125 "reserved"
  run_tug network inspect nope
  assert_error 1 "unable to find network with name or ID nope"
  run bash -c "'$TUG' network inspect nope 2>/dev/null"
  assert_status 1
  assert_output_equals "[]"
  # podman's shape of the subnets answers podman's templates too.
  tug_ok network inspect --format '{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}} {{.ID}}' n2
  [[ "$output" =~ ^10\.99\.0\.0/24\ 10\.99\.0\.254\ [0-9a-f]{64}$ ]]

  load_busybox
  run_tug run --rm --network nope busybox true
  assert_error 125 "unable to find network with name or ID nope"
  run_tug run --rm --network-alias x busybox true
  assert_error 125 "--network-alias needs a user-defined network"

  tug_ok network rm n2
  assert_output_equals "n2"
  run_tug network rm n2
  assert_error 1 "unable to find network with name or ID n2"
  tug_ok network prune -f
  assert_output_equals $'Deleted Networks:\nn1'
  tug_ok network ls -q
  assert_output_equals "podman"
}

@test "a container half removed by a killed rm does not keep its network from going" {
  load_busybox
  tug_ok network create halfnet
  tug_ok create --name halfgone --network halfnet busybox true
  tug_ok inspect --format '{{.Id}}' halfgone
  id=$output
  # The container holds an address of the network from its create on.
  [ "$(jq -r '.allocations | to_entries[0].value' "$XDG_DATA_HOME/tug/networks/halfnet.json")" = "$id" ]
  run_tug network rm halfnet
  assert_error 1 "network halfnet is used by container ${id:0:12}"
  # What an rm SIGKILLed mid-way leaves: its record and name dropped first,
  # the rest of the directory not yet (tests/fault/run-fault found it with a
  # killed compose down, whose next run then failed on the network).
  rm "$XDG_DATA_HOME/tug/containers/$id/config.json" "$XDG_DATA_HOME/tug/names/halfgone"
  run_tug rm halfgone
  assert_failure
  tug_ok network rm halfnet
  run_tug network inspect halfnet
  assert_failure
  # A create at work (its lock held) still counts as a user.
  tug_ok network create halfnet
  tug_ok create --name busynet --network halfnet busybox true
  tug_ok inspect --format '{{.Id}}' busynet
  id=$output
  rm "$XDG_DATA_HOME/tug/containers/$id/config.json"
  flock "$XDG_DATA_HOME/tug/containers/$id/lock" "$TUG" network rm halfnet >"$TEST_DIR/out" 2>&1 &&
    { cat "$TEST_DIR/out"; false; }
  grep -q "network halfnet is used by container ${id:0:12}" "$TEST_DIR/out"
}

@test "containers on one network reach each other by name and alias; the responder forwards the rest" {
  load_busybox
  tug_ok network create --subnet 10.77.1.0/24 app
  serve db --network app --network-alias database
  tug_ok inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.Gateway}} {{$v.IPPrefixLen}}{{end}}' db
  assert_output_equals "app 10.77.1.2 10.77.1.1 24"
  run_tug run --rm --network app busybox sh -c \
    'for i in $(seq 30); do wget -qO- http://db/i && wget -qO- http://database/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals $'page of db\npage of db'
  # The container's own view: its address on eth0, the gateway as resolver.
  run_tug run --rm --network app --name client --ip 10.77.1.50 busybox sh -c \
    'ip -4 -o addr show eth0; grep nameserver /etc/resolv.conf; grep client /etc/hosts; nslookup db 2>&1'
  assert_success
  assert_output_contains "inet 10.77.1.50/24"
  assert_output_contains "nameserver 10.77.1.1"
  assert_output_contains "10.77.1.50"
  assert_output_contains "Address: 10.77.1.2"
  # A single-label name no container has: NXDOMAIN from the responder
  # itself (never sent upstream).
  run_tug run --rm --network app busybox nslookup nosuchcontainer
  assert_failure
  assert_output_contains "NXDOMAIN"
  # The network lists its member.
  tug_ok network inspect --format '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' app
  assert_output_equals "db 10.77.1.2/24"
  run_tug run --rm --network app --ip 10.77.1.2 busybox true
  assert_error 125 "address 10.77.1.2 is already in use on network app"
  run_tug run --rm --network app --ip 10.66.0.9 busybox true
  assert_error 125 "is not a free host address in app"
  # A used network is not removed.
  run_tug network rm app
  assert_error 1 "network app is used by container"
  tug_ok network rm -f app
  run_tug inspect db
  assert_failure
}

@test "containers on different networks cannot reach each other; one on both reaches both" {
  load_busybox
  tug_ok network create --subnet 10.77.2.0/24 front
  tug_ok network create --subnet 10.77.3.0/24 back
  serve api --network back
  # By name: the front network's responder does not know api.
  run_tug run --rm --network front busybox nslookup api
  assert_failure
  # By address: unreachable at once (not routed out through slirp4netns).
  run_tug run --rm --network front busybox wget -O- http://10.77.3.2/i
  assert_failure
  assert_output_contains "No route to host"
  # A container on both networks reaches api by name.
  run_tug run --rm --network front --network back busybox sh -c \
    'for i in $(seq 30); do wget -qO- http://api/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals "page of api"
  run_tug run --rm --network front --network back busybox sh -c 'ip -o link | grep -c "eth[01]@"'
  assert_output_equals "2"
}

@test "an internal network has no way out, but its containers reach each other" {
  load_busybox
  tug_ok network create --internal --subnet 10.77.4.0/24 secret
  serve vault --network secret
  run_tug run --rm --network secret busybox sh -c \
    'ip route; for i in $(seq 30); do wget -qO- http://vault/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_contains "page of vault"
  assert_output_not_contains "default"
  # The default network's container has a way out, this one's has none.
  run_tug run --rm busybox sh -c 'ip route | grep -c ^default'
  assert_output_equals "1"
}

@test "a container on a user-defined network sees eth0 alone; its way out is its gateway" {
  load_busybox
  tug_ok network create --subnet 10.77.9.0/24 out
  run_tug run --rm --network out busybox sh -c 'cat /proc/net/dev; ip link; ip route'
  assert_success
  assert_output_contains "eth0:"
  assert_output_not_contains "tap0"
  assert_output_contains "default via 10.77.9.1 dev eth0"
  # Out through the rootless network namespace's slirp4netns: a server on
  # the host's address answers (host.containers.internal names it).
  port=$(free_port)
  echo "page of the host" >"$BATS_TEST_TMPDIR/i"
  python3 -m http.server "$port" --bind 0.0.0.0 --directory "$BATS_TEST_TMPDIR" >/dev/null 2>&1 &
  srv=$!
  run_tug run --rm --network out busybox sh -c \
    "grep -q host.containers.internal /etc/hosts || exit 7; for i in \$(seq 50); do wget -qO- http://host.containers.internal:$port/i 2>/dev/null && exit 0; sleep 0.1; done; exit 1"
  kill "$srv"
  if [ "$status" -eq 7 ]; then
    skip "this host has no global IPv4 address to reach"
  fi
  assert_success
  assert_output_equals "page of the host"
}

@test "a port published by a container on a user-defined network reaches it from the host" {
  load_busybox
  port=$(free_port)
  tug_ok network create web
  serve site --network web -p "127.0.0.1:$port:80"
  for i in $(seq 50); do out=$(curl -sf "http://127.0.0.1:$port/i") && break; sleep 0.1; done
  [ "$out" = "page of site" ]
  tug_ok port site
  assert_output_equals "80/tcp -> 127.0.0.1:$port"
}

@test "a pod on a network answers by the pod's name; container:NAME shares a container's place" {
  load_busybox
  tug_ok network create --subnet 10.77.7.0/24 n
  tug_ok pod create --name p --network n
  tug_ok run -d --pod p busybox sh -c 'mkdir /w; echo pod-on-net >/w/i; exec httpd -f -p 80 -h /w'
  run_tug run --rm --network n busybox sh -c \
    'for i in $(seq 30); do wget -qO- http://p/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals "pod-on-net"
  tug_ok run -d --name x --network n --ip 10.77.7.40 busybox sleep 300
  run_tug run --rm --network container:x busybox ip -4 -o addr show eth0
  assert_output_contains "inet 10.77.7.40/24"
}

@test "network connect and disconnect, stopped and running containers" {
  load_busybox
  tug_ok network create --subnet 10.77.5.0/24 c1
  tug_ok network create --subnet 10.77.6.0/24 c2
  serve s1 --network c1
  # A stopped container joins at its next start.
  tug_ok create --name late busybox sh -c \
    'for i in $(seq 30); do wget -qO- http://s1/i && exit 0; sleep 0.1; done; exit 1'
  tug_ok network connect c1 late
  tug_ok inspect --format '{{.HostConfig.NetworkMode}}' late
  assert_output_equals "c1"
  tug_ok start -a late
  assert_output_equals "page of s1"
  run_tug network connect c1 late
  assert_error 125 "already connected to c1"
  # A running container on a user-defined network joins another live.
  tug_ok run -d --name live --network c2 busybox sleep 300
  tug_ok network connect --alias other c1 live
  run_tug exec live sh -c 'for i in $(seq 30); do wget -qO- http://s1/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals "page of s1"
  run_tug exec s1 nslookup other
  assert_output_contains "Address: 10.77.5."
  tug_ok network disconnect c1 live
  run_tug exec live wget -qO- http://s1/i
  assert_failure
  run_tug exec live sh -c 'ip -o link | grep -c eth1@'
  assert_output_equals "0"
  run_tug network disconnect c1 live
  assert_error 125 "is not connected to c1"
  # Leaving the network of its default route hands that to the one left.
  run_tug exec live sh -c 'ip route | grep ^default'
  assert_output_contains "default via 10.77.6.1 dev eth0"
  tug_ok network connect c1 live
  tug_ok network disconnect c2 live
  run_tug exec live sh -c 'ip route | grep ^default'
  assert_output_contains "default via 10.77.5.1 dev eth"
  # A running container on its own network cannot join live.
  tug_ok run -d --name own busybox sleep 300
  run_tug network connect c1 own
  assert_error 125 "only when stopped"
}

@test "the rootless network namespace's holder lives only while a container uses it" {
  load_busybox
  tug_ok network create n
  [ -z "$(holder_pid)" ]
  tug_ok run -d --name a --network n busybox sleep 300
  holder=$(holder_pid)
  [ -n "$holder" ]
  tug_ok run -d --name b --network n busybox sleep 300
  [ "$(holder_pid)" = "$holder" ]  # one holder for every container
  tug_ok rm -f a
  [ "$(holder_pid)" = "$holder" ]  # b still uses it
  # SIGKILL of b's monitor: its container, helpers and the holder all go.
  monitor=$("$TUG" inspect --format '{{.State.ConmonPid}}' b)
  kill -9 "$monitor"
  for i in $(seq 50); do [ -z "$(holder_pid)" ] && break; sleep 0.1; done
  [ -z "$(holder_pid)" ]
  # And it comes back for the next one.
  tug_ok run --rm --network n busybox true
}
