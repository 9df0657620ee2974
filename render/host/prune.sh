# shellcheck shell=bash
# deployhooks host library: pruning kept releases (render/prune.ts).
dh_rollback_target() {
  local line=
  [ -f "$DH_STATE/app.good.sh" ] || return 0
  line=$(grep -m1 '^DH_RB_RELEASE=' -- "$DH_STATE/app.good.sh" 2>/dev/null) || return 0
  printf '%s\n' "${line#DH_RB_RELEASE=}"
}
dh_remove_release() {
  local id=$1
  [ -n "$id" ] || return 1
  if [ "$(readlink -- "$DH_APP/current" 2>/dev/null)" = "releases/$id" ]; then return 1; fi
  if [ -e "$DH_APP/releases/$id" ] || [ -L "$DH_APP/releases/$id" ]; then
    chmod -R u+w -- "$DH_APP/releases/$id" 2>/dev/null
    rm -rf -- "$DH_APP/releases/$id" || { dh_say "warning: cannot remove $DH_APP/releases/$id"; return 1; }
  fi
  rm -f -- "$DH_STATE/releases/$id".ok "$DH_STATE/releases/$id".sealed "$DH_STATE/releases/$id".built \
    "$DH_STATE/releases/$id".verified \
    "$DH_STATE/releases/$id".failed "$DH_STATE/hooks/$id-"*.sh "$DH_APP/logs/$id-"*.log
  printf '::deployhooks::pruned release=%s\n' "$id"
}
dh_prune_failed() {
  local d id target
  target=$(dh_rollback_target)
  for d in "$DH_APP/releases/"*; do
    [ -e "$d" ] || [ -L "$d" ] || continue
    id=${d##*/}
    [ "$id" = "$DH_RELEASE" ] && continue
    [ "$id" = "$target" ] && continue
    case $id in
      *.tmp-*)
        chmod -R u+w -- "$d" 2>/dev/null
        rm -rf -- "$d" && dh_say "removed $d, left by an interrupted upload"
        continue
        ;;
    esac
    if [ ! -f "$DH_STATE/releases/$id.ok" ]; then
      dh_remove_release "$id" && dh_say "removed release $id: its upload never completed"
    elif [ -f "$DH_STATE/releases/$id.failed" ]; then
      dh_remove_release "$id" && dh_say "removed release $id: its build failed"
    fi
  done
  return 0
}
dh_prune() {
  local keep=$1 n=0 f id older=0 target
  [ "$keep" -gt 0 ] || return 0
  target=$(dh_rollback_target)
  # Release ids are tokens (no blanks), so ls's one-name-per-line output is exact.
  while IFS= read -r f; do
    id=${f##*/}
    id=${id%.ok}
    if [ "$id" = "$DH_RELEASE" ]; then older=1; continue; fi
    [ "$older" = 1 ] || continue
    n=$((n + 1))
    [ "$n" -lt "$keep" ] && continue
    [ "$id" = "${DH_PREVIOUS:-}" ] || [ "$id" = "$target" ] && continue
    dh_remove_release "$id"
  done < <(ls -1t -- "$DH_STATE/releases/"*.ok 2>/dev/null)
  return 0
}
