# images: listing, filters, formats, the table's header.

@ images-header
Q images | head -1

@ images-format-repo-tag
E images --format '{{.Repository}}:{{.Tag}}'

@ images-quiet
Q images -q | sed 's/^[0-9a-f]\{12\}$/twelve-hex/'

@ images-quiet-no-trunc
Q images -q --no-trunc | sed 's/^sha256:[0-9a-f]\{64\}$/sha256-id/'

@ images-format-id-matches
[ "$(Q images --format '{{.ID}}')" = "$(Q image inspect --format '{{.Id}}' $IMG | cut -c1-12)" ] && echo short id

@ images-tagged-twice
E tag $IMG extra:v1
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ images-filter-reference differs=images-name-lists-the-matching-names-only
E tag $IMG other:v2
E images --filter reference=other --format '{{.Repository}}:{{.Tag}}'

@ images-by-name-arg differs=images-name-lists-the-matching-names-only
E tag $IMG other:v2
E images other --format '{{.Repository}}:{{.Tag}}'

@ images-by-name-missing
E images nosuch --format '{{.Repository}}'

@ images-filter-dangling
E images --filter dangling=true --format '{{.Repository}}'

@ images-filter-label-none
E images --filter label=nosuch=1 --format '{{.Repository}}'

@ images-filter-bad
E images --filter nosuchfilter=1

@ images-format-json
Q images --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(type(d).__name__, len(d), sorted(k for k in ("Id","Names","Digest","Created","Size") if k in d[0]))'

@ images-format-table
E images --format 'table {{.Repository}}\t{{.Tag}}'

@ images-digests
Q images --digests | head -1

@ images-all
E images -a --format '{{.Repository}}'

@ images-unknown-flag
E images --nosuchflag

@ image-ls-group
E image ls --format '{{.Repository}}:{{.Tag}}'
E image list --format '{{.Tag}}'

@ images-after-rmi-empty
E rmi $IMG
E images -q
Q images | head -1
