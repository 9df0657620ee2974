# shellcheck shell=bash disable=SC2034 # DH_RS and DH_RS_WHY are read by the steps that call dh_release_state
# deployhooks host library: kept releases: seal checks and reuse (render/releaseCheck.ts).
dh_tree_state() {
  local sum
  [ -d "$1" ] || return 1
  sum=$(cd -- "$1" && find . -mindepth 1 -printf '%P\t%y %m %s %i %T@ %C@ %l\0' | LC_ALL=C sort -z | sha256sum) || return 1
  printf '%s\n' "${sum%% *}"
}
dh_is_current() { [ "$(readlink -- "$DH_APP/current" 2>/dev/null)" = "releases/$DH_RELEASE" ]; }
dh_built_ok() {
  local want='' got now
  dh_release_ok && [ -f "$DH_STATE/releases/$DH_RELEASE.built" ] || return 1
  read -r want <"$DH_STATE/releases/$DH_RELEASE.built" || return 1
  got=$(dh_tree_state "$DH_REL") || got=
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    # A failed verification voids any earlier receipt: no later step may take the release.
    rm -f -- "$DH_STATE/releases/$DH_RELEASE.verified"
    return 1
  fi
  # The receipt of this verification (dh_verified_recently).
  printf -v now '%(%s)T' -1
  printf '%s %s %s\n' "$got" "$now" "$DH_STEP" >"$DH_STATE/releases/$DH_RELEASE.verified" 2>/dev/null
  return 0
}
# dh_verified_recently [STEP]: a step of this deployment (STEP only, when given) walked the
# release and found the state recorded at its build, at most DH_VERIFIED_FOR s ago (its receipt).
# The upload takes the probe's receipt, the build-phase steps any; the probe always walks the tree,
# and a failed walk removes the receipt, so no later step takes the release.
DH_VERIFIED_FOR=30
dh_verified_recently() {
  local want='' got='' at=0 by='' now
  [ -f "$DH_STATE/releases/$DH_RELEASE.verified" ] && dh_release_ok || return 1
  read -r want <"$DH_STATE/releases/$DH_RELEASE.built" || return 1
  read -r got at by <"$DH_STATE/releases/$DH_RELEASE.verified" || return 1
  [[ $at =~ ^[0-9]+$ ]] || return 1
  [ -z "${1:-}" ] || [ "$by" = "$1" ] || return 1
  printf -v now '%(%s)T' -1
  [ -n "$want" ] && [ "$got" = "$want" ] && [ "$((now - at))" -ge 0 ] && [ "$((now - at))" -le "$DH_VERIFIED_FOR" ]
}
dh_mark_built() {
  local s
  s=$(dh_tree_state "$DH_REL") || dh_fail 74 "cannot read release $DH_RELEASE to record its state"
  printf '%s\n' "$s" >"$DH_STATE/releases/$DH_RELEASE.built" || dh_fail 73 "cannot write $DH_STATE/releases/$DH_RELEASE.built"
  rm -f -- "$DH_STATE/releases/$DH_RELEASE.failed" "$DH_STATE/releases/$DH_RELEASE.verified"
  printf '::deployhooks::built release=%s\n' "$DH_RELEASE"
}
# What this host has of $DH_RELEASE: DH_RS = reused (built, verified now: no artifact, no build),
# present (complete, not built yet or current: no artifact), rebuild (kept but changed since its
# build, or its build failed: unpacked again from the artifact), missing. DH_RS_WHY says why.
# dh_release_status RECENT: RECENT=1 (the upload) takes a receipt of the probe (dh_verified_recently probe).
dh_release_status() {
  DH_RS_WHY=
  if ! dh_release_ok; then
    DH_RS=missing DH_RS_WHY="release $DH_RELEASE is not on this host"
  elif [ -f "$DH_STATE/releases/$DH_RELEASE.built" ]; then
    if { [ "${1:-0}" = 1 ] && dh_verified_recently probe; } || dh_built_ok; then
      DH_RS=reused DH_RS_WHY="release $DH_RELEASE is kept on this host, built and unchanged (verified)"
    elif dh_is_current; then
      DH_RS=present DH_RS_WHY="release $DH_RELEASE changed on this host since it was built, but current points to it, so it is left as it is"
    else
      DH_RS=rebuild DH_RS_WHY="release $DH_RELEASE changed on this host since it was built (verification failed)"
    fi
  elif [ -f "$DH_STATE/releases/$DH_RELEASE.failed" ] && ! dh_is_current; then
    DH_RS=rebuild DH_RS_WHY="the last build of release $DH_RELEASE on this host failed"
  else
    DH_RS=present DH_RS_WHY="release $DH_RELEASE is on this host"
  fi
}
# dh_reuse RERUN_WHEN_CURRENT(0|1): success (print the reason) when this build-phase step need not run.
dh_reuse() {
  [ -f "$DH_STATE/releases/$DH_RELEASE.built" ] || return 1
  if [ "$1" = 1 ] && dh_is_current; then return 1; fi
  if dh_verified_recently || dh_built_ok; then
    printf '::deployhooks::reused release=%s step=%s\n' "$DH_RELEASE" "$DH_STEP"
    dh_say "reused release $DH_RELEASE: it was built earlier and is unchanged on this host (verified), so $DH_STEP does not run again"
    return 0
  fi
  dh_say "release $DH_RELEASE changed on this host since it was built: $DH_STEP runs again"
  rm -f -- "$DH_STATE/releases/$DH_RELEASE.built" "$DH_STATE/releases/$DH_RELEASE.verified"
  return 1
}
