// risctl completion bash|zsh: commands, resources, flags, and names asked of the server
// (risctl get RESOURCE -o name) where a name goes.
#include "help.hpp"
#include "resources.hpp"
#include "session.hpp"

namespace ris::cli {

namespace {
const char* kBash = R"SH(# bash completion for risctl: source <(risctl completion bash)
_risctl() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
  local commands="login logout context get describe create delete edit exec logs scale rollout pause resume fires kv pub sub deploy backup completion version help"
  local resources="@RESOURCES@"
  case "$prev" in
    -o|--output) if [[ ${words[1]} == backup ]]; then COMPREPLY=($(compgen -f -- "$cur")); else COMPREPLY=($(compgen -W "table json yaml name" -- "$cur")); fi; return ;;
    --context) COMPREPLY=($(compgen -W "$(risctl context list 2>/dev/null | awk 'NR>1{print ($1=="*")?$2:$1}')" -- "$cur")); return ;;
    -f|--file|--ca-file|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "--help --output --selector --watch --space --context --config" -- "$cur")); return
  fi
  if [[ $cword -eq 1 ]]; then COMPREPLY=($(compgen -W "$commands" -- "$cur")); return; fi
  case "${words[1]}" in
    get|describe|delete)
      if [[ $cword -eq 2 ]]; then COMPREPLY=($(compgen -W "$resources" -- "$cur"))
      else COMPREPLY=($(compgen -W "$(risctl get "${words[2]}" -o name 2>/dev/null | sed 's|.*/||')" -- "$cur")); fi ;;
    create) [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "space role token service schedule join-token invitation" -- "$cur")) ;;
    edit|scale|logs) if [[ $cword -eq 2 ]]; then COMPREPLY=($(compgen -W "service" -- "$cur"))
      elif [[ $cword -eq 3 ]]; then COMPREPLY=($(compgen -W "$(risctl get services -o name 2>/dev/null | sed 's|.*/||')" -- "$cur")); fi ;;
    rollout) if [[ $cword -eq 2 ]]; then COMPREPLY=($(compgen -W "status restart rollback stop start" -- "$cur"))
      elif [[ $cword -eq 3 ]]; then COMPREPLY=($(compgen -W "service" -- "$cur"))
      elif [[ $cword -eq 4 ]]; then COMPREPLY=($(compgen -W "$(risctl get services -o name 2>/dev/null | sed 's|.*/||')" -- "$cur")); fi ;;
    context) [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "list use set-space delete" -- "$cur")) ;;
    pause|resume) if [[ $cword -eq 2 ]]; then COMPREPLY=($(compgen -W "schedule" -- "$cur"))
      elif [[ $cword -eq 3 ]]; then COMPREPLY=($(compgen -W "$(risctl get schedules -o name 2>/dev/null | sed 's|.*/||')" -- "$cur")); fi ;;
    kv) [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "get put delete ls history touch watch" -- "$cur")) ;;
    deploy) if [[ $cword -eq 2 ]]; then COMPREPLY=($(compgen -W "validate plan apply diff rollback resume drift status history secret" -- "$cur")); else _filedir 2>/dev/null || COMPREPLY=($(compgen -f -- "$cur")); fi ;;
    fires) [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "$(risctl get schedules -o name 2>/dev/null | sed 's|.*/||')" -- "$cur")) ;;
    backup) [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "create" -- "$cur")) ;;
    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
  esac
}
complete -F _risctl risctl
)SH";

const char* kZsh = R"SH(#compdef risctl
# zsh completion for risctl: risctl completion zsh > "${fpath[1]}/_risctl"
_risctl() {
  local -a commands resources
  commands=(login logout context get describe create delete edit exec logs scale rollout pause resume fires kv pub sub deploy backup completion version help)
  resources=(@RESOURCES@)
  if (( CURRENT == 2 )); then compadd -a commands; return; fi
  case $words[2] in
    get|describe|delete)
      if (( CURRENT == 3 )); then compadd -a resources
      else compadd -- ${(f)"$(risctl get $words[3] -o name 2>/dev/null | sed 's|.*/||')"}; fi ;;
    create) (( CURRENT == 3 )) && compadd space role token service schedule join-token invitation ;;
    edit|scale|logs) if (( CURRENT == 3 )); then compadd service
      elif (( CURRENT == 4 )); then compadd -- ${(f)"$(risctl get services -o name 2>/dev/null | sed 's|.*/||')"}; fi ;;
    rollout) if (( CURRENT == 3 )); then compadd status restart rollback stop start
      elif (( CURRENT == 4 )); then compadd service
      elif (( CURRENT == 5 )); then compadd -- ${(f)"$(risctl get services -o name 2>/dev/null | sed 's|.*/||')"}; fi ;;
    context) (( CURRENT == 3 )) && compadd list use set-space delete ;;
    pause|resume) if (( CURRENT == 3 )); then compadd schedule
      elif (( CURRENT == 4 )); then compadd -- ${(f)"$(risctl get schedules -o name 2>/dev/null | sed 's|.*/||')"}; fi ;;
    kv) (( CURRENT == 3 )) && compadd get put delete ls history touch watch ;;
    deploy) if (( CURRENT == 3 )); then compadd validate plan apply diff rollback resume drift status history secret; else _files; fi ;;
    fires) (( CURRENT == 3 )) && compadd -- ${(f)"$(risctl get schedules -o name 2>/dev/null | sed 's|.*/||')"} ;;
    backup) (( CURRENT == 3 )) && compadd create ;;
    completion) compadd bash zsh ;;
    help) compadd -a commands ;;
  esac
}
_risctl "$@"
)SH";
}  // namespace

int cmd_completion(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 2 || (p[1] != "bash" && p[1] != "zsh"))
    return std::cerr << *command_help("completion"), 2;
  std::string words;
  for (const auto& r : resources()) {
    words += (words.empty() ? "" : " ") + r.name;
    for (const auto& a : r.aliases)
      words += " " + a;
  }
  std::string script = p[1] == "bash" ? kBash : kZsh;
  script.replace(script.find("@RESOURCES@"), 11, words);
  std::cout << script;
  return 0;
}

}  // namespace ris::cli
