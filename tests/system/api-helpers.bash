# The Engine API tests' own helpers (200-api, 201-api-containers): the
# service started on $SOCK in a fresh store per test, requests with curl,
# docker's CLI ($DOCKER, default the one on PATH) pointed at it.

SOCK=""
SVC_PID=""

# start_service [ARGS...]: the service on $SOCK (or as the args say), in the
# background; returns once it answers a ping.
start_service() {
  "$TUG" system service "$@" 2>"$TEST_DIR/service.err" 3>&- &
  SVC_PID=$!
  wait_for_socket "$SOCK"
}

wait_for_socket() {
  local i
  for i in $(seq 300); do
    if curl -sf --unix-socket "$1" http://d/_ping >/dev/null 2>&1; then return 0; fi
    kill -0 "$SVC_PID" 2>/dev/null || { cat "$TEST_DIR/service.err" >&3; return 1; }
    sleep 0.1
  done
  echo "# the service did not answer on $1" >&3
  return 1
}

# wait_gone PID: polls until the process has exited (up to 60 s).
wait_gone() {
  local i
  for i in $(seq 600); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

api() {  # api PATH [curl args...]: body on stdout, status in $TEST_DIR/status
  local path=$1
  shift
  : >"$TEST_DIR/body"  # a 204 or 304 has no body: curl writes no file
  curl -s --unix-socket "$SOCK" -o "$TEST_DIR/body" -w '%{http_code}' "$@" "http://d$path" \
    >"$TEST_DIR/status"
  cat "$TEST_DIR/body"
}

status_was() {
  [ "$(cat "$TEST_DIR/status")" = "$1" ] || {
    echo "# status $(cat "$TEST_DIR/status"), wanted $1: $(cat "$TEST_DIR/body")" >&3
    return 1
  }
}

docker_ok() {
  run env DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$TEST_DIR/docker" DOCKER_BUILDKIT=0 \
    "${DOCKER:-docker}" "$@"
  if [ "$status" -ne 0 ]; then
    echo "# docker $* exited $status:" >&3
    echo "$output" | sed 's/^/#   /' >&3
    return 1
  fi
}

# scripts/setup installs docker.io for its client; elsewhere these skip.
require_docker() {
  command -v "${DOCKER:-docker}" >/dev/null || skip "docker's CLI (Debian's docker.io) is not installed"
}

run_docker() {
  run env DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$TEST_DIR/docker" DOCKER_BUILDKIT=0 \
    "${DOCKER:-docker}" "$@"
}

setup() {
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data
  export XDG_RUNTIME_DIR=$TEST_DIR/run
  export XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME/containers"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  printf '%s\n' 'unqualified-search-registries = ["docker.io"]' '[[registry]]' \
    'location = "docker.io"' 'blocked = true' >"$XDG_CONFIG_HOME/containers/registries.conf"
  SOCK=$XDG_RUNTIME_DIR/tug/tug.sock
  cd "$TEST_DIR"
}

teardown() {
  if [ -n "$SVC_PID" ]; then
    kill "$SVC_PID" 2>/dev/null || true
    wait_gone "$SVC_PID" || kill -9 "$SVC_PID" 2>/dev/null || true
  fi
  tug_test_cleanup
}
