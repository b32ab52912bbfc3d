# rmi and tag: names, refusals, forcing, untagging.

@ tag-new-name
E tag $IMG mine:1.0
E image inspect --format '{{json .RepoTags}}' mine:1.0

@ tag-short-name-stored differs=images-name-lists-the-matching-names-only
E tag $IMG app
E images --format '{{.Repository}}:{{.Tag}}' app

@ tag-with-registry differs=images-name-lists-the-matching-names-only
E tag $IMG registry.example:5000/ns/app:v3
E images --format '{{.Repository}}:{{.Tag}}' registry.example:5000/ns/app

@ tag-missing-source differs=missing-objects-exit-1
E tag nosuch new:1

@ tag-wrong-arg-count
E tag $IMG

@ tag-bad-name
E tag $IMG 'Bad:Name:Here'

@ tag-uppercase
E tag $IMG UPPER:1

@ tag-several-targets
E tag $IMG one:1 two:2
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ tag-same-twice
E tag $IMG again:1
E tag $IMG again:1
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ rmi-untag-keeps-image
E tag $IMG extra:1
E rmi extra:1
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ rmi-last-tag-removes
E rmi $IMG
E images -q

@ rmi-missing
E rmi nosuch

@ rmi-missing-force
E rmi -f nosuch

@ rmi-no-args
E rmi

@ rmi-used-by-container differs=rmi-refusals-exit-1
E create --name c $IMG true
E rmi $IMG
Q images -q | wc -l

@ rmi-used-force
E create --name c $IMG true
E rmi -f $IMG
E ps -a --format '{{.Names}}'
E images -q

@ rmi-by-id-several-tags differs=rmi-refusals-exit-1
E tag $IMG second:1
id=$(Q image inspect --format '{{.Id}}' $IMG)
id=${id#sha256:}
E rmi ${id:0:12}
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ rmi-by-id-several-tags-force
E tag $IMG second:1
id=$(Q image inspect --format '{{.Id}}' $IMG)
id=${id#sha256:}
E rmi -f ${id:0:12}
E images -q

@ rmi-several
E tag $IMG a:1
E tag $IMG b:1
E rmi a:1 b:1
E images --format '{{.Repository}}:{{.Tag}}'

@ rmi-several-one-missing
E tag $IMG a:1
E rmi a:1 nosuch
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ rmi-all
E tag $IMG a:1
E rmi -a
E images -q

@ image-rm-group
E tag $IMG a:1
E image rm a:1
E images --format '{{.Repository}}:{{.Tag}}'

@ image-tag-group differs=images-name-lists-the-matching-names-only
E image tag $IMG grouped:1
E images --format '{{.Repository}}:{{.Tag}}' grouped

@ untag-podman
E tag $IMG extra:1
E untag $IMG extra:1
E images --format '{{.Repository}}:{{.Tag}}'

@ rmi-ignore-podman
E rmi --ignore nosuch

@ image-exists-podman
E image exists $IMG
E image exists nosuch

@ image-prune-dangling-none differs=image-prune-prints-dockers-summary
E image prune -f
Q images -q | wc -l
