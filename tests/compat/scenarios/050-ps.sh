# ps: which containers, filters, formats, the table's header.

@ ps-empty
E ps
E ps -a -q

@ ps-header
E create --name c $IMG true
Q ps -a | head -1

@ ps-running-only
E create --name created $IMG true
E run --name exited $IMG true
E run -d --name running $IMG sleep 300
E ps --format '{{.Names}}'
Q ps -a --format '{{.Names}}' | sort

@ ps-quiet
E create --name c $IMG true
Q ps -a -q | sed 's/^[0-9a-f]\{12\}$/twelve-hex/'

@ ps-quiet-no-trunc
E create --name c $IMG true
Q ps -a -q --no-trunc | sed 's/^[0-9a-f]\{64\}$/sixty-four-hex/'

@ ps-status-texts
E create --name created $IMG true
E run --name exited3 $IMG sh -c 'exit 3'
E run -d --name running $IMG sleep 300
Q ps -a --format '{{.Names}}: {{.Status}}' | sort

@ ps-state differs=ps-state-is-dockers-state-word
E create --name created $IMG true
E run --name exited $IMG true
E run -d --name running $IMG sleep 300
Q ps -a --format '{{.Names}} {{.State}}' | sort

@ ps-filter-name
E create --name alpha $IMG true
E create --name beta $IMG true
E ps -a --filter name=alp --format '{{.Names}}'

@ ps-filter-status
E create --name created $IMG true
E run --name exited $IMG true
E ps -a --filter status=exited --format '{{.Names}}'
E ps -a --filter status=created --format '{{.Names}}'

@ ps-filter-status-bad
E ps -a --filter status=sleeping

@ ps-filter-label
E create --name a -l tier=web $IMG true
E create --name b -l tier=db $IMG true
E create --name c $IMG true
E ps -a --filter label=tier=db --format '{{.Names}}'
Q ps -a --filter label=tier --format '{{.Names}}' | sort

@ ps-filter-exited-code
E run --name zero $IMG true
E run --name three $IMG sh -c 'exit 3'
E ps -a --filter exited=3 --format '{{.Names}}'

@ ps-filter-ancestor differs=ps-ancestor-filter-matches-short-names
E create --name c $IMG true
E ps -a --filter ancestor=busybox --format '{{.Names}}'
E ps -a --filter ancestor=nosuchimage --format '{{.Names}}'

@ ps-filter-id
E create --name c $IMG true
id=$(Q inspect --format '{{.Id}}' c)
E ps -a --filter id=${id:0:12} --format '{{.Names}}'

@ ps-filter-bad-key
E ps -a --filter nosuchkey=1

@ ps-filter-two-names
E create --name a $IMG true
E create --name b $IMG true
E create --name c $IMG true
Q ps -a --filter name=a --filter name=b --format '{{.Names}}' | sort

@ ps-last
E create --name first $IMG true
sleep 0.2
E create --name second $IMG true
E ps -a -n 1 --format '{{.Names}}'
E ps -a -l --format '{{.Names}}'

@ ps-order-newest-first differs=ps-lists-the-newest-container-first
E create --name one $IMG true
sleep 0.2
E create --name two $IMG true
sleep 0.2
E create --name three $IMG true
E ps -a --format '{{.Names}}'

@ ps-format-command differs=ps-quotes-the-command
E create --name c $IMG echo a b
E ps -a --format '{{.Command}}'

@ ps-format-image
E create --name c $IMG true
E ps -a --format '{{.Image}}'

@ ps-format-labels
E create --name c -l k=v $IMG true
E ps -a --format '{{.Labels}}'
E ps -a --format '{{.Label "k"}}'

@ ps-format-id-length
E create --name c $IMG true
Q ps -a --format '{{.ID}}' | awk '{ print length($0) }'

@ ps-format-json
E create --name c $IMG true
Q ps -a --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(type(d).__name__, len(d), d[0]["Names"])'

@ ps-format-table
E create --name c $IMG true
E ps -a --format 'table {{.Names}}\t{{.Status}}'

@ ps-format-bad-template
E ps -a --format '{{.NoSuchField}}'

@ ps-format-unclosed
E ps -a --format '{{.Names'

@ ps-no-trunc-command
E create --name c $IMG sh -c 'echo a very long command line that goes on and on and on'
E ps -a --no-trunc --format '{{.Command}}'

@ ps-ports-empty
E create --name c $IMG true
E ps -a --format '[{{.Ports}}]'

@ ps-size-flag
E create --name c $IMG true
E ps -a -s --format '{{.Names}}'

@ ps-unknown-flag
E ps --nosuchflag

@ ps-extra-arg
E ps extra

@ container-ls
E create --name c $IMG true
E container ls -a --format '{{.Names}}'
E container list -a --format '{{.Names}}'
