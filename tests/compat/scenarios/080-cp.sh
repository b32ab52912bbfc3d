# cp: in and out of created, exited and running containers; docker's path
# rules (trailing slashes, directories, "-" for a tar stream); error cases.

@ cp-into-created
echo content > f
E create --name c $IMG cat /tmp/f
E cp f c:/tmp/f
E start -a c

@ cp-into-exited
echo content > f
E run --name c $IMG true
E cp f c:/root/
E cp c:/root/f back
cat back

@ cp-into-running
echo live > f
E run -d --name c $IMG sleep 300
E cp f c:/tmp/
E exec c cat /tmp/f

@ cp-out-of-running
E run -d --name c $IMG sh -c 'echo inside > /tmp/g; sleep 300'
waitfor '[ -n "$(Q exec c cat /tmp/g)" ]'
E cp c:/tmp/g out
cat out

@ cp-out-of-exited
E run --name c $IMG sh -c 'echo kept > /tmp/g'
E cp c:/tmp/g .
cat g

@ cp-out-etc-passwd
E create --name c $IMG true
E cp c:/etc/passwd pw
head -1 pw

@ cp-dir-into
mkdir -p d/sub; echo 1 > d/a; echo 2 > d/sub/b
E create --name c $IMG true
E cp d c:/tmp
E cp c:/tmp/d/sub/b back
cat back

@ cp-dir-contents-dot
mkdir -p d; echo 1 > d/a
E create --name c $IMG true
E cp d/. c:/tmp/
E cp c:/tmp/a got
cat got

@ cp-dir-out
E run --name c $IMG sh -c 'mkdir -p /x/y && echo deep > /x/y/z'
E cp c:/x out
find out | sort
cat out/y/z

@ cp-dir-out-existing-dest
mkdir dest
E run --name c $IMG sh -c 'mkdir -p /x && echo f > /x/f'
E cp c:/x dest
find dest | sort

@ cp-file-to-missing-dir-slash
echo a > f
E create --name c $IMG true
E cp f c:/nosuchdir/

@ cp-file-to-new-name
echo a > f
E create --name c $IMG cat /etc/renamed
E cp f c:/etc/renamed
E start -a c

@ cp-missing-source-host
E create --name c $IMG true
E cp nosuchfile c:/tmp/

@ cp-missing-source-container
E create --name c $IMG true
E cp c:/nosuchfile out
ls

@ cp-missing-container differs=missing-objects-exit-1
echo a > f
E cp f nosuch:/tmp/

@ cp-no-container-side
echo a > f
E cp f g

@ cp-both-container-sides differs=cp-between-two-containers-is-refused
E create --name a $IMG true
E create --name b $IMG true
E cp a:/etc/passwd b:/tmp/

@ cp-wrong-arg-count
E cp onlyone

@ cp-tar-out
E run --name c $IMG sh -c 'echo in-tar > /tmp/t'
Q cp c:/tmp/t - | tar -tf -
Q cp c:/tmp/t - | tar -xOf -

@ cp-tar-in
mkdir src; echo from-tar > src/t
tar -C src -cf in.tar t
E create --name c $IMG cat /tmp/t
E cp - c:/tmp/ < in.tar
E start -a c

@ cp-dir-onto-file
mkdir d; echo 1 > d/a
E create --name c $IMG true
E cp d c:/etc/passwd

@ cp-keeps-mode
echo '#!/bin/sh' > s; echo 'echo script ran' >> s; chmod 755 s
E create --name c $IMG /s
E cp s c:/s
E start -a c

@ cp-symlink-out differs=cp-copies-a-symbolic-link-as-a-link
E run --name c $IMG sh -c 'echo target > /tmp/t; ln -s /tmp/t /tmp/l'
E cp c:/tmp/l out
[ -L out ] && echo symlink || cat out

@ cp-follow-link differs=cp-copies-a-symbolic-link-as-a-link
E run --name c $IMG sh -c 'echo target > /tmp/t; ln -s /tmp/t /tmp/l'
E cp -L c:/tmp/l out
[ -L out ] && echo symlink || cat out

@ cp-into-volume-created
echo into-volume > f
E create --name c -v vol:/data $IMG cat /data/f
E cp f c:/data/
E start -a c

@ container-cp-group
echo g > f
E create --name c $IMG cat /tmp/f
E container cp f c:/tmp/f
E start -a c
