#!/usr/bin/env bats
# Image trust: containers-policy.json enforced on pulls from Debian's
# docker-registry on 127.0.0.1 (reject and accept scopes with podman's
# precedence, GPG simple signing through a registries.d lookaside store,
# sigstore signatures in sha256-DIGEST.sig tags), push --sign-by and
# --sign-by-sigstore-private-key, tug image trust show|set, with skopeo and
# podman as the peers that sign and verify the same signatures.

load helpers

setup_file() {
  start_test_registry

  # Keys: a GPG key that signs, another that does not count, a sigstore
  # (ECDSA P-256) pair and a second public key. gpg-agent's socket lives in
  # GNUPGHOME: a short path.
  export KEYS=$BATS_FILE_TMPDIR/keys
  mkdir -p "$KEYS"
  export GNUPGHOME
  GNUPGHOME=$(mktemp -d /tmp/tug-gnupg-XXXXXX)
  gpg --batch --passphrase '' --quick-gen-key 'Tug Signer <signer@example.com>' default default never 2>/dev/null
  gpg --batch --passphrase '' --quick-gen-key 'Someone Else <other@example.com>' default default never 2>/dev/null
  gpg --batch --pinentry-mode loopback --passphrase sesame --quick-gen-key 'Locked <locked@example.com>' default default never 2>/dev/null
  gpg --batch --export signer@example.com >"$KEYS/signer.gpg"
  gpg --batch --export locked@example.com >"$KEYS/locked.gpg"
  gpg --batch --export other@example.com >"$KEYS/other.gpg"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/cosign.key" 2>/dev/null
  openssl pkey -in "$KEYS/cosign.key" -pubout -out "$KEYS/cosign.pub"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/wrong.key" 2>/dev/null
  openssl pkey -in "$KEYS/wrong.key" -pubout -out "$KEYS/wrong.pub"
  # An encrypted key, its passphrase in a file.
  echo 'sesame' >"$KEYS/pass"
  openssl pkey -in "$KEYS/cosign.key" -aes256 -passout file:"$KEYS/pass" -out "$KEYS/cosign-enc.key"

  export SIGS=$BATS_FILE_TMPDIR/sigs
  mkdir -p "$SIGS"

  # The images, pushed from a store of their own: busybox signed with GPG
  # (app:signed), busybox signed with the sigstore key (cosign:1), and an
  # imported image nobody signed (app:unsigned).
  local save_data=${XDG_DATA_HOME:-} save_conf=${XDG_CONFIG_HOME:-} save_run=${XDG_RUNTIME_DIR:-}
  export XDG_DATA_HOME=$BATS_FILE_TMPDIR/pusher XDG_CONFIG_HOME=$BATS_FILE_TMPDIR/pusher-config
  export XDG_RUNTIME_DIR=$BATS_FILE_TMPDIR/pusher-run
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME/containers" && mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  write_registries_d "$XDG_CONFIG_HOME"
  "$TUG" load -i "$BUSYBOX_TAR" >/dev/null
  mkdir -p "$BATS_FILE_TMPDIR/rootfs" && echo other >"$BATS_FILE_TMPDIR/rootfs/file"
  tar -C "$BATS_FILE_TMPDIR/rootfs" -cf "$BATS_FILE_TMPDIR/other.tar" .
  "$TUG" import "$BATS_FILE_TMPDIR/other.tar" other >/dev/null
  "$TUG" push -q --tls-verify=false --sign-by signer@example.com busybox "$REG/app:signed"
  "$TUG" push -q --tls-verify=false other "$REG/app:unsigned"
  "$TUG" push -q --tls-verify=false --sign-by-sigstore-private-key "$KEYS/cosign.key" busybox \
    "$REG/cosign:1"
  "$TUG" push -q --tls-verify=false other "$REG/cosign:unsigned"
  export XDG_DATA_HOME=$save_data XDG_CONFIG_HOME=$save_conf XDG_RUNTIME_DIR=$save_run
}

teardown_file() {
  stop_test_registry
  gpgconf --kill all 2>/dev/null || true
  rm -rf "$GNUPGHOME"
  if [ -d "$BATS_FILE_TMPDIR/pusher/tug" ]; then
    XDG_DATA_HOME=$BATS_FILE_TMPDIR/pusher remove_store "$BATS_FILE_TMPDIR/pusher/tug" || true
  fi
}

# write_registries_d CONFIG_HOME: the lookaside store for $REG is $SIGS.
write_registries_d() {
  mkdir -p "$1/containers/registries.d"
  cat >"$1/containers/registries.d/default.yaml" <<YAML
docker:
  $REG:
    lookaside: file://$SIGS
    use-sigstore-attachments: true
YAML
}

# policy JSON: the user's policy.json.
policy() {
  printf '%s\n' "$1" >"$XDG_CONFIG_HOME/containers/policy.json"
}

signed_by() {  # KEYFILE [IDENTITY-JSON]
  echo "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"$1\"${2:+,\"signedIdentity\":$2}}"
}

# Nothing was stored: no image and no layer blob.
assert_nothing_stored() {
  tug_ok images -q
  assert_output_equals ""
  [ -z "$(ls -A "$XDG_DATA_HOME/tug/blobs/sha256" 2>/dev/null)" ]
}

@test "the policy in use: the user's, else the system's, else none (tug info says which)" {
  tug_ok info --format '{{.imageTrust.policyFile}}'
  if [ -e /etc/containers/policy.json ]; then
    assert_output_equals "/etc/containers/policy.json"
  else
    assert_output_equals "none"
    tug_ok info
    assert_output_contains "every image is accepted"
  fi
  tug_ok pull -q --tls-verify=false "$REG/app:unsigned"
  policy '{"default":[{"type":"insecureAcceptAnything"}]}'
  tug_ok info --format '{{.imageTrust.policyFile}}'
  assert_output_equals "$XDG_CONFIG_HOME/containers/policy.json"
}

@test "a malformed policy is an error naming the file, and nothing is pulled" {
  policy '{"default": [{"type": "acceptEverything"}]}'
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  assert_error 125 "invalid policy in $XDG_CONFIG_HOME/containers/policy.json: default: unknown requirement type \"acceptEverything\""
  policy '{"default": [{"type": "reject"}'
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  assert_error 125 "policy.json: not valid JSON"
  policy '{"transports": {}}'
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  assert_error 125 '"default" is missing'
  run_tug pull --tls-verify=false --signature-policy "$TEST_DIR/nosuchfile.json" "$REG/app:unsigned"
  assert_error 125 "signature policy $TEST_DIR/nosuchfile.json does not exist"
  assert_nothing_stored
}

@test "reject: podman's message, the policy entry named, nothing stored" {
  policy '{"default": [{"type": "reject"}]}'
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  assert_error 125 "Source image rejected: Running image docker://$REG/app:unsigned is rejected by policy."
  assert_output_contains "default of $XDG_CONFIG_HOME/containers/policy.json"
  assert_nothing_stored
  # --signature-policy replaces the user's file.
  echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$TEST_DIR/open.json"
  tug_ok pull -q --tls-verify=false --signature-policy "$TEST_DIR/open.json" "$REG/app:unsigned"
}

@test "scopes: tag, repository, namespace, host, transport default, default" {
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{
    \"$REG/app\":[{\"type\":\"insecureAcceptAnything\"}],
    \"$REG/app:signed\":[{\"type\":\"reject\"}],
    \"$REG\":[{\"type\":\"reject\"}],
    \"\":[{\"type\":\"insecureAcceptAnything\"}]}}}"
  tug_ok pull -q --tls-verify=false "$REG/app:unsigned"
  # The tag's scope is more specific than the repository's.
  run_tug pull --tls-verify=false "$REG/app:signed"
  assert_error 125 "is rejected by policy"
  assert_output_contains "transports.docker[\"$REG/app:signed\"]"
  # Another repository of the host falls to the host's scope.
  run_tug pull --tls-verify=false "$REG/cosign:1"
  assert_error 125 "transports.docker[\"$REG\"]"
  # Without a host scope, the transport's "" wins over the top-level default.
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{
    \"\":[{\"type\":\"insecureAcceptAnything\"}]}}}"
  tug_ok pull -q --tls-verify=false "$REG/cosign:1"
  # A scope of another transport does not apply to registries.
  policy '{"default":[{"type":"reject"}],"transports":{"docker-daemon":{"":[{"type":"insecureAcceptAnything"}]}}}'
  run_tug pull --tls-verify=false "$REG/cosign:unsigned"
  assert_error 125 "is rejected by policy"
}

@test "run, create and build are checked like pull" {
  policy '{"default":[{"type":"reject"}]}'
  run_tug run --rm --tls-verify=false "$REG/app:unsigned" true
  assert_error 125 "Source image rejected"
  run_tug create --pull=always --tls-verify=false --name nosuchctr "$REG/app:unsigned"
  assert_error 125 "Source image rejected"
  mkdir -p ctx && echo "FROM $REG/app:unsigned" >ctx/Containerfile
  run_tug build --tls-verify=false -t built ctx
  assert_error 125 "Source image rejected"
  assert_nothing_stored
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$TEST_DIR/open.json"
  tug_ok create --tls-verify=false --signature-policy "$TEST_DIR/open.json" --name okctr "$REG/app:unsigned" true
}

@test "signedBy: a GPG signature made by tug push --sign-by verifies" {
  write_registries_d "$XDG_CONFIG_HOME"
  # The signature is where containers/image keeps them.
  digest=$(curl -s -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/app/manifests/signed" |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }')
  [ -s "$SIGS/app@sha256=${digest#sha256:}/signature-1" ]
  gpg --batch --decrypt "$SIGS/app@sha256=${digest#sha256:}/signature-1" 2>/dev/null >payload.json
  [ "$(jq -r '.critical.type' payload.json)" = "atomic container signature" ]
  [ "$(jq -r '.critical.image["docker-manifest-digest"]' payload.json)" = "$digest" ]
  [ "$(jq -r '.critical.identity["docker-reference"]' payload.json)" = "$REG/app:signed" ]

  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG\":[$(signed_by "$KEYS/signer.gpg")]}}}"
  tug_ok pull -q --tls-verify=false "$REG/app:signed"
  tug_ok images --format '{{.Repository}}:{{.Tag}}'
  assert_output_equals "$REG/app:signed"
  # By digest: the signature's tag does not matter (matchRepoDigestOrExact).
  tug_ok pull -q --tls-verify=false "$REG/app@$digest"
  tug_ok rmi -a -f
  # The same store served over HTTP.
  port=$(free_port)
  python3 -m http.server --bind 127.0.0.1 --directory "$SIGS" "$port" >/dev/null 2>&1 3>&- &
  echo $! >http.pid
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  printf 'default-docker:\n  lookaside: http://127.0.0.1:%s\n' "$port" \
    >"$XDG_CONFIG_HOME/containers/registries.d/default.yaml"
  run_tug pull -q --tls-verify=false "$REG/app:signed"
  kill "$(cat http.pid)"
  assert_success
}

@test "push --sign-by with a key locked by a passphrase" {
  write_registries_d "$XDG_CONFIG_HOME"
  load_busybox
  echo sesame >pass
  tug_ok push -q --tls-verify=false --sign-by locked@example.com --sign-passphrase-file pass \
    busybox "$REG/locked:1"
  tug_ok rmi busybox
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG/locked\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[\"$KEYS/other.gpg\",\"$KEYS/locked.gpg\"]}]}}}"
  tug_ok pull -q --tls-verify=false "$REG/locked:1"
  run_tug push --tls-verify=false --sign-by nosuchkey@example.com "$REG/locked:1" "$REG/locked:2"
  assert_error 125 "signing key nosuchkey@example.com not found"
}

@test "signedBy refuses unsigned images, other keys, other identities, moved signatures" {
  write_registries_d "$XDG_CONFIG_HOME"
  local scope="\"$REG\""
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{$scope:[$(signed_by "$KEYS/signer.gpg")]}}}"
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  assert_error 125 "Source image rejected: A signature was required, but no signature exists"
  assert_output_contains "transports.docker[\"$REG\"]"
  # Signed, but by a key the policy does not trust.
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{$scope:[$(signed_by "$KEYS/other.gpg")]}}}"
  run_tug pull --tls-verify=false "$REG/app:signed"
  assert_error 125 "Source image rejected: Signature by key"
  assert_output_contains "is not accepted"
  # Signed for another identity than the policy asks.
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{$scope:[$(signed_by "$KEYS/signer.gpg" "{\"type\":\"exactReference\",\"dockerReference\":\"$REG/app:v9\"}")]}}}"
  run_tug pull --tls-verify=false "$REG/app:signed"
  assert_error 125 "Source image rejected: Signature for identity \"$REG/app:signed\" is not accepted"
  # The signature of one image put in place of another's (a registry that
  # serves other content under the signed name).
  udigest=$(curl -s -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/app/manifests/unsigned" |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }')
  sdir=$(ls -d "$SIGS"/app@sha256=* | head -1)
  mkdir -p "$SIGS/app@sha256=${udigest#sha256:}"
  cp "$sdir/signature-1" "$SIGS/app@sha256=${udigest#sha256:}/signature-1"
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{$scope:[$(signed_by "$KEYS/signer.gpg" '{"type":"matchRepository"}')]}}}"
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  rm -rf "$SIGS/app@sha256=${udigest#sha256:}"
  assert_error 125 "does not match $udigest"
  # A key type tug cannot check refuses the pull it applies to, not others.
  policy "{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{\"docker\":{\"$REG/app\":[{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyPath\":\"/nonexistent\"}]}}}"
  run_tug pull --tls-verify=false "$REG/app:signed"
  assert_error 125 "Source image rejected: keyType \"X509Certificates\" is not implemented by tug"
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{$scope:[$(signed_by "$KEYS/signer.gpg" '{"type":"matchRepository"}')]}}}"
  # A corrupt signature file.
  mkdir -p "$SIGS/app@sha256=${udigest#sha256:}"
  head -c 200 "$sdir/signature-1" >"$SIGS/app@sha256=${udigest#sha256:}/signature-1"
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  rm -rf "$SIGS/app@sha256=${udigest#sha256:}"
  assert_error 125 "Source image rejected: Invalid GPG signature"
  assert_nothing_stored
}

@test "sigstoreSigned: the sha256-DIGEST.sig tag made by push verifies with the public key" {
  sigreq() { echo "{\"type\":\"sigstoreSigned\",\"keyPath\":\"$1\"}"; }
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG/cosign\":[$(sigreq "$KEYS/wrong.pub")]}}}"
  run_tug pull --tls-verify=false "$REG/cosign:1"
  assert_error 125 "Source image rejected: cryptographic signature verification failed"
  run_tug pull --tls-verify=false "$REG/cosign:unsigned"
  assert_error 125 "Source image rejected: A signature was required, but no signature exists"
  assert_nothing_stored
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG/cosign\":[$(sigreq "$KEYS/cosign.pub")]}}}"
  tug_ok pull -q --tls-verify=false "$REG/cosign:1"
  # keyData: the key inline.
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG/cosign\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"$(base64 -w0 "$KEYS/cosign.pub")\"}]}}}"
  tug_ok pull -q --tls-verify=false "$REG/cosign:1"
  # The tag cosign uses, with the signature annotation on its layer.
  digest=$(curl -s -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/cosign/manifests/1" |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }')
  curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/cosign/manifests/sha256-${digest#sha256:}.sig" >sig.json
  [ "$(jq -r '.layers[0].mediaType' sig.json)" = "application/vnd.dev.cosign.simplesigning.v1+json" ]
  [ -n "$(jq -r '.layers[0].annotations["dev.cosignproject.cosign/signature"]' sig.json)" ]
}

@test "push --sign-by-sigstore-private-key: an encrypted key with --sign-passphrase-file" {
  load_busybox
  run_tug push --tls-verify=false --sign-by-sigstore-private-key "$KEYS/cosign-enc.key" \
    --sign-passphrase-file /nonexistent busybox "$REG/enc:1"
  assert_error 125 "passphrase file /nonexistent does not exist"
  tug_ok push -q --tls-verify=false --sign-by-sigstore-private-key "$KEYS/cosign-enc.key" \
    --sign-passphrase-file "$KEYS/pass" busybox "$REG/enc:1"
  tug_ok rmi busybox
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG/enc\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"$KEYS/cosign.pub\"}]}}}"
  tug_ok pull -q --tls-verify=false "$REG/enc:1"
  # GPG signing needs somewhere to put the signature.
  run_tug push --tls-verify=false --sign-by signer@example.com "$REG/enc:1" "$REG/enc:2"
  assert_error 125 "no signature store is configured for $REG/enc:2"
}

@test "skopeo verifies tug's GPG signatures, tug verifies skopeo's" {
  write_registries_d "$XDG_CONFIG_HOME"
  echo "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{
    \"$REG/app\":[$(signed_by "$KEYS/signer.gpg")],
    \"$REG/skopeo\":[$(signed_by "$KEYS/signer.gpg")]}}}" >"$TEST_DIR/p.json"
  rd="$XDG_CONFIG_HOME/containers/registries.d"
  run skopeo --policy "$TEST_DIR/p.json" --registries.d "$rd" copy --src-tls-verify=false \
    "docker://$REG/app:signed" "dir:$TEST_DIR/copy1"
  assert_success
  # Debian's skopeo 1.9 is built without sigstore ("Debian-local change:
  # sigstore disabled"): tug's .sig tags are checked against cosign's layout
  # above instead.
  run skopeo --policy "$TEST_DIR/p.json" --registries.d "$rd" copy --src-tls-verify=false \
    "docker://$REG/app:unsigned" "dir:$TEST_DIR/copy3"
  assert_failure
  # The same refusal, in the same words, from both.
  assert_output_contains "Source image rejected: A signature was required, but no signature exists"
  run_tug pull --tls-verify=false --signature-policy "$TEST_DIR/p.json" "$REG/app:unsigned"
  assert_error 125 "Source image rejected: A signature was required, but no signature exists"
  # skopeo signs a copy with GPG into the same lookaside store; tug checks it.
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$TEST_DIR/open.json"
  run skopeo --policy "$TEST_DIR/open.json" --registries.d "$rd" copy --src-tls-verify=false \
    --dest-tls-verify=false --sign-by signer@example.com "docker://$REG/app:unsigned" "docker://$REG/skopeo:1"
  assert_success
  tug_ok pull -q --tls-verify=false --signature-policy "$TEST_DIR/p.json" "$REG/skopeo:1"
}

# podman, rootless, with its storage inside the test directory (as in 150).
podman_cmd() {
  podman --root "$TEST_DIR/podman-root" --runroot "$TEST_DIR/podman-run" \
    --runtime runc --cgroup-manager=cgroupfs --events-backend=file "$@"
}

teardown() {
  if [ -d "$TEST_DIR/podman-root" ]; then
    podman_cmd system reset -f >/dev/null 2>&1 || true
    podman_cmd unshare rm -rf "$TEST_DIR/podman-root" "$TEST_DIR/podman-run" >/dev/null 2>&1 || true
  fi
  tug_test_cleanup
}

@test "podman pulls what tug signed under the same policy, tug pulls what podman signed" {
  local err
  if ! err=$(podman_cmd info 2>&1 >/dev/null); then
    skip "rootless podman does not work here: $(printf '%s\n' "$err" | grep -m1 .)"
  fi
  write_registries_d "$XDG_CONFIG_HOME"
  # podman 4.3 looks for registries.d in ~/.config, whatever XDG_CONFIG_HOME says.
  mkdir -p "$TEST_DIR/home" && ln -s "$XDG_CONFIG_HOME" "$TEST_DIR/home/.config"
  export HOME=$TEST_DIR/home
  echo "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"$REG\":[$(signed_by "$KEYS/signer.gpg")]}}}" >"$TEST_DIR/p.json"
  run podman_cmd pull -q --tls-verify=false --signature-policy "$TEST_DIR/p.json" "$REG/app:signed"
  assert_success
  run podman_cmd pull -q --tls-verify=false --signature-policy "$TEST_DIR/p.json" "$REG/app:unsigned"
  assert_failure
  assert_output_contains "Source image rejected: A signature was required, but no signature exists"
  run podman_cmd push -q --tls-verify=false --sign-by signer@example.com "$REG/app:signed" "$REG/bypodman:1"
  assert_success
  tug_ok pull -q --tls-verify=false --signature-policy "$TEST_DIR/p.json" "$REG/bypodman:1"
}

@test "load: the docker-archive and oci-archive transports of the policy" {
  policy '{"default":[{"type":"reject"}],"transports":{"docker":{"":[{"type":"insecureAcceptAnything"}]}}}'
  run_tug load -i "$BUSYBOX_TAR"
  assert_error 125 "Source image rejected: Running image docker-archive:$BUSYBOX_TAR is rejected by policy."
  assert_output_contains "default of $XDG_CONFIG_HOME/containers/policy.json"
  assert_nothing_stored
  # A scope for the archive's directory admits it; oci-archive stays refused.
  policy "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker-archive\":{\"$(dirname "$BUSYBOX_TAR")\":[{\"type\":\"insecureAcceptAnything\"}]}}}"
  tug_ok load -i "$BUSYBOX_TAR"
  run_tug load -i "$BUSYBOX_OCI_TAR"
  assert_error 125 "Running image oci-archive:$BUSYBOX_OCI_TAR is rejected by policy."
  # Archives carry no signatures.
  policy "{\"default\":[$(signed_by "$KEYS/signer.gpg")]}"
  run_tug load <"$BUSYBOX_OCI_TAR"
  assert_error 125 "Source image rejected: A signature was required, but no signature exists"
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$TEST_DIR/open.json"
  tug_ok load --signature-policy "$TEST_DIR/open.json" -i "$BUSYBOX_OCI_TAR"
}

@test "image trust set and show, as podman reads and writes policy.json" {
  local p=$XDG_CONFIG_HOME/containers/policy.json
  tug_ok image trust set --type reject default
  tug_ok image trust set --type accept "$REG"
  tug_ok image trust set --type signedBy --pubkeysfile "$KEYS/signer.gpg" "$REG/app"
  [ "$(jq -r '.default[0].type' "$p")" = reject ]
  [ "$(jq -r --arg s "$REG" '.transports.docker[$s][0].type' "$p")" = insecureAcceptAnything ]
  [ "$(jq -r --arg s "$REG/app" '.transports.docker[$s][0].keyPath' "$p")" = "$KEYS/signer.gpg" ]
  tug_ok image trust show
  head -1 <<<"$output" | grep -Eq '^TRANSPORT +NAME +TYPE +ID +STORE'
  grep -Eq '^all +default +reject' <<<"$output"
  grep -Eq "^repository +$REG +accept" <<<"$output"
  grep -Eq "^repository +$REG/app +signed +signer@example.com" <<<"$output"
  tug_ok image trust show --json
  [ "$(jq -r '.[0].name' <<<"$output")" = "* (default)" ]
  [ "$(jq -r '.[2].type' <<<"$output")" = signed ]
  tug_ok image trust show --raw
  [ "$(jq -S . <<<"$output")" = "$(jq -S . "$p")" ]
  # The policy it wrote is the one pulls obey.
  write_registries_d "$XDG_CONFIG_HOME"
  tug_ok pull -q --tls-verify=false "$REG/app:signed"
  run_tug pull --tls-verify=false "$REG/app:unsigned"
  assert_error 125 "no signature exists"
  # podman reads it the same way.
  local raw
  raw=$(podman image trust show --policypath "$p" --raw 2>/dev/null)
  [ "$(jq -S . <<<"$raw")" = "$(jq -S . "$p")" ]
  podman image trust show --policypath "$p" 2>/dev/null >podman.txt
  grep -Eq "^repository +$REG/app +signed" podman.txt
  grep -Eq '^all +default +reject' podman.txt
  run_tug image trust set --type signedBy "$REG/x"
  assert_error 125 "at least one public key must be defined for type 'signedBy'"
  run_tug image trust set --type trusted "$REG/x"
  assert_error 125 "invalid trust type"
}
