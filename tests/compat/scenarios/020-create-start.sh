# create and start: states, attaching, names and their error cases.

@ create-status
E create --name c $IMG true
E ps -a --format '{{.Names}} {{.Status}}'
E inspect --format '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}' c

@ create-start-attach
E create --name c $IMG echo hi
E start -a c

@ create-start-attach-exit-code
E create --name c $IMG sh -c 'echo out; exit 5'
E start -a c
E inspect --format '{{.State.Status}} {{.State.ExitCode}}' c

@ create-start-prints-name
E create --name c $IMG true
E start c
E wait c

@ create-start-by-id
E create --name c $IMG true
id=$(Q inspect --format '{{.Id}}' c)
E start ${id:0:12}
E wait c

@ create-start-logs
E create --name c $IMG echo logged
E start c
E wait c
E logs c

@ create-name-in-use
E create --name c $IMG true
E create --name c $IMG true

@ create-missing-image
E create nosuchimage-compat

@ create-no-args
E create

@ create-unknown-flag
E create --nosuchflag $IMG

@ create-bad-name
E create --name 'bad name!' $IMG true

@ create-name-slash
E create --name /slashed $IMG true
E ps -a --format '{{.Names}}'

@ create-env
E create --name c -e A=1 -e B=two $IMG true
Q inspect --format '{{range .Config.Env}}{{println .}}{{end}}' c | grep -E '^(A|B)=' | sort

@ create-cmd-inspect
E create --name c $IMG echo a b
E inspect --format '{{json .Config.Cmd}}' c

@ create-entrypoint-inspect differs=inspect-entrypoint-is-a-list
E create --name c --entrypoint /bin/echo $IMG hi
E inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' c
E start -a c

@ create-workdir
E create --name c -w /tmp $IMG pwd
E inspect --format '{{.Config.WorkingDir}}' c
E start -a c

@ create-user
E create --name c -u 1:1 $IMG id
E inspect --format '{{.Config.User}}' c
E start -a c

@ create-hostname
E create --name c -h box $IMG hostname
E inspect --format '{{.Config.Hostname}}' c
E start -a c

@ create-labels
E create --name c -l a=b -l empty= $IMG true
E inspect --format '{{.Config.Labels.a}}|{{.Config.Labels.empty}}|' c

@ create-image-name
E create --name c $IMG true
E inspect --format '{{.ImageName}}' c
E ps -a --format '{{.Image}}'

@ create-cidfile
E create --name c --cidfile $S/work/cid $IMG true
[ "$(cat cid)" = "$(Q inspect --format '{{.Id}}' c)" ] && echo cidfile holds the id

@ create-cidfile-exists differs=a-cidfile-that-exists-stops-create
echo old > cid
E create --name c --cidfile $S/work/cid $IMG true
cat cid
E ps -a --format '{{.Names}}'

@ create-interactive-start
E create --name c -i $IMG cat
echo through stdin | E start -ai c

@ create-rm-start
E create --rm --name c $IMG true
E start -a c
waitfor '[ -z "$(Q ps -a -q)" ]'
E ps -a --format '{{.Names}}'

@ start-missing differs=missing-objects-exit-1
E start nosuch

@ start-no-args
E start

@ start-running differs=start-prints-the-containers-it-started
E run -d --name c $IMG sleep 300
E start c
E ps --format '{{.Names}} {{.Status}}'

@ start-several
E create --name a $IMG true
E create --name b $IMG true
E start a b
E wait a b

@ start-one-missing differs=several-names-each-one-is-acted-on
E create --name a $IMG true
E start a nosuch
E wait a

@ start-restart-exited
E run --name c $IMG sh -c 'echo run'
E start -a c
E logs c

@ start-attach-several
E create --name a $IMG true
E create --name b $IMG true
E start -a a b

@ create-read-only-inspect
E create --name c --read-only $IMG true
E inspect --format '{{.HostConfig.ReadonlyRootfs}}' c

@ create-restart-policy-inspect
E create --name c --restart on-failure:3 $IMG true
E inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' c

@ create-restart-bad
E create --name c --restart sometimes $IMG true

@ create-tty-inspect
E create --name c -t $IMG true
E inspect --format '{{.Config.Tty}} {{.Config.OpenStdin}}' c
