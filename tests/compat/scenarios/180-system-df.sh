# system df: what the store holds, counted.

@ system-df-format-types differs=system-df-has-dockers-build-cache-row
E system df --format '{{.Type}} {{.Total}} {{.Active}}'

@ system-df-counts differs=system-df-has-dockers-build-cache-row
E create --name c $IMG true
E volume create v1
E system df --format '{{.Type}} {{.Total}} {{.Active}}'

@ system-df-header
Q system df | head -1

@ system-df-verbose-containers
E create --name c $IMG true
Q system df -v | grep -c '^Images space usage'

@ system-df-extra-arg
E system df extra

@ system-df-unknown-flag
E system df --nosuchflag
