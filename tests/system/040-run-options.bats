#!/usr/bin/env bats
# tug run's options, each checked by what the process inside sees, and the
# container list (ps, rm, --name) they leave behind.

load helpers
bats_require_minimum_version 1.5.0

# Interface names in a /proc/net/dev listing, sorted, one per line.
ifnames() {
  awk 'NR > 2 { sub(/:.*/, "", $1); print $1 }' | sort
}

# An image made with import --change: CMD, ENV and WORKDIR set, /work absent.
make_config_image() {
  tug_ok run --name cfgsrc busybox true
  tug_ok export -o "$TEST_DIR/rootfs.tar" cfgsrc
  tug_ok rm cfgsrc
  tug_ok import \
    -c 'CMD ["sh", "-c", "echo X=$X Y=$Y; pwd"]' \
    -c 'ENV X=1' -c 'ENV Y=from-image' \
    -c 'WORKDIR /work' \
    "$TEST_DIR/rootfs.tar" "$@"
}

@test "-e sets K=V, passes K from the environment, leaves an unset K out" {
  load_busybox
  unset TUG_TEST_UNSET
  TUG_TEST_FROM_HOST="host value" run "$TUG" run --rm \
    -e A=1 -e 'B=two words' -e TUG_TEST_FROM_HOST -e TUG_TEST_UNSET -e EMPTY= busybox env
  assert_status 0
  local envs=$output
  grep -qx 'A=1' <<<"$envs"
  grep -qx 'B=two words' <<<"$envs"
  grep -qx 'TUG_TEST_FROM_HOST=host value' <<<"$envs"
  grep -qx 'EMPTY=' <<<"$envs"
  # Unset on the host: absent inside (docker does not pass an empty value).
  run grep -c '^TUG_TEST_UNSET' <<<"$envs"
  assert_output_equals "0"
  # The image's PATH is kept; the host's own variables do not leak in.
  grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$envs"
  run grep -c "^USER=" <<<"$envs"
  assert_output_equals "0"
}

@test "--env-file reads K=V lines, skips comments and blank lines" {
  load_busybox
  cat >"$TEST_DIR/env.list" <<'EOF'
# a comment line
FIRST=1

  # an indented comment
SECOND=with spaces = and equals
PASSED
EOF
  PASSED=from-host run "$TUG" run --rm --env-file "$TEST_DIR/env.list" busybox env
  assert_status 0
  local envs=$output
  grep -qx 'FIRST=1' <<<"$envs"
  grep -qx 'SECOND=with spaces = and equals' <<<"$envs"
  grep -qx 'PASSED=from-host' <<<"$envs"
  run grep -c -i comment <<<"$envs"
  assert_output_equals "0"
  # -e wins over the file.
  run_tug run --rm --env-file "$TEST_DIR/env.list" -e FIRST=override busybox sh -c 'echo $FIRST'
  assert_output_equals "override"
  # A missing file is an error naming it.
  run_tug run --rm --env-file "$TEST_DIR/no-such.env" busybox true
  assert_error 125 "no-such.env"
}

@test "-w sets the working directory and creates it when missing" {
  load_busybox
  run_tug run --rm -w /etc busybox pwd
  assert_output_equals "/etc"
  run_tug run --rm -w /not/there/yet busybox sh -c 'pwd; [ -d /not/there/yet ] && echo is-dir'
  assert_status 0
  assert_output_equals "/not/there/yet
is-dir"
}

@test "-u takes a uid, a name, uid:gid and name:group" {
  load_busybox
  # docker's groups: the primary group is a supplementary one too.
  run_tug run --rm -u 1000 busybox id
  assert_output_equals "uid=1000 gid=0(root) groups=0(root)"
  run_tug run --rm -u daemon busybox id
  assert_output_equals "uid=1(daemon) gid=1(daemon) groups=1(daemon)"
  run_tug run --rm -u 1000:1000 busybox id
  assert_output_equals "uid=1000 gid=1000 groups=1000"
  run_tug run --rm -u nobody:tty busybox id
  assert_output_equals "uid=65534(nobody) gid=5(tty) groups=5(tty)"
  # The named user's home from /etc/passwd.
  run_tug run --rm -u daemon busybox sh -c 'echo $HOME'
  assert_output_equals "/usr/sbin"
  run_tug run --rm -u no-such-user busybox true
  assert_error 125 "no-such-user"
}

@test "-u with a missing -w directory: the directory is created, as docker does" {
  load_busybox
  run_tug run --rm -u daemon -w /newdir busybox pwd
  assert_status 0
  assert_output_equals "/newdir"
  run_tug run --rm -u 1000:1000 -w /other/new busybox pwd
  assert_status 0
  assert_output_equals "/other/new"
}

@test "--entrypoint replaces the image's command, alone or with arguments" {
  load_busybox
  run_tug run --rm --entrypoint echo busybox one two
  assert_status 0
  assert_output_equals "one two"
  run_tug run --rm --entrypoint /bin/hostname busybox -s
  assert_status 0
  [ -n "$output" ]
  # With no arguments the image's CMD (sh) is dropped, as docker does.
  run_tug run --rm --entrypoint /bin/echo busybox
  assert_status 0
  assert_output_equals ""
  run_tug run --rm --entrypoint '' busybox echo empty-entrypoint
  assert_output_equals "empty-entrypoint"
}

@test "-h sets the hostname, /etc/hostname and /etc/hosts" {
  load_busybox
  run_tug run --rm -h box.example busybox sh -c 'hostname; cat /etc/hostname; grep -w box.example /etc/hosts | wc -l'
  assert_status 0
  assert_output_equals "box.example
box.example
1"
  # Without -h: the short container id, as docker.
  run_tug run --name named-host busybox hostname
  assert_status 0
  local cid
  cid=$("$TUG" ps -a -q)
  assert_output_equals "$cid"
}

@test "-v host:ctr: files written inside belong to the user on the host" {
  load_busybox
  mkdir "$TEST_DIR/shared"
  echo "from host" >"$TEST_DIR/shared/in"
  run_tug run --rm -v "$TEST_DIR/shared:/data" busybox sh -c 'cat /data/in; echo "from container" >/data/out; mkdir /data/dir; touch /data/dir/f'
  assert_status 0
  assert_output_equals "from host"
  [ "$(cat "$TEST_DIR/shared/out")" = "from container" ]
  [ "$(stat -c %u:%g "$TEST_DIR/shared/out")" = "$(id -u):$(id -g)" ]
  [ "$(stat -c %u "$TEST_DIR/shared/dir")" = "$(id -u)" ]
  [ "$(stat -c %u "$TEST_DIR/shared/dir/f")" = "$(id -u)" ]
}

@test "-v host:ctr:ro refuses writes with EROFS" {
  load_busybox
  mkdir "$TEST_DIR/ro"
  echo keep >"$TEST_DIR/ro/file"
  run_tug run --rm -v "$TEST_DIR/ro:/ro:ro" busybox sh -c 'cat /ro/file; echo x >/ro/new; echo x >>/ro/file'
  [ "$status" -ne 0 ]
  assert_output_contains "keep"
  assert_output_contains "Read-only file system"
  [ ! -e "$TEST_DIR/ro/new" ]
  [ "$(cat "$TEST_DIR/ro/file")" = "keep" ]
  # Remounting it read-write from inside is not allowed either.
  run_tug run --rm -v "$TEST_DIR/ro:/ro:ro" busybox sh -c 'mount -o remount,rw /ro && echo x >/ro/new'
  [ "$status" -ne 0 ]
  [ ! -e "$TEST_DIR/ro/new" ]
}

@test "-v binds a single file" {
  load_busybox
  echo "single file" >"$TEST_DIR/one.conf"
  run_tug run --rm -v "$TEST_DIR/one.conf:/etc/one.conf" busybox sh -c 'cat /etc/one.conf; [ -f /etc/one.conf ] && echo regular; echo changed >/etc/one.conf'
  assert_status 0
  assert_output_equals "single file
regular"
  [ "$(cat "$TEST_DIR/one.conf")" = "changed" ]
  # Onto a path that does not exist in the image.
  run_tug run --rm -v "$TEST_DIR/one.conf:/new/dir/one.conf:ro" busybox cat /new/dir/one.conf
  assert_status 0
  assert_output_equals "changed"
}

@test "a missing bind source is exit 125 with an error naming the path" {
  load_busybox
  run --separate-stderr "$TUG" run --rm -v "$TEST_DIR/does-not-exist:/x" busybox true
  assert_status 125
  [ "$(printf '%s\n' "$stderr" | grep -c '^Error:')" -eq 1 ]
  [[ "$stderr" == *"$TEST_DIR/does-not-exist"* ]]
  [ ! -e "$TEST_DIR/does-not-exist" ]
  # Nothing is left behind.
  run_tug ps -a -q
  assert_output_equals ""
}

@test "--network none leaves only lo" {
  load_busybox
  run_tug run --rm --network none busybox cat /proc/net/dev
  assert_status 0
  [ "$(ifnames <<<"$output")" = "lo" ]
  # busybox's ip sees the same.
  run_tug run --rm --network none busybox ip -o link
  assert_status 0
  [ "$(line_count)" -eq 1 ]
  [[ "$output" == *" lo: "* ]]
  # An unknown mode is a tool error, not a container without network.
  run --separate-stderr "$TUG" run --rm --network bogus busybox true
  assert_status 125
  [[ "$stderr" == Error:*bogus* ]]
}

@test "--network host sees the host's interfaces" {
  load_busybox
  run_tug run --rm --network host busybox cat /proc/net/dev
  assert_status 0
  [ "$(ifnames <<<"$output")" = "$(ifnames </proc/net/dev)" ]
  # The same network namespace: the same inode as the host's.
  run_tug run --rm --network host busybox readlink /proc/self/ns/net
  assert_output_equals "$(readlink /proc/self/ns/net)"
}

@test "--network host without -h uses the host's hostname, as docker and podman do" {
  load_busybox
  run_tug run --rm --network host busybox hostname
  assert_output_equals "$(hostname)"
}

@test "/proc, /dev nodes, /dev/pts, /dev/shm and the /etc files work inside" {
  load_busybox
  run_tug run --rm busybox sh -c '
    [ -r /proc/self/status ] && echo proc
    [ "$(cat /proc/1/comm)" = sh ] && echo pid1-is-sh
    head -c 16 /dev/urandom | wc -c
    head -c 5 /dev/zero | od -An -tx1 | tr -d " "
    echo discard >/dev/null && [ ! -s /dev/null ] && echo null
    [ -c /dev/null ] && [ -c /dev/zero ] && [ -c /dev/full ] && [ -c /dev/tty ] && echo chardevs
    [ -e /dev/pts/ptmx ] && echo pts
    echo shm >/dev/shm/f && cat /dev/shm/f
    [ -s /etc/hosts ] && [ -f /etc/resolv.conf ] && [ -s /etc/hostname ] && echo etc-files
    grep -q localhost /etc/hosts && echo localhost'
  assert_status 0
  assert_output_equals "proc
pid1-is-sh
16
0000000000
null
chardevs
pts
shm
etc-files
localhost"
}

@test "sensitive /proc files are masked and /proc/sys is read-only" {
  load_busybox
  local f masked=0
  for f in kcore keys timer_list sched_debug; do
    [ -e "/proc/$f" ] || continue
    masked=$((masked + 1))
    run_tug run --rm busybox sh -c "cat /proc/$f 2>/dev/null | head -c 4096 | wc -c"
    assert_status 0
    if [ "$output" != 0 ]; then
      echo "/proc/$f is readable inside ($output bytes)" >&2
      return 1
    fi
  done
  [ "$masked" -gt 0 ]
  # /proc/keys has content on the host: the mask hides something real.
  if [ -e /proc/keys ]; then [ -s /proc/keys ] || [ "$(wc -c </proc/keys)" -gt 0 ]; fi

  run_tug run --rm busybox sh -c 'echo 1 >/proc/sys/kernel/ns_last_pid'
  [ "$status" -ne 0 ]
  assert_output_contains "Read-only file system"
  run_tug run --rm busybox sh -c 'echo 1 >/proc/sysrq-trigger'
  [ "$status" -ne 0 ]
}

@test "the image's Env, Cmd and WorkingDir are honoured" {
  load_busybox
  make_config_image configured
  run_tug run --rm configured
  assert_status 0
  assert_output_equals "X=1 Y=from-image
/work"
  # Each can be overridden on the command line.
  run_tug run --rm -e X=2 -w /tmp configured
  assert_output_equals "X=2 Y=from-image
/tmp"
  run_tug run --rm configured sh -c 'echo $Y; pwd'
  assert_output_equals "from-image
/work"
}

@test "the image's User is honoured, also with a WorkingDir that is missing" {
  load_busybox
  tug_ok run --name cfgsrc busybox true
  tug_ok export -o "$TEST_DIR/rootfs.tar" cfgsrc
  tug_ok import -c 'USER daemon' -c 'CMD ["id"]' "$TEST_DIR/rootfs.tar" as-daemon
  run_tug run --rm as-daemon
  assert_status 0
  assert_output_equals "uid=1(daemon) gid=1(daemon) groups=1(daemon)"
  run_tug run --rm -u 0 as-daemon
  [[ "$output" == "uid=0(root) gid=0(root)"* ]]

  tug_ok import -c 'USER daemon' -c 'WORKDIR /app' -c 'CMD ["pwd"]' "$TEST_DIR/rootfs.tar" daemon-app
  run_tug run --rm daemon-app
  assert_status 0
  assert_output_equals "/app"
}

@test "--read-only makes / read-only while --tmpfs stays writable" {
  load_busybox
  run_tug run --rm --read-only --tmpfs /scratch busybox sh -c '
    touch /rootfile 2>&1
    echo "root=$?"
    echo data >/scratch/f && cat /scratch/f'
  assert_output_contains "Read-only file system"
  assert_output_contains "root=1"
  assert_output_contains "data"
  # Without --read-only the same write works.
  run_tug run --rm busybox sh -c 'touch /rootfile && echo ok'
  assert_output_equals "ok"
}

@test "--tmpfs mounts a fresh tmpfs with the given options" {
  load_busybox
  run_tug run --rm --tmpfs /scratch --tmpfs /sized:size=1m,mode=1777 busybox sh -c '
    grep " /scratch " /proc/mounts | cut -d" " -f3
    grep " /sized " /proc/mounts | grep -o "size=[0-9]*k"
    stat -c %a /sized
    dd if=/dev/zero of=/sized/big bs=1k count=2048 2>/dev/null; ls -s /sized/big | cut -c1-4'
  assert_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = "tmpfs" ]
  [ "${lines[1]}" = "size=1024k" ]
  [ "${lines[2]}" = "1777" ]
  # The 1m limit holds: the 2m write was cut short.
  [ "$(echo "${lines[3]}" | tr -d ' ')" -le 1024 ]
}

@test "--add-host adds lines to /etc/hosts" {
  load_busybox
  run_tug run --rm --add-host db.local:10.1.2.3 --add-host web:192.168.0.9 busybox cat /etc/hosts
  assert_status 0
  printf '%s\n' "$output" | grep -qE '^10\.1\.2\.3[[:space:]]+db\.local$'
  printf '%s\n' "$output" | grep -qE '^192\.168\.0\.9[[:space:]]+web$'
  run_tug run --rm --add-host bad-entry busybox true
  assert_status 125
}

@test "--dns writes the nameservers to resolv.conf" {
  load_busybox
  run_tug run --rm --dns 9.9.9.9 --dns 1.1.1.1 busybox grep nameserver /etc/resolv.conf
  assert_status 0
  assert_output_equals "nameserver 9.9.9.9
nameserver 1.1.1.1"
  # The /etc files live in the container's own tmpfs: writable inside, not
  # left in /dev, no files of them on the host; a container on another's
  # network shares that one's nameservers.
  tug_ok run -d --name dnsd --dns 9.9.9.9 --hostname h1 busybox sleep 100
  run_tug exec dnsd sh -c 'cat /etc/hostname; echo "10.1.1.1 extra" >>/etc/hosts && grep -c extra /etc/hosts; ls -a /dev | grep -c tug-; grep " /etc/hosts " /proc/self/mountinfo | grep -o " - tmpfs "'
  assert_success
  assert_output_equals "h1
1
0
 - tmpfs "
  id=$("$TUG" inspect --format '{{.Id}}' dnsd)
  run ls "$XDG_DATA_HOME/tug/containers/$id"
  assert_output_not_contains hosts
  assert_output_not_contains resolv.conf
  run_tug run --rm --network container:dnsd busybox grep nameserver /etc/resolv.conf
  assert_output_equals "nameserver 9.9.9.9"
  tug_ok rm -f dnsd
}

@test "default capabilities include NET_RAW and CHOWN; --cap-drop removes them" {
  load_busybox
  run_tug run --rm busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  assert_status 0
  local capeff=$((16#$output))
  # NET_RAW is bit 13, CHOWN bit 0, SYS_ADMIN (bit 21) is not granted.
  [ $(((capeff >> 13) & 1)) -eq 1 ]
  [ $((capeff & 1)) -eq 1 ]
  [ $(((capeff >> 21) & 1)) -eq 0 ]
  run_tug run --rm busybox sh -c 'chown 1:1 /tmp && stat -c %u /tmp'
  assert_output_equals "1"

  run_tug run --rm --cap-drop ALL busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2; chown 1:1 /tmp'
  [ "$status" -ne 0 ]
  assert_output_contains "0000000000000000"
  assert_output_contains "Operation not permitted"

  run_tug run --rm --cap-drop CHOWN busybox sh -c 'chown 1:1 /tmp'
  [ "$status" -ne 0 ]
  assert_output_contains "Operation not permitted"
  run_tug run --rm --cap-drop NET_RAW busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  capeff=$((16#$output))
  [ $(((capeff >> 13) & 1)) -eq 0 ]
  [ $((capeff & 1)) -eq 1 ]
}

@test "--cap-drop ALL --cap-add CHOWN keeps exactly CHOWN" {
  load_busybox
  run_tug run --rm --cap-drop ALL --cap-add CHOWN busybox sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  assert_status 0
  assert_output_equals "0000000000000001"
  run_tug run --rm --cap-drop ALL --cap-add CHOWN busybox sh -c 'chown 1:1 /tmp && stat -c %u /tmp'
  assert_status 0
  assert_output_equals "1"
}

@test "--init makes tug-init PID 1 and it reaps orphans" {
  load_busybox
  run_tug run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "'
  assert_status 0
  [[ "$output" == *tug-init* ]]
  # Without --init the command itself is PID 1.
  run_tug run --rm busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "'
  assert_output_equals "sh -c cat /proc/1/cmdline | tr \"\\0\" \" \" "
  # An orphaned zombie is reaped: none left after the parent is gone.
  run_tug run --rm --init busybox sh -c '(sh -c "sleep 0.1 & exit 0"); sleep 0.5; ps -o stat | grep -c "^Z" || true'
  assert_status 0
  assert_output_equals "0"
  # The exit code still comes through.
  run_tug run --rm --init busybox sh -c 'exit 7'
  assert_status 7
}

@test "-i passes stdin; without -i the container's stdin is empty" {
  load_busybox
  run bash -c 'printf "hi\nthere\n" | "$0" run --rm -i busybox cat' "$TUG"
  assert_status 0
  assert_output_equals "hi
there"
  run bash -c 'printf "hi\n" | "$0" run --rm -i busybox wc -c' "$TUG"
  assert_output_equals "3"
  run bash -c 'echo should-not-arrive | "$0" run --rm busybox cat' "$TUG"
  assert_status 0
  assert_output_equals ""
}

@test "-t gives the container a terminal on /dev/pts" {
  load_busybox
  run_tug run --rm -t busybox tty
  assert_status 0
  [ "$(printf '%s' "$output" | tr -d '\r')" = "/dev/pts/0" ]
  # Under a real terminal, too.
  run script -qec "$TUG run --rm -t busybox sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty'" /dev/null
  assert_status 0
  [ "$(printf '%s' "$output" | tr -d '\r')" = "/dev/pts/0
both-tty" ]
  # Without -t there is no terminal.
  run_tug run --rm busybox tty
  assert_status 1
  assert_output_contains "not a tty"
}

@test "--name shows in ps -a; a second container with that name fails 125" {
  load_busybox
  tug_ok run --name web busybox true
  run_tug ps -a --format '{{.Names}}'
  assert_output_equals "web"
  run --separate-stderr "$TUG" run --name web busybox echo second
  assert_status 125
  [[ "$stderr" == Error:*"already in use"* ]]
  assert_output_equals ""
  run_tug ps -a -q
  [ "$(line_count)" -eq 1 ]
  # After rm the name is free again.
  tug_ok rm web
  tug_ok run --name web busybox true
}

@test "rm removes a container; rm of a missing container is an error" {
  load_busybox
  tug_ok run --name gone busybox sh -c 'echo data >/file'
  local cid
  cid=$("$TUG" ps -a -q --no-trunc)
  [ -d "$XDG_DATA_HOME/tug/containers/$cid" ]
  run_tug rm gone
  assert_status 0
  assert_output_equals "gone"
  [ ! -e "$XDG_DATA_HOME/tug/containers/$cid" ]
  [ ! -e "$XDG_DATA_HOME/tug/names/gone" ]
  run_tug ps -a -q
  assert_output_equals ""

  run --separate-stderr "$TUG" rm gone
  assert_status 1
  [[ "$stderr" == Error:*gone* ]]
  # rm -f of a missing one is quiet and succeeds, as podman.
  run_tug rm -f gone
  assert_status 0
  # By id prefix.
  tug_ok run busybox true
  cid=$("$TUG" ps -a -q)
  run_tug rm "${cid:0:6}"
  assert_status 0
  run_tug ps -a -q
  assert_output_equals ""
}

@test "ps has docker's columns and shows Exited (3)" {
  load_busybox
  run_tug run --name three busybox sh -c 'exit 3'
  assert_status 3
  run_tug ps -a
  assert_status 0
  [ "$(line_count)" -eq 2 ]
  local header row
  header=$(printf '%s\n' "$output" | sed -n 1p)
  row=$(printf '%s\n' "$output" | sed -n 2p)
  [ "$(sed -E 's/ {2,}/|/g' <<<"$header")" = "CONTAINER ID|IMAGE|COMMAND|CREATED|STATUS|PORTS|NAMES" ]
  [[ "$row" =~ ^[0-9a-f]{12}\  ]]
  [[ "$row" == *"Exited (3)"* ]]
  [[ "$row" =~ three$ ]]
  [[ "$row" == *busybox* ]]
  # Each value starts under its header.
  local col
  for col in IMAGE STATUS NAMES; do
    local pos=$(awk -v s="$header" -v c="$col" 'BEGIN{print index(s, c)}')
    [ "${row:$((pos - 1)):1}" != " " ]
    [ "${row:$((pos - 2)):1}" = " " ]
  done
  # Plain ps lists running containers only.
  run_tug ps
  assert_status 0
  [ "$(line_count)" -eq 1 ]
  run_tug ps -a --format '{{.Status}}'
  [[ "$output" == "Exited (3) "* ]]
}
