#!/usr/bin/env bats
# docker's and podman's command-line habits: repeated flags, `-d=false`,
# the `container`/`image` groups, podman's exists/untag/--noheading/--sort,
# global flags, and the exit codes and error texts scripts test.

load helpers

# line_matches N REGEX: line N (from 0) of $output matches REGEX.
line_matches() {
  local line
  line=$(sed -n "$(($1 + 1))p" <<<"$output")
  [[ "$line" =~ $2 ]] || {
    echo "line $1 does not match $2: $line" >&2
    echo "$output" >&2
    return 1
  }
}

@test "a repeated single-valued option takes its last value" {
  load_busybox
  # (names no container id can start with: inspect takes id prefixes)
  tug_ok run --name first --name second -w /tmp -w /etc busybox pwd
  assert_output_equals "/etc"
  tug_ok ps -a --format '{{.ID}}' --format '{{.Names}}'
  assert_output_equals "second"
  run_tug inspect --format '{{.Name}}' first
  assert_failure
  tug_ok create --name c --userns host --userns host -e A=1 -e B=2 busybox env
  tug_ok start -a c
  assert_output_contains "A=1"
  assert_output_contains "B=2"
}

@test "short flags take a value after '=' as docker's do" {
  load_busybox
  # -d=false runs in the foreground; --rm=false keeps the container.
  tug_ok run -d=false --rm=false --name fg busybox echo fg-out
  assert_output_equals "fg-out"
  tug_ok ps -a --format '{{.Names}}'
  assert_output_equals "fg"
  tug_ok run --rm=true -i=false -w=/tmp busybox pwd
  assert_output_equals "/tmp"
  tug_ok ps -a -q --no-trunc
  [ "$(line_count)" -eq 1 ]
  # The container's own command keeps its words.
  tug_ok run --rm busybox echo -d=false --name x
  assert_output_equals "-d=false --name x"
  tug_ok run -d=true --name bg busybox sleep 30
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  tug_ok rm -f -t=0 bg
}

@test "tug container VERB is the top-level command" {
  load_busybox
  tug_ok container run -d --name c1 busybox sleep 30
  tug_ok container top c1
  assert_output_contains "sleep 30"
  tug_ok container inspect --format '{{.State.Status}}' c1
  assert_output_equals "running"
  tug_ok container exec c1 echo in-exec
  assert_output_equals "in-exec"
  tug_ok container stop -t 0 c1
  tug_ok container wait c1
  tug_ok container restart -t 0 c1
  tug_ok container kill c1
  tug_ok container create --name c2 busybox echo created-out
  tug_ok container start -a c2
  assert_output_equals "created-out"
  tug_ok container logs c2
  assert_output_equals "created-out"
  tug_ok container exists c2
  run_tug container exists nosuch
  assert_status 1
  [ -z "$output" ]
  tug_ok container ls -a --format '{{.Names}}'
  assert_output_contains "c2"
  tug_ok container rm -f c1 c2
}

@test "tug image VERB is the top-level command; buildx build is build" {
  load_busybox
  tug_ok image tag busybox mine:1
  tug_ok image exists mine:1
  run_tug image exists nosuch
  assert_status 1
  tug_ok image history --format '{{.CreatedBy}}' mine:1
  tug_ok image save -o "$TEST_DIR/b.tar" mine:1
  [ -s "$TEST_DIR/b.tar" ]
  tug_ok image untag mine:1
  run_tug image exists mine:1
  assert_status 1
  tug_ok image load -i "$TEST_DIR/b.tar"
  tug_ok image exists mine:1
  mkdir ctx
  printf 'FROM mine:1\nRUN echo built >/built\n' >ctx/Containerfile
  tug_ok buildx build -q -t bx ctx
  tug_ok image build -q -t ib ctx
  tug_ok run --rm bx cat /built
  assert_output_equals "built"
  tug_ok image rm ib bx
}

@test "missing objects exit 1 with podman's texts; run keeps 125" {
  run_tug rmi nosuch
  assert_error 1 "nosuch: image not known"
  run_tug volume rm nosuch
  assert_error 1 'no volume with name "nosuch" found: no such volume'
  run_tug network rm nosuch
  assert_error 1 "unable to find network with name or ID nosuch: network not found"
  run_tug pod rm nosuch
  assert_error 1 "no pod with name or ID nosuch found: no such pod"
  run_tug rm nosuch
  assert_error 1 'no container with name or ID "nosuch" found: no such container'
  run_tug stop nosuch
  assert_error 1 "no such container"
  run_tug image inspect nosuch
  assert_status 1
  run_tug run --rm --network nosuch busybox true
  assert_status 125
  run_tug rmi --ignore nosuch
  assert_success
  [ -z "$output" ]
}

@test "volume rm of a volume in use exits 1, as docker's" {
  load_busybox
  tug_ok volume create used
  tug_ok create --name holder -v used:/data busybox true
  run_tug volume rm used
  assert_error 1 "being used"
  tug_ok volume ls -q
  assert_output_equals "used"
}

@test "kill takes kill(1)'s -N and -NAME forms and refuses signal 0 as podman does" {
  load_busybox
  tug_ok run -d --name k busybox sh -c 'trap "exit 7" HUP; while :; do sleep 0.1; done'
  sleep 0.5
  run_tug kill -s 0 k
  assert_error 125 "invalid signal: 0"
  run_tug kill -s 99 k
  assert_error 125 "valid signals are 1 through 64"
  run_tug kill -s BOGUS k
  assert_error 125 "invalid signal: BOGUS"
  tug_ok kill -s -1 k
  assert_output_equals "k"
  tug_ok wait k
  assert_output_equals "7"
}

@test "stop --timeout is -t; pod rm -t stops the pod's containers first" {
  load_busybox
  tug_ok run -d --name s busybox sleep 100
  tug_ok stop --timeout 0 s
  tug_ok inspect --format '{{.State.Status}}' s
  assert_output_equals "exited"
  tug_ok pod create p1
  tug_ok pod exists p1
  run_tug pod exists nosuch
  assert_status 1
  tug_ok run -d --pod p1 --name member busybox sleep 100
  tug_ok pod rm -f -t 0 p1
  run_tug pod exists p1
  assert_status 1
  run_tug container exists member
  assert_status 1
  run_tug pod create --name a b
  assert_error 125 "cannot specify both"
}

@test "run --pod new:NAME makes the pod" {
  load_busybox
  tug_ok run --pod new:np --name inpod busybox true
  tug_ok pod exists np
  tug_ok pod inspect --format '{{.NumContainers}}' np
  assert_output_equals "2"
}

@test "listings drop their headings with --noheading; images sort" {
  load_busybox
  tug_ok tag busybox zed:1
  tug_ok tag busybox abc:2
  tug_ok images --noheading --format 'table {{.Repository}}:{{.Tag}}' --sort repository
  # Names a user tags locally live under localhost/ (podman's rule).
  assert_line --index 0 "docker.io/library/busybox:latest"
  assert_line --index 1 "localhost/abc:2"
  assert_line --index 2 "localhost/zed:1"
  tug_ok images -n
  assert_output_not_contains "REPOSITORY"
  tug_ok images --sort tag --format '{{.Tag}}'
  assert_output "1
2
latest"
  run_tug images --sort bogus
  assert_error 125 '"bogus" is not a valid field for sorting'
  tug_ok create --name c busybox true
  tug_ok ps -a --noheading
  assert_output_not_contains "CONTAINER ID"
  assert_output_contains " c"
  tug_ok volume create v1
  tug_ok volume ls --noheading
  assert_output_not_contains "VOLUME NAME"
  assert_output_contains "v1"
  tug_ok network create n1
  tug_ok network ls --noheading
  assert_output_not_contains "NETWORK ID"
  tug_ok pod create p1
  tug_ok pod ps --noheading
  assert_output_not_contains "POD ID"
  assert_output_contains "p1"
}

@test "global flags: --noout, --log-level, -D, --events-backend, --storage-driver, --config" {
  load_busybox
  tug_ok --noout volume create quiet
  [ -z "$output" ]
  tug_ok volume ls -q
  assert_output_equals "quiet"
  tug_ok --log-level=error volume ls -q
  tug_ok --log-level error -D volume ls -q
  run_tug --log-level loud volume ls
  assert_error 125 "invalid log level"
  tug_ok --events-backend=none volume create silent
  tug_ok events --stream=false --filter volume=silent
  [ -z "$output" ]
  tug_ok --events-backend file volume create loud
  tug_ok events --stream=false --filter volume=loud
  assert_output_contains "loud"
  run_tug --events-backend bogus ps
  assert_error 125 "invalid events backend"
  run_tug --storage-driver bogus ps
  assert_failure 125
  tug_ok --config "$TEST_DIR/dockercfg" ps
}

@test "top takes podman's descriptors and docker's ps options" {
  load_busybox
  tug_ok run -d --name t busybox sleep 100
  tug_ok top t user,pid,ppid,args
  line_matches 0 '^USER +PID +PPID +COMMAND$'
  line_matches 1 '^root +1 +0 +sleep 100$'
  tug_ok top t pid comm etime
  line_matches 0 '^PID +COMMAND +ELAPSED$'
  line_matches 1 '^1 +sleep +[0-9.hms]+$'
  tug_ok top t -o pid,args
  line_matches 0 '^ *PID +COMMAND$'
  assert_output_contains "sleep 100"
  [ "$(line_count)" -eq 2 ]
}

@test "build reads a Containerfile or a tar context from stdin; --ulimit reaches RUN" {
  load_busybox
  printf 'FROM busybox\nRUN echo from-stdin >/f\n' >Containerfile
  run bash -c "'$TUG' build -q -t fromstdin - <Containerfile"
  assert_success
  tug_ok run --rm fromstdin cat /f
  assert_output_equals "from-stdin"
  mkdir ctx
  echo payload >ctx/data
  printf 'FROM busybox\nCOPY data /data\n' >ctx/Containerfile
  tar -C ctx -cf ctx.tar .
  run bash -c "'$TUG' build -q -t fromtar - <ctx.tar"
  assert_success
  tug_ok run --rm fromtar cat /data
  assert_output_equals "payload"
  printf 'FROM busybox\nRUN ulimit -n >/nofile\n' >Containerfile
  tug_ok build -q --ulimit nofile=512:512 -t lim .
  tug_ok run --rm lim cat /nofile
  assert_output_equals "512"
}

@test "errno texts are lower-case, as docker's and podman's" {
  load_busybox
  run_tug load -i "$TEST_DIR/nosuch.tar"
  assert_error 125 "no such file or directory"
  run_tug run --rm busybox /nosuch
  assert_error 127 "no such file or directory"
  run_tug run --rm busybox /etc/passwd
  assert_error 126 "permission denied"
  assert_output_not_contains "Permission denied"
}
