#!/usr/bin/env bats
# The Slurm SPANK plugin (contrib/slurm): srun --container-* against a
# single-node cluster on 127.0.0.1 that run-bats starts as root (munged,
# slurmctld, slurmd; proctrack/linuxproc, task/none).

load helpers

# helpers.bash's setup, kept under another name.
eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"

setup() {
  helpers_setup
  [ -n "${TUG_TEST_SLURM_CONF:-}" ] ||
    skip "no Slurm cluster: needs root to start it, slurm-wlm and munge installed and the plugin built (libslurm-dev)"
  export SLURM_CONF=$TUG_TEST_SLURM_CONF
  # An image with a file only it has.
  mkdir -p "$TEST_DIR/l/etc"
  busybox_layer "$TEST_DIR/l/1.tar"
  echo "only in the image" >"$TEST_DIR/l/etc/probe"
  tar -C "$TEST_DIR/l" -cf "$TEST_DIR/l/2.tar" --owner=0 --group=0 etc
  CONFIG_EXTRA='{"Env":["PATH=/usr/bin:/bin","FOO=image"]}' \
    make_layered_archive "$TEST_DIR/probe.tar" localhost/probe:1 "$TEST_DIR/l/1.tar" "$TEST_DIR/l/2.tar"
  tug_ok load -i "$TEST_DIR/probe.tar"
}

# Containers of a step are removed by slurmstepd after srun returned.
wait_no_containers() {
  for i in $(seq 50); do
    [ -z "$("$TUG" ps -a -q)" ] && return 0
    sleep 0.1
  done
  "$TUG" ps -a >&3
  return 1
}

@test "srun -n2 --container-image runs both tasks inside one container" {
  host_pidns=$(readlink /proc/self/ns/pid)
  run srun -Q -n2 --container-image=localhost/probe:1 \
    sh -c 'echo "$SLURM_PROCID $(cat /etc/probe) $(readlink /proc/self/ns/pid) $(hostname) $(id -u)"'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -c "only in the image")" -eq 2 ]
  # Both tasks, 0 and 1, in one pid namespace that is not the host's.
  [ "$(echo "$output" | awk '{print $1}' | sort | tr '\n' ' ')" = "0 1 " ]
  pidns=$(echo "$output" | awk '{print $6}' | sort -u)
  [ "$(echo "$pidns" | wc -l)" -eq 1 ]
  [ "$pidns" != "$host_pidns" ]
  # The node's hostname, and the user's identity (root of its user
  # namespace, which is the user outside: files it writes are the user's).
  [ "$(echo "$output" | awk '{print $7}' | sort -u)" = "$(hostname)" ]
  wait_no_containers
}

@test "a squashfs image, mounts, workdir and the job's environment" {
  tug_ok save --format squashfs -o "$TEST_DIR/probe.sqfs" localhost/probe:1
  mkdir "$TEST_DIR/shared"
  echo input >"$TEST_DIR/shared/in"
  FOO=host BAR=job run srun -Q -n2 --container-image="$TEST_DIR/probe.sqfs" \
    --container-mounts="$TEST_DIR/shared:/data" --container-workdir=/data \
    sh -c 'echo "$(pwd) $(cat in) $FOO $BAR $(cat /etc/probe)"; touch out.$SLURM_PROCID'
  echo "$output"
  [ "$status" -eq 0 ]
  # The image's FOO wins over the job's; BAR comes from the job.
  [ "$(echo "$output" | grep -c "^/data input image job only in the image$")" -eq 2 ]
  [ "$(stat -c %U "$TEST_DIR/shared/out.0")" = "$(id -un)" ]
  [ -e "$TEST_DIR/shared/out.1" ]
  FOO=host run srun -Q --container-image="squashfs:$TEST_DIR/probe.sqfs" --container-env=FOO \
    sh -c 'echo $FOO'
  [ "$output" = "host" ]
  # Read-only unless --container-writable.
  run srun -Q --container-image=localhost/probe:1 sh -c 'echo x >/etc/new'
  [ "$status" -ne 0 ]
  run srun -Q --container-image=localhost/probe:1 --container-writable sh -c 'echo x >/etc/new && cat /etc/new'
  [ "$output" = "x" ]
  wait_no_containers
}

@test "--container-name keeps the container for the next step" {
  run srun -Q --container-image=localhost/probe:1 --container-name=keep --container-writable \
    sh -c 'echo remembered >/tmp/note'
  [ "$status" -eq 0 ]
  run srun -Q --container-name=keep cat /tmp/note
  [ "$output" = "remembered" ]
  tug_ok ps --format '{{.Names}}'
  assert_output_equals "keep"
  tug_ok rm -f keep
}

@test "bad options and a missing image fail the step with the plugin's message" {
  # Every task of the step exits 125 (srun would otherwise return 0).
  run srun -Q -n2 --container-image=localhost/nope:1 true
  [ "$status" -eq 125 ]
  [[ "$output" == *"spank_tug: creating the container from localhost/nope:1"* ]]
  run srun -Q --container-image=localhost/probe:1 --container-mounts=relative true
  [ "$status" -ne 0 ]
  [[ "$output" == *"invalid --container-mounts entry"* ]]
  run srun -Q --container-name=nothing-here true
  [ "$status" -eq 125 ]
  [[ "$output" == *"no container named nothing-here"* ]]
  wait_no_containers
}
