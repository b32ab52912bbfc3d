#!/usr/bin/env bats
# run -it, exec -it and attach driven through a real terminal: tmux gives
# each session a pty of a known size, takes keystrokes and shows the screen.

load helpers

tmx() {
  tmux -S "$TEST_DIR/tmux.sock" "$@"
}

setup() {
  export TEST_DIR=$BATS_TEST_TMPDIR
  export XDG_DATA_HOME=$TEST_DIR/data XDG_RUNTIME_DIR=$TEST_DIR/run XDG_CONFIG_HOME=$TEST_DIR/config
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  cd "$TEST_DIR"
  export TERM=xterm
  # No status line: a pane is then exactly the window's size.
  printf 'set -g status off\nset -g default-terminal xterm\n' >"$TEST_DIR/tmux.conf"
}

teardown() {
  # The tmux server's command line names the test directory: it goes
  # before the leak check.
  tmx kill-server 2>/dev/null || true
  tug_test_cleanup
}

# new_session NAME COMMAND: a detached 100x30 session running COMMAND; its
# exit code lands in $TEST_DIR/NAME.rc.
new_session() {
  tmx -f "$TEST_DIR/tmux.conf" new-session -d -s "$1" -x 100 -y 30 \
    "$2; echo \$? >'$TEST_DIR/$1.rc'; exec sleep 6199"
}

# wait_screen NAME REGEX: until a line of the session's screen matches the
# (extended) REGEX, at most 10 s.
wait_screen() {
  local i
  for i in $(seq 100); do
    tmx capture-pane -p -t "$1" | grep -qE -- "$2" && return 0
    sleep 0.1
  done
  echo "screen of $1 never showed /$2/:" >&2
  tmx capture-pane -p -t "$1" >&2
  return 1
}

# wait_rc NAME: waits for the session's command to end, prints its code.
wait_rc() {
  local i
  for i in $(seq 100); do
    [ -s "$TEST_DIR/$1.rc" ] && { cat "$TEST_DIR/$1.rc"; return 0; }
    sleep 0.1
  done
  echo "the command in $1 did not end; screen:" >&2
  tmx capture-pane -p -t "$1" >&2
  return 1
}

pane_size() {
  tmx display-message -p -t "$1" '#{pane_height} #{pane_width}'
}

@test "run -it: a tty of the window's size, keystrokes, ctrl-c, resize, ctrl-p ctrl-q detaches, attach returns" {
  load_busybox
  new_session main "'$TUG' run -it --name tt busybox sh"
  wait_screen main '^/ # ?$'
  tmx send-keys -t main 'tty' Enter
  wait_screen main '^/dev/pts/[0-9]+$'
  [ "$(pane_size main)" = "30 100" ]
  tmx send-keys -t main 'stty size' Enter
  wait_screen main '^30 100$'
  # A typed line reaches the shell: it writes a file that exec can read.
  tmx send-keys -t main 'echo typed-line >/typed' Enter
  for _ in $(seq 50); do "$TUG" exec tt cat /typed 2>/dev/null | grep -q typed-line && break; sleep 0.1; done
  tug_ok exec tt cat /typed
  assert_output_equals typed-line
  # ctrl-c interrupts the foreground job, not the session.
  tmx send-keys -t main 'sleep 6100' Enter
  for _ in $(seq 50); do pgrep -u "$(id -u)" -fx 'sleep 6100' >/dev/null && break; sleep 0.1; done
  pgrep -u "$(id -u)" -fx 'sleep 6100' >/dev/null
  tmx send-keys -t main C-c
  tmx send-keys -t main 'echo after-$((6*7))' Enter
  wait_screen main '^after-42$'
  ! pgrep -u "$(id -u)" -fx 'sleep 6100'
  # The window grows: SIGWINCH carries the size to the container's tty.
  tmx resize-window -t main -x 120 -y 40
  [ "$(pane_size main)" = "40 120" ]
  tmx send-keys -t main 'clear; stty size' Enter
  wait_screen main '^40 120$'
  # ctrl-p ctrl-q: the CLI returns 0, the container runs on.
  tmx send-keys -t main C-p C-q
  [ "$(wait_rc main)" = 0 ]
  run_tug ps --format '{{.Names}} {{.State}}'
  assert_output_equals "tt running"
  # attach takes the terminal back; exit ends the container with its code.
  new_session again "'$TUG' attach tt"
  sleep 0.3
  tmx send-keys -t again 'echo back-$((40+2))' Enter
  wait_screen again '^back-42$'
  tmx send-keys -t again 'tty' Enter
  wait_screen again '^/dev/pts/[0-9]+$'
  tmx send-keys -t again 'exit 3' Enter
  [ "$(wait_rc again)" = 3 ]
  tug_ok wait tt
  assert_output_equals 3
  tug_ok rm tt
}

@test "exec -it: its own tty of the window's size, keystrokes reach it, exit gives the code" {
  load_busybox
  tug_ok run -d --name host busybox sleep 6101
  new_session ex "'$TUG' exec -it host sh"
  wait_screen ex '^/ # ?$'
  tmx send-keys -t ex 'tty' Enter
  wait_screen ex '^/dev/pts/[0-9]+$'
  tmx send-keys -t ex 'stty size' Enter
  wait_screen ex '^30 100$'
  tmx send-keys -t ex 'echo from-exec >/exec-typed' Enter
  for _ in $(seq 50); do "$TUG" exec host cat /exec-typed 2>/dev/null | grep -q from-exec && break; sleep 0.1; done
  tug_ok exec host cat /exec-typed
  assert_output_equals from-exec
  tmx resize-window -t ex -x 90 -y 25
  tmx send-keys -t ex 'clear; stty size' Enter
  wait_screen ex '^25 90$'
  tmx send-keys -t ex 'exit 4' Enter
  [ "$(wait_rc ex)" = 4 ]
  # The container is untouched by the exec session's end.
  run_tug ps --format '{{.Names}} {{.State}}'
  assert_output_equals "host running"
  tug_ok rm -f host
}
