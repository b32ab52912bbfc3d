# bash completion for tug
_tug() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; cword=$COMP_CWORD; words=("${COMP_WORDS[@]}"); }
  local commands="run ps rm export images image load save import tag rmi history info version unshare"
  local cmd="" i
  for ((i = 1; i < cword; i++)); do
    case "${words[i]}" in
      --root|--runroot|--log-level) ((i++)) ;;
      -*) ;;
      *) cmd=${words[i]}; break ;;
    esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "$commands --root --runroot --log-level --help --version" -- "$cur"))
    return
  fi
  local images containers
  case "$cmd" in
    run)
      case "$prev" in
        -v|--volume|--env-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --network|--net) COMPREPLY=($(compgen -W "none host" -- "$cur")); return ;;
      esac
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--rm --name -e --env --env-file -w --workdir -u --user --entrypoint -h --hostname -v --volume --tmpfs --network -i -t --init --read-only --add-host --dns --cap-add --cap-drop -l --label --storage-driver --help" -- "$cur"))
      else
        images=$(tug images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null)
        COMPREPLY=($(compgen -W "$images" -- "$cur"))
      fi ;;
    rm|export)
      containers=$(tug ps -a --format '{{.Names}}' 2>/dev/null)
      COMPREPLY=($(compgen -W "$containers -f --force -a --all -o --output" -- "$cur")) ;;
    rmi|tag|history|save)
      images=$(tug images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null)
      COMPREPLY=($(compgen -W "$images -f --force -o --output --format" -- "$cur")) ;;
    load|import)
      COMPREPLY=($(compgen -f -- "$cur")) ;;
    image)
      COMPREPLY=($(compgen -W "ls list rm inspect tag history load save import" -- "$cur")) ;;
    ps)
      COMPREPLY=($(compgen -W "-a --all -q --quiet --no-trunc --format" -- "$cur")) ;;
    images)
      COMPREPLY=($(compgen -W "-q --quiet -a --all --digests --no-trunc --format" -- "$cur")) ;;
  esac
}
complete -F _tug tug
