# save, load and import: archives out and in, names, error cases.

@ save-load-roundtrip
E save -o img.tar $IMG
E rmi $IMG
E load -i img.tar
E images --format '{{.Repository}}:{{.Tag}}'
E run --rm $IMG echo loaded back

@ save-archive-layout
E save -o img.tar $IMG
tar -tf img.tar | grep -c manifest.json

@ save-stdout
Q save $IMG > out.tar
tar -tf out.tar | grep -c manifest.json

@ save-oci-archive
E save --format oci-archive -o oci.tar $IMG
tar -tf oci.tar | grep -E '^(\./)?(index.json|oci-layout)$' | sed 's#^\./##' | sort

@ save-bad-format
E save --format nosuchformat -o x.tar $IMG

@ save-missing-image differs=missing-objects-exit-1
E save -o x.tar nosuch
ls

@ save-no-args
E save -o x.tar

@ save-to-devnull
E save $IMG > /dev/null

@ load-stdin
E save -o img.tar $IMG
E rmi $IMG
E load < img.tar
E images --format '{{.Repository}}:{{.Tag}}'

@ load-missing-file
E load -i nosuch.tar

@ load-not-an-archive
echo garbage > bad.tar
E load -i bad.tar

@ load-quiet
E save -o img.tar $IMG
E rmi $IMG
E load -q -i img.tar

@ load-twice
E save -o img.tar $IMG
E load -i img.tar
Q images -q | wc -l

@ load-oci-archive
E save --format oci-archive -o oci.tar $IMG
E rmi $IMG
E load -i oci.tar
E images --format '{{.Tag}}'

@ save-two-tags-load differs=load-prints-the-archives-order
E tag $IMG second:2
E save -o two.tar $IMG second:2
E rmi -f $IMG
E load -i two.tar
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ image-save-load-group
E image save -o img.tar $IMG
E rmi $IMG
E image load -i img.tar
E images --format '{{.Tag}}'

@ import-rootfs
mkdir -p root/bin; cp /bin/busybox root/bin/busybox; ln -s busybox root/bin/sh; ln -s busybox root/bin/echo
tar -C root -cf rootfs.tar .
E import rootfs.tar imported:1
E run --rm imported:1 /bin/echo imported ok
E images --format '{{.Repository}}:{{.Tag}}' imported

@ import-stdin
mkdir -p root/bin; cp /bin/busybox root/bin/busybox
tar -C root -cf rootfs.tar .
E import - fromstdin:1 < rootfs.tar
E images --format '{{.Repository}}:{{.Tag}}' fromstdin

@ import-change-cmd
mkdir -p root/bin; cp /bin/busybox root/bin/busybox; ln -s busybox root/bin/echo
tar -C root -cf rootfs.tar .
E import -c 'CMD ["/bin/echo","from cmd"]' rootfs.tar withcmd:1
E run --rm withcmd:1
E image inspect --format '{{json .Config.Cmd}}' withcmd:1

@ import-change-env-workdir
mkdir -p root/bin; cp /bin/busybox root/bin/busybox; ln -s busybox root/bin/sh
tar -C root -cf rootfs.tar .
E import -c 'ENV A=b' -c 'WORKDIR /tmp' rootfs.tar changed:1
E image inspect --format '{{json .Config.Env}} {{.Config.WorkingDir}}' changed:1

@ import-missing-file
E import nosuch.tar x:1

@ import-no-args
E import

@ import-untagged
mkdir -p root/bin; cp /bin/busybox root/bin/busybox
tar -C root -cf rootfs.tar .
E import rootfs.tar
Q images --format '{{.Repository}}:{{.Tag}}' | sort

@ image-import-group
mkdir -p root/bin; cp /bin/busybox root/bin/busybox
tar -C root -cf rootfs.tar .
E image import rootfs.tar grouped:1
E images --format '{{.Repository}}' grouped

@ export-import
E create --name c $IMG true
E export -o c.tar c
E import c.tar exported:1
E run --rm exported:1 echo via export

@ export-missing differs=missing-objects-exit-1
E export -o x.tar nosuch

@ load-short-name-archive differs=locally-made-images-live-under-localhost
E rmi busybox
E load -q -i "$ARCHIVE"
E images --format '{{.Repository}}:{{.Tag}}'
E run --rm busybox echo found by its short name

@ load-short-name-archive-inspect differs=locally-made-images-live-under-localhost
E load -q -i "$ARCHIVE"
E image inspect --format '{{json .RepoTags}}' busybox:latest
