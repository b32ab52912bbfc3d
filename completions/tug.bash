# bash completion for tug                                  -*- shell-script -*-
# Completes commands, their flags, and the values flags take: images,
# containers and volumes from the store, files, network modes, signals.
# Kept in step with `tug --help` by tests/system/005-completions.bats.

_tug_commands="attach auto-update build builder buildx commit compose container cp create diff events exec export healthcheck history image images import info
  inspect kill load login logout logs manifest network pause pod port ps pull push rename restart rm rmi run save
  search start stats stop system tag top unpause unshare untag update version volume wait generate kube play"

_tug_run_values="--name -e --env --env-file -w --workdir -u --user --entrypoint -h --hostname
  --network --net --network-alias --ip -p --publish --pod --pod-id-file -v --volume --tmpfs --add-host --dns --cap-add --cap-drop -l --label --label-file
  --storage-driver --stop-signal --security-opt -m --memory --memory-swap --cpus -c --cpu-shares
  --pids-limit --memory-reservation --cpu-period --cpu-quota --cpuset-cpus --cpuset-mems --blkio-weight
  --restart --stop-timeout --mount --ulimit --userns --pull --authfile --cert-dir
  --creds --platform --arch --os --variant --sdnotify --cgroups --cidfile --device --gpus
  --log-driver --log-opt --volumes-from
  --health-cmd --health-interval --health-retries --health-start-period --health-start-interval
  --health-timeout --dns-option --dns-opt --dns-search --ipc --group-add --kernel-memory -a --attach"
# (switches on one line: _tug_flags's output is cut at its "|")
_tug_run_switches="--rm -d --detach -i --interactive -t --tty --init --read-only --rootfs --privileged --replace -P --publish-all -q --quiet --tls-verify --no-healthcheck --help"

# _tug_flags KEY: the flags of a command ("run", "image ls", ...), as
# "switches|flags that take a value".
_tug_flags() {
  case "$1" in
    "") echo "--help --version -D --debug --noout|--root --runroot --log-level --config --storage-driver --events-backend" ;;
    run) echo "$_tug_run_switches|$_tug_run_values" ;;
    create) echo "${_tug_run_switches/--rm /}|$_tug_run_values" ;;
    ps | list | "container ls" | "container list" | "container ps")
      echo "-a --all -q --quiet --no-trunc --noheading -s --size -l --latest --external|--format -f --filter -n --last" ;;
    rm | "container rm") echo "-f --force -a --all -v --volumes -i --ignore|--cidfile -t --time" ;;
    images | "image ls" | "image list") echo "-a --all -q --quiet --digests --no-trunc --notruncate -n --noheading|--format -f --filter --sort" ;;
    rmi | "image rm") echo "-f --force -a --all -i --ignore|" ;;
    load | "image load") echo "-q --quiet|-i --input" ;;
    save | "image save") echo "-q --quiet -m --multi-image-archive|-o --output --format" ;;
    import | "image import") echo "-q --quiet|-c --change -m --message" ;;
    history | "image history") echo "--no-trunc -q --quiet -H --human|--format" ;;
    build | "image build" | "buildx build" | "builder build") echo "--no-cache --pull --layers --squash --squash-all -q --quiet --rm --force-rm --tls-verify|-t --tag -f --file --build-arg --target --network --label --iidfile --format --platform --authfile --cert-dir --creds --ulimit --secret --ssh -o --output --timestamp" ;;
    exec) echo "-i --interactive -t --tty -d --detach --privileged|-e --env --env-file -u --user -w --workdir" ;;
    logs) echo "-f --follow -t --timestamps|-n --tail --since --until" ;;
    stop | "container stop") echo "-a --all -i --ignore|-t --time --timeout --cidfile --filter" ;;
    restart | "container restart") echo "|-t --time --timeout" ;;
    update | "container update")
      echo "|--blkio-weight --cpu-period --cpu-quota -c --cpu-shares --cpus --cpuset-cpus --cpuset-mems --kernel-memory -m --memory --memory-reservation --memory-swap --pids-limit --restart" ;;
    kill) echo "|-s --signal" ;;
    start) echo "-a --attach -i --interactive --all|--filter" ;;
    "generate systemd") echo "--new -n --name -f --files --no-header --template|--format --restart-policy --restart-sec --start-timeout -t --time --stop-timeout --container-prefix --pod-prefix --separator --wants --after --requires -e --env" ;;
    "kube play" | "play kube") echo "--replace --start --down|--network --configmap --publish --annotation" ;;
    "kube down") echo "--force|" ;;
    "kube generate" | "generate kube") echo "-s --service|-f --filename -t --type -r --replicas" ;;
    auto-update) echo "--dry-run --tls-verify|--format --authfile --cert-dir" ;;
    attach) echo "--no-stdin|" ;;
    stats) echo "--no-stream -a --all --no-trunc|--format" ;;
    events) echo "|-f --filter --format --since --until --stream" ;;
    inspect | "image inspect" | "container inspect") echo "-s --size|-f --format --type" ;;
    cp | "container cp") echo "-L --follow-link -a --archive|" ;;
    commit | "container commit") echo "-p --pause -q --quiet|-c --change -m --message -a --author" ;;
    diff | "container diff") echo "|--format" ;;
    "system df") echo "-v --verbose|--format" ;;
    "system check") echo "-r --repair -q --quick|--format" ;;
    "system service") echo "|-t --time" ;;
    export | "container export") echo "|-o --output" ;;
    info | version) echo "|-f --format" ;;
    "network create") echo "--internal --disable-dns --ignore --ipv6|-d --driver --subnet --gateway --ip-range -l --label -o --opt" ;;
    "network ls" | "network list") echo "-q --quiet --no-trunc --noheading|--format -f --filter" ;;
    "network inspect") echo "|-f --format" ;;
    "network rm" | "network remove" | "network prune") echo "-f --force|--filter" ;;
    "network connect") echo "|--alias --ip" ;;
    compose) echo "|-f --file -p --project-name --profile --project-directory" ;;
    "compose up") echo "-d --detach --build --no-build --force-recreate --no-recreate --no-start --no-deps --remove-orphans|-t --timeout" ;;
    "compose down") echo "-v --volumes --remove-orphans|--rmi -t --timeout" ;;
    "compose ps") echo "-a --all -q --quiet --services|--format" ;;
    "compose logs") echo "-f --follow -t --timestamps --no-log-prefix|-n --tail" ;;
    "compose exec") echo "-T --no-TTY -d --detach|-e --env -u --user -w --workdir --index" ;;
    "compose run") echo "--rm -d --detach --no-deps --service-ports -T --no-TTY|-e --env -p --publish --name -u --user -w --workdir --entrypoint" ;;
    "network disconnect") echo "-f --force|" ;;
    "volume create") echo "--ignore|-l --label -o --opt -d --driver" ;;
    "pod create") echo "--replace|-n --name --hostname --network --net -p --publish --add-host --dns -l --label --label-file --exit-policy --pod-id-file --infra-conmon-pidfile" ;;
    "pod start") echo "|--pod-id-file" ;;
    "pod stop") echo "-i --ignore|-t --time --timeout --pod-id-file" ;;
    "pod rm" | "pod remove") echo "-f --force -a --all -i --ignore|-t --time --timeout --pod-id-file" ;;
    "pod ps" | "pod ls" | "pod list") echo "-q --quiet --no-trunc --noheading|--format -f --filter" ;;
    "pod inspect") echo "|-f --format" ;;
    "volume ls" | "volume list") echo "-q --quiet --noheading|--format -f --filter" ;;
    "volume rm") echo "-f --force -a --all|" ;;
    "volume prune" | "container prune") echo "-f --force|" ;;
    "system prune" | "image prune" | "builder prune" | "buildx prune") echo "-f --force -a --all|" ;;
    pull) echo "-q --quiet -a --all-tags --tls-verify|--authfile --cert-dir --creds --platform --arch --os --variant --signature-policy" ;;
    push) echo "-q --quiet --tls-verify|--authfile --cert-dir --creds --digestfile -f --format --sign-by --sign-by-sigstore-private-key --sign-passphrase-file" ;;
    login) echo "--password-stdin --get-login --tls-verify|-u --username -p --password --authfile --cert-dir" ;;
    logout) echo "-a --all|--authfile" ;;
    "manifest inspect") echo "-v --verbose --tls-verify|--authfile --cert-dir --creds" ;;
    search) echo "--no-trunc --tls-verify|--limit --format --authfile --cert-dir --creds" ;;
    *) echo "|" ;;
  esac
}

_tug_images() {
  tug images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | sed 's,^docker\.io/library/,,'
}
_tug_containers() { tug ps -a --format '{{.Names}}' 2>/dev/null; }
_tug_running() { tug ps --format '{{.Names}}' 2>/dev/null; }
_tug_volumes() { tug volume ls -q 2>/dev/null; }
_tug_networks() { tug network ls -q 2>/dev/null; }
_tug_pods() { tug pod ps --format '{{.Name}}' 2>/dev/null; }

_tug_main() {
  if declare -F _init_completion >/dev/null; then
    _init_completion -n : || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi

  # Find the command (and a group's subcommand) before the cursor and count
  # the positional words after it. Past run's image or exec's container the
  # words belong to the container's command: nothing to complete there.
  local key="" npos=0 i w values
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    values=" $(_tug_flags "$key" | cut -d'|' -f2) "
    if [[ $w == -* ]]; then
      [[ $w != *=* && $values == *" $w "* ]] && ((i++))
      continue
    fi
    if [ -z "$key" ]; then
      key=$w
    elif [ "$npos" -eq 0 ] && [[ $key == @(image|container|volume|system|manifest|pod|network|generate|kube|play|healthcheck|compose|buildx|builder) ]]; then
      key="$key $w"
    else
      ((npos++))
      [[ $key == @(run|create|exec|container run|container create|container exec) ]] && return
    fi
  done

  local flags switches
  flags=$(_tug_flags "$key")
  switches=${flags%%|*}
  values=${flags#*|}

  # The value of a flag.
  if [[ " $values " == *" $prev "* ]]; then
    case "$prev" in
      --root | --runroot) COMPREPLY=($(compgen -d -- "$cur")) ;;
      --log-level) COMPREPLY=($(compgen -W "trace debug info warn error fatal panic" -- "$cur")) ;;
      --events-backend) COMPREPLY=($(compgen -W "file journald none" -- "$cur")) ;;
      --config) COMPREPLY=($(compgen -d -- "$cur")) ;;
      --sort) COMPREPLY=($(compgen -W "created id repository size tag" -- "$cur")) ;;
      --env-file | --label-file | -o | --output | -i | --input | --authfile | --signature-policy | --sign-by-sigstore-private-key | --sign-passphrase-file | --digestfile | --iidfile | --file) COMPREPLY=($(compgen -f -- "$cur")) ;;
      --cert-dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
      --pull) COMPREPLY=($(compgen -W "always missing never newer" -- "$cur")) ;;
      --network | --net) COMPREPLY=($(compgen -W "slirp4netns pasta none host container: ns: $(_tug_networks)" -- "$cur")) ;;
      --restart) COMPREPLY=($(compgen -W "no on-failure always unless-stopped" -- "$cur")) ;;
      --sdnotify) COMPREPLY=($(compgen -W "conmon container healthy ignore" -- "$cur")) ;;
      --exit-policy) COMPREPLY=($(compgen -W "continue stop" -- "$cur")) ;;
      --cgroups) COMPREPLY=($(compgen -W "enabled disabled split no-conmon" -- "$cur")) ;;
      --restart-policy) COMPREPLY=($(compgen -W "no on-success on-failure on-abnormal on-watchdog on-abort always" -- "$cur")) ;;
      --cidfile | --pod-id-file | --infra-conmon-pidfile) COMPREPLY=($(compgen -f -- "$cur")) ;;
      --storage-driver) COMPREPLY=($(compgen -W "overlay fuse-overlayfs vfs" -- "$cur")) ;;
      --security-opt) COMPREPLY=($(compgen -W "seccomp=unconfined no-new-privileges fake-chown=true fake-chown=false" -- "$cur")) ;;
      --userns) COMPREPLY=($(compgen -W "host keep-id" -- "$cur")) ;;
      --gpus) COMPREPLY=($(compgen -W "all" -- "$cur")) ;;
      --log-driver) COMPREPLY=($(compgen -W "k8s-file json-file journald none passthrough" -- "$cur")) ;;
      --log-opt) COMPREPLY=($(compgen -W "max-size= max-file= tag= path=" -- "$cur")) ;;
      -s | --signal | --stop-signal)
        COMPREPLY=($(compgen -W "SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2" -- "$cur")) ;;
      --format | -f)
        if [[ $key == @(save|image save) ]]; then
          COMPREPLY=($(compgen -W "docker-archive oci-archive squashfs" -- "$cur"))
        elif [[ $key == @(build|image build) ]]; then
          if [[ $prev == -f ]]; then COMPREPLY=($(compgen -f -- "$cur")); else COMPREPLY=($(compgen -W "oci docker" -- "$cur")); fi
        elif [[ $prev == --format || $key != @(images|image ls|image list) ]]; then
          COMPREPLY=($(compgen -W "json table" -- "$cur"))
        fi ;;
      -v | --volume)
        COMPREPLY=($(compgen -f -- "$cur"))
        [[ $cur == [/.~]* ]] || COMPREPLY+=($(compgen -W "$(_tug_volumes)" -- "$cur")) ;;
    esac
    return
  fi

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$switches $values --help" -- "$cur"))
    return
  fi

  case "$key" in
    "") COMPREPLY=($(compgen -W "$_tug_commands" -- "$cur")) ;;
    image) COMPREPLY=($(compgen -W "ls list rm inspect tag untag history load save import build prune exists pull push trust" -- "$cur")) ;;
    container) COMPREPLY=($(compgen -W "ls list ps rm export inspect prune diff cp commit rename update port exists run create start stop restart kill wait logs exec attach top stats pause unpause" -- "$cur")) ;;
    buildx | builder) COMPREPLY=($(compgen -W "build prune" -- "$cur")) ;;
    "buildx build" | "builder build") COMPREPLY=($(compgen -d -- "$cur")) ;;
    volume) COMPREPLY=($(compgen -W "create ls list inspect exists rm prune" -- "$cur")) ;;
    pod) COMPREPLY=($(compgen -W "create start stop rm ps ls list inspect exists" -- "$cur")) ;;
    healthcheck) COMPREPLY=($(compgen -W "run" -- "$cur")) ;;
    "healthcheck run") COMPREPLY=($(compgen -W "$(_tug_running)" -- "$cur")) ;;
    network) COMPREPLY=($(compgen -W "create ls list inspect rm remove connect disconnect prune exists" -- "$cur")) ;;
    "network inspect" | "network rm" | "network remove" | "network exists") COMPREPLY=($(compgen -W "$(_tug_networks)" -- "$cur")) ;;
    "network connect" | "network disconnect")
      if [ "$npos" -eq 0 ]; then COMPREPLY=($(compgen -W "$(_tug_networks)" -- "$cur"))
      else COMPREPLY=($(compgen -W "$(_tug_containers)" -- "$cur")); fi ;;
    "pod start" | "pod stop" | "pod rm" | "pod inspect" | "pod exists") COMPREPLY=($(compgen -W "$(_tug_pods)" -- "$cur")) ;;
    compose) COMPREPLY=($(compgen -W "up down ps logs start stop restart kill rm exec run config pull build push top port images" -- "$cur")) ;;
    system) COMPREPLY=($(compgen -W "check df prune service" -- "$cur")) ;;
    manifest) COMPREPLY=($(compgen -W "inspect" -- "$cur")) ;;
    generate) COMPREPLY=($(compgen -W "systemd kube" -- "$cur")) ;;
    kube) COMPREPLY=($(compgen -W "play down generate" -- "$cur")) ;;
    play) COMPREPLY=($(compgen -W "kube" -- "$cur")) ;;
    "kube play" | "kube down" | "play kube") COMPREPLY=($(compgen -f -- "$cur")) ;;
    "kube generate" | "generate kube") COMPREPLY=($(compgen -W "$(_tug_containers) $(_tug_pods)" -- "$cur")) ;;
    "generate systemd") COMPREPLY=($(compgen -W "$(_tug_containers) $(_tug_pods)" -- "$cur")) ;;
    push) [ "$npos" -eq 0 ] && COMPREPLY=($(compgen -W "$(_tug_images)" -- "$cur")) ;;
    run | create | "container run" | "container create") COMPREPLY=($(compgen -W "$(_tug_images)" -- "$cur")) ;;
    rmi | tag | untag | history | save | "image rm" | "image tag" | "image untag" | "image history" | "image save" | "image inspect" | "image exists")
      [[ $key == *tag && $npos -ge 1 ]] || COMPREPLY=($(compgen -W "$(_tug_images)" -- "$cur")) ;;
    build | "image build") COMPREPLY=($(compgen -d -- "$cur")) ;;
    load | import | "image load" | "image import")
      [ "$npos" -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur")) ;;
    exec | attach | stop | kill | pause | unpause | top | stats | port)
      COMPREPLY=($(compgen -W "$(_tug_running)" -- "$cur")) ;;
    rm | start | restart | wait | logs | export | diff | commit | rename | update | "container "*)
      [[ $key == @(logs|export|diff|commit|rename|container export|container diff|container commit|container rename) && $npos -ge 1 ]] ||
        COMPREPLY=($(compgen -W "$(_tug_containers)" -- "$cur")) ;;
    cp | "container cp")
      COMPREPLY=($(compgen -W "$(_tug_containers | sed 's/$/:/')" -- "$cur") $(compgen -f -- "$cur"))
      compopt -o nospace 2>/dev/null ;;
    inspect) COMPREPLY=($(compgen -W "$(_tug_containers) $(_tug_images)" -- "$cur")) ;;
    "volume inspect" | "volume rm" | "volume exists") COMPREPLY=($(compgen -W "$(_tug_volumes)" -- "$cur")) ;;
    unshare) COMPREPLY=($(compgen -c -- "$cur")) ;;
  esac
}
_tug() {
  local cur prev words cword
  _tug_main
  # Image names hold a colon, which bash splits words at.
  if declare -F __ltrim_colon_completions >/dev/null; then __ltrim_colon_completions "$cur"; fi
}
complete -F _tug tug
