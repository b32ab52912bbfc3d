# cp with running containers and through mounts, log drivers and options,
# volumes from the command line and volume create/ls/rm options.

@ vol-cp-into-running
echo payload > f
E run -d --name c $IMG sleep 300
E cp f c:/tmp/
E exec c cat /tmp/f
E exec c stat -c %u:%g /tmp/f

@ vol-cp-out-of-running
E run -d --name c -h myhost $IMG sleep 300
E cp c:/etc/hostname ./hn
cat hn

@ cp-dir-into-running
mkdir -p d/sub && echo deep > d/sub/x
E run -d --name c $IMG sleep 300
E cp d c:/tmp/
E exec c cat /tmp/d/sub/x
E cp c:/tmp/d ./back
cat back/sub/x

@ cp-running-missing-source
E run -d --name c $IMG sleep 300
E cp c:/nope ./x
ls x 2>&1 | sed 's/.*No such.*/absent/'

@ cp-running-volume
echo v > f
E run -d --name c -v vol:/data $IMG sleep 300
E cp f c:/data/
E run --rm -v vol:/data $IMG cat /data/f

@ cp-running-tmpfs
echo t > f
E run -d --name c --tmpfs /scratch $IMG sleep 300
E cp f c:/scratch/
E exec c cat /scratch/f
E exec c sh -c 'echo inside > /scratch/out'
E cp c:/scratch/out ./out
cat out

@ cp-created-volume
echo in-volume > f
E create --name c -v vv:/data $IMG cat /data/f
E cp f c:/data/
E start -a c
E cp c:/data/f ./again
cat again

@ cp-created-bind
mkdir -p bind
echo in-bind > f
E create --name c -v "$PWD/bind:/b" $IMG true
E cp f c:/b/
cat bind/f

@ cp-symlink-to-host-dir
mkdir -p hostdir
echo evil > evil
E run -d --name c $IMG sh -c "ln -s $PWD/hostdir /x; sleep 300"
waitfor "${ENGINE[*]} exec c test -L /x"
E cp evil c:/x/
ls hostdir

@ cp-symlink-dotdot-stays-inside
echo evil > evil
E run -d --name c $IMG sh -c 'ln -s ../../../.. /up; sleep 300'
waitfor "${ENGINE[*]} exec c test -L /up"
E cp evil c:/up/tmp/
E exec c cat /tmp/evil

@ logs-json-file-driver
E run --name j --log-driver json-file $IMG sh -c 'echo out; echo err >&2'
E logs j
E inspect --format '{{.HostConfig.LogConfig.Type}}' j

@ logs-json-file-format differs=json-file-is-dockers-format
E run --name j --log-driver json-file $IMG echo out
head -c 9 "$(Q container inspect --format '{{.HostConfig.LogConfig.Path}}' j)"; echo

@ logs-k8s-file-default
E run --name k $IMG echo kfile
E inspect --format '{{.HostConfig.LogConfig.Type}}' k
sed 's/^[^ ]* //' "$(Q container inspect --format '{{.HostConfig.LogConfig.Path}}' k)"

@ logs-none-driver
E run --name n --log-driver none $IMG echo hidden
E logs n

@ logs-passthrough-driver
E run --name p --log-driver passthrough $IMG sh -c 'echo to-out; exit 3'
E logs p

@ logs-bad-driver
E run --rm --log-driver bogus $IMG true

@ logs-journald-without-journal
test -S /run/systemd/journal/socket && echo "has journal" || E run --rm --log-driver journald $IMG true

@ logs-opt-bad-size
E run --rm --log-opt max-size=lots $IMG true

@ logs-opt-unknown-key differs=log-opt-unknown-key
E run --rm --log-opt colour=blue $IMG true

@ logs-opt-path
E run --name at --log-opt path=$PWD/my.log $IMG echo moved
grep -c moved my.log
E logs at

@ logs-opt-max-size
E run --name r --log-opt max-size=2k $IMG sh -c 'i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done'
E logs --tail 1 r
test "$(stat -c %s "$(Q container inspect --format '{{.HostConfig.LogConfig.Path}}' r)")" -le 2048 && echo small

@ vol-logs-until-past
E run --name t $IMG echo hi
E logs --until 2000-01-01T00:00:00Z t

@ logs-until-future
E run --name t $IMG echo hi
E logs --until 2100-01-01T00:00:00Z t

@ logs-until-invalid
E run --name t $IMG echo hi
E logs --until soon t

@ vol-anonymous-from-cli
E run --name a -v /data $IMG sh -c 'echo kept > /data/f'
Q volume ls -q | wc -l
E rm -v a
Q volume ls -q | wc -l

@ vol-anonymous-run-rm
E run --rm -v /anon -v named:/named $IMG true
E volume ls -q

@ vol-anonymous-inspect
E create --name a -v /data $IMG true
E inspect --format '{{range .Mounts}}{{.Destination}} {{.Type}}{{end}}' a

@ vol-volumes-from
mkdir -p host
E create --name src -v shared:/data -v /anon -v "$PWD/host:/h" $IMG true
E run --rm --volumes-from src $IMG sh -c 'echo one > /data/f; echo two > /anon/g; echo three > /h/h'
cat host/h
E run --rm --volumes-from src $IMG cat /data/f /anon/g
Q volume ls -q | wc -l

@ vol-volumes-from-ro
E create --name src -v shared:/data $IMG true
E run --rm --volumes-from src:ro $IMG sh -c 'echo x > /data/f'

@ vol-volumes-from-missing
E run --rm --volumes-from nosuch $IMG true

@ vol-create-tmpfs differs=volume-options-without-root
E volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tv
E run --rm -v tv:/t $IMG sh -c 'grep " /t " /proc/mounts | cut -d" " -f1,3; echo x > /t/f'
E run --rm -v tv:/t $IMG ls /t
E volume inspect --format '{{.Options.type}} {{.Options.o}}' tv

@ vol-create-bind
mkdir -p dev
E volume create -o type=none -o o=bind -o device=$PWD/dev bv
E run --rm -v bv:/b $IMG sh -c 'echo via-volume > /b/f'
cat dev/f

@ vol-create-uid-gid differs=volume-options-without-root
E volume create -o uid=1000 -o gid=1001 owned
E run --rm -v owned:/o $IMG stat -c %u:%g /o

@ vol-ls-filters
E volume create -l env=prod alpha
E volume create -l env=dev beta
E volume create gamma
E create --name user -v beta:/b $IMG true
E volume ls -q --filter name=alp
E volume ls -q --filter label=env
E volume ls -q --filter label=env=dev
E volume ls -q --filter dangling=true
E volume ls -q --filter dangling=false
E volume ls -q --filter name=alpha --filter name=gamma
E volume ls -q --filter driver=local

@ vol-ls-bad-filter
E volume ls --filter colour=red

@ vol-rm-all
E volume create idle1
E volume create idle2
E create --name user -v busy:/b $IMG true
E volume rm -a
E volume ls -q

@ vol-rm-all-with-names
E volume create x1
E volume rm -a x1

@ vol-chown-once differs=volume-chown-once
E create --name c -u 1000:1000 -v vv:/data:U $IMG stat -c %u:%g /data
E start -a c
E run --rm -v vv:/data $IMG chown 0:0 /data
E start -a c
