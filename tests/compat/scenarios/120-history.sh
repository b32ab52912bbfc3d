# history: an image's layers, formats and error cases.

@ history-header differs=history-is-dockers-table
Q history $IMG | head -1

@ history-quiet
Q history -q $IMG | sed 's/^[0-9a-f]\{12\}$/twelve-hex/'

@ history-format-created-by differs=history-is-dockers-table
E history --format '{{.CreatedBy}}' $IMG

@ history-format-comment
E history --format '[{{.Comment}}]' $IMG

@ history-no-trunc
E history --no-trunc --format '{{.CreatedBy}}' $IMG

@ history-format-json
Q history --format json $IMG | python3 -c 'import json,sys; d=json.load(sys.stdin); print(type(d).__name__, len(d), sorted(k for k in ("id","created","CreatedBy","size","comment") if k in d[0]))'

@ history-missing differs=missing-objects-exit-1
E history nosuch

@ history-no-args
E history

@ history-two-args
E history $IMG $IMG

@ history-committed-layer
E run --name c $IMG sh -c 'echo x > /added'
E commit -q c committed:1 >/dev/null
Q history --format '{{.CreatedBy}}' committed:1 | wc -l

@ image-history-group differs=history-is-dockers-table
E image history --format '{{.CreatedBy}}' $IMG
