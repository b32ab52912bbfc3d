#!/usr/bin/env bats
# tug build: every instruction, the cache, multi-stage builds, ONBUILD,
# .dockerignore, and failures that name the file and line and leave nothing
# behind. The Dockerfiles are in tests/build/; each test copies the one it
# needs into its own directory (the cache tests change files there).

load helpers

CORPUS=$BATS_TEST_DIRNAME/../build

corpus() {  # corpus NAME: a private copy of tests/build/NAME, as ./NAME
  cp -r "$CORPUS/$1" "$TEST_DIR/$1"
}

cfg() {  # cfg IMAGE TEMPLATE: a field of the image's config
  tug_ok image inspect "$1" --format "$2"
}

@test "every instruction ends up in the config, the history and the files" {
  load_busybox
  corpus instructions
  tug_ok build -t inst instructions
  assert_output_contains "STEP 1/30: FROM \${BASE} AS base"
  assert_output_contains "STEP 8/30: RUN echo"
  assert_output_contains "RUN sees GREETING=hello APP_HOME=/srv/app UNSET=unset"
  assert_output_contains "Successfully tagged localhost/inst:latest"
  id=$(echo "$output" | tail -1)
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]

  cfg inst '{{json .Config.Env}}'
  assert_output_equals '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_HOME=/srv/app","PHRASE=two words","EMPTY=","LEGACY=legacy form value"]'
  cfg inst '{{json .Config.Labels}}'
  assert_output_equals '{"home":"/srv/app","maintainer":"Tug Tester <tug@example.com>","org.example.title":"tug test","quoted key":"v","version":"1.0"}'
  cfg inst '{{.Config.WorkingDir}} {{.Config.User}} {{.Config.StopSignal}}'
  assert_output_equals "/srv/app/other app:appgrp SIGINT"
  cfg inst '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.Shell}}'
  assert_output_equals '["/bin/echo","entry"] ["default","args"] ["/bin/sh","-e","-c"]'
  cfg inst '{{json .Config.ExposedPorts}}'
  assert_output_equals '{"53/udp":{},"80/tcp":{},"8000/tcp":{},"8001/tcp":{},"8002/tcp":{}}'
  cfg inst '{{json .Config.Volumes}}'
  assert_output_equals '{"/cache":{},"/data":{},"/logs":{}}'
  cfg inst '{{json .Config.Healthcheck}}'
  assert_output_equals '{"Interval":30000000000,"Retries":4,"StartPeriod":60000000000,"Test":["CMD-SHELL","wget -q -O- localhost || exit 1"],"Timeout":5000000000}'
  cfg inst '{{json .Config.OnBuild}}'
  assert_output_equals '["RUN echo child > /onbuild-was-here"]'
  cfg inst '{{.Author}}'
  assert_output_equals "Tug Tester <tug@example.com>"

  # History: one entry per instruction after FROM, layers only for RUN,
  # COPY and ADD (8 of them), on top of busybox's 2 entries.
  tug_ok history -q inst
  [ "$(echo "$output" | wc -l)" -eq 31 ]
  tug_ok history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' inst
  assert_output_contains "|1 GREETING=hello /bin/sh -c echo"
  assert_output_contains "/bin/sh -c #(nop) ENV APP_HOME=/srv/app PHRASE=two words EMPTY="
  assert_output_contains "/bin/sh -c #(nop) COPY --chown=app:appgrp --chmod=640 file:"
  tug_ok image inspect inst --format '{{len .RootFS.Layers}}'
  assert_output_equals 11

  # Files, owners and modes as a container sees them.
  tug_ok run --rm --user root --entrypoint sh inst -c '
    pwd; cat hello.txt; stat -c "%u:%g %a" /owned/by-name /copied/a /copied/sub/b
    cat /unpacked/inside/t.txt /heredoc-run /heredoc-copy /shell-form /exec-form /added-file'
  assert_output_equals "/srv/app/other
hello from the context
1234:2345 640
1234:1234 644
1234:1234 644
from the tarball
heredoc line 1
heredoc two words
phrase is two words
shell form under SHELL
exec form
hello from the context"
  # ENTRYPOINT and CMD combine as docker's do.
  tug_ok run --rm inst
  assert_output_equals "entry default args"
  tug_ok run --rm inst other
  assert_output_equals "entry other"
}

@test "ENTRYPOINT drops an inherited CMD; shell forms use /bin/sh -c" {
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nENTRYPOINT ["echo", "ep"]\n' >ctx/Containerfile
  tug_ok build -t ep ctx
  cfg ep '{{json .Config.Entrypoint}} {{json .Config.Cmd}}'
  assert_output_equals '["echo","ep"] null'
  printf 'FROM busybox\nCMD echo from cmd $HOME\nENTRYPOINT echo shell entry\n' >ctx/Containerfile
  tug_ok build -t ep2 ctx
  cfg ep2 '{{json .Config.Entrypoint}} {{json .Config.Cmd}}'
  assert_output_equals '["/bin/sh","-c","echo shell entry"] ["/bin/sh","-c","echo from cmd $HOME"]'
  tug_ok run --rm ep2
  assert_output_equals "shell entry"
  printf 'FROM ep2\nCMD ["x"]\n' >ctx/Containerfile
  tug_ok build -t ep3 ctx
  cfg ep3 '{{json .Config.Entrypoint}} {{json .Config.Cmd}}'
  assert_output_equals '["/bin/sh","-c","echo shell entry"] ["x"]'
}

@test "deletions across layers are whiteouts; a directory replaced is opaque" {
  load_busybox
  mkdir ctx
  cat >ctx/Containerfile <<'EOF'
FROM busybox
RUN mkdir -p /d/sub && echo 1 > /d/sub/f && echo keep > /d/keep && echo x > /gone
RUN rm /gone /bin/ls && rm -rf /d/sub
RUN rm -rf /d && mkdir /d && echo new > /d/only
EOF
  tug_ok build -t del ctx
  tug_ok run --rm del sh -c 'ls /gone /bin/ls 2>&1; ls /d'
  assert_output_contains "/gone: No such file or directory"
  assert_output_contains "/bin/ls: No such file or directory"
  assert_output_contains "only"
  assert_output_not_contains "keep"
  # The layers carry the deletions as OCI whiteouts: an archive shows them.
  tug_ok save -o del.tar del
  mkdir x && tar -C x -xf del.tar
  found=""
  for l in x/*.tar x/*/layer.tar x/blobs/sha256/*; do
    [ -f "$l" ] || continue
    found+=$(tar -tf "$l" 2>/dev/null | grep -E '\.wh\.' || true)
  done
  [[ "$found" == *"bin/.wh.ls"* ]]
  [[ "$found" == *".wh.gone"* ]]
  [[ "$found" == *"d/.wh..wh..opq"* ]]
}

@test "multi-stage: only needed stages run, args scope per stage, --target stops early" {
  load_busybox
  corpus multistage
  tug_ok build --build-arg VERSION=2.5 -t ms multistage
  assert_output_contains "[1/3] STEP 1/3: FROM busybox AS builder"
  assert_output_not_contains "never needed"
  tug_ok run --rm ms sh -c 'cat /app/artifact /app/scope /app/tested /app/by-index'
  assert_output_equals "built version 2.5
global without redeclaring: []
tested
built version 2.5"
  cfg ms '{{.Config.Labels.version}}'
  assert_output_equals "2.5"
  # A global ARG's default reaches a stage that declares it again.
  tug_ok build -q multistage
  id=$(echo "$output" | tail -1)
  tug_ok run --rm "$id" cat /app/artifact
  assert_output_equals "built version 1.0"
  tug_ok build -q --target builder multistage
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  tug_ok run --rm "$output" ls /out
  assert_output_equals "artifact
scope"
  run_tug build --target nosuch multistage
  assert_error 125 'target stage "nosuch" could not be found'
}

@test "ONBUILD triggers run in the child, not in the grandchild" {
  load_busybox
  corpus onbuild
  tug_ok build -t onbuild-parent -f onbuild/parent.Containerfile onbuild
  cfg onbuild-parent '{{len .Config.OnBuild}}'
  assert_output_equals 2
  tug_ok build -t onbuild-child -f onbuild/child.Containerfile onbuild
  assert_output_contains "Executing ONBUILD trigger: RUN"
  assert_output_contains "trigger ran"
  assert_output_contains "marker from the child's context"
  cfg onbuild-child '{{json .Config.OnBuild}}'
  assert_output_equals null
  tug_ok build -t onbuild-grandchild -f onbuild/grandchild.Containerfile onbuild
  assert_output_not_contains "Executing ONBUILD"
  tug_ok run --rm onbuild-grandchild sh -c 'ls /trigger 2>&1; cat /marker.txt'
  assert_output_contains "No such file"
  assert_output_contains "marker from the child's context"
}

@test ".dockerignore: patterns, ** and ! exceptions; .containerignore wins" {
  load_busybox
  corpus ignore
  tug_ok build -t ign ignore
  tug_ok run --rm ign sh -c 'find /ctx -type f | sort'
  assert_output_equals "/ctx/.dockerignore
/ctx/keep.txt
/ctx/logs/keep.log
/ctx/src/main.c"
  printf 'keep.txt\nsrc\n' >ignore/.containerignore
  tug_ok build -t ign2 ignore
  tug_ok run --rm ign2 sh -c 'find /ctx -type f | sort'
  assert_output_contains "/ctx/a.log"
  assert_output_not_contains "keep.txt"
  assert_output_not_contains "main.c"
  # An ignored file is not in the context at all.
  printf 'FROM busybox\nCOPY keep.txt /\n' >ignore/Containerfile
  run_tug build ignore
  assert_error 125 "Containerfile:2: COPY failed: file not found in build context or excluded by .dockerignore"
}

@test "the cache: a rebuild uses it; a changed file rebuilds from its COPY on" {
  load_busybox
  corpus cache
  tug_ok build -t c cache
  assert_output_not_contains "Using cache"
  tug_ok build -t c cache
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 5 ]
  first=$(echo "$output" | tail -1)
  echo changed >cache/two.txt
  tug_ok build -t c cache
  # Steps before the changed COPY come from the cache, the rest is rebuilt.
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 3 ]
  echo "$output" | grep -A1 'STEP 5/6: COPY two.txt' | grep -vq 'Using cache'
  [ "$(echo "$output" | tail -1)" != "$first" ]
  echo "one changed" >cache/one.txt
  tug_ok build -t c cache
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 1 ]
  tug_ok run --rm c
  assert_output_equals "one changed"
  # A mode change is a change too.
  chmod 600 cache/two.txt
  tug_ok build -t c cache
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 3 ]
  tug_ok build --no-cache -q -t c cache
  # --build-arg values are part of a RUN's key.
  printf 'FROM busybox\nARG V=1\nRUN echo v=$V > /v\n' >cache/Containerfile
  tug_ok build cache
  tug_ok build --build-arg V=2 cache
  assert_output_contains "STEP 3/3: RUN"
  [ "$(echo "$output" | grep -c -- '--> Using cache')" -eq 1 ]
  # Intermediate images are the cache: hidden from `images`, shown by -a.
  tug_ok images -q
  n=$(echo "$output" | wc -l)
  tug_ok images -a -q
  [ "$(echo "$output" | wc -l)" -gt "$n" ]
}

@test "failures name the file and line and leave no container behind" {
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nRUN true\nFROBNICATE x\n' >ctx/Containerfile
  run_tug build ctx
  assert_error 125 "Containerfile:3: unknown instruction: FROBNICATE"
  printf 'FROM busybox\n\nCOPY nothere.txt /x\n' >ctx/Dockerfile
  rm ctx/Containerfile
  run_tug build ctx
  assert_error 125 "Dockerfile:3: COPY failed: file not found in build context"
  printf 'FROM busybox\nCOPY ../outside /x\n' >ctx/Dockerfile
  run_tug build ctx
  assert_error 125 "Dockerfile:2: COPY failed: forbidden path outside the build context: ../outside"
  printf 'FROM busybox\nCOPY --from=nosuch /x /y\n' >ctx/Dockerfile
  run_tug build ctx
  assert_error 125 'Dockerfile:2: COPY --from=nosuch: no stage or image of that name'
  printf 'FROM busybox\nCOPY --bogus=1 a /x\n' >ctx/Dockerfile
  run_tug build ctx
  assert_error 125 "Dockerfile:2: unknown flag: --bogus for COPY"
  printf 'FROM busybox\nRUN echo early output; echo to stderr >&2; exit 3\n' >ctx/Dockerfile
  run_tug build ctx
  assert_error 3 "Dockerfile:2: RUN echo early output"
  assert_output_contains "exited with status 3"
  assert_output_contains "to stderr"
  run_tug build -q ctx
  assert_status 3
  assert_output_contains "early output"
  printf 'FROM nosuchimage\n' >ctx/Dockerfile
  run_tug build ctx
  assert_error 125 "Dockerfile:1: FROM: nosuchimage"
  # Nothing is left: no containers, no mounts, no scratch directories.
  tug_ok ps -a -q
  assert_output_equals ""
  ! grep -q "$XDG_DATA_HOME" /proc/self/mountinfo
  [ -z "$(ls "$XDG_DATA_HOME/tug/tmp")" ]
}

@test "-q, --iidfile, -f -, Containerfile before Dockerfile, image build, --label, --layers=false" {
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nLABEL from=containerfile\nRUN echo hi > /hi\n' >ctx/Containerfile
  printf 'FROM busybox\nLABEL from=dockerfile\n' >ctx/Dockerfile
  tug_ok build -q --iidfile id.txt --label extra=1 --label two=2 ctx
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  [ "$(cat id.txt)" = "sha256:$output" ]
  cfg "$output" '{{.Config.Labels.from}} {{.Config.Labels.extra}} {{.Config.Labels.two}}'
  assert_output_equals "containerfile 1 2"
  tug_ok image build -q -f ctx/Dockerfile -t a:1 -t b:2 ctx
  cfg a:1 '{{.Config.Labels.from}}'
  assert_output_equals dockerfile
  cfg b:2 '{{.Id}}'
  printf 'FROM busybox\nENV FROM_STDIN=1\n' | "$TUG" build -q -t stdin -f - ctx
  cfg stdin '{{json .Config.Env}}'
  assert_output_contains "FROM_STDIN=1"
  tug_ok images -a -q
  before=$(echo "$output" | wc -l)
  printf 'FROM busybox\nRUN echo one > /one\nRUN echo two > /two\nCMD ["cat", "/one", "/two"]\n' >ctx/Containerfile
  tug_ok build --layers=false -t nolayers ctx
  tug_ok images -a -q
  [ "$(echo "$output" | wc -l)" -eq $((before + 1)) ]
  tug_ok run --rm nolayers
  assert_output_equals "one
two"
}

@test "--squash: the new layers become one, deletions of base files included" {
  load_busybox
  mkdir ctx
  cat >ctx/Containerfile <<'EOF'
FROM busybox
RUN echo a >/a && mkdir -p /d && echo x >/d/x
RUN echo b >/b && rm /a
ENV SQUASHED=yes
RUN rm /bin/ls && rm -r /d && mkdir /d && echo y >/d/y
CMD ["sh", "-c", "cat /b /d/y; ls /d; test -e /a || echo no-a; test -e /bin/ls || echo no-ls"]
EOF
  tug_ok build -q -t plain ctx
  cfg plain '{{len .RootFS.Layers}}'
  assert_output_equals "4"
  tug_ok build --squash -t squashed ctx
  assert_output_contains "Squashing 3 layers"
  cfg squashed '{{len .RootFS.Layers}}'
  assert_output_equals "2"
  cfg squashed '{{json .Config.Env}}'
  assert_output_contains "SQUASHED=yes"
  # Still one history entry per layer: the squashed steps became empty.
  tug_ok image inspect squashed --format '{{range .History}}{{if not .empty_layer}}L{{end}}{{end}}'
  assert_output_equals "LL"
  for img in squashed plain; do
    tug_ok run --rm "$img"
    assert_output_equals "b
y
y
no-a
no-ls"
  done
}

@test "variable substitution: defaults, alternatives, escapes, quotes" {
  load_busybox
  mkdir ctx
  cat >ctx/Containerfile <<'EOF'
FROM busybox
ARG SET=value
ARG EMPTY=
ENV A=${SET:-d1} B=${UNSET:-d2} C=${EMPTY:-d3} D=${EMPTY-d4} E=${SET:+alt} F=${UNSET:+alt} \
    G=\$SET H='$SET' I="$SET and ${SET}" J=${SET#val} K=${SET%ue} L=pre${SET}post
LABEL path=${PATH}
EOF
  tug_ok build -t subst ctx
  tug_ok image inspect subst --format '{{range .Config.Env}}{{println .}}{{end}}'
  assert_output_contains "A=value"
  assert_output_contains "B=d2"
  assert_output_contains "C=d3"
  assert_output_contains "D="$'\n'
  assert_output_contains "E=alt"
  assert_output_contains "F="$'\n'
  assert_output_contains 'G=$SET'
  assert_output_contains 'H=$SET'
  assert_output_contains "I=value and value"
  assert_output_contains "J=ue"
  assert_output_contains "K=val"
  assert_output_contains "L=prevaluepost"
  cfg subst '{{.Config.Labels.path}}'
  assert_output_equals "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

@test "ADD of a URL over the network the test can reach" {
  load_busybox
  mkdir ctx www
  echo "served over http" >www/file.txt
  port=$((20000 + RANDOM % 20000))
  (cd www && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
  server=$!
  for i in $(seq 50); do curl -sf "http://127.0.0.1:$port/file.txt" >/dev/null && break; sleep 0.1; done
  printf 'FROM busybox\nADD http://127.0.0.1:%s/file.txt /downloads/\nADD http://127.0.0.1:%s/file.txt /renamed.txt\n' \
    "$port" "$port" >ctx/Containerfile
  tug_ok build -t url ctx
  kill "$server"
  tug_ok run --rm url sh -c 'cat /downloads/file.txt /renamed.txt; stat -c %a /renamed.txt'
  assert_output_equals "served over http
served over http
600"
  printf 'FROM busybox\nADD http://127.0.0.1:%s/missing /x\n' "$port" >ctx/Containerfile
  run_tug build ctx
  assert_error 125 "Containerfile:2: ADD: downloading http://127.0.0.1:$port/missing"
}

@test "RUN reaches Debian's mirror with the build network (needs the network)" {
  if ! curl -sf --max-time 5 -o /dev/null http://deb.debian.org/debian/dists/stable/Release; then
    skip "Debian's mirror (deb.debian.org) is not reachable from this host"
  fi
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nRUN wget -q -O /Release http://deb.debian.org/debian/dists/stable/Release\n' >ctx/Containerfile
  tug_ok build -t net ctx
  tug_ok run --rm net grep -c "^Origin: Debian" /Release
  assert_output_equals 1
  # --network none: the same RUN has no route out.
  run_tug build --no-cache --network none ctx
  assert_failure
}

@test "--platform: this host's is accepted, another is refused rather than ignored" {
  load_busybox
  mkdir ctx
  printf 'FROM busybox\nRUN true\n' >ctx/Containerfile
  arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
  tug_ok build -q --platform "linux/$arch" ctx
  run_tug build --platform linux/s390x ctx
  assert_error 125 "this host's platform only"
}
