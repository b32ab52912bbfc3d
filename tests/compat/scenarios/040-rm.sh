# rm and container prune: what goes, what stays, and the refusals.

@ rm-exited
E run --name c $IMG true
E rm c
E ps -a --format '{{.Names}}'

@ rm-created
E create --name c $IMG true
E rm c
E ps -a --format '{{.Names}}'

@ rm-by-id
E create --name c $IMG true
id=$(Q inspect --format '{{.Id}}' c)
E rm ${id:0:12}
E ps -a -q

@ rm-by-full-id
E create --name c $IMG true
id=$(Q inspect --format '{{.Id}}' c)
E rm $id

@ rm-running-refused differs=exit-codes-follow-docker-where-podmans-differ
E run -d --name c $IMG sleep 300
E rm c
E ps --format '{{.Names}}'

@ rm-running-force
E run -d --name c $IMG sh -c 'trap exit TERM; sleep 300 & wait'
E rm -f c
E ps -a --format '{{.Names}}'

@ rm-missing
E rm nosuch

@ rm-missing-force
E rm -f nosuch

@ rm-no-args
E rm

@ rm-several
E create --name a $IMG true
E create --name b $IMG true
E rm a b | sort  # podman removes them in parallel, in any order
E ps -a --format '{{.Names}}'

@ rm-several-one-missing differs=several-names-each-one-is-acted-on
E create --name a $IMG true
E rm a nosuch
E ps -a --format '{{.Names}}'

@ rm-all
E create --name a $IMG true
E run --name b $IMG true
E rm -a
E ps -a --format '{{.Names}}'

@ rm-all-force-running
E create --name a $IMG true
E run -d --name b $IMG sh -c 'trap exit TERM; sleep 300 & wait'
E rm -a -f
E ps -a --format '{{.Names}}'

@ rm-all-empty
E rm -a

@ rm-volumes-flag
E create --name c -v /anon $IMG true
Q volume ls -q | wc -l
E rm -v c
E volume ls -q

@ rm-keeps-named-volume
E create --name c -v keep:/data $IMG true
E rm -v c
E volume ls --format '{{.Name}}'

@ rm-then-name-free
E create --name c $IMG true
E rm c
E create --name c $IMG true
E ps -a --format '{{.Names}}'

@ rm-prefix-ambiguous-name
E create --name abc $IMG true
E rm ab
E ps -a --format '{{.Names}}'

@ rm-twice
E create --name c $IMG true
E rm c
E rm c

@ container-rm-group
E create --name c $IMG true
E container rm c
E container ls -a --format '{{.Names}}'

@ container-prune differs=container-prune-prints-dockers-summary
E create --name a $IMG true
E run --name b $IMG true
E run -d --name r $IMG sleep 300
Q container prune -f | sort | sed 's/^[0-9a-f]\{64\}$/<ID>/'
E ps -a --format '{{.Names}}'

@ container-prune-empty differs=container-prune-prints-dockers-summary
E container prune -f

@ rm-unknown-flag
E rm --nosuchflag c

@ rm-time-flag
E run -d --name c $IMG sleep 300
E rm -f -t 0 c
E ps -a -q
