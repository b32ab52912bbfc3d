# stop, kill, restart and wait: signals, exit codes, states, error cases.

@ stop-running
E run -d --name c $IMG sleep 300
E stop -t 0 c
E inspect --format '{{.State.Status}} {{.State.ExitCode}}' c

@ stop-trapped-term
E run -d --name c $IMG sh -c 'trap "exit 7" TERM; sleep 300 & wait'
sleep 0.3
E stop c
E inspect --format '{{.State.Status}} {{.State.ExitCode}}' c

@ stop-time-flag
E run -d --name c $IMG sleep 300
E stop --time 0 c
E ps -a --format '{{.Names}} {{.Status}}'

@ stop-missing differs=missing-objects-exit-1
E stop nosuch

@ stop-no-args
E stop

@ stop-exited
E run --name c $IMG true
E stop c

@ stop-created
E create --name c $IMG true
E stop c
E inspect --format '{{.State.Status}}' c

@ stop-several
E run -d --name a $IMG sleep 300
E run -d --name b $IMG sleep 300
# podman stops them in parallel and prints them in any order
Q stop -t 0 a b | sort; echo "[exit ${PIPESTATUS[0]}]"
Q ps -a --format '{{.Names}} {{.Status}}' | sort

@ stop-one-missing differs=several-names-each-one-is-acted-on
E run -d --name a $IMG sleep 300
E stop -t 0 a nosuch
E ps -a --format '{{.Names}} {{.Status}}'

@ stop-bad-time
E run -d --name c $IMG sleep 300
E stop -t notanumber c

@ stop-stop-signal
E run -d --name c --stop-signal USR1 $IMG sh -c 'trap "exit 9" USR1; sleep 300 & wait'
sleep 0.3
E stop c
E inspect --format '{{.State.ExitCode}}' c

@ kill-running
E run -d --name c $IMG sleep 300
E kill c
E wait c
E ps -a --format '{{.Names}} {{.Status}}'

@ kill-signal-name
E run -d --name c $IMG sh -c 'trap "exit 3" USR1; sleep 300 & wait'
sleep 0.3
E kill -s USR1 c
E wait c

@ kill-signal-sig-prefix
E run -d --name c $IMG sh -c 'trap "exit 4" HUP; sleep 300 & wait'
sleep 0.3
E kill --signal SIGHUP c
E wait c

@ kill-signal-number
E run -d --name c $IMG sh -c 'trap "exit 5" TERM; sleep 300 & wait'
sleep 0.3
E kill -s 15 c
E wait c

@ kill-bad-signal
E run -d --name c $IMG sleep 300
E kill -s NOSUCHSIG c
E ps --format '{{.Names}}'

@ kill-signal-zero
E run -d --name c $IMG sleep 300
E kill -s 0 c

@ kill-missing differs=missing-objects-exit-1
E kill nosuch

@ kill-no-args
E kill

@ kill-not-running
E create --name c $IMG true
E kill c

@ kill-exited
E run --name c $IMG true
E kill c

@ kill-several
E run -d --name a $IMG sleep 300
E run -d --name b $IMG sleep 300
E kill a b
E wait a b

@ restart-running differs=restart-of-a-running-container-restarts-it
E run -d --name c $IMG sh -c 'echo started; sleep 300'
E restart -t 0 c
E ps --format '{{.Names}} {{.Status}}'
waitfor '[ "$(Q logs c | wc -l)" -ge 2 ]'
E logs c

@ restart-exited
E run --name c $IMG echo once
E restart c
E wait c
E logs c

@ restart-missing differs=missing-objects-exit-1
E restart nosuch

@ wait-exited
E run --name c $IMG sh -c 'exit 3'
E wait c

@ wait-missing differs=missing-objects-exit-1
E wait nosuch

@ wait-no-args
E wait

@ wait-several-codes
E run --name a $IMG sh -c 'exit 1'
E run --name b $IMG sh -c 'exit 2'
E wait a b

@ wait-created
E create --name c $IMG sh -c 'exit 6'
( sleep 1; Q start c >/dev/null ) &
E wait c
wait
