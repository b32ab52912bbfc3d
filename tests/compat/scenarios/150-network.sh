# network: create, ls, inspect, rm, and their error cases.

@ network-ls-default
Q network ls --format '{{.Name}}' | sort

@ network-ls-header differs=network-ls-keeps-dockers-scope-column
Q network ls | head -1

@ network-create-ls
E network create n1
Q network ls --format '{{.Name}} {{.Driver}}' | sort

@ network-create-exists
E network create n1
E network create n1

@ network-create-subnet
E network create --subnet 10.89.77.0/24 n1
E network inspect --format '{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}}' n1

@ network-create-bad-subnet
E network create --subnet notasubnet n1

@ network-inspect-missing differs=missing-objects-exit-1
E network inspect nosuch

@ network-rm
E network create n1
E network rm n1
Q network ls --format '{{.Name}}' | sort

@ network-rm-missing
E network rm nosuch

@ network-rm-no-args
E network rm

@ network-rm-in-use differs=network-rm-of-a-network-in-use-exits-1
E network create n1
E create --name c --network n1 $IMG true
E network rm n1
Q network ls --format '{{.Name}}' | sort

@ network-exists-podman
E network create n1
E network exists n1
E network exists nosuch

@ network-prune differs=network-prune-prints-dockers-summary
E network create unused
Q network prune -f | sort
Q network ls --format '{{.Name}}' | sort

@ network-ls-quiet-filter
E network create alpha
E network create beta
E network ls -q --filter name=alp

@ network-run-missing
E run --rm --network nosuchnet $IMG true
