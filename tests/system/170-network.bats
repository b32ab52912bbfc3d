#!/usr/bin/env bats
# Rootless networking: the default slirp4netns network, none, pasta,
# container:NAME, published ports (tcp, udp, ranges, random, -P) through
# tug's forwarder and slirp4netns's, and the helpers' lifetime. Traffic
# stays on loopback and in the namespaces the tests create.

load helpers

# A page served by busybox httpd on port 80 of container $1 (extra run flags after).
start_web() {
  local name=$1
  shift
  tug_ok run -d --name "$name" "$@" busybox sh -c \
    'mkdir -p /w && printf "served by %s\n" $(hostname) >/w/index.html && head -c 1048576 /dev/zero >/w/big && exec httpd -f -p 80 -h /w'
}

# curl with retries while the server inside starts.
fetch() {
  local i
  for i in $(seq 50); do
    if out=$(curl -sf --max-time 5 "$1"); then
      printf '%s' "$out"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# A static UDP echo server for the container (busybox's nc has no -u).
build_udp_echo() {
  cat >"$TEST_DIR/udpecho.c" <<'C'
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char** argv) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0) return 1;
  for (;;) {
    char buf[2048];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &len);
    if (n > 0) sendto(s, buf, n, 0, (struct sockaddr*)&from, len);
  }
}
C
  gcc -static -O2 -o "$TEST_DIR/udpecho" "$TEST_DIR/udpecho.c"
}

udp_ask() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(20):
    s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recv(2048).decode())
        break
    except socket.timeout:
        pass
else:
    sys.exit(1)
PY
}

@test "the default network: slirp4netns with an address, a route, slirp's DNS and the container's name in /etc/hosts" {
  load_busybox
  run_tug run --rm --name netbox busybox sh -c 'ip -4 addr show tap0; ip route; cat /etc/resolv.conf; cat /etc/hosts; hostname'
  assert_success
  assert_output_contains "inet 10.0.2.100/24"
  assert_output_contains "default via 10.0.2.2 dev tap0"
  assert_output_contains "nameserver 10.0.2.3"
  host=$(echo "$output" | tail -1)
  assert_output_contains "10.0.2.100	$host"
  tug_ok create --name c1 busybox true
  tug_ok inspect --format '{{.HostConfig.NetworkMode}}' c1
  assert_output_equals "slirp4netns"
}

@test "--network none has only loopback, and it is up" {
  load_busybox
  run_tug run --rm --network none busybox sh -c 'ls /sys/class/net; ip link show lo'
  assert_success
  assert_output_equals "lo
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
  # A server and a client on 127.0.0.1 inside.
  run_tug run --rm --network none busybox sh -c \
    'mkdir /w; echo loop-ok >/w/i; httpd -p 127.0.0.1:8080 -h /w; wget -qO- http://127.0.0.1:8080/i'
  assert_success
  assert_output_equals "loop-ok"
}

@test "slirp4netns options: mtu and cidr; a bad option is refused" {
  load_busybox
  run_tug run --rm --network slirp4netns:mtu=1500,cidr=10.5.0.0/24 busybox sh -c 'ip -4 addr show tap0; cat /etc/resolv.conf'
  assert_success
  assert_output_contains "mtu 1500"
  assert_output_contains "inet 10.5.0.100/24"
  assert_output_contains "nameserver 10.5.0.3"
  run_tug run --rm --network slirp4netns:speed=fast busybox true
  assert_error 125 'unknown slirp4netns option "speed"'
  run_tug run --rm --network slirp4netns:mtu=9 busybox true
  assert_error 125 "mtu"
  run_tug run --rm --network nosuchnet busybox true
  assert_error 125 'unable to find network with name or ID nosuchnet'
}

@test "the container reaches the host's loopback only with allow_host_loopback" {
  load_busybox
  port=$(free_port)
  mkdir -p "$TEST_DIR/site"
  echo from-the-host >"$TEST_DIR/site/f"
  python3 -m http.server --bind 127.0.0.1 --directory "$TEST_DIR/site" "$port" >/dev/null 2>&1 &
  server=$!
  for i in $(seq 50); do curl -sf "http://127.0.0.1:$port/f" >/dev/null && break; sleep 0.1; done
  run_tug run --rm --network slirp4netns:allow_host_loopback=true busybox wget -qO- "http://10.0.2.2:$port/f"
  status_allowed=$status
  output_allowed=$output
  run_tug run --rm busybox wget -T 2 -qO- "http://10.0.2.2:$port/f"
  status_default=$status
  kill $server
  [ "$status_allowed" -eq 0 ]
  [ "$output_allowed" = "from-the-host" ]
  [ "$status_default" -ne 0 ]
}

@test "-p publishes a tcp port: a page and a 1 MiB download through it, ps and port show it" {
  load_busybox
  port=$(free_port)
  start_web web -p "$port:80"
  run fetch "http://127.0.0.1:$port/index.html"
  assert_success
  assert_output_contains "served by"
  curl -sf "http://127.0.0.1:$port/big" -o "$TEST_DIR/big"
  [ "$(stat -c %s "$TEST_DIR/big")" -eq 1048576 ]
  tug_ok port web
  assert_output_equals "80/tcp -> 0.0.0.0:$port"
  tug_ok port web 80
  assert_output_equals "0.0.0.0:$port"
  run_tug port web 81/tcp
  assert_error 1 'no public port "81/tcp"'
  tug_ok ps --format '{{.Names}} {{.Ports}}'
  assert_output_contains "web 0.0.0.0:$port->80/tcp"
  tug_ok inspect --format '{{json .NetworkSettings.Ports}}' web
  assert_output_contains "\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$port\"}]"
  # The port is free again once the container stops.
  tug_ok stop -t 1 web
  run curl -sf --max-time 2 "http://127.0.0.1:$port/index.html"
  [ "$status" -ne 0 ]
  tug_ok port web
  assert_output_equals ""
  # (SO_REUSEADDR: the connections just closed linger in TIME_WAIT.)
  python3 -c "import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $port)); s.listen()"
}

@test "-p forms: IP:HOST:CTR, ranges, a random host port, -P for EXPOSEd ports" {
  load_busybox
  p1=$(free_port)
  start_web web1 -p "127.0.0.1:$p1:80"
  run fetch "http://127.0.0.1:$p1/index.html"
  assert_success
  tug_ok port web1 80
  assert_output_equals "127.0.0.1:$p1"

  # A range: two servers, two host ports.
  base=$(python3 -c 'import socket
for p in range(20000, 60000, 7):
    try:
        a = socket.socket(); a.bind(("0.0.0.0", p)); b = socket.socket(); b.bind(("0.0.0.0", p + 1))
        print(p); break
    except OSError: pass')
  tug_ok run -d --name ranged -p "$base-$((base + 1)):8000-8001" busybox sh -c \
    'mkdir /a /b; echo A >/a/i; echo B >/b/i; httpd -p 8000 -h /a; exec httpd -f -p 8001 -h /b'
  run fetch "http://127.0.0.1:$base/i"
  assert_output_equals "A"
  run fetch "http://127.0.0.1:$((base + 1))/i"
  assert_output_equals "B"

  # A random host port.
  start_web web2 -p :80
  tug_ok port web2 80/tcp
  hp=${output##*:}
  [ "$hp" -gt 0 ]
  run fetch "http://127.0.0.1:$hp/index.html"
  assert_success

  # -P: the image's EXPOSE.
  mkdir -p "$TEST_DIR/ctx"
  printf 'FROM busybox\nEXPOSE 80\n' >"$TEST_DIR/ctx/Containerfile"
  tug_ok build -q -t exposed "$TEST_DIR/ctx"
  tug_ok run -d --name web3 -P exposed sh -c 'mkdir /w; echo exposed >/w/i; exec httpd -f -p 80 -h /w'
  tug_ok port web3
  [[ "$output" =~ ^80/tcp\ -\>\ 0\.0\.0\.0:([0-9]+)$ ]]
  run fetch "http://127.0.0.1:${BASH_REMATCH[1]}/i"
  assert_output_equals "exposed"
}

@test "-p publishes a udp port" {
  load_busybox
  build_udp_echo
  port=$(free_port)
  tug_ok run -d --name echo -p "$port:5353/udp" -v "$TEST_DIR/udpecho:/udpecho:ro" busybox /udpecho 5353
  run udp_ask "$port" "ping-over-udp"
  assert_success
  assert_output_equals "ping-over-udp"
  run udp_ask "$port" "second"
  assert_output_equals "second"
}

@test "port errors: in use, privileged, malformed, and with a network that cannot take them" {
  load_busybox
  port=$(free_port)
  python3 -c "import socket, time
s = socket.socket(); s.bind(('0.0.0.0', $port)); s.listen(); time.sleep(30)" &
  holder=$!
  for i in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
  run_tug run --rm -p "$port:80" busybox true
  kill $holder
  assert_error 125 "address 0.0.0.0:$port is already in use"
  run_tug run --rm -p 80:80 busybox true
  assert_error 125 "ports below"
  assert_output_contains "net.ipv4.ip_unprivileged_port_start"
  run_tug run --rm -p 8080:80/sctp busybox true
  assert_error 125 'protocol "sctp" is not tcp or udp'
  run_tug run --rm -p 70000:80 busybox true
  assert_error 125 "not in 1..65535"
  run_tug run --rm -p 8000-8002:80-81 busybox true
  assert_error 125 "differ in length"
  run_tug run --rm --network none -p 8080:80 busybox true
  assert_error 125 "cannot publish ports with --network none"
  # Nothing was left: no container, no helper.
  tug_ok ps -aq
  assert_output_equals ""
}

@test "port_handler=slirp4netns forwards through slirp's own listener" {
  load_busybox
  port=$(free_port)
  start_web web --network slirp4netns:port_handler=slirp4netns -p "$port:80"
  run fetch "http://127.0.0.1:$port/index.html"
  assert_success
  assert_output_contains "served by"
  tug_ok inspect --format '{{.HostConfig.NetworkMode}}' web
  assert_output_equals "slirp4netns:port_handler=slirp4netns"
}

@test "pasta: an address from the host, a published port" {
  command -v pasta >/dev/null || skip "passt (pasta) is not installed"
  load_busybox
  port=$(free_port)
  start_web web --network pasta -p "$port:80"
  run fetch "http://127.0.0.1:$port/index.html"
  assert_success
  assert_output_contains "served by"
  tug_ok exec web sh -c 'ip route | grep -c default'
  assert_output_equals "1"
  pasta_pid=$(pgrep -u "$(id -u)" -f "pasta .*$(tug_state_pid web)\$")
  [ -n "$pasta_pid" ]
  tug_ok rm -f web
  for i in $(seq 30); do kill -0 "$pasta_pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pasta_pid" 2>/dev/null
}

tug_state_pid() {
  "$TUG" inspect --format '{{.State.Pid}}' "$1"
}

@test "--network container:NAME shares the other container's network and loopback" {
  load_busybox
  tug_ok run -d --name srv busybox sh -c 'mkdir /w; echo shared-lo >/w/i; exec httpd -f -p 127.0.0.1:8080 -h /w'
  run_tug run --rm --network container:srv busybox sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/i && exit 0; sleep 0.2; done; exit 1'
  assert_success
  assert_output_equals "shared-lo"
  run_tug run --rm --network container:srv busybox ip -4 addr show tap0
  assert_output_contains "10.0.2.100"
  tug_ok create --name joiner --network container:srv busybox true
  tug_ok stop -t 0 srv
  run_tug start joiner
  assert_error 125 "cannot join the network of container srv: it is not running"
  run_tug run --rm --network container:nosuch busybox true
  assert_error 125 'no container with name or ID "nosuch" found'
  run_tug run --rm --network container:srv -p 8080:80 busybox true
  assert_error 125 "cannot publish ports"
}

@test "network helpers end with the container: after rm -f, and after SIGKILL of the monitor" {
  load_busybox
  port=$(free_port)
  start_web web -p "$port:80"
  run fetch "http://127.0.0.1:$port/index.html"
  assert_success
  mon=$(pgrep -u "$(id -u)" -f "tug-monitor --pid $(tug_state_pid web) ")
  helpers=$(pgrep -P "$mon" | grep -v "^$(tug_state_pid web)\$" | tr '\n' ' ')
  # slirp4netns and the forwarder.
  [ "$(echo $helpers | wc -w)" -eq 2 ]
  ps -o args= -p "$(echo $helpers | tr ' ' ,)" | grep -q slirp4netns
  tug_ok rm -f web
  for pid in $helpers; do ! kill -0 "$pid" 2>/dev/null; done

  start_web web2 -p "$port:80"
  run fetch "http://127.0.0.1:$port/index.html"
  assert_success
  ctr=$(tug_state_pid web2)
  mon=$(pgrep -u "$(id -u)" -f "tug-monitor --pid $ctr ")
  helpers=$(pgrep -P "$mon" | tr '\n' ' ')
  kill -9 "$mon"
  for i in $(seq 50); do
    alive=0
    for pid in $helpers; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  [ $alive -eq 0 ]
  # tug notices, and the port is free for the next container.
  tug_ok ps -a --format '{{.Names}} {{.Status}}'
  assert_output_contains "web2 Exited (-1)"
  start_web web3 -p "$port:80"
  run fetch "http://127.0.0.1:$port/index.html"
  assert_success
}

@test "a restarted container publishes its ports again" {
  load_busybox
  port=$(free_port)
  tug_ok run -d --name flaky --restart on-failure:1 -p "$port:80" busybox sh -c \
    'mkdir -p /w; echo up >/w/i; if [ ! -e /w/again ]; then touch /w/again; httpd -p 80 -h /w; sleep 0.5; exit 3; fi; exec httpd -f -p 80 -h /w'
  for i in $(seq 50); do
    [ "$("$TUG" inspect --format '{{.RestartCount}}' flaky)" = 1 ] && break
    sleep 0.1
  done
  run fetch "http://127.0.0.1:$port/i"
  assert_success
  assert_output_equals "up"
}
