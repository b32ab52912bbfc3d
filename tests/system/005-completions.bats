#!/usr/bin/env bats
# Shell completions, as installed: they know every command `tug --help`
# lists, and completing in bash and fish gives commands, flags, flag values
# and images from the store.

load helpers

BASH_COMPLETION=$TUG_PREFIX/share/bash-completion/completions/tug
ZSH_COMPLETION=$TUG_PREFIX/share/zsh/site-functions/_tug
FISH_COMPLETION=$TUG_PREFIX/share/fish/vendor_completions.d/tug.fish

# The commands a help text lists (aliases and hidden commands left out).
help_commands() {
  "$TUG" "$@" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { sub(/,$/, "", $1); print $1 }' | grep -v '^__'
}

# complete_bash WORD...: what bash completes for the last word (may be "").
complete_bash() {
  PATH=$TUG_PREFIX/bin:$PATH bash -c '
    source "$0"
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    _tug
    printf "%s\n" "${COMPREPLY[@]}" | sort' "$BASH_COMPLETION" "$@"
}

@test "the three completion files are installed" {
  [ -s "$BASH_COMPLETION" ]
  [ -s "$ZSH_COMPLETION" ]
  [ -s "$FISH_COMPLETION" ]
}

@test "every command and group subcommand in --help is in every completion file" {
  local f c g missing=()
  local -a cmds
  mapfile -t cmds < <(help_commands)
  [ "${#cmds[@]}" -gt 20 ]
  for g in image container volume system; do
    while read -r c; do cmds+=("$g:$c"); done < <(help_commands "$g")
  done
  for f in "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION"; do
    for c in "${cmds[@]}"; do
      grep -qw -- "${c#*:}" "$f" || missing+=("$(basename "$f"): ${c/:/ }")
    done
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    printf 'not completed: %s\n' "${missing[@]}" >&2
    return 1
  fi
}

@test "bash completes commands, flags and flag values" {
  run complete_bash tug ru
  assert_output "run"
  run complete_bash tug ima
  assert_output "image
images"
  run complete_bash tug run --netw
  assert_output "--network
--network-alias"
  run complete_bash tug run --network ""
  assert_output "container:
host
none
ns:
pasta
podman
slirp4netns"
  run complete_bash tug save --format ""
  assert_output "docker-archive
oci-archive
squashfs"
  run complete_bash tug stop -
  assert_line -- "--time"
  run complete_bash tug build --build
  assert_output "--build-arg"
  run complete_bash tug image build --format ""
  assert_output "docker
oci"
  run complete_bash tug volume ""
  assert_line "create"
  assert_line "prune"
  # Global flags and their values are skipped when finding the command.
  run complete_bash tug --root /tmp ima
  assert_output "image
images"
}

@test "bash completes images and containers from the store" {
  load_busybox
  tug_ok run --name done-ctr busybox true
  run complete_bash tug run --rm -e A=1 ""
  assert_output "busybox:latest"
  run complete_bash tug rmi bu
  assert_output "busybox:latest"
  run complete_bash tug rm ""
  assert_output "done-ctr"
  # After run's image the words are the container command's: no images there.
  run complete_bash tug run busybox ""
  assert_output ""
}

@test "zsh and fish accept their files; fish completes like bash" {
  if command -v zsh >/dev/null; then
    zsh -n "$ZSH_COMPLETION"
  fi
  if ! command -v fish >/dev/null; then
    return 0
  fi
  fish -n "$FISH_COMPLETION"
  load_busybox
  run env PATH="$TUG_PREFIX/bin:$PATH" fish -c "source '$FISH_COMPLETION'; complete -C 'tug ru'; complete -C 'tug run --network '; complete -C 'tug run bu'"
  assert_success
  assert_line --partial "run"
  assert_line --partial "none"
  assert_line --partial "busybox:latest"
}
