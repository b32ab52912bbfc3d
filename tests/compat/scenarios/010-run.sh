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

@ run-workdir-created differs=run--w-creates-a-missing-directory
E run --rm -w /new/dir $IMG pwd

@ run-user differs=no-passwd-entry-for-an-unknown-uid
E run --rm -u 1000:1000 $IMG id

@ run-hostname
E run --rm -h myhost $IMG hostname

@ run-name-then-ps
E run --name named $IMG true
E ps -a --format '{{.Names}} {{.Status}}'

@ run-entrypoint
E run --rm --entrypoint echo $IMG from entrypoint

@ run-entrypoint-empty
E run --rm --entrypoint '' $IMG echo no entrypoint

@ run-args-quoting
E run --rm $IMG echo 'two  spaces' "a'b" '$HOME'

@ run-env-from-host
FOO_FROM_HOST=inherited E run --rm -e FOO_FROM_HOST $IMG sh -c 'echo "${FOO_FROM_HOST-unset}"'

@ run-env-unset-host
E run --rm -e NOT_SET_ANYWHERE_X $IMG sh -c 'echo "${NOT_SET_ANYWHERE_X-unset}"'

@ run-env-file
printf 'A=1\n# comment\nB=two words\n\n' > envf
E run --rm --env-file envf $IMG sh -c 'echo "$A|$B"'

@ run-env-file-missing
E run --rm --env-file nosuchfile $IMG true

@ run-env-override-order
printf 'A=file\n' > envf
E run --rm --env-file envf -e A=flag $IMG sh -c 'echo $A'

@ run-stdin
echo piped input | E run --rm -i $IMG cat

@ run-stdin-not-attached
echo piped input | E run --rm $IMG cat

@ run-read-only
E run --rm --read-only $IMG sh -c 'touch /x; echo $?'

@ run-read-only-tmp-writable differs=run---read-only-leaves-tmp-read-only
E run --rm --read-only $IMG sh -c 'touch /tmp/x && echo ok'

@ run-tmpfs
E run --rm --tmpfs /scratch $IMG sh -c 'echo data > /scratch/f && cat /scratch/f && grep -c " /scratch " /proc/mounts'

@ run-bind-mount
mkdir host; echo from host > host/f
E run --rm -v $S/work/host:/mnt $IMG cat /mnt/f

@ run-bind-mount-write-back
mkdir host
E run --rm -v $S/work/host:/mnt $IMG sh -c 'echo written > /mnt/new'
cat host/new

@ run-bind-mount-ro
mkdir host
E run --rm -v $S/work/host:/mnt:ro $IMG sh -c 'touch /mnt/x 2>/dev/null; echo $?'
ls host

@ run-bind-missing-source
E run --rm -v $S/work/nosuchdir:/mnt $IMG true

@ run-mount-flag-bind
mkdir host; echo m > host/f
E run --rm --mount type=bind,source=$S/work/host,target=/m $IMG cat /m/f

@ run-mount-flag-tmpfs
E run --rm --mount type=tmpfs,target=/t $IMG sh -c 'grep -c " /t " /proc/mounts'

@ run-add-host
E run --rm --add-host myhost.example:10.1.2.3 $IMG sh -c 'grep myhost.example /etc/hosts'

@ run-add-host-bad
E run --rm --add-host nocolon $IMG true

@ run-dns
E run --rm --dns 10.9.8.7 $IMG grep nameserver /etc/resolv.conf

@ run-cap-drop-chown
E run --rm --cap-drop CHOWN $IMG sh -c 'touch /f; chown 1 /f; echo $?'

@ run-cap-add-bad
E run --rm --cap-add NOSUCHCAP $IMG true

@ run-init-pid1
E run --rm --init $IMG sh -c 'test $$ != 1 && echo the shell is not pid 1'

@ run-pid1
E run --rm $IMG sh -c 'echo $$'

@ run-labels-inspect
E run --name c -l a=1 --label b=two $IMG true
E inspect --format '{{.Config.Labels.a}} {{.Config.Labels.b}}' c

@ run-rm-removes
E run --rm --name gone $IMG true
E ps -a --format '{{.Names}}'

@ run-name-in-use
E run --name dup $IMG true
E run --name dup $IMG true
E ps -a --format '{{.Names}}'

@ run-no-image-arg
E run

@ run-unknown-flag
E run --nosuchflag $IMG true

@ run-user-name
E run --rm -u nobody $IMG id

@ run-user-missing differs=exit-codes-follow-docker-where-podmans-differ
E run --rm -u nosuchuser $IMG id

@ run-user-uid-only differs=no-passwd-entry-for-an-unknown-uid
E run --rm -u 1234 $IMG id

@ run-network-none
E run --rm --network none $IMG sh -c 'ls /sys/class/net | sort'

@ run-child-killed-by-signal
E run --rm $IMG sh -c 'sleep 30 & kill -9 $!; wait $!; echo $?'

@ run-exit-255
E run --rm $IMG sh -c 'exit 255'

@ run-detach-prints-id
E run -d --name d $IMG true
E wait d

@ run-wait-exit-code
E run -d --name d $IMG sh -c 'exit 42'
E wait d

@ run-default-path
E run --rm $IMG sh -c 'echo $PATH'

@ run-home-root
E run --rm $IMG sh -c 'echo $HOME; id -un'

@ run-hostname-default-is-id
E run --name c $IMG sh -c 'hostname > /tmp/h; cat /tmp/h'
Q inspect --format '{{.Id}}' c | cut -c1-12

@ run-etc-hostname differs=etchostname-ends-with-a-newline
E run --rm -h given $IMG cat /etc/hostname

@ run-workdir-file differs=exit-codes-follow-docker-where-podmans-differ
E run --rm -w /etc/passwd $IMG pwd

@ run-ulimit
E run --rm --ulimit nofile=512:512 $IMG sh -c 'ulimit -n'

@ run-privileged-flag
E run --rm --privileged $IMG sh -c 'echo ok'

@ run-stop-signal-inspect differs=stopsignal-is-the-signals-name
E create --name c --stop-signal SIGUSR1 $IMG true
E inspect --format '{{.Config.StopSignal}}' c
