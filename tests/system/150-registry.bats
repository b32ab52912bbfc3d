#!/usr/bin/env bats
# Registries: pull, push, login/logout, manifest inspect and search against
# Debian's docker-registry on 127.0.0.1 (one plain-HTTP registry, one with
# TLS from a test CA and htpasswd basic auth), and interop with skopeo.
# Nothing leaves the loopback: docker.io is blocked by the tests' registries.conf.

load helpers
bats_require_minimum_version 1.5.0

# free_port: a TCP port nothing listens on.
# start_registry NAME PORT [EXTRA_YAML]: docker-registry with its storage
# under $REG_ROOT/NAME; waits until it answers. With REG_ACCESSLOG=1 its log
# ($REG_ROOT/NAME/log) has a line per request.
start_registry() {
  local name=$1 port=$2 extra=${3:-} scheme=http i
  mkdir -p "$REG_ROOT/$name/data"
  cat >"$REG_ROOT/$name/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: $([ "${REG_ACCESSLOG:-}" = 1 ] && echo false || echo true)
storage:
  filesystem:
    rootdirectory: $REG_ROOT/$name/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$extra
YAML
  [[ "$extra" == *tls:* ]] && scheme=https
  # fd 3 is bats' own: a server holding it would keep bats waiting.
  docker-registry serve "$REG_ROOT/$name/config.yml" >"$REG_ROOT/$name/log" 2>&1 3>&- &
  echo $! >"$REG_ROOT/$name/pid"
  for i in $(seq 100); do
    if curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/"; then return 0; fi
    sleep 0.1
  done
  echo "registry $name did not start:" >&2
  cat "$REG_ROOT/$name/log" >&2
  return 1
}

stop_registry() {
  local pidfile=$REG_ROOT/$1/pid
  [ -s "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

setup_file() {
  export REG_ROOT=$BATS_FILE_TMPDIR/registries
  mkdir -p "$REG_ROOT"
  export PLAIN_PORT TLS_PORT
  PLAIN_PORT=$(free_port)
  start_registry plain "$PLAIN_PORT"
  export REG=127.0.0.1:$PLAIN_PORT

  # The TLS registry: a test CA, a server certificate for 127.0.0.1, and
  # htpasswd (bcrypt, which docker-registry requires) with user tug.
  local pki=$REG_ROOT/pki
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tug test CA" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$pki/ext.cnf"
  openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 2 -extfile "$pki/ext.cnf" -out "$pki/server.crt" 2>/dev/null
  htpasswd -Bbn tug sesame >"$pki/htpasswd"
  TLS_PORT=$(free_port)
  start_registry tls "$TLS_PORT" "  tls:
    certificate: $pki/server.crt
    key: $pki/server.key
auth:
  htpasswd:
    realm: tug-test
    path: $pki/htpasswd"
  export TLS_REG=127.0.0.1:$TLS_PORT
  # What --cert-dir expects: the CA as *.crt.
  export CERT_DIR=$REG_ROOT/certs
  mkdir -p "$CERT_DIR"
  cp "$pki/ca.crt" "$CERT_DIR/ca.crt"
}

teardown_file() {
  stop_registry plain
  stop_registry tls
  stop_registry flaky
  stop_registry chunked
  stop_registry token
  stop_registry resume
  if [ -s "$REG_ROOT/cut-proxy.pid" ]; then
    kill "$(cat "$REG_ROOT/cut-proxy.pid")" 2>/dev/null || true
  fi
  if [ -s "$REG_ROOT/token-server.pid" ]; then
    kill "$(cat "$REG_ROOT/token-server.pid")" 2>/dev/null || true
  fi
}

# podman, rootless, with its storage inside the test directory (as in 020).
podman_cmd() {
  podman --root "$TEST_DIR/podman-root" --runroot "$TEST_DIR/podman-run" \
    --runtime runc --cgroup-manager=cgroupfs --events-backend=file "$@"
}

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
  tug_test_cleanup
}

# push_busybox NAME: loads busybox into a throw-away store and pushes it to
# $REG/NAME; prints nothing. The image id is busybox_id.
push_busybox() {
  local save=$XDG_DATA_HOME
  export XDG_DATA_HOME=$TEST_DIR/pusher
  mkdir -p "$XDG_DATA_HOME"
  load_busybox
  tug_ok push --tls-verify=false busybox "$REG/$1"
  remove_store "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$save
}

# The files of a blob in the plain registry's storage.
blob_file() {
  echo "$REG_ROOT/plain/data/docker/registry/v2/blobs/sha256/${1:0:2}/$1/data"
}

@test "push to a plain-HTTP registry, pull into a fresh store and run" {
  load_busybox
  run_tug push --tls-verify=false busybox "$REG/tug/busybox:1"
  assert_success
  assert_output_contains "Writing manifest to image destination"
  # Again: the registry has every blob (HEAD), nothing is uploaded.
  run --separate-stderr "$TUG" push --tls-verify=false busybox "$REG/tug/busybox:1"
  assert_success
  [ "$(printf '%s\n' "$stderr" | grep -c 'skipped: already exists')" -eq 2 ]
  # To another repository of the registry: the layer is mounted from the
  # repository the image is known by there.
  tug_ok tag busybox "$REG/tug/busybox:1"
  run --separate-stderr "$TUG" push --tls-verify=false "$REG/tug/busybox:1" "$REG/other/copy:1"
  assert_success
  [[ "$stderr" == *"skipped: mounted from tug/busybox"* ]]
  # Without --tls-verify=false the plain registry is refused with a hint.
  run --separate-stderr "$TUG" push busybox "$REG/tug/busybox:1"
  assert_status 125
  [[ "$stderr" == *"tls-verify"* ]]

  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/busybox:1"
  assert_success
  # stdout: the image id alone; stderr: podman's progress lines.
  [ "$output" = "$(busybox_id)" ]
  [[ "$stderr" == *"Trying to pull $REG/tug/busybox:1..."* ]]
  [[ "$stderr" == *"Copying blob "*" done"* ]]
  run_tug images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_output "$REG/tug/busybox:1 $(busybox_id | cut -c1-12)"
  run_tug run --rm "$REG/tug/busybox:1" echo pulled-and-ran
  assert_output "pulled-and-ran"

  # Pulling again reuses the layer.
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/busybox:1"
  assert_success
  [[ "$stderr" == *"skipped: already exists"* ]]
  # -q prints only the id.
  run --separate-stderr "$TUG" pull -q --tls-verify=false "$REG/tug/busybox:1"
  assert_success
  [ "$output" = "$(busybox_id)" ]
  [ -z "$stderr" ]
  remove_store "$XDG_DATA_HOME/tug"
}

@test "pull by digest, and push --digestfile" {
  load_busybox
  tug_ok push --tls-verify=false --digestfile "$TEST_DIR/digest" busybox "$REG/tug/bydigest:v1"
  local digest
  digest=$(cat "$TEST_DIR/digest")
  [[ "$digest" == sha256:* ]]
  # The registry agrees on the digest.
  [ "$(curl -s -o /dev/null -w '%header{docker-content-digest}' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/tug/bydigest/manifests/v1")" = "$digest" ] ||
    [ "$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      "http://$REG/v2/tug/bydigest/manifests/v1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')" = "$digest" ]

  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --tls-verify=false "$REG/tug/bydigest@$digest"
  [ "$output" = "$(busybox_id)" ]
  run_tug images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
  assert_output "$REG/tug/bydigest <none> $digest"
  run_tug run --rm "$REG/tug/bydigest@$digest" echo by-digest
  assert_output "by-digest"
  # A digest the registry does not have: 404-ish error, exit 125.
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/bydigest@sha256:$(printf '%064d' 0)"
  assert_status 125
  [[ "$stderr" == *"MANIFEST_UNKNOWN"* || "$stderr" == *"404"* ]]
  remove_store "$XDG_DATA_HOME/tug"
}

@test "a missing image or repository: clear 404 error, exit 125, nothing stored" {
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/nosuchimage:latest"
  assert_status 125
  # Progress lines, then one error line.
  [[ "$(printf '%s\n' "$stderr" | tail -n1)" == Error:* ]]
  [[ "$stderr" == *"$REG/tug/nosuchimage:latest"* ]]
  [[ "$stderr" == *"404 Not Found"* ]]
  [ -z "$output" ]
  run_tug images -q
  assert_output ""
  # run with the default --pull missing says it is not known locally either.
  run --separate-stderr "$TUG" run --rm --tls-verify=false "$REG/tug/nosuchimage" true
  assert_status 125
  [[ "$stderr" == *"image not known locally"*"404"* ]]
  # --pull never does not ask the registry.
  run --separate-stderr "$TUG" run --rm --pull never --tls-verify=false "$REG/tug/nosuchimage" true
  assert_status 125
  [[ "$stderr" != *"404"* ]]
}

@test "a corrupt blob in the registry: digest error naming the blob, no image stored" {
  push_busybox tug/corrupt:1
  local layer
  layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/tug/corrupt/manifests/1" | jq -r '.layers[0].digest')
  [[ "$layer" == sha256:* ]]
  local f
  f=$(blob_file "${layer#sha256:}")
  [ -f "$f" ]
  cp "$f" "$TEST_DIR/good-blob"
  # Same size, one byte changed: only the digest can tell.
  flip_byte "$f" 1000
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/corrupt:1"
  cp "$TEST_DIR/good-blob" "$f"
  assert_status 125
  [[ "$stderr" == *"blob $layer: digest mismatch"* ]]
  run_tug images -q
  assert_output ""
  [ -z "$(store_entries layers)" ]
  [ ! -e "$XDG_DATA_HOME/tug/blobs/sha256/${layer#sha256:}" ]
  # With the blob repaired the pull works.
  tug_ok pull -q --tls-verify=false "$REG/tug/corrupt:1"
}

@test "a pull that failed on one layer resumes: verified layers are not fetched again" {
  # Two layers; the second is corrupted in the registry for the first pull.
  mkdir -p "$TEST_DIR/l1/etc" "$TEST_DIR/l2/srv"
  head -c 300000 /dev/urandom >"$TEST_DIR/l1/etc/one"
  head -c 300000 /dev/urandom >"$TEST_DIR/l2/srv/two"
  tar -C "$TEST_DIR/l1" -cf "$TEST_DIR/one.tar" etc
  tar -C "$TEST_DIR/l2" -cf "$TEST_DIR/two.tar" srv
  busybox_layer "$TEST_DIR/base.tar"
  make_layered_archive "$TEST_DIR/three.tar" localhost/three:1 "$TEST_DIR/base.tar" "$TEST_DIR/one.tar" "$TEST_DIR/two.tar"
  local save=$XDG_DATA_HOME
  export XDG_DATA_HOME=$TEST_DIR/pusher
  mkdir -p "$XDG_DATA_HOME"
  tug_ok load -i "$TEST_DIR/three.tar"
  tug_ok push --tls-verify=false localhost/three:1 "$REG/tug/three:1"
  remove_store "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$save

  local d3 f
  d3=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/tug/three/manifests/1" | jq -r '.layers[2].digest')
  f=$(blob_file "${d3#sha256:}")
  cp "$f" "$TEST_DIR/good-blob"
  flip_byte "$f" 700
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/three:1"
  cp "$TEST_DIR/good-blob" "$f"
  assert_status 125
  [[ "$stderr" == *"blob $d3: digest mismatch"* ]]
  run_tug images -q
  assert_output ""
  # The two good blobs were verified and kept; the next pull fetches only the third.
  [ "$(ls "$XDG_DATA_HOME/tug/blobs/sha256" | wc -l)" -eq 2 ]
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/three:1"
  assert_success
  [ "$(printf '%s\n' "$stderr" | grep -c 'Copying blob .* skipped: already exists')" -eq 2 ]
  [ "$(printf '%s\n' "$stderr" | grep -c 'Copying blob .* done')" -eq 1 ]
  run_tug run --rm "$REG/tug/three:1" stat -c %s /etc/one /srv/two
  assert_output "300000
300000"
}

@test "run and create pull a missing image; --pull policies" {
  push_busybox tug/runpull:1
  run --separate-stderr "$TUG" create --tls-verify=false "$REG/tug/runpull:1" true
  assert_success
  [[ "$stderr" == *"Trying to pull"* ]]
  run_tug images -q
  assert_output "$(busybox_id | cut -c1-12)"
  # missing (the default): no second pull.
  run --separate-stderr "$TUG" run --rm --tls-verify=false "$REG/tug/runpull:1" echo again
  assert_success
  [ "$output" = "again" ]
  [[ "$stderr" != *"Trying to pull"* ]]
  # always: pulls (layers reused); newer: same digest, no pull.
  run --separate-stderr "$TUG" run --rm --pull always --tls-verify=false "$REG/tug/runpull:1" true
  assert_success
  [[ "$stderr" == *"Trying to pull"* ]]
  run --separate-stderr "$TUG" run --rm --pull newer --tls-verify=false "$REG/tug/runpull:1" true
  assert_success
  [[ "$stderr" != *"Trying to pull"* ]]
  run --separate-stderr "$TUG" run --rm --pull sometimes "$REG/tug/runpull:1" true
  assert_status 125
  [[ "$stderr" == *"invalid pull policy"* ]]
}

@test "registries.conf: insecure registry and unqualified-search-registries" {
  push_busybox tug/shortname:1
  export CONTAINERS_REGISTRIES_CONF=$TEST_DIR/registries.conf
  cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
unqualified-search-registries = ["$REG"]
[[registry]]
location = "$REG"
insecure = true
EOF
  tug_ok pull -q tug/shortname:1
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_output "$REG/tug/shortname:1"
  run_tug run --rm tug/shortname:1 echo short
  assert_output "short"
  echo 'this is = not [toml' >"$CONTAINERS_REGISTRIES_CONF"
  run --separate-stderr "$TUG" pull tug/shortname:1
  assert_status 125
  [[ "$stderr" == *"$CONTAINERS_REGISTRIES_CONF:1"* ]]
}

@test "manifest inspect and search against the plain registry" {
  push_busybox tug/inspectme:1
  run --separate-stderr "$TUG" manifest inspect --tls-verify=false "$REG/tug/inspectme:1"
  assert_success
  [ "$(echo "$output" | jq -r .schemaVersion)" = 2 ]
  [ "$(echo "$output" | jq -r '.layers | length')" = 1 ]
  run_tug manifest inspect --tls-verify=false "$REG/tug/nothere:1"
  assert_status 125
  assert_output_contains "404"
  # docker-registry has no v1 search; its catalog is filtered instead.
  run --separate-stderr "$TUG" search --tls-verify=false "$REG/inspectme"
  assert_success
  assert_line --index 0 --partial "NAME"
  assert_line --partial "$REG/tug/inspectme"
  # A registry offering neither (the TLS one refuses anonymous catalog reads).
  run --separate-stderr "$TUG" search --cert-dir "$CERT_DIR" "$TLS_REG/x"
  assert_status 125
  [[ "$stderr" == *"does not offer search"* ]]
}

@test "login/logout round trip with TLS and basic auth; wrong password names 401" {
  load_busybox
  local auth=$XDG_RUNTIME_DIR/containers/auth.json
  # Untrusted CA without --cert-dir: a TLS error with a hint.
  run --separate-stderr "$TUG" login -u tug -p sesame "$TLS_REG"
  assert_status 125
  [[ "$stderr" == *"cert-dir"* ]]
  # Wrong password.
  run --separate-stderr "$TUG" login --cert-dir "$CERT_DIR" -u tug -p wrong "$TLS_REG"
  assert_status 125
  [[ "$stderr" == *"401"* ]]
  [[ "$stderr" == *"invalid username/password"* ]]
  [ ! -e "$auth" ]
  # Pushing without credentials is refused with 401.
  run --separate-stderr "$TUG" push --cert-dir "$CERT_DIR" busybox "$TLS_REG/tug/private:1"
  assert_status 125
  [[ "$stderr" == *"401"* ]]

  echo sesame | "$TUG" login --cert-dir "$CERT_DIR" -u tug --password-stdin "$TLS_REG" >"$TEST_DIR/login.out"
  grep -qx "Login Succeeded!" "$TEST_DIR/login.out"
  [ "$(stat -c %a "$auth")" = 600 ]
  [ "$(jq -r --arg r "$TLS_REG" '.auths[$r].auth' "$auth" | base64 -d)" = "tug:sesame" ]
  run_tug login --get-login "$TLS_REG"
  assert_output "tug"

  tug_ok push --cert-dir "$CERT_DIR" busybox "$TLS_REG/tug/private:1"
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --cert-dir "$CERT_DIR" "$TLS_REG/tug/private:1"
  [ "$output" = "$(busybox_id)" ]

  tug_ok logout "$TLS_REG"
  assert_output "Removed login credentials for $TLS_REG"
  [ "$(jq -r '.auths | length' "$auth")" = 0 ]
  run --separate-stderr "$TUG" logout "$TLS_REG"
  assert_status 125
  [[ "$stderr" == *"not logged into $TLS_REG"* ]]
  # Logged out: the pull is refused; --creds works without a login.
  run --separate-stderr "$TUG" pull --cert-dir "$CERT_DIR" "$TLS_REG/tug/private:1"
  assert_status 125
  [[ "$stderr" == *"401"* ]]
  tug_ok pull -q --cert-dir "$CERT_DIR" --creds tug:sesame "$TLS_REG/tug/private:1"
  # --authfile names the only file read and written.
  tug_ok login --cert-dir "$CERT_DIR" --authfile "$TEST_DIR/my-auth.json" -u tug -p sesame "$TLS_REG"
  [ "$(stat -c %a "$TEST_DIR/my-auth.json")" = 600 ]
  tug_ok pull -q --cert-dir "$CERT_DIR" --authfile "$TEST_DIR/my-auth.json" "$TLS_REG/tug/private:1"
  remove_store "$XDG_DATA_HOME/tug"
}

@test "push to docker-archive: and oci-archive: destinations" {
  load_busybox
  tug_ok push busybox "docker-archive:$TEST_DIR/b.tar"
  tug_ok push busybox "oci-archive:$TEST_DIR/b-oci.tar"
  tar -tf "$TEST_DIR/b.tar" | grep -qx manifest.json
  tar -tf "$TEST_DIR/b-oci.tar" | grep -qx index.json
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok load -i "$TEST_DIR/b-oci.tar"
  assert_output_contains "busybox"
  remove_store "$XDG_DATA_HOME/tug"
}

@test "interop: skopeo reads what tug pushed; tug pulls and runs what skopeo pushed" {
  command -v skopeo >/dev/null || skip "skopeo is not installed"
  load_busybox
  tug_ok push --tls-verify=false busybox "$REG/interop/from-tug:1"
  run skopeo inspect --tls-verify=false "docker://$REG/interop/from-tug:1"
  assert_success
  [ "$(echo "$output" | jq -r .Os)" = linux ]
  [ "$(echo "$output" | jq -r '.Layers | length')" = 1 ]
  run skopeo copy --src-tls-verify=false "docker://$REG/interop/from-tug:1" "oci:$TEST_DIR/oci-dir:x"
  assert_success
  [ -f "$TEST_DIR/oci-dir/index.json" ]

  # skopeo pushes gzip-compressed docker schema 2; tug pulls and runs it.
  run skopeo copy --dest-tls-verify=false --format v2s2 --dest-compress \
    "docker-archive:$BUSYBOX_TAR" "docker://$REG/interop/from-skopeo:1"
  assert_success
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --tls-verify=false "$REG/interop/from-skopeo:1"
  [ "$output" = "$(busybox_id)" ]
  run_tug run --rm "$REG/interop/from-skopeo:1" echo from-skopeo
  assert_output "from-skopeo"

  # An OCI image with a zstd layer.
  run skopeo copy --dest-tls-verify=false --format oci --dest-compress-format zstd \
    "docker-archive:$BUSYBOX_TAR" "docker://$REG/interop/zstd:1"
  assert_success
  run_tug manifest inspect --tls-verify=false "$REG/interop/zstd:1"
  [ "$(echo "$output" | jq -r '.layers[0].mediaType')" = application/vnd.oci.image.layer.v1.tar+zstd ]
  tug_ok pull -q --tls-verify=false "$REG/interop/zstd:1"
  run_tug run --rm "$REG/interop/zstd:1" echo from-zstd
  assert_output "from-zstd"
  remove_store "$XDG_DATA_HOME/tug"
}

@test "interop: podman pulls and runs what tug pushed; tug pulls what podman pushed" {
  command -v podman >/dev/null || skip "podman is not installed"
  require_podman
  load_busybox
  tug_ok push --tls-verify=false busybox "$REG/interop/for-podman:1"
  run podman_cmd pull --tls-verify=false "$REG/interop/for-podman:1"
  assert_success
  run podman_cmd run --rm --network none "$REG/interop/for-podman:1" echo podman-ran-it
  assert_success
  assert_line "podman-ran-it"
  run podman_cmd push --tls-verify=false "$REG/interop/for-podman:1" "$REG/interop/from-podman:1"
  assert_success
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --tls-verify=false "$REG/interop/from-podman:1"
  [ "$output" = "$(busybox_id)" ]
  run_tug run --rm "$REG/interop/from-podman:1" echo from-podman
  assert_output "from-podman"
  remove_store "$XDG_DATA_HOME/tug"
}

@test "a multi-arch index: the host's platform by default, --platform picks another" {
  [ "$(uname -m)" = x86_64 ] || skip "the index is built for an amd64 host"
  push_busybox tug/arch:amd64
  # A second "platform": the same layer under a config naming arm64.
  local man cfg arm_cfg arm_man cdig loc amd_d arm_d
  man=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/tug/arch/manifests/amd64")
  cfg=$(curl -s "http://$REG/v2/tug/arch/blobs/$(echo "$man" | jq -r .config.digest)")
  arm_cfg=$(echo "$cfg" | jq -c '.architecture = "arm64" | .variant = "v8"')
  cdig=sha256:$(printf '%s' "$arm_cfg" | sha256sum | cut -d' ' -f1)
  loc=$(curl -s -o /dev/null -D - -X POST "http://$REG/v2/tug/arch/blobs/uploads/" | tr -d '\r' |
    awk -F': ' 'tolower($1)=="location"{print $2}')
  printf '%s' "$arm_cfg" | curl -s -f -X PUT --data-binary @- -H 'Content-Type: application/octet-stream' "$loc&digest=$cdig"
  arm_man=$(echo "$man" | jq -c --arg d "$cdig" --argjson s "$(printf '%s' "$arm_cfg" | wc -c)" '.config.digest = $d | .config.size = $s')
  printf '%s' "$arm_man" | curl -s -f -X PUT --data-binary @- \
    -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/tug/arch/manifests/arm64"
  amd_d=sha256:$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)
  arm_d=sha256:$(printf '%s' "$arm_man" | sha256sum | cut -d' ' -f1)
  jq -cn --arg a "$amd_d" --argjson asz "$(printf '%s' "$man" | wc -c)" \
    --arg b "$arm_d" --argjson bsz "$(printf '%s' "$arm_man" | wc -c)" \
    '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json", manifests:[
      {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$a, size:$asz, platform:{os:"linux",architecture:"amd64"}},
      {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$b, size:$bsz, platform:{os:"linux",architecture:"arm64",variant:"v8"}}]}' |
    curl -s -f -X PUT --data-binary @- -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
      "http://$REG/v2/tug/arch/manifests/multi"

  run_tug manifest inspect --tls-verify=false "$REG/tug/arch:multi"
  assert_success
  [ "$(echo "$output" | jq -r '.manifests | length')" = 2 ]
  tug_ok pull -q --tls-verify=false "$REG/tug/arch:multi"
  [ "$output" = "$(busybox_id)" ]
  tug_ok pull -q --tls-verify=false --platform linux/arm64 "$REG/tug/arch:multi"
  [ "$output" = "${cdig#sha256:}" ]
  run_tug image inspect --format '{{.Architecture}}' "$REG/tug/arch:multi"
  assert_output "arm64"
  run --separate-stderr "$TUG" pull --tls-verify=false --platform linux/s390x "$REG/tug/arch:multi"
  assert_status 125
  [[ "$stderr" == *"no image for platform linux/s390x"* ]]
  [[ "$stderr" == *"linux/arm64/v8"* ]]
}

@test "the registry down, then restarted: the pull fails cleanly, then completes" {
  # A registry of its own, so stopping it disturbs no other test.
  local port save=$XDG_DATA_HOME
  port=$(free_port)
  start_registry flaky "$port"
  export XDG_DATA_HOME=$TEST_DIR/pusher
  mkdir -p "$XDG_DATA_HOME"
  load_busybox
  tug_ok push --tls-verify=false busybox "127.0.0.1:$port/tug/flaky:1"
  remove_store "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$save
  stop_registry flaky
  run --separate-stderr "$TUG" pull --tls-verify=false "127.0.0.1:$port/tug/flaky:1"
  assert_status 125
  [[ "$stderr" == *"127.0.0.1:$port"* ]]
  run_tug images -q
  assert_output ""
  start_registry flaky "$port"
  tug_ok pull -q --tls-verify=false "127.0.0.1:$port/tug/flaky:1"
  [ "$output" = "$(busybox_id)" ]
  stop_registry flaky
}

@test "push above the chunk size: PATCHes with Content-Range, then PUT; the image pulls back intact" {
  local port save=$XDG_DATA_HOME chunk=200000
  port=$(free_port)
  REG_ACCESSLOG=1 start_registry chunked "$port"
  local img=127.0.0.1:$port/tug/chunked:1
  load_busybox
  run --separate-stderr env TUG_PUSH_CHUNK_SIZE=$chunk "$TUG" push --tls-verify=false busybox "$img"
  assert_success
  # One PATCH per started chunk of each blob larger than the chunk size.
  run_tug manifest inspect --tls-verify=false "$img"
  assert_success
  local expect
  expect=$(printf '%s\n' "$output" | jq --argjson c $chunk \
    '[.config.size, .layers[].size] | map(select(. > $c) | (. + $c - 1) / $c | floor) | add // 0')
  [ "$expect" -ge 2 ]
  local log=$REG_ROOT/chunked/log
  [ "$(grep -c '"PATCH /v2/tug/chunked/blobs/uploads/' "$log")" -eq "$expect" ]
  grep -q '"PATCH /v2/tug/chunked/blobs/uploads/[^ ]* HTTP/[0-9.]*" 202' "$log"
  grep -q '"PUT /v2/tug/chunked/blobs/uploads/[^ ]*digest=sha256[^ ]* HTTP/[0-9.]*" 201' "$log"

  # The registry assembled the chunks into the blob the digest names: a
  # fresh store pulls and runs the image (the pull verifies every digest).
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --tls-verify=false "$img"
  [ "$output" = "$(busybox_id)" ]
  run_tug run --rm "$img" echo chunked-ok
  assert_output "chunked-ok"
  remove_store "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$save

  # TUG_PUSH_CHUNK_SIZE=0: one PUT per blob, no PATCH.
  local before
  before=$(grep -c '"PATCH ' "$log")
  tug_ok push --tls-verify=false busybox "127.0.0.1:$port/tug/whole:1"
  TUG_PUSH_CHUNK_SIZE=0 "$TUG" push -q --tls-verify=false busybox "127.0.0.1:$port/tug/whole0:1"
  [ "$(grep -c '"PATCH ' "$log")" -eq "$before" ]
  run --separate-stderr env TUG_PUSH_CHUNK_SIZE=lots "$TUG" push --tls-verify=false busybox "127.0.0.1:$port/tug/x:1"
  assert_status 125
  [[ "$stderr" == *"TUG_PUSH_CHUNK_SIZE=lots"* ]]
  stop_registry chunked
}

@test "Bearer token auth: WWW-Authenticate, token from the realm, retry; refusals are clear" {
  # A token service (python, JWTs signed by openssl with a key made here)
  # and a registry that trusts its certificate.
  local pki=$REG_ROOT/token-pki tport rport
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tug token issuer" \
    -keyout "$pki/token.key" -out "$pki/token.crt" 2>/dev/null
  tport=$(free_port)
  : >"$REG_ROOT/token-requests"
  python3 "$BATS_TEST_DIRNAME/registry-token-server.py" "$tport" "$pki/token.key" \
    "$pki/token.crt" tug-registry tug-issuer "$REG_ROOT/token-requests" \
    >"$REG_ROOT/token-server.log" 2>&1 3>&- &
  echo $! >"$REG_ROOT/token-server.pid"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$tport/token" && break
    sleep 0.1
  done
  rport=$(free_port)
  start_registry token "$rport" "auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: tug-registry
    issuer: tug-issuer
    rootcertbundle: $pki/token.crt"
  local reg=127.0.0.1:$rport
  # The registry itself refuses an anonymous request and names the realm.
  run curl -si "http://$reg/v2/"
  [[ "$output" == *"401 Unauthorized"* ]]
  [[ "$output" == *"realm=\"http://127.0.0.1:$tport/token\""* ]]

  load_busybox
  tug_ok push --tls-verify=false busybox "$reg/tug/tok:1"
  grep -q "scope=repository:tug/tok:.*push" "$REG_ROOT/token-requests"
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  : >"$REG_ROOT/token-requests"
  tug_ok pull -q --tls-verify=false "$reg/tug/tok:1"
  [ "$output" = "$(busybox_id)" ]
  grep -q "^scope=repository:tug/tok:pull account=$" "$REG_ROOT/token-requests"
  run_tug run --rm "$reg/tug/tok:1" echo token-ok
  assert_output "token-ok"

  # A repository the token service refuses without credentials: 401 from
  # the token service, a hint to log in, nothing stored.
  run --separate-stderr "$TUG" pull --tls-verify=false "$reg/secret/x:1"
  assert_status 125
  [[ "$stderr" == *"authentication required"* ]]
  [[ "$stderr" == *"tug login $reg"* ]]
  # With credentials the token service answers (the repository is empty:
  # the registry's 404 comes through, so auth did succeed).
  run --separate-stderr "$TUG" pull --tls-verify=false --creds tug:sesame "$reg/secret/x:1"
  assert_status 125
  [[ "$stderr" == *"404"* ]]
  grep -q "^scope=repository:secret/x:pull account=tug$" "$REG_ROOT/token-requests"
  # A token that grants nothing: the registry's refusal, with its status.
  run --separate-stderr "$TUG" pull --tls-verify=false "$reg/denied/x:1"
  assert_status 125
  [[ "$stderr" == *"401"* ]]
  [[ "$stderr" == *"denied/x"* ]]
  run_tug images -q
  assert_output "$(busybox_id | cut -c1-12)"
  remove_store "$XDG_DATA_HOME/tug"
  stop_registry token
  kill "$(cat "$REG_ROOT/token-server.pid")"
}

@test "a chunked push cut short resumes from the registry's offset; the blob is intact" {
  local port pport chunk=100000 save=$XDG_DATA_HOME
  port=$(free_port)
  REG_ACCESSLOG=1 start_registry resume "$port"
  # cut_proxy N KEEP: a proxy in front of the registry that lets the Nth
  # PATCH through with only KEEP bytes of its body, then cuts the connection.
  cut_proxy() {
    pport=$(free_port)
    : >"$REG_ROOT/cut.log"
    python3 "$BATS_TEST_DIRNAME/registry-cut-proxy.py" "$pport" "$port" "$1" "$2" \
      "$REG_ROOT/cut.log" >"$REG_ROOT/cut-proxy.out" 2>&1 3>&- &
    echo $! >"$REG_ROOT/cut-proxy.pid"
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$pport/v2/" && break; sleep 0.1; done
  }
  load_busybox

  # The 3rd PATCH is cut before its body: tug asks where the upload stands
  # (GET of the session: 204, Range 0-199999) and goes on at byte 200000,
  # not from byte 0.
  cut_proxy 3 0
  run --separate-stderr env TUG_PUSH_CHUNK_SIZE=$chunk "$TUG" --log-level debug push --tls-verify=false busybox "127.0.0.1:$pport/tug/resumed:1"
  kill "$(cat "$REG_ROOT/cut-proxy.pid")"
  assert_success
  grep -qx CUT "$REG_ROOT/cut.log"
  [[ "$stderr" == *"asking the registry how much arrived"* ]]
  grep -q '"GET /v2/tug/resumed/blobs/uploads/[^ ]* HTTP/[0-9.]*" 204' "$REG_ROOT/resume/log"
  [ "$(grep '^PATCH' "$REG_ROOT/cut.log" | sed -n 3p)" = "PATCH 200000-299999" ]
  [ "$(grep -A1 -x CUT "$REG_ROOT/cut.log" | sed -n 2p)" = "PATCH 200000-299999" ]
  [ "$(grep -c '^PATCH 0-' "$REG_ROOT/cut.log")" -eq 1 ]

  # Cut in the middle of a chunk: docker-registry then drops the session
  # (its state no longer matches the bytes it holds, 404 on the GET), and
  # tug starts the blob again in a new session instead of failing.
  cut_proxy 3 40000
  run --separate-stderr env TUG_PUSH_CHUNK_SIZE=$chunk "$TUG" --log-level debug push --tls-verify=false busybox "127.0.0.1:$pport/tug/restarted:1"
  kill "$(cat "$REG_ROOT/cut-proxy.pid")"
  assert_success
  grep -qx CUT "$REG_ROOT/cut.log"
  [[ "$stderr" == *"starting it again"* ]]
  [ "$(grep -A1 -x CUT "$REG_ROOT/cut.log" | sed -n 2p)" = "PATCH 0-99999" ]

  # The registry's blobs hash to their names, and a fresh store pulls and
  # runs both images (every digest verified).
  local layer r
  for r in resumed restarted; do
    layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      "http://127.0.0.1:$port/v2/tug/$r/manifests/1" | jq -r '.layers[0].digest')
    [ "sha256:$(curl -s "http://127.0.0.1:$port/v2/tug/$r/blobs/$layer" | sha256sum | cut -d' ' -f1)" = "$layer" ]
  done
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --tls-verify=false "127.0.0.1:$port/tug/resumed:1"
  [ "$output" = "$(busybox_id)" ]
  tug_ok pull -q --tls-verify=false "127.0.0.1:$port/tug/restarted:1"
  [ "$output" = "$(busybox_id)" ]
  run_tug run --rm "127.0.0.1:$port/tug/resumed:1" echo resumed-ok
  assert_output "resumed-ok"
  remove_store "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$save
  stop_registry resume
}

@test "repository-scoped credentials: the most specific auth.json entry is used per repository" {
  load_busybox
  tug_ok push --cert-dir "$CERT_DIR" --creds tug:sesame busybox "$TLS_REG/team/good:1"
  tug_ok push --cert-dir "$CERT_DIR" --creds tug:sesame busybox "$TLS_REG/team/bad:1"
  # Podman's keys: host/namespace/repo beats host/namespace beats host.
  local authfile=$TEST_DIR/scoped-auth.json
  jq -n --arg good "$TLS_REG/team/good" --arg bad "$TLS_REG/team/bad" --arg host "$TLS_REG" \
    --arg right "$(printf tug:sesame | base64)" --arg wrong "$(printf tug:nope | base64)" \
    '{auths: {($good): {auth: $right}, ($bad): {auth: $wrong}, ($host): {auth: $wrong}}}' >"$authfile"
  export XDG_DATA_HOME=$TEST_DIR/fresh
  mkdir -p "$XDG_DATA_HOME"
  tug_ok pull -q --cert-dir "$CERT_DIR" --authfile "$authfile" "$TLS_REG/team/good:1"
  [ "$output" = "$(busybox_id)" ]
  run --separate-stderr "$TUG" pull -q --cert-dir "$CERT_DIR" --authfile "$authfile" "$TLS_REG/team/bad:1"
  assert_status 125
  [[ "$stderr" == *"401"* ]]
  [[ "$stderr" == *"invalid username/password"* ]]
  [[ "$stderr" == *"\"$TLS_REG/team/bad\" in $authfile"* ]]
  # A namespace entry covers the repositories below it.
  jq -n --arg ns "$TLS_REG/team" --arg host "$TLS_REG" \
    --arg right "$(printf tug:sesame | base64)" --arg wrong "$(printf tug:nope | base64)" \
    '{auths: {($ns): {auth: $right}, ($host): {auth: $wrong}}}' >"$authfile"
  tug_ok pull -q --cert-dir "$CERT_DIR" --authfile "$authfile" "$TLS_REG/team/bad:1"
  # login to a repository stores that key, used for that repository only.
  rm -f "$authfile"
  tug_ok login --cert-dir "$CERT_DIR" --authfile "$authfile" -u tug -p sesame "$TLS_REG/team/good"
  [ "$(jq -r --arg k "$TLS_REG/team/good" '.auths[$k].auth' "$authfile" | base64 -d)" = "tug:sesame" ]
  [ "$(jq -r --arg k "$TLS_REG" '.auths[$k]' "$authfile")" = null ]
  tug_ok pull -q --cert-dir "$CERT_DIR" --authfile "$authfile" "$TLS_REG/team/good:1"
  run --separate-stderr "$TUG" pull -q --cert-dir "$CERT_DIR" --authfile "$authfile" "$TLS_REG/team/bad:1"
  assert_status 125
  [[ "$stderr" == *"401"* ]]
  remove_store "$XDG_DATA_HOME/tug"
}

@test "blobs kept by a failed pull are pruned by image prune and system prune, never under a running pull" {
  push_busybox tug/keep:1
  # busybox's layer (already in the store), a new one, and a third that is
  # corrupt in the registry.
  mkdir -p "$TEST_DIR/l1/etc" "$TEST_DIR/l2/srv"
  head -c 200000 /dev/urandom >"$TEST_DIR/l1/etc/one"
  head -c 100000 /dev/urandom >"$TEST_DIR/l2/srv/two"
  tar -C "$TEST_DIR/l1" -cf "$TEST_DIR/one.tar" etc
  tar -C "$TEST_DIR/l2" -cf "$TEST_DIR/two-layer.tar" srv
  busybox_layer "$TEST_DIR/base.tar"
  make_layered_archive "$TEST_DIR/two.tar" localhost/two:1 "$TEST_DIR/base.tar" "$TEST_DIR/one.tar" "$TEST_DIR/two-layer.tar"
  local save=$XDG_DATA_HOME
  export XDG_DATA_HOME=$TEST_DIR/pusher
  mkdir -p "$XDG_DATA_HOME"
  tug_ok load -i "$TEST_DIR/two.tar"
  tug_ok push --tls-verify=false localhost/two:1 "$REG/tug/two:1"
  remove_store "$XDG_DATA_HOME/tug"
  export XDG_DATA_HOME=$save

  tug_ok pull -q --tls-verify=false "$REG/tug/keep:1"
  local blobs=$XDG_DATA_HOME/tug/blobs/sha256 kept
  kept=$(ls "$blobs" | sort)
  local d1 d2 f
  d1=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/tug/two/manifests/1" | jq -r '.layers[1].digest')
  d2=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/tug/two/manifests/1" | jq -r '.layers[2].digest')
  f=$(blob_file "${d2#sha256:}")
  cp "$f" "$TEST_DIR/good-blob"
  flip_byte "$f" 700
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/two:1"
  cp "$TEST_DIR/good-blob" "$f"
  assert_status 125
  # The verified first layer stays for the next pull.
  [ -f "$blobs/${d1#sha256:}" ]

  # A pull (or load, build) in progress holds staging.lock shared: prune
  # leaves every unreferenced blob alone and says why.
  # (-o: sleep does not inherit the lock, so killing flock releases it.)
  flock -o -s "$XDG_DATA_HOME/tug/staging.lock" sleep 30 3>&- &
  local holder=$!
  sleep 0.3
  run --separate-stderr "$TUG" image prune -f
  assert_success
  [[ "$stderr" == *"in progress"* ]]
  [ -f "$blobs/${d1#sha256:}" ]
  kill "$holder"
  wait "$holder" || true

  run --separate-stderr "$TUG" image prune -f
  assert_success
  [[ "$output" == *"Total reclaimed space: 2"* ]]
  [ ! -e "$blobs/${d1#sha256:}" ]
  # The complete image keeps its blobs, and still pushes and runs.
  [ "$(ls "$blobs" | sort)" = "$kept" ]
  tug_ok push --tls-verify=false "$REG/tug/keep:1" "$REG/tug/kept-again:1"
  run_tug run --rm "$REG/tug/keep:1" echo still-here
  assert_output "still-here"

  # system prune does the same.
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/two:1"
  assert_success
  tug_ok rmi "$REG/tug/two:1"
  flip_byte "$f" 700
  run --separate-stderr "$TUG" pull --tls-verify=false "$REG/tug/two:1"
  cp "$TEST_DIR/good-blob" "$f"
  assert_status 125
  [ -f "$blobs/${d1#sha256:}" ]
  tug_ok system prune -f
  [ ! -e "$blobs/${d1#sha256:}" ]
  [ "$(ls "$blobs" | sort)" = "$kept" ]
  # Nothing to prune: nothing reclaimed.
  tug_ok image prune -f
  assert_output "Total reclaimed space: 0B"
}
