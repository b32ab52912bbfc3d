# pod (podman's own commands): create, ps, inspect, rm, and error cases.

@ pod-create-ps
Q pod create --name p1 | grep -cE '^[0-9a-f]{64}$'
E pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}'

@ pod-ps-header
E pod create --name p1 >/dev/null
Q pod ps | head -1

@ pod-create-exists
E pod create --name p1 >/dev/null
E pod create --name p1

@ pod-create-positional-name
E pod create p2 >/dev/null
E pod ps --format '{{.Name}}'

@ pod-inspect
E pod create --name p1 >/dev/null
E pod inspect --format '{{.Name}} {{.State}} {{.NumContainers}}' p1

@ pod-inspect-missing
E pod inspect nosuch

@ pod-run-in-pod
E pod create --name p1 >/dev/null
E run --rm --pod p1 $IMG echo in pod
E pod ps --format '{{.Name}} {{.NumberOfContainers}}'

@ pod-containers-share-uts
E pod create --name p1 --hostname podhost >/dev/null
E run --rm --pod p1 $IMG hostname

@ pod-rm
E pod create --name p1 >/dev/null
E pod rm p1
E pod ps -q

@ pod-rm-missing
E pod rm nosuch

@ pod-rm-running-refused
E pod create --name p1 >/dev/null
E run -d --pod p1 --name c $IMG sleep 300
E pod rm p1
Q ps --format '{{.Names}}' | grep -v -- '-infra' | sort

@ pod-rm-force
E pod create --name p1 >/dev/null
E run -d --pod p1 --name c $IMG sleep 300
E pod rm -f -t 0 p1 >/dev/null
E pod ps -q
Q ps -a --format '{{.Names}}' | grep -v -- '-infra' | sort

@ pod-stop-start
E pod create --name p1 >/dev/null
E run -d --pod p1 --name c $IMG sleep 300
E pod stop -t 0 p1 >/dev/null
Q ps -a --format '{{.Names}} {{.Status}}' | grep -v -- '-infra' | sort
E pod start p1 >/dev/null
Q ps --format '{{.Names}} {{.Status}}' | grep -v -- '-infra' | sort

@ pod-exists
E pod create --name p1 >/dev/null
E pod exists p1
E pod exists nosuch

@ pod-run-missing-pod
E run --rm --pod nosuch $IMG true

@ pod-ps-filter-name
E pod create --name alpha >/dev/null
E pod create --name beta >/dev/null
E pod ps --filter name=alp --format '{{.Name}}'
