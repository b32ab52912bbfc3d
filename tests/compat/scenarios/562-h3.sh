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

@ ipc-container-shares-dev-shm
E run -d --name o --ipc shareable $IMG sleep 300
E exec o sh -c 'echo x > /dev/shm/f'
E run --rm --ipc container:o $IMG sh -c 'cat /dev/shm/f; echo y > /dev/shm/g'
E exec o cat /dev/shm/g
Q exec o ls /dev/shm

@ ipc-default-owner-is-shareable
E run -d --name o $IMG sleep 300
E exec o sh -c 'echo d > /dev/shm/d'
E run --rm --ipc container:o $IMG cat /dev/shm/d

@ ipc-private-owner-refuses
E run -d --name o --ipc private $IMG sleep 300
E run --rm --ipc container:o $IMG true

@ ipc-none-owner-joiner-has-own-shm
E run -d --name o --ipc none $IMG sleep 300
E run --rm --ipc container:o $IMG sh -c 'echo n > /dev/shm/n && cat /dev/shm/n'
E exec o ls /dev/shm

@ ipc-pod-members-share-dev-shm
E pod create --name pp
E run -d --pod pp --name a $IMG sleep 300
E exec a sh -c 'echo from-a > /dev/shm/a'
E run --rm --pod pp $IMG sh -c 'cat /dev/shm/a; echo from-b > /dev/shm/b'
E exec a cat /dev/shm/b
