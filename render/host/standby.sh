# shellcheck shell=bash
# deployhooks host library: the standby tree, an unpacked copy of the base tarball that an incremental upload turns into the new release (render/standby.ts).
dh_standby_drop() {
  local d
  rm -f -- "$DH_STATE/standby.state"
  for d in "$DH_STATE/standby" "$DH_STATE/standby".tmp-*; do
    [ -e "$d" ] || [ -L "$d" ] || continue
    rm -rf -- "$d" 2>/dev/null || { chmod -R u+w -- "$d" 2>/dev/null; rm -rf -- "$d"; }
  done
}
# dh_standby_make TARBALL SHA: unpacks the base tarball into .deployhooks/standby and records its
# state (dh_tree_state) in standby.state as `<sha> <state>`. The caller holds standby.lock.
dh_standby_make() {
  local tarball=$1 sha=$2 name='' base='' had='' tmp st
  read -r had _ <"$DH_STATE/standby.state" 2>/dev/null
  [ "$had" = "$sha" ] && [ -d "$DH_STATE/standby" ] && return 0
  read -r name base < <(dh_base) || return 0
  [ "$DH_STATE/uploads/$name" = "$tarball" ] && [ "$base" = "$sha" ] || return 0
  dh_standby_drop
  tmp=$(mktemp -d "$DH_STATE/standby.tmp-XXXXXX") || return 1
  if ! tar -x --no-same-owner -f "$tarball" -C "$tmp"; then
    dh_standby_drop
    return 1
  fi
  # The tarball is still the base it was (same file state, else same checksum).
  read -r name base < <(dh_base) || base=
  if [ "$base" != "$sha" ]; then
    dh_standby_drop
    return 1
  fi
  chmod u=rwx,go=rx -- "$tmp" && mv -T -- "$tmp" "$DH_STATE/standby" || return 1
  st=$(dh_tree_state "$DH_STATE/standby") || return 1
  printf '%s %s\n' "$sha" "$st" >"$DH_STATE/standby.state.tmp" \
    && mv -f -- "$DH_STATE/standby.state.tmp" "$DH_STATE/standby.state"
  dh_say "standby copy of the base tarball ${tarball##*/} ready"
}
# dh_standby_start TARBALL SHA: makes the standby tree of the new base in the background, at low
# priority, so the step does not wait for it; the next incremental upload does (standby.lock).
# Only a tarball kept in uploads/ is a base (a local deployment has none).
dh_standby_start() {
  case $1 in "$DH_STATE/uploads/"*) ;; *) return 0 ;; esac
  # The lock is taken before the step returns and passes to the background job with fd 8.
  exec 8>>"$DH_STATE/standby.lock" && flock 8 || return 0
  set -m
  (
    set +m
    exec 9>&-
    trap '' HUP INT PIPE
    renice -n 10 -p "$BASHPID" >/dev/null 2>&1
    ionice -c 3 -p "$BASHPID" >/dev/null 2>&1
    dh_standby_make "$1" "$2"
  ) </dev/null >"$DH_STATE/standby.log" 2>&1 &
  set +m
  exec 8>&-
}
# dh_standby_apply DELTA DIR: turns the standby tree of the delta's base into the new release at DIR
# (an empty directory, replaced): the base's entries the delta does not copy are removed and the
# entries it ships are unpacked (the tarball rebuilt from the delta was checked first). Returns 1
# with the reason when there is no standby of that base or it changed since it was unpacked: the
# caller then unpacks the whole tarball.
dh_standby_apply() {
  local delta=$1 dir=$2 magic='' ver='' hlen='' kind sha a b llen=0 roff=-1 rlen=0 had='' want='' st n sb="$DH_STATE/standby"
  { read -r magic ver hlen && read -r kind sha _; } <"$delta" || return 1
  [[ "$magic $ver" == "deployhooks-delta 2" && $kind == base ]] || return 1
  hlen=$((10#$hlen))
  while read -r kind a b; do
    case $kind in
      L) llen=$((a + b)) ;;
      R) roff=$a rlen=$b ;;
    esac
  done < <(head -c "$hlen" -- "$delta" | tail -n +4)
  [ "$roff" -ge 0 ] || return 1
  exec 8>>"$DH_STATE/standby.lock" || return 1
  if ! flock -w 600 8; then
    dh_say "the standby copy of the base is still being made after 600 s: unpacking the whole artifact"
    exec 8>&-
    return 1
  fi
  read -r had want <"$DH_STATE/standby.state" 2>/dev/null
  if [ "$had" != "$sha" ] || [ ! -d "$sb" ]; then
    dh_say "no standby copy of the base on this host: unpacking the whole artifact"
    exec 8>&-
    return 1
  fi
  st=$(dh_tree_state "$sb") || st=
  if [ -z "$want" ] || [ "$st" != "$want" ]; then
    dh_say "the standby copy of the base changed on this host since it was unpacked: it is not used; unpacking the whole artifact"
    dh_standby_drop
    exec 8>&-
    return 1
  fi
  rm -f -- "$DH_STATE/standby.state"
  n=$(tail -c "+$((hlen + roff + 1))" -- "$delta" | head -c "$rlen" | tr -cd '\0' | wc -c)
  # The removed entries: paths relative to the tree, never absolute, never through `..`.
  if tail -c "+$((hlen + roff + 1))" -- "$delta" | head -c "$rlen" | grep -qzE '^/|(^|/)\.\.(/|$)'; then
    dh_standby_drop
    exec 8>&-
    dh_fail 65 "$delta names a path outside the release"
  fi
  if ! (cd -- "$sb" && tail -c "+$((hlen + roff + 1))" -- "$delta" | head -c "$rlen" | xargs -0 -r rm -rf --) \
    || ! tail -c "+$((hlen + 1))" -- "$delta" | head -c "$llen" | tar -x --no-same-owner -C "$sb"; then
    dh_standby_drop
    exec 8>&-
    dh_say "cannot update the standby copy of the base with $delta: unpacking the whole artifact"
    return 1
  fi
  # Directories get the archive's mtime, as unpacking the whole artifact gives them.
  find "$sb" -mindepth 1 -type d -newermt '@946684800' -exec touch -h -d '@946684800' -- {} +
  if ! rmdir -- "$dir" || ! mv -T -- "$sb" "$dir"; then
    dh_standby_drop
    exec 8>&-
    dh_fail 73 "cannot move the standby copy of the base to $dir"
  fi
  exec 8>&-
  printf '::deployhooks::standby release=%s removed=%s\n' "$DH_RELEASE" "$n"
}
