#!/usr/bin/env bats
# tug system service runs containers for docker's clients: create, logs,
# attach (the hijacked connection), exec, and what a client that goes away
# leaves behind. Driven by curl and by Debian's docker CLI (20.10,
# /usr/bin/docker; the newer client in /usr/local/bin is not the one
# tested).
load helpers
bats_require_minimum_version 1.5.0
load api-helpers

DOCKER=/usr/bin/docker

create() {  # create NAME JSON: POST /containers/create, the id on stdout
  api "/v1.41/containers/create?name=$1" -X POST -H 'Content-Type: application/json' -d "$2"
}

# The service's open fds and children, to compare before and after.
service_fds() { ls /proc/"$SVC_PID"/fd | wc -l; }
service_children() { pgrep -P "$SVC_PID" | wc -l; }
service_threads() { ls /proc/"$SVC_PID"/task | wc -l; }

# settles NAME WANT: polls (10 s) until $(NAME) prints WANT.
settles() {
  local i got
  for i in $(seq 100); do
    got=$("$1")
    [ "$got" = "$2" ] && return 0
    sleep 0.1
  done
  echo "# $1: $got, wanted $2" >&3
  return 1
}

@test "api create: docker's config becomes tug's container; docker's errors" {
  load_busybox
  mkdir -p "$TEST_DIR/src" && echo bound >"$TEST_DIR/src/f"
  start_service --time 0
  create c1 '{"Image": "busybox", "Cmd": ["sh", "-c", "cat /src/f; echo $FOO; pwd"],
    "Env": ["FOO=bar"], "WorkingDir": "/tmp", "Labels": {"tier": "front"},
    "Hostname": "h1", "StopSignal": "SIGINT", "StopTimeout": 7,
    "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000},
    "HostConfig": {"Binds": ["'"$TEST_DIR"'/src:/src:ro"], "Tmpfs": {"/scratch": "size=1m"},
      "Mounts": [{"Type": "volume", "Source": "apivol", "Target": "/vol"}],
      "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]},
      "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2},
      "CapAdd": ["NET_ADMIN"], "ExtraHosts": ["db:10.1.2.3"], "Init": true}}' >/dev/null
  status_was 201
  id=$(jq -r .Id "$TEST_DIR/body")
  [ "$(jq -c .Warnings "$TEST_DIR/body")" = "[]" ]
  # The CLI sees what the API made, with what was asked.
  tug_ok ps -a --no-trunc --format '{{.ID}} {{.Names}}'
  assert_output_equals "$id c1"
  tug_ok inspect --format '{{.Config.Hostname}} {{.Config.WorkingDir}} {{.Config.Labels.tier}} {{.Config.StopSignal}} {{.HostConfig.RestartPolicy.Name}}' c1
  assert_output_equals "h1 /tmp front SIGINT on-failure"
  tug_ok volume ls --format '{{.Name}}'
  assert_output_equals apivol
  tug_ok start -a c1
  assert_output_equals "bound
bar
/tmp"
  # Entrypoint as docker's array, and an empty one clearing the image's.
  create c2 '{"Image": "busybox", "Entrypoint": ["sh", "-c"], "Cmd": ["echo $0-ok"]}' >/dev/null
  status_was 201
  tug_ok start -a c2
  assert_output_equals "sh-ok"
  # docker's errors, in docker's words.
  create c1 '{"Image": "busybox"}' >/dev/null
  status_was 409
  jq -r .message "$TEST_DIR/body" | grep -q "Conflict. The container name \"/c1\" is already in use by container \"$id\""
  create c3 '{"Image": "nosuchimage"}' >/dev/null
  status_was 404
  [ "$(jq -r .message "$TEST_DIR/body")" = "No such image: nosuchimage:latest" ]
  create c3 '{"Image": "busybox",' >/dev/null
  status_was 400
  create c3 '{"Cmd": ["true"]}' >/dev/null
  status_was 400
  create c3 '{"Image": "busybox", "Cmd": "true", "Env": 5}' >/dev/null
  status_was 400
  create c3 '{"Image": "busybox", "HostConfig": {"Mounts": [{"Type": "npipe", "Target": "/x"}]}}' >/dev/null
  status_was 501
  create c3 '{"Image": "busybox", "HostConfig": {"Sysctls": {"net.ipv4.ip_forward": "1"}}}' >/dev/null
  status_was 501
  create c3 '{"Image": "busybox", "HostConfig": {"Binds": ["/nonexistent/dir:/x"]}}' >/dev/null
  status_was 404
  create 'bad%20name' '{"Image": "busybox"}' >/dev/null
  status_was 400
  # None of the failures left a container behind.
  tug_ok ps -a --format '{{.Names}}'
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "c1 c2 " ]
}

@test "api logs: docker's framing, streams, tail, timestamps, a terminal's raw bytes" {
  load_busybox
  tug_ok run --name lg busybox sh -c 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three'
  tug_ok run -t --name tty busybox echo raw
  start_service --time 0
  api '/containers/lg/logs?stdout=1&stderr=1' >/dev/null
  status_was 200
  # 8-byte headers: stream, three zeros, big-endian length; stdout 1, stderr 2.
  [ "$(od -An -tx1 -N8 "$TEST_DIR/body" | tr -d ' \n')" = 0100000000000004 ]
  run python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
out = []
while b:
    n = int.from_bytes(b[4:8], "big")
    out.append("%d:%s" % (b[0], b[8:8+n].decode().strip()))
    b = b[8+n:]
print(" ".join(out))' "$TEST_DIR/body"
  assert_output_equals "1:one 2:two 1:three"
  api '/containers/lg/logs?stdout=1&tail=1' >/dev/null
  [ "$(tail -c +9 "$TEST_DIR/body")" = three ]
  api '/containers/lg/logs?stderr=1&timestamps=1' >/dev/null
  tail -c +9 "$TEST_DIR/body" | grep -Eq '^20[0-9-]+T[0-9:.]+Z? two$'
  # A terminal's output has no frames.
  api '/containers/tty/logs?stdout=1' >/dev/null
  [ "$(tr -d '\r' <"$TEST_DIR/body")" = raw ]
  api '/containers/lg/logs' >/dev/null
  status_was 400
  api '/containers/nosuchctr/logs?stdout=1' >/dev/null
  status_was 404
  api '/containers/lg/logs?stdout=1&tail=x' >/dev/null
  status_was 400
}

@test "api docker run: output, exit codes, stdin, --rm, -d and logs, create and start -a" {
  require_docker
  load_busybox
  start_service --time 0
  docker_ok run --rm busybox echo hi
  assert_output_equals hi
  run_docker run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
  assert_status 3
  assert_line out
  assert_line err
  # The --rm containers are gone, removed by their monitors.
  for i in $(seq 50); do [ -z "$("$TUG" ps -aq)" ] && break; sleep 0.1; done
  [ -z "$("$TUG" ps -aq)" ]
  run bash -c "echo data | DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TEST_DIR/docker $DOCKER run -i --rm busybox cat"
  assert_success
  assert_output_equals data
  # docker's flags, through docker's JSON, into tug's options.
  docker_ok run --rm -e A=1 -w /tmp -u 1000 --entrypoint sh --network none -v vol1:/data \
    busybox -c 'echo $A $(pwd) $(id -u) $(ls /sys/class/net)'
  assert_output_equals "1 /tmp 1000 lo"
  tug_ok volume ls --format '{{.Name}}'
  assert_output_equals vol1
  docker_ok run -d --name bg busybox sh -c 'echo started; exec sleep 1000'
  id=$output
  [ "$("$TUG" inspect --format '{{.Id}} {{.State.Status}}' bg)" = "$id running" ]
  for i in $(seq 50); do "$TUG" logs bg | grep -q started && break; sleep 0.1; done
  docker_ok logs bg
  assert_output_equals started
  run_docker run --name bg busybox true
  assert_status 125
  assert_output_contains 'Conflict. The container name "/bg" is already in use'
  # A container the CLI made, run by docker.
  tug_ok create --name cr busybox echo created
  docker_ok start -a cr
  assert_output_equals created
  docker_ok create --name dc busybox sh -c 'echo from-docker; exit 4'
  run_docker start -a dc
  assert_status 4
  assert_output_equals from-docker
  tug_ok inspect --format '{{.State.ExitCode}}' dc
  assert_output_equals 4
}

@test "api docker run -p and docker port; exec with exit codes and stdin" {
  require_docker
  load_busybox
  start_service --time 0
  docker_ok run -d --name web -p 8080 --hostname webhost busybox httpd -f -p 8080
  docker_ok port web
  assert_output_contains "8080/tcp -> 0.0.0.0:"
  port=${output##*:}
  tug_ok port web
  assert_output_contains ":$port"
  docker_ok exec web cat /etc/hostname
  assert_output_equals webhost
  run_docker exec web sh -c 'echo to-err >&2; exit 7'
  assert_status 7
  assert_output_equals to-err
  run bash -c "echo piped | DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TEST_DIR/docker $DOCKER exec -i web cat"
  assert_output_equals piped
  # More than a pipe holds, both ways at once: neither side waits on the other.
  run bash -c "head -c 1000000 /dev/zero | DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TEST_DIR/docker $DOCKER exec -i web cat | wc -c"
  assert_output_equals 1000000
  run bash -c "head -c 1000000 /dev/zero | DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TEST_DIR/docker $DOCKER run -i --rm busybox cat | wc -c"
  assert_output_equals 1000000
  run -127 env DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$TEST_DIR/docker" "$DOCKER" exec web \
    nosuchcommand
  # The exec's record: made, started, inspected by the API.
  api /containers/web/exec -X POST -H 'Content-Type: application/json' \
    -d '{"Cmd": ["sh", "-c", "exit 5"], "AttachStdout": true}' >/dev/null
  status_was 201
  eid=$(jq -r .Id "$TEST_DIR/body")
  api "/exec/$eid/start" -X POST -H 'Content-Type: application/json' -d '{}' >/dev/null
  status_was 200
  api "/exec/$eid/json" >/dev/null
  [ "$(jq -c '[.Running, .ExitCode]' "$TEST_DIR/body")" = "[false,5]" ]
  api "/exec/$eid/start" -X POST -d '{}' >/dev/null
  status_was 409
  api /exec/nosuchexec/json >/dev/null
  status_was 404
  docker_ok exec -d web touch /tmp/detached
  for i in $(seq 50); do "$TUG" exec web test -e /tmp/detached && break; sleep 0.1; done
  tug_ok exec web test -e /tmp/detached
  docker_ok stop -t 1 web
  run_docker exec web true
  assert_failure
  assert_output_contains "is not running"
}

@test "api docker run -it through a pty, attach, logs -f, exec -it with its size" {
  require_docker
  command -v script >/dev/null || skip "script (util-linux) is not installed"
  load_busybox
  start_service --time 0
  export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TEST_DIR/docker
  # A terminal, input relayed, the exit code.
  run script -qec "stty rows 30 cols 100; $DOCKER run -it --rm busybox sh -c 'tty; exit 5'" /dev/null </dev/null
  assert_status 5
  assert_output_contains /dev/pts/0
  # attach to a running container: its output from then on, its exit code.
  docker_ok run -d --name at busybox sh -c 'sleep 1; echo attached-out; exit 6'
  run_docker attach at
  assert_status 6
  assert_output_equals attached-out
  # logs -f follows until the container exits.
  docker_ok run -d --name lf busybox sh -c 'for i in 1 2 3; do echo l$i; sleep 0.3; done'
  docker_ok logs -f lf
  assert_output_equals "l1
l2
l3"
  # resize: the container's terminal takes the size asked.
  docker_ok run -d -t --name ex busybox sleep 100
  api '/containers/ex/resize?h=33&w=99' -X POST >/dev/null
  status_was 200
  for i in $(seq 30); do
    [ "$("$TUG" exec ex sh -c 'stty size </proc/1/fd/0')" = "33 99" ] && break
    sleep 0.1
  done
  tug_ok exec ex sh -c 'stty size </proc/1/fd/0'
  assert_output_equals "33 99"
  api '/containers/at/resize?h=33&w=99' -X POST >/dev/null
  status_was 409
  run script -qec "stty rows 31 cols 101; $DOCKER exec -it ex sh -c 'for i in \$(seq 100); do s=\$(stty size 2>/dev/null) && break; sleep 0.1; done; echo size \$s'" /dev/null </dev/null
  assert_success
  assert_output_contains "size 31 101"
}

@test "api streams: clients that go away leave no thread, fd or process behind" {
  load_busybox
  tug_ok run -d --name long busybox sh -c 'while :; do echo tick; sleep 0.2; done'
  tug_ok create -i --name waiter busybox cat
  TUG_API_CONNECTION_TIMEOUT=2 start_service --time 0
  sleep 0.5
  fds=$(service_fds)
  threads=$(service_threads)
  # logs -f, attach and wait, each dropped by its client half way.
  run curl -s --max-time 1 --unix-socket "$SOCK" -o /dev/null \
    'http://d/containers/long/logs?stdout=1&follow=1'
  [ "$status" -eq 28 ]  # curl's time-out: the stream was still going
  run curl -s --max-time 1 --unix-socket "$SOCK" -o /dev/null -X POST \
    -H 'Upgrade: tcp' -H 'Connection: Upgrade' \
    'http://d/containers/long/attach?stream=1&stdout=1'
  run curl -s --max-time 1 --unix-socket "$SOCK" -o /dev/null -X POST \
    -H 'Upgrade: tcp' -H 'Connection: Upgrade' \
    'http://d/containers/waiter/attach?stream=1&stdin=1&stdout=1'
  run curl -s --max-time 1 --unix-socket "$SOCK" -o /dev/null -X POST \
    'http://d/containers/long/wait'
  [ "$status" -eq 28 ]
  # A connection that asks nothing is closed after the connection timeout.
  run python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
t = time.time(); s.settimeout(30)
print("closed" if s.recv(1) == b"" else "data", round(time.time() - t))' "$SOCK"
  assert_output_equals "closed 2"
  settles service_fds "$fds"
  settles service_threads "$threads"
  [ "$(service_children)" = 0 ]
  # The containers are as they were, the attached one still runs.
  [ "$("$TUG" inspect --format '{{.State.Status}}' long)" = running ]
  [ "$("$TUG" inspect --format '{{.State.Status}}' waiter)" = created ]
  kill -0 "$SVC_PID"
  # Containers are their monitors', not the service's: killing it loses none.
  kill -9 "$SVC_PID"
  [ "$("$TUG" inspect --format '{{.State.Status}}' long)" = running ]
}

@test "api python3-docker: what testcontainers does" {
  python3 -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
  load_busybox
  start_service --time 0
  run python3 - "unix://$SOCK" <<'PY'
import sys, time, urllib.request
import docker
client = docker.DockerClient(base_url=sys.argv[1])
c = client.containers.run(
    "busybox",
    ["sh", "-c", "mkdir /www && echo hello-from-httpd > /www/index.html && echo ready && "
                 "exec httpd -f -p 80 -h /www"],
    detach=True, ports={"80/tcp": None}, labels={"org.testcontainers": "true"})
deadline = time.time() + 20
while b"ready" not in c.logs():
    assert time.time() < deadline, "no log line"
    time.sleep(0.1)
c.reload()
port = int(c.ports["80/tcp"][0]["HostPort"])
body = b""
while time.time() < deadline:
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2).read()
        break
    except OSError:
        time.sleep(0.1)
print("http:", body.decode().strip())
code, out = c.exec_run(["sh", "-c", "echo exec-out; exit 2"])
print("exec:", code, out.decode().strip())
print("logs:", c.logs(stdout=True, stderr=False).decode().strip())
print("label:", c.labels["org.testcontainers"])
c.stop(timeout=1)
c.reload()
print("status:", c.status)
c.remove()
print("left:", len(client.containers.list(all=True)))
PY
  if [ "$status" -ne 0 ]; then echo "$output" | sed 's/^/# /' >&3; false; fi
  assert_line "http: hello-from-httpd"
  assert_line "exec: 2 exec-out"
  assert_line "logs: ready"
  assert_line "label: true"
  assert_line "status: exited"
  assert_line "left: 0"
}
