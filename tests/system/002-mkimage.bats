#!/usr/bin/env bats
# scripts/mkimage-busybox, which every other test's image comes from: the
# archives follow docker's and OCI's layouts, hold what a busybox image
# needs, and are byte for byte the same on every build.

load helpers
bats_require_minimum_version 1.5.0

MKIMAGE=$BATS_TEST_DIRNAME/../../scripts/mkimage-busybox

@test "two builds give the same bytes, so the same image id" {
  run "$MKIMAGE" "$TEST_DIR/a.tar"
  assert_success
  local id=$output
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  run "$MKIMAGE" "$TEST_DIR/b.tar"
  assert_output "$id"
  cmp "$TEST_DIR/a.tar" "$TEST_DIR/b.tar"
  # The cached archive the suite uses is the same build.
  cmp "$TEST_DIR/a.tar" "$BUSYBOX_TAR"
  # And the OCI variant describes the same config.
  run "$MKIMAGE" --oci "$TEST_DIR/o.tar"
  assert_output "$id"
}

@test "the docker-archive has docker save's layout and a consistent config" {
  local d=$TEST_DIR/x
  mkdir "$d"
  tar -C "$d" -xf "$BUSYBOX_TAR"
  [ "$(jq length "$d/manifest.json")" -eq 1 ]
  [ "$(jq -c '.[0].RepoTags' "$d/manifest.json")" = '["busybox:latest"]' ]
  local config layer
  config=$(jq -r '.[0].Config' "$d/manifest.json")
  layer=$(jq -r '.[0].Layers[0]' "$d/manifest.json")
  [ "$(jq '.[0].Layers | length' "$d/manifest.json")" -eq 1 ]
  # The config is named by its digest; the layer's diff_id is its digest.
  [ "${config%.json}" = "$(sha256sum <"$d/$config" | cut -d' ' -f1)" ]
  [ "$(jq -r '.rootfs.type' "$d/$config")" = layers ]
  [ "$(jq -r '.rootfs.diff_ids[0]' "$d/$config")" = "sha256:$(sha256sum <"$d/$layer" | cut -d' ' -f1)" ]
  [ "$(jq -r '.architecture + "/" + .os' "$d/$config")" = amd64/linux ]
  [ "$(jq -c '.config.Cmd' "$d/$config")" = '["sh"]' ]
  [[ "$(jq -r '.config.Env[0]' "$d/$config")" == PATH=*/bin* ]]
  [ "$(jq '.history | length' "$d/$config")" -ge 1 ]
}

@test "the layer holds busybox, its applets, users, groups and the usual directories" {
  busybox_layer "$TEST_DIR/layer.tar"
  run tar -tvf "$TEST_DIR/layer.tar"
  assert_success
  local listing=$output
  # Owned by root, with fixed times.
  [ -z "$(awk '$2 != "0/0"' <<<"$listing")" ]
  [ "$(awk '{print $4}' <<<"$listing" | sort -u)" = "2023-11-14" ]
  grep -Eq '^-rwx.* \./bin/busybox$' <<<"$listing"
  grep -Eq '^l.* \./bin/sh -> busybox$' <<<"$listing"
  # One link per applet busybox lists.
  local applets links
  applets=$(/bin/busybox --list | grep -vx busybox | wc -l)
  links=$(grep -c ' -> busybox$' <<<"$listing")
  [ "$links" -eq "$applets" ]
  grep -Eq '^drwxrwxrwt .* \./tmp/$' <<<"$listing"
  grep -Eq '^drwx------ .* \./root/$' <<<"$listing"
  local dir
  for dir in home etc dev proc sys; do
    grep -Eq "^d.* \./$dir/\$" <<<"$listing"
  done
  tar -xOf "$TEST_DIR/layer.tar" ./etc/passwd | grep -q '^root:x:0:0:'
  tar -xOf "$TEST_DIR/layer.tar" ./etc/passwd | grep -q '^nobody:x:65534:65534:'
  tar -xOf "$TEST_DIR/layer.tar" ./etc/group | grep -q '^root:x:0:'
}

@test "the oci-archive has an OCI layout whose digests all match" {
  local d=$TEST_DIR/o
  mkdir "$d"
  tar -C "$d" -xf "$BUSYBOX_OCI_TAR"
  [ "$(jq -r .imageLayoutVersion "$d/oci-layout")" = "1.0.0" ]
  [ "$(jq '.manifests | length' "$d/index.json")" -eq 1 ]
  [ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$d/index.json")" = latest ]
  local blob digest size
  # Every blob is named by its digest.
  for blob in "$d"/blobs/sha256/*; do
    [ "$(basename "$blob")" = "$(sha256sum <"$blob" | cut -d' ' -f1)" ]
  done
  digest=$(jq -r '.manifests[0].digest' "$d/index.json")
  size=$(jq -r '.manifests[0].size' "$d/index.json")
  local manifest=$d/blobs/sha256/${digest#sha256:}
  [ "$(stat -c %s "$manifest")" -eq "$size" ]
  [ "$(jq -r .mediaType "$manifest")" = application/vnd.oci.image.manifest.v1+json ]
  local config=$d/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)
  local layer=$d/blobs/sha256/$(jq -r '.layers[0].digest' "$manifest" | cut -d: -f2)
  [ "$(stat -c %s "$config")" -eq "$(jq -r .config.size "$manifest")" ]
  [ "$(stat -c %s "$layer")" -eq "$(jq -r '.layers[0].size' "$manifest")" ]
  [ "$(jq -r '.rootfs.diff_ids[0]' "$config")" = "sha256:$(basename "$layer")" ]
}

@test "NAME sets the tag; a missing busybox is a clear error" {
  NAME=example/tool:1.2 run "$MKIMAGE" "$TEST_DIR/named.tar"
  assert_success
  [ "$(tar -xOf "$TEST_DIR/named.tar" ./manifest.json | jq -c '.[0].RepoTags')" = '["example/tool:1.2"]' ]
  BUSYBOX=/nonexistent/busybox run --separate-stderr "$MKIMAGE" "$TEST_DIR/none.tar"
  assert_failure
  [[ "$stderr" == *"busybox-static"* ]]
  [ ! -e "$TEST_DIR/none.tar" ]
}
