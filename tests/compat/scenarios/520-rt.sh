# The container's environment, its terminal and the run flags that shape it
# (issue 17): /run/.containerenv, container=, TERM, host.containers.internal,
# /etc/mtab, the mode of /, groups, keep-id's HOME, --ipc, -a, --group-add,
# --dns-option, --kernel-memory; rm of a network's owner, network details.

# Images with other groups or another mode of / are made with export and
# import (no build needed).

@ rt-containerenv-empty
E run --rm $IMG sh -c 'test -f /run/.containerenv && echo present; wc -c </run/.containerenv'

@ rt-containerenv-privileged-keys
E run --rm --privileged --name pv $IMG sh -c "sed 's/=.*//' /run/.containerenv"
E run --rm --privileged --name pv2 $IMG sh -c 'grep -E "^(name|rootless)=" /run/.containerenv'

@ rt-env-container differs=container-env-names-tug
E run --rm $IMG sh -c 'echo "container=$container"'

@ rt-env-container-image-wins
E run --rm -e container=mine $IMG sh -c 'echo "container=$container"'

@ rt-env-term-no-tty differs=term-only-with-a-terminal
E run --rm $IMG sh -c 'echo "TERM=${TERM-unset}"'

@ rt-env-term-tty
E run --rm -t $IMG sh -c 'echo "TERM=$TERM"'

@ rt-env-term-tty-flag-wins
E run --rm -t -e TERM=vt100 $IMG sh -c 'echo "TERM=$TERM"'

@ rt-hosts-host-containers-internal
E run --rm $IMG sh -c 'grep -c "	host.containers.internal$" /etc/hosts'
E run --rm --network slirp4netns:allow_host_loopback=true $IMG sh -c 'grep -c "	host.containers.internal$" /etc/hosts'

@ rt-hosts-host-docker-internal differs=host-docker-internal-too
E run --rm $IMG sh -c 'grep -c "	host.docker.internal$" /etc/hosts'

@ rt-hosts-network-none differs=no-host-entry-without-a-network
E run --rm --network none $IMG sh -c 'grep -c host.containers.internal /etc/hosts'

@ rt-hosts-add-host-wins
E run --rm --add-host host.containers.internal:192.0.2.77 $IMG sh -c 'grep host.containers.internal /etc/hosts'

@ rt-etc-mtab
E run --rm $IMG readlink /etc/mtab
E run --rm $IMG sh -c 'grep -c " / " /etc/mtab'

@ rt-root-mode-kept
Q create --name src $IMG true >/dev/null
Q export src >fs.tar
mkdir r && tar -C r -xf fs.tar && chmod 0555 r && tar -C r -cf r.tar . && echo made
Q import r.tar r555 >/dev/null
E run --rm r555 stat -c %a /

@ rt-groups-user-name
Q create --name src $IMG true >/dev/null
Q export src >fs.tar
mkdir r && tar -C r -xf fs.tar
printf 'alice:x:1000:1000:alice:/home/alice:/bin/sh\n' >>r/etc/passwd
printf 'wheel:x:10:root\naudio:x:29:alice\nstaff:x:50:alice,bob\nalice:x:1000:\n' >>r/etc/group
tar -C r -cf r.tar . && Q import r.tar grp >/dev/null
E run --rm -u alice grp id
E run --rm -u 1000 grp id
E run --rm -u 1000:1000 grp id
E run --rm -u alice:audio grp id
E run --rm -u 1000:50 grp id

@ rt-groups-root differs=supplementary-groups-as-docker
Q create --name src $IMG true >/dev/null
Q export src >fs.tar
mkdir r && tar -C r -xf fs.tar
printf 'wheel:x:10:root\n' >>r/etc/group
tar -C r -cf r.tar . && Q import r.tar grp >/dev/null
E run --rm grp id
E run --rm $IMG id
E run --rm -u 2000 $IMG id

@ rt-keep-id-home
E run --rm --userns=keep-id $IMG sh -c 'echo "HOME=$HOME"'
E run --rm --userns=keep-id -w /tmp $IMG sh -c 'echo "HOME=$HOME"; pwd'

@ rt-tty-input-not-a-tty differs=input-not-a-tty
E run --rm -it $IMG echo hi </dev/null

@ rt-tty-t-without-i
E run --rm -t $IMG echo hi </dev/null

@ rt-exec-tty-input-not-a-tty differs=input-not-a-tty
E run -d --name x $IMG sleep 60
E exec -it x echo hi </dev/null
E exec -t x echo hi </dev/null

@ rt-ipc-private
E run --rm $IMG sh -c 'grep -c " /dev/shm " /proc/mounts; grep -c " /dev/mqueue " /proc/mounts'
E run --rm --ipc private $IMG sh -c 'grep -c " /dev/shm " /proc/mounts'
E run --rm --ipc shareable $IMG sh -c 'grep -c " /dev/shm " /proc/mounts'

@ rt-ipc-none
E run --rm --ipc none $IMG sh -c 'grep -c " /dev/shm " /proc/mounts; grep -c " /dev/mqueue " /proc/mounts'

@ rt-ipc-host differs=ipc-host-without-dev-mqueue
E run --rm --ipc host $IMG sh -c 'test "$(readlink /proc/self/ns/ipc)" = "$(readlink /proc/1/ns/ipc)" && echo ok'

@ rt-ipc-container
E run -d --name src --ipc shareable $IMG sh -c 'touch /dev/mqueue/shared; sleep 60'
waitfor "${ENGINE[*]} exec src ls /dev/mqueue/shared"
E run --rm --ipc container:src $IMG ls /dev/mqueue

@ rt-ipc-errors
E run --rm --ipc bogus $IMG true
E run --rm --ipc container:nosuch $IMG true

@ rt-attach-stdout
E run --rm -a stdout $IMG sh -c 'echo out; echo err >&2'
echo "stderr: $(cat "$LASTERR" | grep -v level=)"

@ rt-attach-stderr
E run --rm -a stderr $IMG sh -c 'echo out; echo err >&2'
echo "stderr: $(cat "$LASTERR" | grep -v level=)"

@ rt-attach-stdin-follows-i
echo hi | E run --rm -i -a stdout $IMG cat

@ rt-attach-invalid
E run --rm -a foo $IMG true

@ rt-attach-with-detach differs=attach-with-detach
E run -d -a stdout $IMG true

@ rt-group-add-user
E run --rm -u 1000:1000 --group-add 1234 $IMG id -G

@ rt-group-add-root differs=supplementary-groups-as-docker
E run --rm --group-add 1234 --group-add daemon $IMG id

@ rt-group-add-unknown differs=group-add-unknown-exit-code
E run --rm --group-add nosuch $IMG id

@ rt-dns-option
E run --rm --dns-option ndots:2 --dns-option timeout:3 $IMG grep ^options /etc/resolv.conf
E run --rm --dns-opt ndots:4 $IMG grep ^options /etc/resolv.conf
E run --rm --dns-search example.com $IMG grep ^search /etc/resolv.conf

@ rt-kernel-memory
E run --rm --kernel-memory 50m $IMG echo ran

@ rt-rm-network-owner differs=rm-of-a-namespace-owner
E run -d --name owner $IMG sh -c 'trap exit TERM; sleep 60 & wait'
E run -d --name user --network container:owner $IMG sh -c 'trap exit TERM; sleep 60 & wait'
E rm -f owner
E ps -a --format '{{.Names}}'
E rm -f user
E rm -f owner
E ps -a --format '{{.Names}}'

@ rt-rm-network-owner-all differs=rm-of-a-namespace-owner
E run -d --name owner $IMG sh -c 'trap exit TERM; sleep 60 & wait'
E run -d --name user --network container:owner $IMG sh -c 'trap exit TERM; sleep 60 & wait'
Q rm -f -a >/dev/null
E ps -a --format '{{.Names}}'

@ rt-network-disconnect-hosts
E network create rtn1
E network create rtn2
E run -d --name hc --network rtn1 $IMG sleep 60
E network connect rtn2 hc
E exec hc sh -c 'grep -c " hc$" /etc/hosts'
E network disconnect rtn1 hc
E exec hc sh -c 'grep -c " hc$" /etc/hosts'

@ rt-bridge-eth0-brd
E network create --subnet 10.91.0.0/24 rtbrd
E run --rm --network rtbrd $IMG sh -c 'ip -4 -o addr show eth0 | grep -o "inet .* brd [0-9.]*"'
