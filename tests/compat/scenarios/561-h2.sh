# exec and foreground run: the container's stdio are pipes (stdin /dev/null
# without -i), never the caller's own files; a reader that goes away and
# stdin's EOF behave as in podman.

@ stdio-exec-fds
E run -d --name c $IMG sleep 300
Q exec c sh -c 'for f in 0 1 2; do readlink /proc/$$/fd/$f; done' </dev/null | sed 's/[0-9]//g' >fds.txt
cat fds.txt
Q exec -i c sh -c 'for f in 0 1 2; do readlink /proc/$$/fd/$f; done' </dev/null | sed 's/[0-9]//g'

@ stdio-run-fds
Q run --rm $IMG sh -c 'for f in 1 2; do readlink /proc/$$/fd/$f; done' | sed 's/[0-9]//g'
Q run --rm -i $IMG sh -c 'for f in 0 1 2; do readlink /proc/$$/fd/$f; done' </dev/null | sed 's/[0-9]//g'

@ stdio-exec-no-truncate
E run -d --name c $IMG sleep 300
echo keep >out.txt
Q exec c sh -c ': >/proc/self/fd/1' >>out.txt
cat out.txt

@ stdio-exec-stdin-eof
E run -d --name c $IMG sleep 300
echo hi | Q exec -i c cat
echo "[exit $?]"
echo hi | Q exec c cat
echo "[exit $?]"

@ stdio-exec-streams
E run -d --name c $IMG sleep 300
Q exec c sh -c 'echo out; echo err >&2; exit 3' 2>/dev/null
echo "[exit $?]"
"${ENGINE[@]}" exec c sh -c 'echo out; echo err >&2; exit 3' 2>&1 >/dev/null

@ stdio-exec-head
E run -d --name c $IMG sleep 300
timeout 20 "${ENGINE[@]}" exec c yes 2>/dev/null | head -1
echo "[exit ${PIPESTATUS[0]}]"
