# run: output, exit codes, environment and options that podman and docker share.

@ run-echo
E run --rm $IMG echo hello from the container

@ run-exit-code
E run --rm $IMG sh -c 'exit 3'

@ run-not-found
E run --rm $IMG /nosuch/command

@ run-not-executable
E run --rm $IMG /etc/passwd

@ run-missing-image
E run --rm nosuchimage-compat true

@ run-env
E run --rm -e FOO=bar -e EMPTY= $IMG sh -c 'echo "$FOO|$EMPTY|${UNSET-unset}"'

@ run-workdir
E run --rm -w /tmp $IMG pwd

@ run-workdir-created
E run --rm -w /new/dir $IMG pwd

@ run-user
E run --rm -u 1000:1000 $IMG id

@ run-hostname
E run --rm -h myhost $IMG hostname

@ run-name-then-ps
E run --name named $IMG true
E ps -a --format '{{.Names}} {{.Status}}'
