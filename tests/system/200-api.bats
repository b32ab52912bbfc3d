#!/usr/bin/env bats
# tug system service: the Docker Engine API, driven by curl and by Debian's
# own docker CLI (docker.io), against containers and images tug made.
load helpers

load api-helpers

@test "api: default socket is the user's alone; ping, version and docker's headers" {
  require_docker
  # tug info tells where the service listens, for DOCKER_HOST.
  tug_ok info --format '{{.api.dockerHost}}'
  assert_output_equals "unix://$SOCK"
  start_service --time 0
  [ "$(stat -c %a "$SOCK")" = 600 ]
  [ "$(stat -c %a "$(dirname "$SOCK")")" = 700 ]
  run curl -s -i --unix-socket "$SOCK" http://d/_ping
  assert_output_contains "HTTP/1.1 200"
  assert_output_contains "Api-Version: 1.41"
  assert_output_contains "Ostype: linux"
  assert_output_contains "Docker-Experimental: false"
  [ "$(api /_ping)" = OK ]
  run curl -s -I --unix-socket "$SOCK" http://d/_ping
  assert_output_contains "HTTP/1.1 200"
  api /v1.41/version >/dev/null
  status_was 200
  [ "$(jq -r .ApiVersion "$TEST_DIR/body")" = 1.41 ]
  [ "$(jq -r .MinAPIVersion "$TEST_DIR/body")" = 1.24 ]
  [ "$(jq -r .Version "$TEST_DIR/body")" = "$("$TUG" version --format '{{.Server.Version}}')" ]
  api /v1.24/version >/dev/null
  status_was 200
  # docker's own client negotiates through the ping and prints the server.
  docker_ok version --format '{{.Server.APIVersion}} {{.Server.Os}}'
  assert_output_equals "1.41 linux"
  # A second service on the same socket is refused; the first still serves.
  run "$TUG" system service --time 1 "unix://$SOCK"
  assert_failure
  assert_output_contains "another service is listening"
  [ "$(api /_ping)" = OK ]
}

@test "api: errors are docker's: versions out of range, unknown paths, 501, malformed HTTP" {
  start_service --time 0
  fds_before=$(ls /proc/"$SVC_PID"/fd | wc -l)
  api /v1.99/version >/dev/null
  status_was 400
  [ "$(jq -r .message "$TEST_DIR/body")" = \
    "client version 1.99 is too new. Maximum supported API version is 1.41" ]
  api /v1.23/containers/json >/dev/null
  status_was 400
  jq -r .message "$TEST_DIR/body" | grep -q "too old"
  api /nope >/dev/null
  status_was 404
  [ "$(jq -r .message "$TEST_DIR/body")" = "page not found" ]
  api /v1.41/containers/json -X PUT >/dev/null
  status_was 404
  api /containers/prune -X POST >/dev/null
  status_was 501
  jq -r .message "$TEST_DIR/body" | grep -q "POST /containers/prune"
  api '/containers/json?filters=bad' >/dev/null
  status_was 400
  api '/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D' >/dev/null
  status_was 400
  api '/containers/json?limit=x' >/dev/null
  status_was 400
  # Headers over the limit: 431, not a crash.
  big=$(head -c 100000 /dev/zero | tr '\0' a)
  api /_ping -H "X-Big: $big" >/dev/null
  status_was 431
  # Garbage instead of HTTP: a 400, then the connection is closed.
  run python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
s.settimeout(60)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
print(data.split(b"\r\n")[0].decode())' "$SOCK"
  assert_success
  assert_output_contains "400"
  # A client that hangs up half way through its headers.
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nX-Half: ")
s.close()' "$SOCK"
  # The service survived all of it, and closed every connection: its fds
  # are back to what they were (polled: a close is asynchronous).
  kill -0 "$SVC_PID"
  [ "$(api /_ping)" = OK ]
  for i in $(seq 100); do
    fds=$(ls /proc/"$SVC_PID"/fd | wc -l)
    [ "$fds" -eq "$fds_before" ] && break
    sleep 0.1
  done
  [ "$fds" -eq "$fds_before" ] || { echo "# fds: $fds_before before, $fds after" >&3; false; }
  # No child processes either.
  [ -z "$(pgrep -P "$SVC_PID" || true)" ]
}

@test "api: containers tug made are docker's: ps -a, inspect, filters" {
  require_docker
  load_busybox
  tug_ok create --name web --label tier=front busybox sleep 1000
  web_id=$("$TUG" inspect --format '{{.Id}}' web)
  tug_ok run --name finished busybox true
  start_service --time 0

  docker_ok ps -a --no-trunc --format '{{.Names}} {{.Image}} {{.ID}} {{.Status}}'
  assert_line "web busybox $web_id Created"
  assert_output_contains "finished busybox "
  assert_output_contains "Exited (0)"
  # Without -a, neither (nothing runs).
  docker_ok ps -q
  assert_output_equals ""
  docker_ok ps -a -q --filter name=web
  assert_output_equals "${web_id:0:12}"
  docker_ok ps -a --format '{{.Names}}' --filter status=exited
  assert_output_equals finished
  docker_ok ps -a --format '{{.Names}}' --filter label=tier=front
  assert_output_equals web

  api '/containers/json?all=1&filters=%7B%22id%22%3A%5B%22'"${web_id:0:8}"'%22%5D%7D' >/dev/null
  status_was 200
  [ "$(jq length "$TEST_DIR/body")" = 1 ]
  [ "$(jq -r '.[0].Names[0]' "$TEST_DIR/body")" = /web ]
  [ "$(jq -r '.[0].State' "$TEST_DIR/body")" = created ]
  [ "$(jq -r '.[0].Command' "$TEST_DIR/body")" = "sleep 1000" ]
  [ "$(jq -r '.[0].ImageID' "$TEST_DIR/body")" = "sha256:$(busybox_id)" ]
  [ "$(jq -r '.[0].Labels.tier' "$TEST_DIR/body")" = front ]
  api '/containers/json?all=1&limit=1' >/dev/null
  [ "$(jq -r '.[0].Names[0]' "$TEST_DIR/body")" = /finished ]
  [ "$(jq length "$TEST_DIR/body")" = 1 ]

  # inspect goes through GET /containers/{id}/json, the same object as tug's.
  docker_ok inspect --format '{{.Name}} {{.Id}} {{.State.Status}} {{.Config.Labels.tier}}' web
  assert_output_equals "/web $web_id created front"
  docker_ok inspect --format '{{.State.ExitCode}}' finished
  assert_output_equals 0
  api "/v1.41/containers/${web_id:0:12}/json" >/dev/null
  status_was 200
  [ "$(jq -r .Name "$TEST_DIR/body")" = /web ]
  api /containers/nosuchthing/json >/dev/null
  status_was 404
  [ "$(jq -r .message "$TEST_DIR/body")" = "No such container: nosuchthing" ]
  run_docker inspect nosuchthing
  assert_failure
  assert_output_contains "No such object: nosuchthing"

  # The API reads the store live: a container made now is listed at once.
  tug_ok create --name later busybox true
  docker_ok ps -a --format '{{.Names}}' --filter name=later
  assert_output_equals later
}

@test "api: docker start, stop, kill, wait and rm run tug's operations" {
  require_docker
  load_busybox
  tug_ok create --name svc busybox sleep 1000
  tug_ok create --name quick busybox sh -c 'exit 3'
  start_service --time 0
  docker_ok start svc
  # Started by the API, seen by the CLI: its own monitor runs it.
  [ "$("$TUG" inspect --format '{{.State.Status}}' svc)" = running ]
  docker_ok ps --format '{{.Names}} {{.Status}}'
  assert_output_contains "svc Up"
  # Docker's statuses: starting a running one is 304 (the CLI says nothing).
  api /containers/svc/start -X POST >/dev/null
  status_was 304
  api /containers/svc -X DELETE >/dev/null
  status_was 409
  # A stop in progress does not hold up other clients.
  docker_ok stop -t 30 svc
  [ "$("$TUG" inspect --format '{{.State.Status}}' svc)" = exited ]
  api /containers/svc/stop -X POST >/dev/null
  status_was 304
  api /containers/svc/kill -X POST >/dev/null
  status_was 409
  # wait reports the exit code of the command.
  docker_ok start quick
  docker_ok wait quick
  assert_output_equals 3
  [ "$("$TUG" inspect --format '{{.State.ExitCode}}' quick)" = 3 ]
  docker_ok start svc
  docker_ok kill --signal KILL svc
  docker_ok wait svc
  assert_output_equals 137
  api '/containers/svc/kill?signal=NOSUCH' -X POST >/dev/null
  status_was 400
  docker_ok rm svc quick
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals ""
  api /containers/svc/start -X POST >/dev/null
  status_was 404
  run_docker rm nosuchone
  assert_failure
  assert_output_contains "No such container: nosuchone"
}

@test "api: images, volumes and networks" {
  require_docker
  load_busybox
  id=$(busybox_id)
  tug_ok volume create data1
  tug_ok network create net1
  start_service --time 0
  docker_ok images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_output_equals "busybox:latest sha256:$id"
  docker_ok inspect --format '{{.Id}} {{index .RepoTags 0}}' busybox
  assert_output_equals "sha256:$id busybox:latest"
  api /images/docker.io/library/busybox:latest/json >/dev/null
  status_was 200
  [ "$(jq -r .Id "$TEST_DIR/body")" = "sha256:$id" ]
  api /images/nosuchimage/json >/dev/null
  status_was 404
  api '/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D' >/dev/null
  [ "$(jq length "$TEST_DIR/body")" = 0 ]
  docker_ok volume ls --format '{{.Name}} {{.Driver}}'
  assert_output_equals "data1 local"
  api /volumes/data1 >/dev/null
  status_was 200
  [ "$(jq -r .Mountpoint "$TEST_DIR/body")" = "$("$TUG" volume inspect --format '{{.Mountpoint}}' data1)" ]
  api /volumes/nosuchvol >/dev/null
  status_was 404
  docker_ok network ls --format '{{.Name}}'
  assert_output_contains net1
  api /networks/net1 >/dev/null
  status_was 200
  [ "$(jq -r .Name "$TEST_DIR/body")" = net1 ]
  docker_ok info --format '{{.Images}} {{.OSType}} {{.ServerVersion}}'
  assert_output_equals "1 linux $("$TUG" version --format '{{.Server.Version}}')"
}

@test "api: --time exits when idle, an open connection keeps it; the socket goes with it" {
  start_service --time 3
  # A client holding a connection open is activity: still there after 6 s.
  python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
time.sleep(6)
s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
s.settimeout(60)
print(s.recv(4096).split(b"\r\n")[0].decode())' "$SOCK" >"$TEST_DIR/held"
  grep -q "200 OK" "$TEST_DIR/held"
  # Then, idle, it exits by itself and removes its socket.
  wait_gone "$SVC_PID"
  wait "$SVC_PID" || { echo "# service exited $?" >&3; false; }
  SVC_PID=""
  [ ! -e "$SOCK" ]
}

@test "api: tcp:// serves with a warning; socket activation serves fd 3" {
  port=$(free_port)
  "$TUG" system service --time 3 "tcp://127.0.0.1:$port" 2>"$TEST_DIR/service.err" 3>&- &
  SVC_PID=$!
  for i in $(seq 300); do
    curl -sf "http://127.0.0.1:$port/_ping" >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ "$(curl -s "http://127.0.0.1:$port/v1.41/_ping")" = OK ]
  grep -q "anyone who can reach this port has your rights" "$TEST_DIR/service.err"
  wait_gone "$SVC_PID"
  SVC_PID=""

  # systemd's protocol: LISTEN_PID/LISTEN_FDS and the socket on fd 3.
  command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
  act=$TEST_DIR/act.sock
  systemd-socket-activate -l "$act" "$TUG" system service --time 10 2>"$TEST_DIR/service.err" 3>&- &
  SVC_PID=$!
  SOCK=$act
  # The activator binds and listens after it started: poll, as for a service.
  wait_for_socket "$act"
  [ "$(api /_ping)" = OK ]
  status_was 200
  api /containers/json >/dev/null
  [ "$(cat "$TEST_DIR/body")" = "[]" ]
  # The default socket was not made: fd 3 is what it served.
  [ ! -e "$XDG_RUNTIME_DIR/tug/tug.sock" ]
}
