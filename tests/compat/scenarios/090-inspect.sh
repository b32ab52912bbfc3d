# inspect: containers and images, --format and --type, error cases.

@ inspect-container-json-array
E create --name c $IMG true
Q inspect c | python3 -c 'import json,sys; d=json.load(sys.stdin); print(type(d).__name__, len(d), d[0]["Name"].lstrip("/"))'

@ inspect-container-name differs=inspect-name-has-dockers-leading-slash
E create --name c $IMG true
E inspect --format '{{.Name}}' c

@ inspect-container-id-matches differs=inspect-name-has-dockers-leading-slash
E create --name c $IMG true
id=$(Q inspect --format '{{.Id}}' c)
E inspect --format '{{.Name}}' ${id:0:12}
echo ${#id}

@ inspect-container-state-exited
E run --name c $IMG sh -c 'exit 4'
E inspect --format '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}' c

@ inspect-container-state-running
E run -d --name c $IMG sleep 300
E inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' c
Q inspect --format '{{.State.Pid}}' c | grep -qE '^[1-9][0-9]*$' && echo has a pid

@ inspect-container-config
E create --name c -e K=V -w /tmp -u 5 -h hh $IMG echo a
E inspect --format '{{.Config.WorkingDir}}|{{.Config.User}}|{{.Config.Hostname}}|{{json .Config.Cmd}}' c

@ inspect-container-image
E create --name c $IMG true
E inspect --format '{{.Config.Image}}' c
[ "$(Q inspect --format '{{.Image}}' c)" = "$(Q image inspect --format '{{.Id}}' $IMG)" ] && echo image id matches

@ inspect-container-mounts
mkdir host
E create --name c -v $S/work/host:/mnt:ro $IMG true
E inspect --format '{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}}{{end}}' c

@ inspect-container-volume-mount
E create --name c -v vol:/data $IMG true
E inspect --format '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}' c

@ inspect-container-hostconfig-binds differs=hostconfigbinds-are-as-given
mkdir host
E create --name c -v $S/work/host:/mnt $IMG true
E inspect --format '{{json .HostConfig.Binds}}' c

@ inspect-container-created-time
E create --name c $IMG true
E inspect --format '{{.Created}}' c

@ inspect-container-restart-count
E create --name c $IMG true
E inspect --format '{{.RestartCount}}' c

@ inspect-image
E inspect --format '{{.Os}} {{.Architecture}}' $IMG

@ inspect-image-repotags
E image inspect --format '{{json .RepoTags}}' $IMG

@ inspect-image-config
E image inspect --format '{{json .Config.Cmd}} {{.Config.WorkingDir}}' $IMG

@ inspect-image-id-prefix
id=$(Q image inspect --format '{{.Id}}' $IMG)
E inspect --format '{{.Os}}' ${id#sha256:}

@ inspect-missing differs=missing-objects-exit-1
E inspect nosuch

@ inspect-missing-type-container differs=missing-objects-exit-1
E inspect --type container nosuch

@ inspect-type-image-of-container differs=missing-objects-exit-1
E create --name zz $IMG true
E inspect --type image zz

@ inspect-type-container-of-image differs=missing-objects-exit-1
E inspect --type container $IMG

@ inspect-type-bad
E inspect --type nosuchtype $IMG

@ inspect-no-args
E inspect

@ inspect-several differs=inspect-name-has-dockers-leading-slash
E create --name a $IMG true
E create --name b $IMG true
E inspect --format '{{.Name}}' a b

@ inspect-several-one-missing differs=inspect-name-has-dockers-leading-slash
E create --name a $IMG true
E inspect --format '{{.Name}}' a nosuch

@ inspect-container-before-image
E create --name busybox $IMG true
Q inspect busybox | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print("State" in d)'

@ inspect-format-json-func
E create --name c -l a=b $IMG true
E inspect --format '{{json .Config.Labels}}' c

@ inspect-format-missing-key
E create --name c $IMG true
E inspect --format '{{.NoSuchKey}}' c

@ inspect-format-index
E create --name c -l some.key=val $IMG true
E inspect --format '{{index .Config.Labels "some.key"}}' c

@ container-inspect-group differs=inspect-name-has-dockers-leading-slash
E create --name c $IMG true
E container inspect --format '{{.Name}}' c

@ container-inspect-image-refused differs=missing-objects-exit-1
E container inspect $IMG

@ image-inspect-container-refused differs=missing-objects-exit-1
E create --name zz $IMG true
E image inspect zz

@ inspect-size-flag
E create --name c $IMG true
Q inspect -s --format '{{.SizeRootFs}}' c | grep -qE '^[0-9]+$' && echo has a size
