#!/usr/bin/env bats
# The container never holds the caller's own files: exec and a foreground
# run relay stdin, stdout and stderr through pipes (or a terminal) that tug
# owns, as docker and podman do. What a relay must keep: the bytes, the
# streams apart, the exit code, stdin's EOF, a reader that goes away.

load helpers

start_box() {
  load_busybox
  tug_ok run -d --name box busybox sleep 600
}

# The link of each of the shell's fds 0, 1, 2 inside, one per line.
FDS='for f in 0 1 2; do readlink /proc/$$/fd/$f; done'

@test "a container cannot truncate the caller's file through /proc/self/fd" {
  start_box
  echo keep >out.txt
  echo keep >err.txt
  "$TUG" exec box sh -c ': >/proc/self/fd/1; : >/proc/self/fd/2' >>out.txt 2>>err.txt
  "$TUG" exec -i box sh -c ': >/proc/self/fd/1; : >/proc/self/fd/0' >>out.txt <err.txt
  "$TUG" run --rm busybox sh -c ': >/proc/self/fd/1; : >/proc/self/fd/2' >>out.txt 2>>err.txt
  "$TUG" run --rm -i busybox sh -c ': >/proc/self/fd/1; : >/proc/self/fd/0' >>out.txt <err.txt
  [ "$(cat out.txt)" = keep ]
  [ "$(cat err.txt)" = keep ]
  # What the container writes there still arrives, appended.
  "$TUG" exec box echo more >>out.txt
  [ "$(cat out.txt)" = "keep
more" ]
}

@test "fds 0-2 are pipes (stdin /dev/null without -i) for exec, run and run -d" {
  start_box
  echo input >in.txt
  for cmd in "exec box" "exec -i box" "run --rm busybox" "run --rm -i busybox"; do
    # shellcheck disable=SC2086
    "$TUG" $cmd sh -c "$FDS" <in.txt >out.txt 2>err.txt
    echo "# $cmd: $(tr '\n' ' ' <out.txt)" >&3
    mapfile -t fd <out.txt
    [ "${#fd[@]}" -eq 3 ]
    case $cmd in
      *-i*) [[ ${fd[0]} == pipe:* ]] ;;
      *) [[ ${fd[0]} == */null ]] ;;
    esac
    [[ ${fd[1]} == pipe:* ]]
    [[ ${fd[2]} == pipe:* ]]
  done
  # Detached: the monitor's pipes, whatever the caller had.
  id=$("$TUG" run -d busybox sh -c "$FDS" <in.txt 2>err.txt)
  tug_ok wait "$id"
  tug_ok logs "$id"
  mapfile -t fd <<<"$output"
  [[ ${fd[1]} == pipe:* ]]
  [[ ${fd[2]} == pipe:* ]]
  ! grep -q "$TEST_DIR" <<<"$output"
}

@test "exec has no controlling terminal: /dev/tty is not the caller's" {
  command -v script >/dev/null || skip "needs script(1)"
  start_box
  # script gives tug a terminal of its own; without -t the command must not
  # reach it (TIOCSTI through it would type into the caller's shell).
  run script -qec "$TUG exec box sh -c 'echo leak >/dev/tty'" /dev/null </dev/null
  [ "$status" -ne 0 ]
  [[ $output != *leak* ]]
  run script -qec "$TUG run --rm busybox sh -c 'echo leak >/dev/tty'" /dev/null </dev/null
  [ "$status" -ne 0 ]
  [[ $output != *leak* ]]
  # With -t the terminal is the container's own pty, as before.
  run script -qec "$TUG exec -t box sh -c 'tty; echo ok >/dev/tty'" /dev/null </dev/null
  [ "$status" -eq 0 ]
  [[ $output == */dev/pts/* ]]
  [[ $output == *ok* ]]
}

@test "stdin's EOF reaches the command; stdout and stderr stay apart; exit codes kept" {
  start_box
  run bash -c "echo hi | '$TUG' exec -i box cat"
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  run bash -c "echo hi | '$TUG' run --rm -i busybox cat"
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  # Without -i the command reads /dev/null, not the caller's stdin.
  run bash -c "echo hi | '$TUG' exec box cat"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  for cmd in "exec box" "run --rm busybox"; do
    # shellcheck disable=SC2086
    run "$TUG" $cmd sh -c 'echo out; echo err >&2; exit 3'
    [ "$status" -eq 3 ]
    # shellcheck disable=SC2086
    "$TUG" $cmd sh -c 'echo out; echo err >&2; exit 3' >o.txt 2>e.txt || [ $? -eq 3 ]
    [ "$(cat o.txt)" = out ]
    [ "$(cat e.txt)" = err ]
  done
  run "$TUG" exec box sh -c 'kill -TERM $$'
  [ "$status" -eq 143 ]
}

@test "10 MB of binary data through stdin and stdout, byte-exact" {
  start_box
  head -c 10485760 /dev/urandom >big.bin
  "$TUG" exec -i box cat <big.bin >copy.bin
  cmp big.bin copy.bin
  # Through pipes on both sides (splice) and into an O_APPEND file (copied).
  cat big.bin | "$TUG" exec -i box cat | cmp - big.bin
  echo -n >app.bin
  "$TUG" exec -i box cat <big.bin >>app.bin
  cmp big.bin app.bin
  [ "$("$TUG" exec box head -c 10485760 /dev/zero | wc -c)" -eq 10485760 ]
  "$TUG" run --rm -i busybox cat <big.bin | cmp - big.bin
  [ "$("$TUG" run --rm busybox head -c 10485760 /dev/zero | wc -c)" -eq 10485760 ]
}

@test "a command that writes before it reads its stdin does not deadlock" {
  start_box
  # The stdin pipe fills while the command writes 3 MB; its output must
  # flow on all the same.
  run bash -c "head -c 5000000 /dev/zero | timeout 60 '$TUG' exec -i box sh -c 'head -c 3000000 /dev/zero; cat >/dev/null; echo done >&2' | wc -c"
  [ "$status" -eq 0 ]
  [[ $output == *done* ]]
  [[ $output == *3000000* ]]
  run bash -c "head -c 5000000 /dev/zero | timeout 60 '$TUG' run --rm -i busybox sh -c 'head -c 3000000 /dev/zero; cat >/dev/null; echo done >&2' | wc -c"
  [ "$status" -eq 0 ]
  [[ $output == *done* ]]
  [[ $output == *3000000* ]]
}

@test "a reader that goes away (| head -1) ends exec and run at once" {
  start_box
  SECONDS=0
  run bash -c "timeout 20 '$TUG' exec box yes | head -1; echo \"status \${PIPESTATUS[0]}\""
  [ "${lines[0]}" = y ]
  # yes died of SIGPIPE in the container, as it would writing to head itself.
  [ "${lines[1]}" = "status 141" ]
  # As the container's PID 1, yes hears no SIGPIPE (the kernel spares a
  # namespace's init): it gets EPIPE and exits 1.
  run bash -c "timeout 20 '$TUG' run --rm --name yes busybox yes 2>/dev/null | head -1; echo \"status \${PIPESTATUS[0]}\""
  [ "${lines[0]}" = y ]
  [ "${lines[1]}" = "status 1" ]
  run bash -c "timeout 20 '$TUG' run --rm --name yes busybox sh -c 'yes; echo \$? >&2' 2>&1 | head -2; echo \"status \${PIPESTATUS[0]}\""
  [ "${lines[0]}" = y ]
  [ "${lines[1]}" = y ]
  [ "${lines[2]}" = "status 0" ]
  run bash -c "timeout 20 '$TUG' exec box sh -c 'yes >&2' 2>&1 >/dev/null | head -1; echo \"status \${PIPESTATUS[0]}\""
  [ "${lines[1]}" = "status 141" ]
  [ "$SECONDS" -lt 15 ]
  # The --rm container is gone, not left writing its log.
  run_tug ps -a --format '{{.Names}}'
  assert_output_not_contains yes
}

@test "exec returns when its command exits, even if a background process keeps the output open" {
  start_box
  SECONDS=0
  run "$TUG" exec box sh -c 'sleep 30 & echo started'
  [ "$status" -eq 0 ]
  [ "$output" = started ]
  [ "$SECONDS" -lt 10 ]
}

@test "signals reach the command through exec and run; what it prints then still arrives" {
  start_box
  # shellcheck disable=SC2016
  script='trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
  for cmd in "exec box" "run --rm busybox"; do
    rm -f sig.out
    # shellcheck disable=SC2086
    "$TUG" $cmd sh -c "$script" >sig.out 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q ready sig.out 2>/dev/null && break; sleep 0.1; done
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    echo "# $cmd: $status $(tr '\n' ' ' <sig.out)" >&3
    [ "$status" -eq 7 ]
    grep -q "got TERM" sig.out
  done
}
