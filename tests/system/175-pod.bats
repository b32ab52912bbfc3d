#!/usr/bin/env bats
# Pods: containers sharing network, uts and ipc through an infra container,
# ports published at the pod level, and the pod commands.

load helpers

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
  # podman's pod ps fields.
  tug_ok pod ps --format '{{.NumberOfContainers}} {{.ContainerNames}} {{.ContainerStatuses}}'
  [[ "$output" =~ ^3\ [0-9a-f]{12}-infra,m1,m2\ created,created,created$ ]]
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
  assert_error 1 'no pod with name or ID life found: no such pod'
  run bash -c "'$TUG' pod inspect life 2>/dev/null"
  assert_status 125
  assert_output_equals "[]"
}

@test "pod ps --filter: podman's keys; values of one key are alternatives, keys all hold" {
  load_busybox
  tug_ok pod create --name alpha --label tier=front
  tug_ok pod create --name beta
  tug_ok create --pod beta --name bc busybox true
  alpha_id=$("$TUG" pod inspect --format '{{.Id}}' alpha)
  check() {  # expected-names filter...
    local want=$1
    shift
    local args=()
    for f in "$@"; do args+=(--filter "$f"); done
    tug_ok pod ps "${args[@]}" --format '{{.Name}}'
    assert_output_equals "$(echo "$want" | tr ' ' '\n')"
  }
  check alpha name=alp
  check alpha 'name=^a'
  check "beta alpha" name=a
  check alpha "id=${alpha_id:0:6}"
  check alpha label=tier
  check alpha label=tier=front
  check "" label=tier=back
  check "beta alpha" status=created
  check "" status=running
  check beta ctr-names=bc
  check beta ctr-number=2
  check "beta alpha" ctr-status=created
  check "" ctr-status=running
  check "beta alpha" name=alpha name=beta
  check "" name=alpha label=nosuch
  run_tug pod ps --filter nosuch=1
  assert_error 125 'invalid filter "nosuch=1"'
  run_tug pod ps --filter 'name=('
  assert_error 125 "not a regular expression"
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

@test "pod --pod-id-file: create writes it, start, stop, rm and run --pod read it; --ignore" {
  load_busybox
  cd "$TEST_DIR"
  tug_ok pod create --name f --pod-id-file pod.id --infra-conmon-pidfile infra.pid
  id=$output
  # Relative paths are made absolute: later starts write from elsewhere.
  [ "$(cat "$TEST_DIR/pod.id")" = "$id" ]
  [ ! -e infra.pid ]
  tug_ok run -d --pod-id-file pod.id --name m busybox sleep 600
  run_tug inspect --format '{{.HostConfig.NetworkMode}}' m
  assert_output_equals "container:$("$TUG" pod inspect --format '{{.InfraContainerID}}' f)"
  # Starting the member started the infra: its monitor's pid is in the file.
  infra=$("$TUG" pod inspect --format '{{.InfraContainerID}}' f)
  [ "$(cat infra.pid)" = "$("$TUG" inspect --format '{{.State.ConmonPid}}' "$infra")" ]
  run_tug inspect --format '{{.ConmonPidFile}}' "$infra"
  assert_output_equals "$TEST_DIR/infra.pid"
  tug_ok pod stop -t 0 --pod-id-file pod.id
  assert_output_equals "$id"
  tug_ok pod ps --format '{{.Status}}'
  assert_output_equals Exited
  mkdir elsewhere && cd elsewhere
  tug_ok pod start --pod-id-file ../pod.id
  tug_ok pod ps --format '{{.Status}}'
  assert_output_equals Running
  # Written again at each start, where the pod was created.
  [ "$(cat ../infra.pid)" = "$("$TUG" inspect --format '{{.State.ConmonPid}}' "$infra")" ]
  [ ! -e infra.pid ]
  cd ..
  run_tug run --rm --pod f --pod-id-file pod.id busybox true
  assert_error 125 "--pod and --pod-id-file cannot be combined"
  run_tug pod rm --pod-id-file pod.id
  assert_error 125 "has running containers"
  tug_ok pod rm -f --pod-id-file pod.id
  assert_output_equals "$id"
  tug_ok ps -aq
  assert_output_equals ""
  # The pod is gone: an error, unless --ignore (a unit's ExecStopPost).
  run_tug pod rm -f --pod-id-file pod.id
  assert_error 1 "no pod with name or ID $id found: no such pod"
  tug_ok pod rm -f --ignore --pod-id-file pod.id
  assert_output_equals ""
  tug_ok pod stop --ignore --pod-id-file pod.id --pod-id-file nosuch.id
  assert_output_equals ""
  run_tug pod stop --pod-id-file nosuch.id
  assert_error 125 "reading pod ID file nosuch.id: no such file"
  run_tug run --rm --pod-id-file nosuch.id busybox true
  assert_error 125 "reading pod ID file nosuch.id: no such file"
  : >empty.id
  run_tug pod start --pod-id-file empty.id
  assert_error 125 "pod ID file empty.id is empty"
  run_tug pod stop
  assert_error 125 "pod stop needs a pod name (or --pod-id-file)"
  # pod create replaces an existing id file (a unit's pod is new at each start).
  tug_ok pod create --pod-id-file pod.id
  [ "$(cat pod.id)" = "$output" ]
}

@test "pod --exit-policy: stop ends the pod with its last container, continue (default) keeps it" {
  load_busybox
  tug_ok pod create --name s --exit-policy stop
  tug_ok pod create --name c
  run_tug pod inspect --format '{{.ExitPolicy}}' s c
  assert_output_equals "$(printf 'stop\ncontinue')"
  for p in s c; do
    tug_ok run -d --pod $p --name $p-long busybox sleep 600
    tug_ok run -d --pod $p --name $p-short busybox sh -c 'sleep 0.5; exit 3'
  done
  tug_ok wait s-short c-short
  # One member still runs: both pods run.
  sleep 0.3
  run_tug pod ps --format '{{.Name}} {{.Status}}'
  assert_line "s Degraded"
  assert_line "c Degraded"
  tug_ok stop -t 0 s-long c-long
  infra=$("$TUG" pod inspect --format '{{.InfraContainerID}}' s)
  for _ in $(seq 50); do
    [ "$("$TUG" inspect --format '{{.State.Status}}' "$infra")" = exited ] && break
    sleep 0.1
  done
  run_tug pod ps --format '{{.Name}} {{.Status}}'
  assert_line "s Exited"
  assert_line "c Degraded"
  # A --rm member that exits also ends the pod.
  tug_ok rm s-long s-short
  tug_ok pod start s
  tug_ok run --rm --pod s busybox true
  for _ in $(seq 50); do
    [ "$("$TUG" pod inspect --format '{{.State}}' s)" = Exited ] && break
    sleep 0.1
  done
  run_tug pod inspect --format '{{.State}} {{.NumContainers}}' s
  assert_output_equals "Exited 1"
  run_tug pod create --exit-policy sometimes
  assert_error 125 'invalid --exit-policy "sometimes"'
  run_tug pod inspect --format '{{index .CreateCommand 1}} {{index .CreateCommand 2}} {{index .CreateCommand 4}}' s
  assert_output_equals "pod create s"
}

@test "system check --repair removes a pod whose create was killed, with its infra container" {
  tug_ok pod create --name halfpod
  tug_ok pod inspect --format '{{.Id}}' halfpod
  id=$output
  [ -d "$XDG_DATA_HOME/tug/pods/$id" ]
  # What a pod create SIGKILLed after its infra container and before its
  # record leaves (tests/fault/run-fault found it): the directory, settled.
  rm "$XDG_DATA_HOME/tug/pods/$id/pod.json"
  touch -d '-10 seconds' "$XDG_DATA_HOME/tug/pods/$id"
  run_tug system check
  assert_status 1
  assert_output_contains "pod ${id:0:12}: a directory without its record"
  tug_ok system check --repair
  assert_output_contains "pod ${id:0:12}: a directory without its record (a pod create or rm that was killed): removed, with its infra container"
  tug_ok system check
  assert_output_contains "store: ok"
  tug_ok ps -a -q
  assert_output_equals ""
  [ ! -e "$XDG_DATA_HOME/tug/pods/$id" ]
  tug_ok pod create --name halfpod
  tug_ok pod start halfpod
  # A member other than the infra container still keeps the pod until removed.
  tug_ok pod create --name halfpod2
  tug_ok pod inspect --format '{{.Id}}' halfpod2
  id=$output
  load_busybox
  tug_ok create --pod halfpod2 --name member busybox true
  rm "$XDG_DATA_HOME/tug/pods/$id/pod.json"
  touch -d '-10 seconds' "$XDG_DATA_HOME/tug/pods/$id"
  run_tug system check --repair
  assert_status 1
  assert_output_contains "(container member belongs to it: remove the container, then repair)"
}
