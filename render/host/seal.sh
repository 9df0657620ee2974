# shellcheck shell=bash
# deployhooks host library: sealing a release after its build (render/seal.ts).
dh_unseal() {
  [ -f "$DH_STATE/releases/$DH_RELEASE.sealed" ] || return 0
  chmod -R u+w -- "$DH_REL" || dh_fail 73 "cannot make release $DH_RELEASE writable again"
  rm -f -- "$DH_STATE/releases/$DH_RELEASE.sealed"
}
dh_seal() {
  local m target count=0
  dh_unseal
  while [ "$#" -gt 1 ]; do
    m=$1 target=$2
    shift 2
    mkdir -p -- "$DH_APP/shared/$m" || dh_fail 73 "cannot create mount $DH_APP/shared/$m"
    if [ ! -L "$DH_REL/$m" ]; then
      chmod -R u+w -- "$DH_REL/$m" 2>/dev/null
      rm -rf -- "${DH_REL:?}/$m"
      { mkdir -p -- "$(dirname -- "$DH_REL/$m")" && ln -s -- "$target" "$DH_REL/$m"; } \
        || dh_fail 73 "cannot link mount $m into release $DH_RELEASE"
    fi
    count=$((count + 1))
  done
  chmod -R a-w -- "$DH_REL" || dh_fail 73 "cannot make release $DH_RELEASE read-only"
  : >"$DH_STATE/releases/$DH_RELEASE.sealed"
  printf '::deployhooks::sealed release=%s mounts=%s\n' "$DH_RELEASE" "$count"
}
