# h3: build containers and the build cache (ps --external, rmi of a built
# image), and --ipc.

@ ps-external-lists-as-ps-without-builds
E run -d --name up $IMG sleep 300
E run --name done $IMG true
E ps --external --format '{{.Names}} {{.Status}}'
Q ps -a --external --format '{{.Names}}' | sort

@ build-leaves-no-container
printf 'FROM %s\nRUN echo one > /one\nRUN echo two > /two\n' "$IMG" > Containerfile
Q build -q -t built . >/dev/null; echo "[built $?]"
E ps -a --external -q
E run --rm built cat /one /two

@ rmi-takes-the-build-steps-along
printf 'FROM %s\nRUN echo one > /one\nRUN echo two > /two\n' "$IMG" > Containerfile
Q build -q -t built . >/dev/null; echo "[built $?]"
E rmi built
E images -a --format '{{.Repository}}'
