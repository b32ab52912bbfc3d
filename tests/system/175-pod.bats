#!/usr/bin/env bats
# Pods: containers sharing network, uts and ipc through an infra container,
# ports published at the pod level, and the pod commands.

load helpers

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "a pod's server and client talk over localhost and share the hostname; the port is the pod's" {
  load_busybox
  port=$(free_port)
  tug_ok pod create --name web -p "$port:8080"
  pod_id=$output
  [ ${#pod_id} -eq 64 ]
  tug_ok run -d --pod web --name srv busybox sh -c \
    'mkdir /w; echo "pod page from $(hostname)" >/w/i; exec httpd -f -p 127.0.0.1:8080 -h /w'
  # A second container in the pod reaches it on 127.0.0.1.
  run_tug run --rm --pod web busybox sh -c \
    'for i in $(seq 20); do wget -qO- http://127.0.0.1:8080/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals "pod page from web"
  run_tug run --rm --pod web busybox hostname
  assert_output_equals "web"
  # The pod publishes the port... but the server listens on loopback only:
  # the forwarder reaches the pod's address, so nothing answers there.
  tug_ok pod ps --format '{{.Name}} {{.Status}} {{.NumContainers}}'
  assert_output_equals "web Running 2"
  tug_ok pod inspect --format '{{.Name}} {{.Hostname}} {{.NumContainers}}' web
  assert_output_equals "web web 2"
}

@test "ports published on the pod reach a member; members cannot publish their own" {
  load_busybox
  port=$(free_port)
  tug_ok pod create --name p -p "$port:80"
  tug_ok run -d --pod p busybox sh -c 'mkdir /w; echo member >/w/i; exec httpd -f -p 80 -h /w'
  for i in $(seq 50); do out=$(curl -sf "http://127.0.0.1:$port/i") && break; sleep 0.1; done
  [ "$out" = "member" ]
  run_tug run --rm --pod p -p 9999:80 busybox true
  assert_error 125 "a container in a pod cannot publish ports"
  run_tug run --rm --pod p --network none busybox true
  assert_error 125 "uses the pod's network"
  run_tug run --rm --pod p -h other busybox true
  assert_error 125 "the pod's hostname"
  run_tug run --rm --pod nosuchpod busybox true
  assert_error 125 'no pod with name or ID "nosuchpod" found'
}

@test "ipc is shared in a pod: a SysV message queue made by one member is seen by another" {
  load_busybox
  # busybox has no ipcmk: a static one-liner makes the queue.
  printf '#include <sys/msg.h>\nint main(void) { return msgget(0x7475, IPC_CREAT | 0600) < 0; }\n' >"$TEST_DIR/mkq.c"
  gcc -static -O2 -o "$TEST_DIR/mkq" "$TEST_DIR/mkq.c"
  tug_ok pod create --name ipcpod
  tug_ok run -d --pod ipcpod --name a -v "$TEST_DIR/mkq:/mkq:ro" busybox sh -c '/mkq && exec sleep 60'
  for i in $(seq 30); do
    run_tug run --rm --pod ipcpod busybox cat /proc/sysvipc/msg
    [[ "$output" == *29813* ]] && break
    sleep 0.1
  done
  # 0x7475 = 29813
  assert_output_contains "29813"
  # A container outside the pod does not see it.
  run_tug run --rm busybox cat /proc/sysvipc/msg
  assert_output_not_contains "29813"
}

@test "pod start, stop and rm act on every member; the infra container goes only with its pod" {
  load_busybox
  tug_ok pod create --name life
  tug_ok create --pod life --name m1 busybox sleep 600
  tug_ok create --pod life --name m2 busybox sleep 600
  tug_ok pod ps --format '{{.Name}} {{.Status}} {{.NumContainers}}'
  assert_output_equals "life Created 3"
  tug_ok pod start life
  tug_ok ps --format '{{.Names}}'
  assert_output_contains "m1"
  assert_output_contains "m2"
  assert_output_contains "-infra"
  tug_ok pod ps --format '{{.Status}}'
  assert_output_equals "Running"
  tug_ok stop -t 0 m2
  tug_ok pod ps --format '{{.Status}}'
  assert_output_equals "Degraded"
  infra=$("$TUG" pod inspect --format '{{.InfraContainerID}}' life)
  run_tug rm -f "$infra"
  assert_error 1 "infra container of a pod"
  run_tug pod rm life
  assert_error 125 "has running containers"
  tug_ok pod stop -t 0 life
  tug_ok pod ps --format '{{.Status}}'
  assert_output_equals "Exited"
  tug_ok pod rm life
  tug_ok ps -aq
  assert_output_equals ""
  tug_ok pod ps -q
  assert_output_equals ""
  run_tug pod rm life
  assert_error 125 'no pod with name or ID "life" found'
}

@test "starting a member of a stopped pod starts the infra container first" {
  load_busybox
  tug_ok pod create --name lazy
  tug_ok run --rm --pod lazy busybox sh -c 'ls /sys/class/net | sort | tr "\n" " "'
  assert_output_equals "lo tap0 "
  # The member is gone (--rm); the infra container runs on.
  tug_ok pod ps --format '{{.Status}} {{.NumContainers}}'
  assert_output_equals "Running 1"
  tug_ok pod rm -f -a
  tug_ok ps -aq
  assert_output_equals ""
}

@test "pod names: taken, replaced, malformed" {
  load_busybox
  tug_ok pod create --name dup
  first=$output
  run_tug pod create --name dup
  assert_error 125 'the pod name "dup" is already in use'
  tug_ok pod create --replace --name dup
  [ "$output" != "$first" ]
  tug_ok pod ps -q --no-trunc
  assert_output_equals "$output"
  run_tug pod create --name 'bad/name'
  assert_error 125 "invalid pod name"
  run_tug pod rm
  assert_error 125 "needs a pod name or --all"
}
