# logs: what the container wrote, its options and its error cases.

@ logs-stdout
E run --name c $IMG sh -c 'echo one; echo two'
E logs c

@ logs-stderr-separate
E run --name c $IMG sh -c 'echo out; echo err >&2'
E logs c
cat "$LASTERR"

@ logs-tail
E run --name c $IMG sh -c 'for i in 1 2 3 4 5; do echo line$i; done'
E logs --tail 2 c

@ logs-n-is-tail differs=logs--n-and---tail-all-are-dockers
E run --name c $IMG sh -c 'for i in 1 2 3; do echo line$i; done'
E logs -n 1 c

@ logs-tail-zero
E run --name c $IMG sh -c 'echo a; echo b'
E logs --tail 0 c

@ logs-tail-all differs=logs--n-and---tail-all-are-dockers
E run --name c $IMG sh -c 'echo a; echo b'
E logs --tail all c

@ logs-tail-bad
E run --name c $IMG echo a
E logs --tail x c

@ logs-timestamps
E run --name c $IMG echo stamped
Q logs -t c | sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) /<TS> /'

@ logs-since-future
E run --name c $IMG echo old
E logs --since 2099-01-01T00:00:00Z c

@ logs-since-past
E run --name c $IMG echo kept
E logs --since 2000-01-01T00:00:00Z c

@ logs-until-past
E run --name c $IMG echo dropped
E logs --until 2000-01-01T00:00:00Z c

@ logs-since-bad
E run --name c $IMG echo x
E logs --since notatime c

@ logs-missing differs=missing-objects-exit-1
E logs nosuch

@ logs-no-args
E logs

@ logs-created-empty
E create --name c $IMG echo never
E logs c

@ logs-follow-exits
E run -d --name c $IMG sh -c 'echo a; sleep 1; echo b'
E logs -f c

@ logs-follow-exited
E run --name c $IMG echo done
E logs -f c

@ logs-no-newline
E run --name c $IMG printf 'no newline'
E logs c

@ logs-after-restart
E run --name c $IMG echo again
E start -a c
E logs c

@ logs-detached-running
E run -d --name c $IMG sh -c 'echo ready; sleep 300'
waitfor '[ -n "$(Q logs c)" ]'
E logs c

@ logs-long-line
E run --name c $IMG sh -c 'head -c 20000 /dev/zero | tr "\0" x; echo'
Q logs c | wc -c

@ logs-binary-bytes
E run --name c $IMG printf 'a\tb\001c\n'
Q logs c | od -c | head -2

@ container-logs-group
E run --name c $IMG echo grouped
E container logs c
