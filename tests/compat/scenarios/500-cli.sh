# The command line's habits: repeated flags, `-X=VALUE`, the container and
# image groups, podman's exists/untag/--ignore/--noheading/--sort, pods by
# positional name, global flags, signals, and exit codes with their texts.

@ repeated-name-takes-last
E run --name a --name b $IMG true
E ps -a --format '{{.Names}}'

@ repeated-workdir-takes-last
E run --rm -w /tmp -w /etc $IMG pwd

@ repeated-format-takes-last
E create --name c $IMG true
E ps -a --format '{{.ID}}' --format '{{.Names}}'

@ repeated-env-keeps-all
E run --rm -e A=1 -e B=2 $IMG sh -c 'echo $A$B'

@ short-flag-equals-false
E run -d=false --rm=false --name fg $IMG echo in-foreground
E ps -a --format '{{.Names}}'

@ short-flag-equals-true
E run --rm=true -i=true $IMG echo ok
E ps -a -q

@ short-option-equals-value
E run --rm -w=/tmp $IMG pwd
E run --rm -e=X=1 $IMG sh -c 'echo $X'

@ command-words-untouched
E run --rm $IMG echo -d=false --name x

@ container-run-create-start
E container run --rm $IMG echo from-container-run
E container create --name c $IMG echo created
E container start -a c
E container logs c
E container rm c

@ container-exists
E container create --name c $IMG true
E container exists c
E container exists nosuch

@ container-stop-kill-wait
E container run -d --name c $IMG sleep 100
E container stop -t 0 c
E container wait c
E container inspect --format '{{.State.Status}}' c

@ image-exists
E image exists $IMG
E image exists nosuch

@ image-tag-untag
E image tag $IMG mine:1
E image exists mine:1
E image untag mine:1
E image exists mine:1
E images --format '{{.Repository}}:{{.Tag}}'

@ untag-all-names
E tag $IMG one:1
E tag $IMG two:2
E untag one:1
E images --format '{{.Repository}}:{{.Tag}}' --sort repository

@ untag-unknown-name
E tag $IMG one:1
E untag one:1 other:9

@ image-history-save-load
E image history -q $IMG
E image save -o b.tar $IMG
Q image rm $IMG >/dev/null
E image exists $IMG
Q image load -q -i b.tar >/dev/null
E image exists $IMG

@ rmi-ignore
E rmi --ignore nosuch
E rmi -i nosuch

@ images-noheading
E images --noheading --format 'table {{.Tag}}'
E images -n --format 'table {{.Tag}}'

@ images-sort
E tag $IMG zed:1
E tag $IMG abc:2
E images --sort repository --format '{{.Tag}}'
E images --sort tag --format '{{.Tag}}'

@ images-sort-invalid
E images --sort bogus

@ ps-noheading
E create --name c $IMG true
E ps -a --noheading --format 'table {{.Names}}'
E ps --noheading

@ volume-ls-noheading
E volume create v1
E volume ls --noheading

@ network-ls-noheading
E network create n1
E network ls --noheading --filter name=n1 --format 'table {{.Name}}'
E network rm n1

@ pod-create-positional-name-exists
E pod create p1
E pod exists p1
E pod exists nosuch
E pod ps --noheading --format 'table {{.Name}}'
E pod rm p1

@ pod-rm-time
E pod create --name p1
E run -d --pod p1 --name inpod $IMG sleep 100
E pod rm -f -t 0 p1
E pod exists p1

@ run-pod-new
E run --pod new:np --name inpod $IMG true
E pod exists np
E ps -a --format '{{.Names}}' --filter name=inpod

@ stop-timeout-alias
E run -d --name c $IMG sleep 100
E stop --timeout 0 c
E inspect --format '{{.State.Status}}' c

@ kill-dash-signal
E run -d --name c $IMG sh -c 'trap "exit 7" HUP; while :; do sleep 0.1; done'
sleep 0.5
E kill -s -1 c
E wait c

@ cli-kill-signal-zero
E run -d --name c $IMG sleep 100
EE kill -s 0 c
EE kill -s BOGUS c
EE kill -s 99 c

@ noout
E --noout volume create v1
E volume ls -q

@ log-level-flag
E --log-level=error volume create v1
E --log-level error volume ls -q

@ rmi-missing-exit
EE rmi nosuch

@ volume-rm-missing-exit
EE volume rm nosuch

@ network-rm-missing-exit
EE network rm nosuch

@ pod-rm-missing-exit
EE pod rm nosuch

@ rm-missing-exit
EE rm nosuch

@ stop-missing-exit differs=missing-objects-exit-1
EE stop nosuch

@ kill-missing-exit differs=missing-objects-exit-1
EE kill nosuch

@ inspect-missing-exit differs=missing-objects-exit-1
E inspect nosuch

@ logs-missing-exit differs=missing-objects-exit-1
EE logs nosuch

@ image-inspect-missing-exit differs=missing-objects-exit-1
E image inspect nosuch

@ volume-inspect-missing-exit differs=missing-objects-exit-1
E volume inspect nosuch

@ cli-volume-rm-in-use differs=volume-rm-in-use-exits-1
E volume create v1
E create --name holder -v v1:/data $IMG true
E volume rm v1
E volume ls -q

@ unknown-flag-exit
E ps --bogus
E stop --bogus c

@ top-descriptors
E run -d --name c $IMG sleep 100
E top c pid,args
E top c user pid comm
E container top c pid,ppid

@ container-group-more
E container create --name c $IMG true
E container rename c d
E container ls -a --format '{{.Names}}'
E container diff d
E container port d
Q container prune -f >/dev/null
E container ls -a -q

@ image-group-more
E image tag $IMG other:1
E image ls --format '{{.Tag}}' --sort tag
Q image rm other:1 >/dev/null
E image exists other:1
E image ls --format '{{.Tag}}'
