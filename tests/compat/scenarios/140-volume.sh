# volume: create, ls, inspect, rm, prune, and volumes in containers.

@ volume-create-prints-name
E volume create v1
E volume ls --format '{{.Name}} {{.Driver}}'

@ volume-create-anonymous-name
Q volume create | grep -cE '^[0-9a-f]{64}$'

@ volume-create-exists
E volume create v1
E volume create v1

@ volume-create-label
E volume create --label a=b v1
E volume inspect --format '{{.Labels.a}}' v1

@ volume-create-bad-name
E volume create 'bad/name'

@ volume-ls-header
E volume create v1
Q volume ls | head -1

@ volume-ls-quiet
E volume create bb
E volume create aa
E volume ls -q

@ volume-create-one-letter differs=volume-names-have-two-characters-at-least
E volume create b

@ volume-ls-filter-name
E volume create keep1
E volume create other
E volume ls -q --filter name=keep

@ volume-ls-filter-label
E volume create --label k=1 l1
E volume create l2
E volume ls -q --filter label=k

@ volume-ls-filter-dangling
E volume create used
E volume create free
E create --name c -v used:/d $IMG true
E volume ls -q --filter dangling=true

@ volume-inspect
E volume create v1
E volume inspect --format '{{.Name}} {{.Driver}} {{.Scope}}' v1
Q volume inspect --format '{{.Mountpoint}}' v1 | grep -c '/v1/_data$'

@ volume-inspect-json
E volume create v1
Q volume inspect v1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(type(d).__name__, len(d), d[0]["Name"])'

@ volume-inspect-missing differs=missing-objects-exit-1
E volume inspect nosuch

@ volume-inspect-no-args
E volume inspect

@ volume-rm
E volume create v1
E volume rm v1
E volume ls -q

@ volume-rm-missing
E volume rm nosuch

@ volume-rm-in-use differs=volume-rm-in-use-exits-1
E volume create v1
E create --name c -v v1:/d $IMG true
E volume rm v1
E volume ls -q

@ volume-rm-force-in-use
E volume create v1
E create --name c -v v1:/d $IMG true
E volume rm -f v1
E volume ls -q
E ps -a --format '{{.Names}}'

@ volume-rm-no-args
E volume rm

@ volume-rm-several
E volume create aa
E volume create bb
E volume rm aa bb
E volume ls -q

@ volume-prune differs=volume-prune-prints-dockers-summary
E volume create free
E volume create used
E create --name c -v used:/d $IMG true
Q volume prune -f | sort
E volume ls -q

@ volume-run-named-created
E run --rm -v auto:/data $IMG sh -c 'echo persisted > /data/f'
E volume ls -q
E run --rm -v auto:/data $IMG cat /data/f

@ volume-copy-up-from-image
E run --rm -v etcvol:/etc $IMG cat /etc/passwd
E run --rm -v etcvol:/mnt $IMG sh -c 'head -1 /mnt/passwd; ls /mnt/group'

@ volume-ro
E volume create v1
E run --rm -v v1:/data:ro $IMG sh -c 'touch /data/x 2>/dev/null; echo $?'

@ volume-anonymous-run
E run --name c -v /anon $IMG sh -c 'echo a > /anon/f'
Q volume ls -q | grep -cE '^[0-9a-f]{64}$'
E inspect --format '{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}' c

@ volume-shared-between-containers
E volume create shared
E run --rm -v shared:/s $IMG sh -c 'echo from-a > /s/f'
E run --rm -v shared:/t $IMG cat /t/f

@ volumes-from
E create --name src -v data:/data $IMG true
E run --rm --volumes-from src $IMG sh -c 'echo vf > /data/f; cat /data/f'

@ volumes-from-missing
E run --rm --volumes-from nosuch $IMG true

@ volume-exists-podman
E volume create v1
E volume exists v1
E volume exists nosuch

@ volume-unknown-subcommand
E volume nosuchcmd

@ volume-create-opt-tmpfs
E volume create -o type=tmpfs -o device=tmpfs v1
E volume inspect --format '{{.Options.type}}' v1
