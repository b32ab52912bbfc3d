#!/usr/bin/env bats
# tug build with today's Dockerfile syntax: RUN --mount (cache, bind, tmpfs,
# secret, ssh), RUN --network/--security, the syntax directive, and the
# build options --secret, --ssh, --output, --timestamp, --iidfile,
# --platform. Each mount is checked for what it gives the command and for
# what it must not leave in the image.

load helpers

SECRET_VALUE=s3cr3t-VALUE-4242

# podman's store and cache mounts (files of subordinate ids) and the git
# test's web server go before the common cleanup.
teardown() {
  if [ -d "$TEST_DIR/podman" ]; then
    podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" unshare \
      rm -rf "$TEST_DIR/podman" "$TEST_DIR/tmp" >/dev/null 2>&1 || true
  fi
  if [ -s "$TEST_DIR/server.pid" ]; then
    kill "$(cat "$TEST_DIR/server.pid")" 2>/dev/null || true
  fi
  tug_test_cleanup
}

# ctx NAME: a context directory NAME with a Dockerfile read from stdin.
ctx() {
  mkdir -p "$TEST_DIR/$1"
  cat >"$TEST_DIR/$1/Dockerfile"
}

# No build container may outlive a build, failed or not.
no_build_containers() {
  tug_ok ps --external -a -q
  assert_output_equals ""
}

# Every byte of an image as saved, nested layer tarballs unpacked.
image_bytes() {
  rm -rf "$TEST_DIR/saved" && mkdir "$TEST_DIR/saved"
  "$TUG" image save -o "$TEST_DIR/saved.tar" "$1" >/dev/null
  tar -xf "$TEST_DIR/saved.tar" -C "$TEST_DIR/saved"
  find "$TEST_DIR/saved" -type f | while read -r f; do
    cat "$f"
    tar -xOf "$f" 2>/dev/null || true
  done
}

@test "a cache mount survives between builds, never enters the image, and prune removes it" {
  load_busybox
  ctx cache <<'EOF'
FROM busybox AS seed
RUN mkdir /data && echo seeded > /data/f
FROM busybox
RUN --mount=type=cache,target=/cache,id=counter n=$(($(cat /cache/n 2>/dev/null || echo 0) + 1)) && echo $n > /cache/n && echo $((6*7))00-$((11*11)) > /cache/mark && echo "count=$n"
RUN --mount=type=cache,target=/c2,uid=1234,gid=2345,mode=0700 --mount=type=cache,target=/seeded,id=fromstage,from=seed,source=/data --mount=type=cache,target=/cache,id=counter,ro sh -c 'stat -c "owner %u:%g %a" /c2; cat /seeded/f; echo x > /cache/y || echo cache-ro'
EOF
  tug_ok build --no-cache -t c1 cache
  assert_output_contains "count=1"
  assert_output_contains "owner 1234:2345 700"
  assert_line "seeded"
  assert_line "cache-ro"
  tug_ok build --no-cache -t c2 cache
  assert_output_contains "count=2"
  # Neither the files nor the mount points are in the image.
  tug_ok run --rm c2 sh -c 'for p in /cache /c2 /seeded; do test -e $p && echo present $p; done; echo checked'
  assert_output_equals "checked"
  image_bytes c2 >"$TEST_DIR/bytes"
  ! grep -aq "4200-121" "$TEST_DIR/bytes"
  # The cache is the store's: system df counts it, builder prune removes it.
  tug_ok system df --format '{{.Type}} {{.Size}}'
  assert_output_contains "Build Cache"
  tug_ok builder prune -f
  assert_output_contains "(counter)"
  [ ! -e "$XDG_DATA_HOME/tug/build-cache/mounts" ]
  tug_ok build --no-cache -t c3 cache
  assert_output_contains "count=1"
  # system prune too.
  tug_ok system prune -f
  assert_output_contains "(counter)"
  [ ! -e "$XDG_DATA_HOME/tug/build-cache/mounts" ]
  no_build_containers
}

@test "sharing=locked makes concurrent builds take turns" {
  load_busybox
  ctx locked <<'EOF'
FROM busybox
ARG WHO
RUN --mount=type=cache,target=/c,id=turns,sharing=locked sh -c 'if [ -e /c/busy ]; then echo COLLISION; fi; touch /c/busy; echo "$WHO in" >> /c/log; sleep 1; echo "$WHO out" >> /c/log; rm /c/busy'
EOF
  "$TUG" build --no-cache --build-arg WHO=a -t la locked >"$TEST_DIR/a.log" 2>&1 &
  a=$!
  "$TUG" build --no-cache --build-arg WHO=b -t lb locked >"$TEST_DIR/b.log" 2>&1 &
  b=$!
  wait "$a"
  wait "$b"
  ! grep -q COLLISION "$TEST_DIR/a.log" "$TEST_DIR/b.log"
  # The log of the shared cache: one build in and out, then the other.
  ctx readlog <<'EOF'
FROM busybox
RUN --mount=type=cache,target=/c,id=turns cat /c/log
EOF
  tug_ok build --no-cache readlog
  turns=$(echo "$output" | grep -E '^[ab] (in|out)$' | sed 's/^[ab] //' | tr '\n' ' ')
  [ "$turns" = "in out in out " ]
}

@test "bind mounts: the context, a file of it, a stage and an image; read-only unless rw, writes discarded" {
  load_busybox
  ctx bind <<'EOF'
FROM busybox AS src
RUN mkdir -p /out && echo from-stage > /out/f
FROM busybox
RUN --mount=type=bind,target=/ctx,rw sh -c 'echo changed > /ctx/hello.txt && cat /ctx/hello.txt'
RUN --mount=type=bind,target=/ctx --mount=type=bind,source=hello.txt,target=/h.txt --mount=type=bind,from=src,source=/out,target=/s --mount=type=bind,from=busybox,source=/bin/busybox,target=/bb/busybox sh -c 'cat /ctx/hello.txt; if touch /ctx/new 2>/dev/null; then echo ctx-rw; else echo ctx-ro; fi; echo "file $(cat /h.txt)"; cat /s/f; /bb/busybox echo from-image; test ! -e /ctx/private.key && echo ignored-ok'
EOF
  echo "hello context" >"$TEST_DIR/bind/hello.txt"
  echo "key" >"$TEST_DIR/bind/private.key"
  echo "private.key" >"$TEST_DIR/bind/.dockerignore"
  tug_ok build -t b1 bind
  assert_line "hello context"
  assert_line "file hello context"
  assert_line "ctx-ro"
  assert_output_contains "changed"
  assert_output_contains "from-stage"
  assert_output_contains "from-image"
  assert_output_contains "ignored-ok"
  # rw wrote to a copy: the context is as it was.
  [ "$(cat "$TEST_DIR/bind/hello.txt")" = "hello context" ]
  [ ! -e "$TEST_DIR/bind/new" ]
  tug_ok run --rm b1 sh -c 'for p in /ctx /h.txt /s /bb; do test -e $p && echo present $p; done; echo checked'
  assert_output_equals "checked"
  # The bound files are part of the step's cache key.
  tug_ok build -t b2 bind
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 3 ]
  echo "hello again" >"$TEST_DIR/bind/hello.txt"
  tug_ok build -t b3 bind
  assert_line "file hello again"
  # A source that is not there.
  ctx nobind <<'EOF'
FROM busybox
RUN --mount=type=bind,source=missing.txt,target=/m cat /m
EOF
  run_tug build nobind
  assert_status 125
  assert_output_contains "Dockerfile:2: RUN --mount=type=bind,source=missing.txt,target=/m: \"missing.txt\": no such file or directory in the build context"
  no_build_containers
}

@test "a tmpfs mount is a tmpfs of the size asked, and leaves nothing" {
  load_busybox
  ctx tmpfs <<'EOF'
FROM busybox
RUN --mount=type=tmpfs,target=/scratch,size=1m sh -c 'grep " /scratch " /proc/mounts && echo data > /scratch/f'
EOF
  tug_ok build -t t1 tmpfs
  assert_output_contains "tmpfs /scratch tmpfs"
  assert_output_contains "size=1024k"
  tug_ok run --rm t1 sh -c 'test -e /scratch && echo present; echo checked'
  assert_output_equals "checked"
}

@test "a secret reaches RUN as a file or a variable, and never the image, its history, the log or the store" {
  load_busybox
  ctx secret <<'EOF'
# syntax=docker/dockerfile:1.4
FROM busybox
RUN --mount=type=secret,id=tok --mount=type=secret,id=tok,target=/etc/tok.txt,mode=0440,uid=1234,gid=99 sh -c "wc -c < /run/secrets/tok > /len && stat -c '%a %u' /run/secrets/tok > /perm && stat -c '%a %u:%g' /etc/tok.txt >> /perm"
RUN --mount=type=secret,id=envtok,env=MY_TOKEN --mount=type=secret,id=notgiven sh -c 'echo "env-ok $(printf %s "$MY_TOKEN" | md5sum | cut -c1-12)"; cat /run/secrets/notgiven 2>/dev/null || echo optional-absent'
EOF
  printf '%s' "$SECRET_VALUE" >"$TEST_DIR/tok.txt"
  export ENVTOK=$SECRET_VALUE
  tug_ok build -t s1 --secret id=tok,src="$TEST_DIR/tok.txt" --secret id=envtok,env=ENVTOK secret
  assert_output_contains "env-ok $(printf %s "$SECRET_VALUE" | md5sum | cut -c1-12)"
  assert_output_contains "optional-absent"
  assert_output_not_contains "$SECRET_VALUE"
  tug_ok run --rm s1 sh -c 'cat /len /perm; ls /run/secrets /etc/tok.txt 2>&1 | grep -c "No such file"'
  assert_output_equals "17
400 0
440 1234:99
2"
  tug_ok history --no-trunc s1
  assert_output_not_contains "$SECRET_VALUE"
  tug_ok image inspect s1
  assert_output_not_contains "$SECRET_VALUE"
  image_bytes s1 >"$TEST_DIR/bytes"
  ! grep -aq -- "$SECRET_VALUE" "$TEST_DIR/bytes"
  grep -aq "440 1234:99" "$TEST_DIR/bytes"  # (the layers were read)
  # Nowhere in the store (layers, cache records, work files), as far as
  # the user can read it.
  run grep -rls -- "$SECRET_VALUE" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
  assert_output_equals ""
  # The content is not part of the cache key: another value, same steps.
  printf 'other' >"$TEST_DIR/tok.txt"
  tug_ok build -t s2 --secret id=tok,src="$TEST_DIR/tok.txt" --secret id=envtok,env=ENVTOK secret
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 2 ]
  [ "$(echo "$output" | tail -1)" = "$("$TUG" image inspect s1 --format '{{.Id}}' | sed 's/sha256://')" ]

  # required=true without the secret; bad --secret flags.
  ctx required <<'EOF'
FROM busybox
RUN --mount=type=secret,id=needed,required=true cat /run/secrets/needed
EOF
  run_tug build required
  assert_status 125
  assert_output_contains "Dockerfile:2: secret \"needed\" is required but was not given"
  run_tug build --secret id=tok,src="$TEST_DIR/nosuchfile" secret
  assert_status 125
  assert_output_contains "nosuchfile: no such file"
  run_tug build --secret id=tok,bogus=1 secret
  assert_status 125
  assert_output_contains "unknown key \"bogus\" in --secret"
  unset NOSUCHVAR
  run_tug build --secret id=x,env=NOSUCHVAR secret
  assert_status 125
  assert_output_contains "NOSUCHVAR is not set"
  no_build_containers
}

@test "an ssh mount binds the agent socket given by --ssh" {
  load_busybox
  /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TEST_DIR/agent.sock"
  ctx ssh <<'EOF'
FROM busybox
RUN --mount=type=ssh sh -c 'test -S "$SSH_AUTH_SOCK" && echo "agent at $SSH_AUTH_SOCK"'
RUN --mount=type=ssh,id=deploy,target=/tmp/deploy.sock,required=true sh -c 'test -S /tmp/deploy.sock && echo deploy-ok'
EOF
  tug_ok build -t ssh1 --ssh default="$TEST_DIR/agent.sock" --ssh deploy="$TEST_DIR/agent.sock" ssh
  assert_output_contains "agent at /run/buildkit/ssh_agent.0"
  assert_output_contains "deploy-ok"
  tug_ok run --rm ssh1 sh -c 'test -e /run/buildkit && echo present; test -e /tmp/deploy.sock && echo present; echo checked'
  assert_output_equals "checked"
  run_tug build --no-cache --ssh default="$TEST_DIR/agent.sock" ssh
  assert_status 125
  assert_output_contains "Dockerfile:3: ssh agent \"deploy\" is required but was not given"
  echo notasocket >"$TEST_DIR/key"
  run_tug build --ssh default="$TEST_DIR/key" ssh
  assert_status 125
  assert_output_contains "is not a socket"
  no_build_containers
}

@test "RUN --network and --security" {
  load_busybox
  ctx net <<'EOF'
FROM busybox
RUN --network=none sh -c 'echo nets: $(ls /sys/class/net)'
RUN --network=default --security=sandbox echo sandboxed
EOF
  tug_ok build -t n1 net
  assert_output_contains "nets: lo"
  assert_output_not_contains "nets: lo "
  assert_output_contains "sandboxed"
  ctx badnet <<'EOF'
FROM busybox
RUN --network=bridge true
EOF
  run_tug build badnet
  assert_status 125
  assert_output_contains "Dockerfile:2: RUN --network=bridge is not supported"
  ctx insecure <<'EOF'
FROM busybox
RUN --security=insecure true
EOF
  run_tug build insecure
  assert_status 125
  assert_output_contains "Dockerfile:2: RUN --security=insecure is not supported by tug build"
  no_build_containers
}

@test "bad mounts and syntax lines are errors naming the line; nothing is left" {
  load_busybox
  local df
  for df in "type=nfs,target=/x|unsupported mount type \"nfs\"" \
    "type=cache,target=/x,colour=red|unknown option \"colour\"" \
    "type=tmpfs,target=/x,from=busybox|option \"from\" does not apply to type=tmpfs" \
    "type=cache,id=../../etc,target=/x|invalid cache id \"../../etc\"" \
    "type=cache,target=/x,sharing=sometimes|invalid sharing \"sometimes\"" \
    "type=cache,target=/x,mode=999|invalid mode \"999\"" \
    "type=bind,source=.|a bind mount needs a target" \
    "type=bind,from=nosuchstage,target=/x|from=nosuchstage: no stage or image of that name"; do
    mkdir -p "$TEST_DIR/bad"
    printf 'FROM busybox\nRUN true\nRUN --mount=%s true\n' "${df%%|*}" >"$TEST_DIR/bad/Dockerfile"
    run_tug build bad
    assert_status 125
    assert_output_contains "Dockerfile:3: "
    assert_output_contains "${df#*|}"
  done
  printf '# syntax=example.com/my/frontend:2\nFROM busybox\n' >"$TEST_DIR/bad/Dockerfile"
  run_tug build bad
  assert_status 125
  assert_output_contains "Dockerfile:1: unsupported syntax \"example.com/my/frontend:2\""
  printf '# syntax=docker.io/docker/dockerfile:1.7-labs\nFROM busybox\nRUN echo labs-ok\n' >"$TEST_DIR/bad/Dockerfile"
  tug_ok build bad
  assert_output_contains "labs-ok"
  no_build_containers
}

@test "--output writes the image's files; --timestamp makes the same image twice; --iidfile, --platform" {
  load_busybox
  ctx out <<'EOF'
FROM busybox
COPY f.txt /f.txt
RUN echo made > /made && mkdir -p /d && echo inner > /d/inner
EOF
  echo context-file >"$TEST_DIR/out/f.txt"
  tug_ok build --timestamp 1700000000 --no-cache --iidfile "$TEST_DIR/iid1" -o "$TEST_DIR/dir1" -t o1 out
  id1=$(echo "$output" | tail -1)
  [ "$(cat "$TEST_DIR/iid1")" = "sha256:$id1" ]
  [ "$(cat "$TEST_DIR/dir1/made")" = made ]
  [ "$(cat "$TEST_DIR/dir1/d/inner")" = inner ]
  [ "$(cat "$TEST_DIR/dir1/f.txt")" = context-file ]
  [ -x "$TEST_DIR/dir1/bin/busybox" ]
  rm -rf "$TEST_DIR/dir1"  # the user can remove what tug wrote
  tug_ok build --timestamp 1700000000 --no-cache --output type=tar,dest="$TEST_DIR/out.tar" -t o2 out
  id2=$(echo "$output" | tail -1)
  [ "$id1" = "$id2" ]
  tar -tf "$TEST_DIR/out.tar" | grep -qx './made\|made'
  [ "$(tar -xOf "$TEST_DIR/out.tar" ./d/inner 2>/dev/null || tar -xOf "$TEST_DIR/out.tar" d/inner)" = inner ]
  tug_ok image inspect o2 --format '{{.Created}}'
  assert_output_contains "2023-11-14"
  tug_ok build --output type=local,dest="$TEST_DIR/dir2" out
  [ "$(cat "$TEST_DIR/dir2/made")" = made ]
  # Without --timestamp the times are now's: another id.
  tug_ok build --no-cache out
  [ "$(echo "$output" | tail -1)" != "$id1" ]
  # --squash-all: one layer, the base image's files in it too.
  tug_ok build --squash-all -t sq out
  tug_ok image inspect sq --format '{{len .RootFS.Layers}}'
  assert_output_equals 1
  tug_ok run --rm sq cat /made /d/inner /f.txt
  assert_output_equals "made
inner
context-file"
  run_tug build --output type=registry,dest=x out
  assert_status 125
  assert_output_contains "--output type \"registry\" is not supported"
  run_tug build --annotation org.example=1 out
  assert_status 125
  assert_output_contains "build --annotation is not implemented"
  run_tug build --timestamp yesterday out
  assert_status 125
  assert_output_contains "invalid --timestamp"
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  tug_ok build --platform "linux/$arch" out
  run_tug build --platform linux/s390x out
  assert_status 125
  assert_output_contains "this host's platform only"
  no_build_containers
}

@test "COPY --link, --parents and --exclude" {
  load_busybox
  ctx cp <<'EOF2'
FROM busybox
COPY --link a.txt /linked/
COPY --parents src/x/one.txt src/y/two.txt /out/
COPY --parents src/y /dirs
COPY --exclude=*.log logs/ /logs/
EOF2
  mkdir -p cp/src/x cp/src/y cp/logs
  echo 1 >cp/src/x/one.txt
  echo 2 >cp/src/y/two.txt
  echo a >cp/a.txt
  echo keep >cp/logs/keep.txt
  echo drop >cp/logs/drop.log
  tug_ok build -t cp1 cp
  tug_ok run --rm cp1 sh -c 'cat /linked/a.txt /out/src/x/one.txt /out/src/y/two.txt /dirs/src/y/two.txt; ls /logs'
  assert_output_equals "a
1
2
2
keep.txt"
}

@test "tug and podman give RUN the same mounts and leave none of them in the image" {
  command -v podman >/dev/null || skip "podman is not installed"
  load_busybox
  # buildah keeps its cache mounts under TMPDIR: this test's own.
  export TMPDIR=$TEST_DIR/tmp
  mkdir -p "$TMPDIR"
  local -a PODMAN=(podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" --runtime runc
    --cgroup-manager=cgroupfs --events-backend=file --storage-driver overlay)
  "${PODMAN[@]}" load -q -i "$BUSYBOX_TAR" >/dev/null || skip "podman cannot load images here"
  ctx side <<'EOF2'
FROM busybox
RUN --mount=type=cache,target=/root/.cache,id=side --mount=type=bind,target=/ctx --mount=type=tmpfs,target=/scratch --mount=type=secret,id=tok --mount=type=secret,id=tok2,target=/etc/tok.txt,mode=0440,uid=1234 --mount=type=cache,target=/var/cache/apt,id=c2,uid=1234,mode=0700 sh -c 'echo x > /root/.cache/x; echo "M cache $(cat /root/.cache/x)"; echo "M bind $(cat /ctx/hello.txt)"; echo "M tmpfs $(ls -A /scratch | wc -l)"; echo "M secret $(wc -c < /run/secrets/tok) $(stat -c "%a %u:%g" /run/secrets/tok)"; echo "M secret2 $(stat -c "%a %u:%g" /etc/tok.txt)"; echo "M cache2 $(stat -c "%a %u:%g" /var/cache/apt)"'
EOF2
  echo hello >"$TEST_DIR/side/hello.txt"
  echo tokval >"$TEST_DIR/tok"
  tug_ok build -t side --secret id=tok,src="$TEST_DIR/tok" --secret id=tok2,src="$TEST_DIR/tok" side
  tug_lines=$(echo "$output" | grep '^M ')
  run "${PODMAN[@]}" build -t side --secret id=tok,src="$TEST_DIR/tok" --secret id=tok2,src="$TEST_DIR/tok" side
  [ "$status" -eq 0 ] || skip "podman cannot build here: ${output##*$'\n'}"
  podman_lines=$(echo "$output" | grep '^M ')
  [ "$(echo "$tug_lines" | wc -l)" -eq 6 ]
  [ "$tug_lines" = "$podman_lines" ]
  # The mount points are gone in both images.
  check='for p in /root/.cache /ctx /scratch /run/secrets/tok /etc/tok.txt /var/cache/apt; do test -e $p && echo left $p; done; echo checked'
  tug_ok run --rm side sh -c "$check"
  assert_output_equals "checked"
  run "${PODMAN[@]}" run --rm side sh -c "$check"
  assert_output_equals "checked"
}

@test "ADD of a git repository: a tag, a directory of it, a commit, --keep-git-dir, --checksum" {
  load_busybox
  # A repository served over git's dumb http protocol on loopback.
  mkdir -p "$TEST_DIR/work" "$TEST_DIR/srv"
  git -C "$TEST_DIR/work" init -q
  mkdir -p "$TEST_DIR/work/sub"
  echo one >"$TEST_DIR/work/a.txt"
  echo inner >"$TEST_DIR/work/sub/b.txt"
  git -C "$TEST_DIR/work" add -A
  git -C "$TEST_DIR/work" -c user.name=t -c user.email=t@e commit -q -m one
  git -C "$TEST_DIR/work" tag v1
  first=$(git -C "$TEST_DIR/work" rev-parse HEAD)
  echo two >"$TEST_DIR/work/a.txt"
  git -C "$TEST_DIR/work" -c user.name=t -c user.email=t@e commit -q -am two
  git clone -q --bare "$TEST_DIR/work" "$TEST_DIR/srv/repo.git"
  git -C "$TEST_DIR/srv/repo.git" update-server-info
  port=$(free_port)
  python3 -m http.server --bind 127.0.0.1 --directory "$TEST_DIR/srv" "$port" >/dev/null 2>&1 &
  server=$!
  echo "$server" >"$TEST_DIR/server.pid"
  for i in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  url=http://127.0.0.1:$port/repo.git
  ctx git <<EOF2
FROM busybox
ADD $url#v1 /tag/
ADD $url#v1:sub /subdir/
ADD $url#$first /commit/
ADD --keep-git-dir $url /kept/
ADD --checksum=$first $url#v1 /checked/
EOF2
  tug_ok build -t g1 git
  tug_ok run --rm g1 sh -c 'cat /kept/a.txt /tag/a.txt /subdir/b.txt /commit/a.txt /checked/a.txt; test -e /tag/.git && echo tag-has-git; test -d /kept/.git && echo kept-git'
  assert_output_equals "two
one
inner
one
one
kept-git"
  printf 'FROM busybox\nADD --checksum=0000000000000000000000000000000000000000 %s#v1 /x/\n' "$url" >"$TEST_DIR/git/Dockerfile"
  run_tug build git
  assert_status 125
  assert_output_contains "Dockerfile:2: ADD $url#v1: checksum mismatch"
  printf 'FROM busybox\nADD http://127.0.0.1:%s/nosuch.git /x/\n' "$port" >"$TEST_DIR/git/Dockerfile"
  run_tug build git
  assert_status 125
  assert_output_contains "Dockerfile:2: ADD: git clone of http://127.0.0.1:$port/nosuch.git failed"
  kill "$server"
  wait "$server" 2>/dev/null || true
  no_build_containers
}
