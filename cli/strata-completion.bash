# bash completion for strata (installed as share/bash-completion/completions/strata).
#
# Commands, each command's options (from `strata __complete options CMD`, the
# same declarations --help prints), and from the repository itself, read by
# strata quietly: branches (switch, merge, branch -d, --branch), remotes
# (fetch, pull, push, remote remove), perspectives (--perspective,
# perspective show/check), document ids (get, set, rm, history, blame, edit,
# put's first argument; DOC@REV completes REV). --repo on the line is
# passed on, so completion reads the repository the command will use.
# Needs nothing from the bash-completion package.

# Runs `strata [--repo R] __complete KIND [ARGS]`, quietly.
_strata_query() {
  local -a repo=()
  [ -n "${_strata_repo:-}" ] && repo=(--repo "$_strata_repo")
  "${_strata_bin:-strata}" "${repo[@]}" __complete "$@" 2>/dev/null
}

# COMPREPLY from the words (one a line) that start with $cur.
_strata_reply() {
  local cur=$1 words=$2 w
  COMPREPLY=()
  while IFS= read -r w; do
    [ -n "$w" ] && [[ "$w" == "$cur"* ]] && COMPREPLY+=("$w")
  done <<<"$words"
}

_strata() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local _strata_bin=${COMP_WORDS[0]} _strata_repo="" perspective=""
  local i w command="" command_at=0

  # The command: the first word that is not a global option or its value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case "$w" in
      --repo | --color) ((i++)); [ "$w" = --repo ] && _strata_repo=${COMP_WORDS[i]} ;;
      --repo=*) _strata_repo=${w#--repo=} ;;
      -*) ;;
      *) command=$w; command_at=$i; break ;;
    esac
  done
  _strata_repo=${_strata_repo/#\~/$HOME}

  if [ -z "$command" ]; then
    case "$prev" in
      --repo) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      --color) _strata_reply "$cur" $'auto\nalways\nnever'; return ;;
    esac
    if [[ "$cur" == -* ]]; then
      _strata_reply "$cur" $'--help\n--version\n-V\n--repo\n--no-pager\n--color'
    else
      _strata_reply "$cur" "$(_strata_query commands)"
    fi
    return
  fi

  # The command's options; those ending in '=' take a value.
  local options
  options=$(_strata_query options "$command")
  local -a positional=()
  local takes_value=""
  for ((i = command_at + 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [ -n "$takes_value" ]; then
      takes_value=""
      continue
    fi
    case "$w" in
      --repo) _strata_repo=${COMP_WORDS[i + 1]} ;;
      --repo=*) _strata_repo=${w#--repo=} ;;
      --perspective) perspective=${COMP_WORDS[i + 1]} ;;
      --perspective=*) perspective=${w#--perspective=} ;;
    esac
    case "$w" in
      --*=*) ;;
      -*) grep -qxF -- "$w=" <<<"$options" && takes_value=1 ;;
      *) positional+=("$w") ;;
    esac
  done
  local -a through=()
  [ -n "$perspective" ] && through=(--perspective "$perspective")

  # The value of an option.
  case "$prev" in
    --perspective) _strata_reply "$cur" "$(_strata_query perspectives)"; return ;;
    --branch) _strata_reply "$cur" "$(_strata_query branches)"; return ;;
    --rev | --expect) _strata_reply "$cur" "$(_strata_query refs)"; return ;;
    --doc) _strata_reply "$cur" "$(_strata_query docs "${through[@]}")"; return ;;
    --color) _strata_reply "$cur" $'auto\nalways\nnever'; return ;;
    --repo) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  esac
  if [[ "$prev" == -* ]] && grep -qxF -- "$prev=" <<<"$options"; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi

  if [[ "$cur" == -* ]]; then
    _strata_reply "$cur" "$(grep -- '^--' <<<"$options" | sed 's/=$//')"
    return
  fi

  local n=${#positional[@]}
  case "$command" in
    help) [ "$n" -eq 0 ] && _strata_reply "$cur" "$(_strata_query commands)" ;;
    switch) [ "$n" -eq 0 ] && _strata_reply "$cur" "$(_strata_query branches)" ;;
    merge | cherry-pick | revert | log | show | diff | tag | label)
      _strata_reply "$cur" "$(_strata_query refs)" ;;
    branch)
      local k
      for ((k = command_at + 1; k < COMP_CWORD; k++)); do
        case "${COMP_WORDS[k]}" in
          -d | -D | --delete | --force-delete)
            _strata_reply "$cur" "$(_strata_query branches)"
            return
            ;;
        esac
      done
      ;;
    fetch | pull | push)
      [ "$n" -eq 0 ] && _strata_reply "$cur" "$(_strata_query remotes)" ;;
    remote)
      if [ "$n" -eq 0 ]; then
        _strata_reply "$cur" $'list\nadd\nremove'
      elif [ "$n" -eq 1 ] && [ "${positional[0]}" = remove ]; then
        _strata_reply "$cur" "$(_strata_query remotes)"
      fi
      ;;
    perspective)
      if [ "$n" -eq 0 ]; then
        _strata_reply "$cur" $'list\nshow\ncheck'
      elif [ "$n" -eq 1 ] && [ "${positional[0]}" != list ]; then
        _strata_reply "$cur" "$(_strata_query perspectives)"
      elif [ "$n" -eq 2 ] && [ "${positional[0]}" = check ]; then
        _strata_reply "$cur" "$(_strata_query docs)"
      fi
      ;;
    get | set | rm | history | blame | edit | put)
      if [ "$n" -eq 0 ]; then
        if [[ "$cur" == *@* ]]; then
          # DOC@REV: the revision after the '@'.
          local doc=${cur%%@*}
          _strata_reply "${cur#*@}" "$(_strata_query refs)"
          COMPREPLY=("${COMPREPLY[@]/#/$doc@}")
        else
          _strata_reply "$cur" "$(_strata_query docs "${through[@]}")"
        fi
      elif [ "$command" = put ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      ;;
    *) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}

complete -F _strata strata
