# shapes: local short names under localhost/, images/history json, version,
# inspect's ImageName/ImageDigest, the default network, start/stop selections.
# busybox itself is named differently by the two engines' `load` (podman
# puts a docker archive's short name under localhost/): scenarios print the
# names they made, not busybox's.

@ shapes-tag-short-name
E tag $IMG app
Q images --format '{{.Repository}}:{{.Tag}}' | grep app

@ shapes-tag-namespace
E tag $IMG team/app:v2
Q images --format '{{.Repository}}:{{.Tag}}' | grep app

@ shapes-tag-docker-io
E tag $IMG docker.io/hub
Q images --format '{{.Repository}}:{{.Tag}}' | grep hub

@ shapes-tag-from-short-name
E tag $IMG app
E tag app other:2
Q images --format '{{.Repository}}:{{.Tag}}' | grep -v busybox | sort

@ shapes-run-short-name
E tag $IMG app
E run --name c app echo from-app
E ps -a --format '{{.Image}}'
E inspect --format '{{.ImageName}} {{.Config.Image}}' c

@ shapes-rmi-short-name
E tag $IMG app
E rmi app
Q images --format '{{.Repository}}' | grep -c app

@ shapes-commit-short-name
E run --name c $IMG sh -c 'echo x >/f'
Q commit -q c committed >/dev/null
Q images --format '{{.Repository}}:{{.Tag}}' | grep committed
E run --rm committed cat /f

@ shapes-build-short-name
mkdir ctx
printf 'FROM %s\nRUN echo built >/b\n' "$IMG" >ctx/Containerfile
Q build -q -t built ctx >/dev/null
Q images --format '{{.Repository}}:{{.Tag}}' | grep built
E run --rm built cat /b

@ shapes-import-short-name
E create --name c $IMG true
Q export -o r.tar c
Q import r.tar imported >/dev/null
Q images --format '{{.Repository}}:{{.Tag}}' | grep imported

@ shapes-images-json-keys
E tag $IMG app:1
Q images --format json | jq -r '.[0] | keys_unsorted | join(",")'
Q images --format json | jq -r '.[0].Names[] | select(startswith("localhost/app"))'
Q images --format json | jq -r '.[0].Created, .[0].Size, .[0].Containers | type'
Q images --format json | jq -r '.[0].RepoTags, .[0].ParentId'

@ shapes-images-json-containers
E create --name c $IMG true
Q images --format json | jq -r '.[0].Containers'

@ shapes-images-json-empty
E images --format json --filter reference=nosuch

@ shapes-history-json
Q history --format json $IMG | wc -l
Q history --format json $IMG | jq -c '[.[] | keys_unsorted]'
Q history --format json $IMG | jq -r '.[] | .id, .CreatedBy, (.size | type)'

@ shapes-history-json-untruncated
mkdir ctx
printf 'FROM %s\nRUN echo a rather long command line that a table would cut short\n' "$IMG" >ctx/Containerfile
Q build -q -t long ctx >/dev/null
Q history --format json long | jq -r '.[0].CreatedBy'

@ shapes-version-client
Q version --format '{{.Client.Version}}' | grep -c '^[0-9]'

@ shapes-version-server
Q version --format '{{.Server.Version}}' | grep -c '^[0-9]'

@ shapes-version-json
Q version --format json | jq -r '.Client | has("Version")'

@ shapes-inspect-imagename-tag
E tag $IMG app
E create --name c app true
E inspect --format '{{.ImageName}}' c

@ shapes-inspect-imagedigest
E tag $IMG app
E create --name c app true
E inspect --format '{{.ImageDigest}}' c

@ shapes-ps-json-image
E tag $IMG app:v1
E create --name c app:v1 true
Q ps -a --format json | jq -r '.[0].Image'
E ps -a --format '{{.Image}} {{.ImageID}}'

@ shapes-network-ls-default
E network ls -q
E network ls --format '{{.Name}} {{.Driver}}'

@ shapes-network-ls-order
E network create zeta
E network create alpha
E network ls -q

@ shapes-network-ls-table differs=network-ls-keeps-dockers-scope-column
E network ls

@ shapes-network-exists-default
E network exists podman

@ shapes-network-inspect-default
E network inspect --format '{{.Name}}' podman

@ shapes-network-id-default
E network ls --no-trunc --format '{{.ID}}'

@ shapes-network-rm-default
E network rm podman

@ shapes-network-create-default
E network create podman

@ shapes-network-prune-keeps-default
E network create gone
Q network prune -f >/dev/null
E network ls -q

@ shapes-run-network-podman
E run --rm --network podman $IMG echo on-default

@ shapes-start-all
E create --name a $IMG sleep 100
E create --name b $IMG sleep 100
E start --all
Q ps --format '{{.Names}}' | sort

@ shapes-stop-all
E run -d --name a $IMG sleep 100
E run -d --name b $IMG sleep 100
E stop -t 0 --all
Q ps -q | wc -l

@ shapes-stop-all-includes-stopped
E create --name a $IMG true
E run -d --name b $IMG sleep 100
E stop -t 0 --all

@ shapes-start-filter-exited
E run --name e $IMG sh -c 'exit 3'
E create --name a $IMG sleep 100
E start --filter exited=3
E stop -t 0 --all

@ shapes-start-filter-status
E run --name e $IMG true
E create --name a $IMG sleep 100
E start --filter status=created
Q ps --format '{{.Names}}'
E stop -t 0 --all

@ shapes-start-filter-name
E create --name a $IMG sleep 100
E create --name b $IMG sleep 100
E start --filter name=b
Q ps --format '{{.Names}}'
E stop -t 0 --all

@ shapes-start-filter-none-match
E create --name a $IMG true
E start --filter name=nosuch

@ shapes-start-filter-bogus
E start --filter bogus=1

@ shapes-stop-filter-alone
E run -d --name a $IMG sleep 100
E run -d --name b $IMG sleep 100
E stop -t 0 --filter name=a
Q ps --format '{{.Names}}'
E stop -t 0 --all

@ shapes-rm-all-force
E create --name a $IMG true
E run -d --name b $IMG sh -c 'trap exit TERM; sleep 100 & wait'
Q rm -f -a | wc -l
E ps -a -q
