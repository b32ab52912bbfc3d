#!/usr/bin/env bats
# Archives in and out: save/load round trips, exchange with skopeo and
# podman, refusal of corrupt, truncated, mismatched and malicious archives
# (leaving nothing behind), import of rootfs tarballs and export of
# containers.

load helpers
bats_require_minimum_version 1.5.0

# podman, rootless, with its storage inside the test directory.
podman_cmd() {
  podman --root "$TEST_DIR/podman-root" --runroot "$TEST_DIR/podman-run" \
    --runtime runc --cgroup-manager=cgroupfs --events-backend=file "$@"
}

# Skips the test, saying why, when rootless podman cannot work on this host
# at all (then there is no peer to exchange archives with).
require_podman() {
  local err
  if ! err=$(podman_cmd info 2>&1 >/dev/null); then
    skip "rootless podman does not work here: $(printf '%s\n' "$err" | grep -m1 .)"
  fi
}

teardown() {
  if [ -d "$TEST_DIR/podman-root" ]; then
    podman_cmd system reset -f >/dev/null 2>&1 || true
    podman_cmd unshare rm -rf "$TEST_DIR/podman-root" "$TEST_DIR/podman-run" >/dev/null 2>&1 || true
  fi
  remove_store "$TEST_DIR/data2/tug"
  tug_test_cleanup
}

# The layer member of the cached docker-archive, as `tar -t` names it.
busybox_layer_member() {
  echo "./$(tar -xOf "$BUSYBOX_TAR" ./manifest.json | jq -r '.[0].Layers[0]')"
}

# After a refused load: no image, no layer, no blob, nothing in staging.
assert_store_untouched() {
  run_tug images -q
  assert_status 0
  assert_output_equals ""
  local d
  for d in tmp layers images blobs/sha256; do
    if [ -n "$(store_entries "$d")" ]; then
      echo "store has leftovers in $d:" >&2
      ls -la "$XDG_DATA_HOME/tug/$d" >&2
      return 1
    fi
  done
}

# A refused load: exit 125 and a single line on stderr starting with Error:.
assert_load_refused() {
  run --separate-stderr "$TUG" load -i "$1"
  assert_status 125
  if [ "$(printf '%s\n' "$stderr" | grep -c .)" -ne 1 ] || [[ "$stderr" != "Error: "* ]]; then
    echo "expected a one-line Error:, got:" >&2
    echo "$stderr" >&2
    return 1
  fi
  assert_store_untouched
}

@test "save -o writes a docker-archive that loads into a fresh store with the same id" {
  load_busybox
  local id
  id=$(busybox_id)
  tug_ok save -o "$TEST_DIR/saved.tar" busybox
  [ -s "$TEST_DIR/saved.tar" ]
  # docker's layout: manifest.json naming the config and the layer.
  run tar -xOf "$TEST_DIR/saved.tar" manifest.json
  assert_status 0
  [ "$(jq -r '.[0].Config' <<<"$output")" = "$id.json" ]
  [ "$(jq -c '.[0].RepoTags' <<<"$output")" = '["docker.io/library/busybox:latest"]' ]
  [ "$(jq '.[0].Layers | length' <<<"$output")" -eq 1 ]

  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" load -i "$TEST_DIR/saved.tar"
  assert_status 0
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" images -q --no-trunc
  assert_output_equals "sha256:$id"
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" run --rm busybox echo round-trip
  assert_output_equals "round-trip"
}

@test "save --format oci-archive writes an OCI layout that loads with the same id" {
  load_busybox
  local id
  id=$(busybox_id)
  tug_ok save --format oci-archive -o "$TEST_DIR/saved-oci.tar" busybox
  run tar -xOf "$TEST_DIR/saved-oci.tar" oci-layout
  assert_status 0
  [ "$(jq -r .imageLayoutVersion <<<"$output")" = "1.0.0" ]
  run tar -xOf "$TEST_DIR/saved-oci.tar" index.json
  [ "$(jq '.manifests | length' <<<"$output")" -eq 1 ]

  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" load -i "$TEST_DIR/saved-oci.tar"
  assert_status 0
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" images -q --no-trunc
  assert_output_equals "sha256:$id"
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "docker.io/library/busybox:latest"
}

@test "save without -o writes the archive to stdout" {
  load_busybox
  "$TUG" save busybox >"$TEST_DIR/stdout.tar"
  run tar -tf "$TEST_DIR/stdout.tar" manifest.json
  assert_status 0
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" load -i "$TEST_DIR/stdout.tar"
  assert_status 0
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" images -q --no-trunc
  assert_output_equals "sha256:$(busybox_id)"
}

@test "skopeo reads tug's archives in both formats and copies them" {
  load_busybox
  tug_ok save -o "$TEST_DIR/d.tar" busybox
  tug_ok save --format oci-archive -o "$TEST_DIR/o.tar" busybox
  local layer
  layer=sha256:$(busybox_layer_member | cut -d/ -f2)

  run --separate-stderr skopeo inspect "docker-archive:$TEST_DIR/d.tar"
  assert_status 0
  [ "$(jq -r '.Layers[0]' <<<"$output")" = "$layer" ]
  [ "$(jq -r '.Os + "/" + .Architecture' <<<"$output")" = "linux/amd64" ]

  run --separate-stderr skopeo inspect "oci-archive:$TEST_DIR/o.tar"
  assert_status 0
  [ "$(jq -r '.Layers[0]' <<<"$output")" = "$layer" ]

  run skopeo copy "docker-archive:$TEST_DIR/d.tar" "oci:$TEST_DIR/ocidir:busybox"
  assert_status 0
  # skopeo may compress the layer; uncompressed it is tug's layer.
  local blobs=$TEST_DIR/ocidir/blobs/sha256 manifest blob
  manifest=$(jq -r '.manifests[0].digest' "$TEST_DIR/ocidir/index.json")
  blob=$(jq -r '.layers[0].digest' "$blobs/${manifest#sha256:}")
  [ "$(zcat -f "$blobs/${blob#sha256:}" | sha256sum | cut -d' ' -f1)" = "${layer#sha256:}" ]
}

@test "podman loads tug's docker-archive and oci-archive" {
  require_podman
  load_busybox
  tug_ok save -o "$TEST_DIR/d.tar" busybox
  tug_ok save --format oci-archive -o "$TEST_DIR/o.tar" busybox
  local id
  id=$(busybox_id)

  run podman_cmd load -i "$TEST_DIR/d.tar"
  assert_status 0
  run --separate-stderr podman_cmd images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_status 0
  assert_output_equals "docker.io/library/busybox:latest ${id:0:12}"

  podman_cmd rmi -a >/dev/null 2>&1
  run --separate-stderr podman_cmd images -q
  assert_output_equals ""
  run podman_cmd load -i "$TEST_DIR/o.tar"
  assert_status 0
  run --separate-stderr podman_cmd images --no-trunc --format '{{.ID}}'
  assert_status 0
  assert_output_equals "sha256:$id"
}

@test "archives written by podman save load into tug and run" {
  require_podman
  run podman_cmd load -i "$BUSYBOX_TAR"
  assert_status 0
  run podman_cmd save --format docker-archive -o "$TEST_DIR/pd.tar" busybox
  assert_status 0
  run podman_cmd save --format oci-archive -o "$TEST_DIR/po.tar" busybox
  assert_status 0
  podman_cmd system reset -f >/dev/null 2>&1

  run_tug load -i "$TEST_DIR/pd.tar"
  assert_status 0
  assert_output_contains "busybox"
  run_tug images -q --no-trunc
  assert_output_equals "sha256:$(busybox_id)"
  run_tug run --rm busybox sh -c 'echo from-podman-docker-archive; ls /bin/busybox'
  assert_status 0
  assert_output_equals "from-podman-docker-archive
/bin/busybox"

  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" load -i "$TEST_DIR/po.tar"
  assert_status 0
  XDG_DATA_HOME=$TEST_DIR/data2 run "$TUG" run --rm busybox echo from-podman-oci-archive
  assert_status 0
  assert_output_equals "from-podman-oci-archive"
}

@test "a docker-archive with a flipped byte in a layer's file content is refused" {
  cp "$BUSYBOX_TAR" "$TEST_DIR/corrupt.tar"
  local member outer inner
  member=$(busybox_layer_member)
  outer=$(tar_member_offset "$TEST_DIR/corrupt.tar" "$member")
  busybox_layer "$TEST_DIR/layer.tar"
  inner=$(tar_member_offset "$TEST_DIR/layer.tar" ./bin/busybox)
  flip_byte "$TEST_DIR/corrupt.tar" $((outer + inner + 65536))
  # The flip is inside bin/busybox: the tar structure is intact, the file differs.
  tar -xOf "$TEST_DIR/corrupt.tar" "$member" >"$TEST_DIR/corrupt-layer.tar"
  [ "$(tar -tvf "$TEST_DIR/corrupt-layer.tar")" = "$(tar -tvf "$TEST_DIR/layer.tar")" ]
  if tar -xOf "$TEST_DIR/corrupt-layer.tar" ./bin/busybox | cmp -s - <(tar -xOf "$TEST_DIR/layer.tar" ./bin/busybox); then
    false
  fi

  assert_load_refused "$TEST_DIR/corrupt.tar"
}

@test "an oci-archive with a flipped byte in a layer blob is refused" {
  cp "$BUSYBOX_OCI_TAR" "$TEST_DIR/corrupt.tar"
  local blob outer inner
  blob=./blobs/sha256/$(busybox_layer_member | cut -d/ -f2)
  outer=$(tar_member_offset "$TEST_DIR/corrupt.tar" "$blob")
  busybox_layer "$TEST_DIR/layer.tar"
  inner=$(tar_member_offset "$TEST_DIR/layer.tar" ./bin/busybox)
  flip_byte "$TEST_DIR/corrupt.tar" $((outer + inner + 65536))
  tar -xOf "$TEST_DIR/corrupt.tar" "$blob" >"$TEST_DIR/corrupt-layer.tar"
  [ "$(tar -tvf "$TEST_DIR/corrupt-layer.tar")" = "$(tar -tvf "$TEST_DIR/layer.tar")" ]
  run cmp -s "$TEST_DIR/corrupt-layer.tar" "$TEST_DIR/layer.tar"
  assert_status 1

  assert_load_refused "$TEST_DIR/corrupt.tar"
}

@test "truncated archives are refused in both formats" {
  local f size
  for f in "$BUSYBOX_TAR" "$BUSYBOX_OCI_TAR"; do
    size=$(stat -c %s "$f")
    head -c $((size / 2)) "$f" >"$TEST_DIR/half.tar"
    assert_load_refused "$TEST_DIR/half.tar"
  done
}

@test "an archive whose config diff_id does not match the layer is refused" {
  busybox_layer "$TEST_DIR/layer.tar"
  # A valid tar of the right shape; only the digest in the config is wrong.
  make_docker_archive "$TEST_DIR/mismatch.tar" mismatch:1 "$TEST_DIR/layer.tar" \
    "$(printf 'not this layer' | sha256sum | cut -d' ' -f1)"
  run tar -tf "$TEST_DIR/mismatch.tar" manifest.json
  assert_status 0
  assert_load_refused "$TEST_DIR/mismatch.tar"

  # The same archive with the real diff_id loads: the test archive is sound.
  make_docker_archive "$TEST_DIR/ok.tar" mismatch:1 "$TEST_DIR/layer.tar"
  tug_ok load -i "$TEST_DIR/ok.tar"
  run_tug run --rm mismatch:1 echo sound
  assert_output_equals "sound"
}

@test "files that are not archives are refused" {
  echo "hello, not a tar" >"$TEST_DIR/text.tar"
  assert_load_refused "$TEST_DIR/text.tar"
  head -c 65536 /dev/urandom >"$TEST_DIR/random.tar"
  assert_load_refused "$TEST_DIR/random.tar"
  : >"$TEST_DIR/empty.tar"
  assert_load_refused "$TEST_DIR/empty.tar"
  # A tar that is not an image archive.
  tar -C "$TEST_DIR" -cf "$TEST_DIR/plain.tar" text.tar
  assert_load_refused "$TEST_DIR/plain.tar"
  # From stdin too.
  run --separate-stderr "$TUG" load <"$TEST_DIR/text.tar"
  assert_status 125
  [[ "$stderr" == "Error: "* ]]
}

@test "a layer entry ../escape is refused and nothing is written outside" {
  local name=escape-$$-$RANDOM
  mkdir -p "$TEST_DIR/src"
  echo pwned >"$TEST_DIR/src/$name"
  # -P keeps the leading ../ in the stored names.
  tar -C "$TEST_DIR/src" -cPf "$TEST_DIR/l1.tar" --transform "s,^,../," "$name"
  tar -C "$TEST_DIR/src" -cPf "$TEST_DIR/l2.tar" --transform "s,^,../../../../../../../../../../../tmp/," "$name"
  tar -tPf "$TEST_DIR/l1.tar" | grep -qx "../$name"
  make_docker_archive "$TEST_DIR/a1.tar" evil:1 "$TEST_DIR/l1.tar"
  make_docker_archive "$TEST_DIR/a2.tar" evil:2 "$TEST_DIR/l2.tar"

  assert_load_refused "$TEST_DIR/a1.tar"
  assert_load_refused "$TEST_DIR/a2.tar"
  # The only copy is the test's own source file.
  run find "$TEST_DIR" "$XDG_RUNTIME_DIR" -name "$name"
  assert_output_equals "$TEST_DIR/src/$name"
  [ ! -e "/tmp/$name" ]
}

@test "an absolute symlink evil -> /tmp followed by evil/x is refused" {
  local name=tug-evil-$$-$RANDOM
  mkdir -p "$TEST_DIR/s1" "$TEST_DIR/s2/evil" "$TEST_DIR/outside"
  ln -s /tmp "$TEST_DIR/s1/evil"
  echo pwned >"$TEST_DIR/s2/evil/$name"
  tar -cf "$TEST_DIR/l1.tar" -C "$TEST_DIR/s1" evil -C "$TEST_DIR/s2" "evil/$name"
  [ "$(tar -tf "$TEST_DIR/l1.tar")" = "evil
evil/$name" ]
  make_docker_archive "$TEST_DIR/a1.tar" evil:1 "$TEST_DIR/l1.tar"
  assert_load_refused "$TEST_DIR/a1.tar"
  [ ! -e "/tmp/$name" ]

  # The same with a directory the test owns, so a write would surely succeed.
  rm "$TEST_DIR/s1/evil"
  ln -s "$TEST_DIR/outside" "$TEST_DIR/s1/evil"
  tar -cf "$TEST_DIR/l2.tar" -C "$TEST_DIR/s1" evil -C "$TEST_DIR/s2" "evil/$name"
  make_docker_archive "$TEST_DIR/a2.tar" evil:2 "$TEST_DIR/l2.tar"
  assert_load_refused "$TEST_DIR/a2.tar"
  [ -z "$(ls -A "$TEST_DIR/outside")" ]
}

@test "a symlink up -> .. followed by up/x is refused" {
  local name=tug-up-$$-$RANDOM
  mkdir -p "$TEST_DIR/s1" "$TEST_DIR/s2/up"
  ln -s .. "$TEST_DIR/s1/up"
  echo pwned >"$TEST_DIR/s2/up/$name"
  tar -cf "$TEST_DIR/l1.tar" -C "$TEST_DIR/s1" up -C "$TEST_DIR/s2" "up/$name"
  make_docker_archive "$TEST_DIR/a1.tar" evil:1 "$TEST_DIR/l1.tar"
  assert_load_refused "$TEST_DIR/a1.tar"
  # up/x would land next to the layer directory, somewhere in the store.
  run find "$TEST_DIR" "$XDG_RUNTIME_DIR" -name "$name"
  assert_output_equals "$TEST_DIR/s2/up/$name"

  # A chain of relative links climbing out: a -> b/.., b -> ..
  mkdir -p "$TEST_DIR/s3" "$TEST_DIR/s4/a"
  ln -s .. "$TEST_DIR/s3/b"
  ln -s b/.. "$TEST_DIR/s3/a"
  echo pwned >"$TEST_DIR/s4/a/$name"
  tar -cf "$TEST_DIR/l2.tar" -C "$TEST_DIR/s3" b a -C "$TEST_DIR/s4" "a/$name"
  make_docker_archive "$TEST_DIR/a2.tar" evil:2 "$TEST_DIR/l2.tar"
  assert_load_refused "$TEST_DIR/a2.tar"
  run find "$TEST_DIR" "$XDG_RUNTIME_DIR" -name "$name"
  assert_output_equals "$TEST_DIR/s2/up/$name
$TEST_DIR/s4/a/$name"
}

@test "a hardlink to /etc/passwd is refused and /etc/passwd gains no link" {
  local links_before
  links_before=$(stat -c %h /etc/passwd)
  mkdir -p "$TEST_DIR/s/etc"
  echo decoy >"$TEST_DIR/s/etc/passwd"
  ln "$TEST_DIR/s/etc/passwd" "$TEST_DIR/s/link"
  # Store both, rename the first to the target we want, then drop it, so
  # the archive holds only `link`, a hard link to that target.
  tar -C "$TEST_DIR/s" -cPf "$TEST_DIR/abs.tar" --transform 's,^etc/passwd$,/etc/passwd,' etc/passwd link
  tar --delete -Pf "$TEST_DIR/abs.tar" /etc/passwd
  [ "$(tar -tvPf "$TEST_DIR/abs.tar" | grep -o 'link link to .*')" = "link link to /etc/passwd" ]
  tar -C "$TEST_DIR/s" -cPf "$TEST_DIR/rel.tar" --transform 's,^etc/passwd$,../../../../../../../../etc/passwd,' etc/passwd link
  tar --delete -Pf "$TEST_DIR/rel.tar" ../../../../../../../../etc/passwd
  [ "$(tar -tvPf "$TEST_DIR/rel.tar" | grep -o 'link link to .*')" = "link link to ../../../../../../../../etc/passwd" ]

  make_docker_archive "$TEST_DIR/a1.tar" evil:1 "$TEST_DIR/abs.tar"
  make_docker_archive "$TEST_DIR/a2.tar" evil:2 "$TEST_DIR/rel.tar"
  assert_load_refused "$TEST_DIR/a1.tar"
  assert_load_refused "$TEST_DIR/a2.tar"
  [ "$(stat -c %h /etc/passwd)" = "$links_before" ]
  # No file anywhere under the test directory shares /etc/passwd's inode.
  run find "$TEST_DIR" -samefile /etc/passwd
  assert_output_equals ""
}

@test "import refuses the layers load refuses; a missing archive is 125" {
  local name=tug-imp-$$-$RANDOM
  mkdir -p "$TEST_DIR/src" "$TEST_DIR/s1" "$TEST_DIR/s2/evil" "$TEST_DIR/outside"
  echo pwned >"$TEST_DIR/src/$name"
  tar -C "$TEST_DIR/src" -cPf "$TEST_DIR/dotdot.tar" --transform "s,^,../../," "$name"
  ln -s "$TEST_DIR/outside" "$TEST_DIR/s1/evil"
  echo pwned >"$TEST_DIR/s2/evil/$name"
  tar -cf "$TEST_DIR/link.tar" -C "$TEST_DIR/s1" evil -C "$TEST_DIR/s2" "evil/$name"
  local t
  for t in dotdot link; do
    run --separate-stderr "$TUG" import "$TEST_DIR/$t.tar" "evil-$t"
    assert_status 125
    [[ "$stderr" == "Error: "* ]]
  done
  [ -z "$(ls -A "$TEST_DIR/outside")" ]
  run bash -c "find '$TEST_DIR' '$XDG_RUNTIME_DIR' -name '$name' | LC_ALL=C sort"
  assert_output_equals "$TEST_DIR/s2/evil/$name
$TEST_DIR/src/$name"
  assert_store_untouched

  run --separate-stderr "$TUG" load -i "$TEST_DIR/no-such-archive.tar"
  assert_status 125
  [[ "$stderr" == Error:*no-such-archive.tar* ]]
}

@test "import turns a rootfs tarball into an image that runs" {
  mkdir -p "$TEST_DIR/rootfs/bin" "$TEST_DIR/rootfs/etc"
  cp /bin/busybox "$TEST_DIR/rootfs/bin/busybox"
  ln -s busybox "$TEST_DIR/rootfs/bin/sh"
  ln -s busybox "$TEST_DIR/rootfs/bin/cat"
  echo "imported rootfs" >"$TEST_DIR/rootfs/etc/marker"
  tar -C "$TEST_DIR/rootfs" -cf "$TEST_DIR/rootfs.tar" .

  run --separate-stderr "$TUG" import "$TEST_DIR/rootfs.tar" myroot:v1
  assert_status 0
  [[ "$output" =~ sha256:[0-9a-f]{64} ]]
  local id=${output##*sha256:}
  run_tug images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_output_equals "localhost/myroot:v1 ${id:0:12}"
  # One layer whose diff_id is the tarball's digest (it is not compressed).
  run --separate-stderr "$TUG" image inspect myroot:v1
  [ "$(jq '.[0].RootFS.Layers | length' <<<"$output")" -eq 1 ]
  [ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")" = "sha256:$(sha256sum <"$TEST_DIR/rootfs.tar" | cut -d' ' -f1)" ]

  run_tug run --rm myroot:v1 /bin/sh -c 'cat /etc/marker; echo $((6 * 7))'
  assert_status 0
  assert_output_equals "imported rootfs
42"
}

@test "import - reads the tarball from stdin" {
  mkdir -p "$TEST_DIR/rootfs/bin"
  cp /bin/busybox "$TEST_DIR/rootfs/bin/busybox"
  echo "from stdin" >"$TEST_DIR/rootfs/hello"
  tar -C "$TEST_DIR/rootfs" -cf - . | "$TUG" import - piped
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "localhost/piped:latest"
  run_tug run --rm piped /bin/busybox cat /hello
  assert_status 0
  assert_output_equals "from stdin"
}

@test "export writes a container's filesystem with the files it made" {
  load_busybox
  tug_ok run --name exp busybox sh -c 'echo "made inside $((40 + 2))" >/root/hello.txt; rm /etc/group'
  tug_ok export -o "$TEST_DIR/exp.tar" exp
  run tar -tf "$TEST_DIR/exp.tar"
  assert_status 0
  local names
  names=$(printf '%s\n' "$output" | sed 's,^\./,,')
  grep -qx 'root/hello.txt' <<<"$names"
  grep -qx 'bin/busybox' <<<"$names"
  grep -qx 'etc/passwd' <<<"$names"
  # A deleted file is gone, not exported as a whiteout.
  if grep -qx 'etc/group' <<<"$names" || grep -q '\.wh\.' <<<"$names"; then
    false
  fi
  local member
  member=$(tar -tf "$TEST_DIR/exp.tar" | grep -E '^(\./)?root/hello.txt$')
  [ "$(tar -xOf "$TEST_DIR/exp.tar" "$member")" = "made inside 42" ]
  # The exported busybox is byte for byte the image's.
  member=$(tar -tf "$TEST_DIR/exp.tar" | grep -E '^(\./)?bin/busybox$')
  busybox_layer "$TEST_DIR/layer.tar"
  cmp <(tar -xOf "$TEST_DIR/exp.tar" "$member") <(tar -xOf "$TEST_DIR/layer.tar" ./bin/busybox)

  # To stdout, the same list of files.
  "$TUG" export exp >"$TEST_DIR/exp2.tar"
  [ "$(tar -tf "$TEST_DIR/exp2.tar" | sort)" = "$(tar -tf "$TEST_DIR/exp.tar" | sort)" ]
}
