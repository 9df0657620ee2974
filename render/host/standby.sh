# shellcheck shell=bash
# deployhooks host library: the standby tree, an unpacked copy of the base tarball that an incremental upload turns into the new release (render/standby.ts).
# This boot of the host: the standby copy is never fsync-ed, so after a crash its recorded state
# proves nothing (its files' inodes and times may have reached the disk, their bytes not).
dh_boot_id() {
  local id=-
  [ -r /proc/sys/kernel/random/boot_id ] && read -r id </proc/sys/kernel/random/boot_id
  printf '%s\n' "${id:--}"
}
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
  local tarball=$1 sha=$2 name='' base='' had='' tmp st need avail
  read -r had _ <"$DH_STATE/standby.state" 2>/dev/null
  [ "$had" = "$sha" ] && [ -d "$DH_STATE/standby" ] && return 0
  read -r name base < <(dh_base) || return 0
  [ "$DH_STATE/uploads/$name" = "$tarball" ] && [ "$base" = "$sha" ] || return 0
  dh_standby_drop
  # Only with room to spare: the copy must never take the space the app and the next upload need.
  need=$(stat -c %s -- "$tarball") || return 1
  avail=$(df -Pk -- "$DH_STATE" 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [[ $avail =~ ^[0-9]+$ ]] && [ $((avail * 1024)) -lt $((3 * need)) ]; then
    dh_say "no standby copy of ${tarball##*/}: $((avail / 1024)) MiB free, less than 3 times its $((need / 1048576)) MiB; the next upload unpacks the whole artifact"
    return 0
  fi
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
  printf '%s %s %s\n' "$sha" "$st" "$(dh_boot_id)" >"$DH_STATE/standby.state.tmp" \
    && mv -f -- "$DH_STATE/standby.state.tmp" "$DH_STATE/standby.state"
  dh_say "standby copy of the base tarball ${tarball##*/} ready"
}
# dh_standby_after TARBALL SHA [DELTA]: with DELTA (the release came from the standby copy), first
# writes TARBALL from DELTA and the old base, checks it and makes it the base in their place
# (only those two files are removed: the next deployment may be copying its own meanwhile); then
# TARBALL is unpacked into the next standby copy. A TARBALL that does not have the artifact's
# sha256 means the delta did not describe the artifact: the release made from it is not kept
# (its marker is removed, so the next deployment of it sends the whole artifact) and no base is.
dh_standby_after() {
  local tarball=$1 sha=$2 delta=${3:-}
  if [ -n "$delta" ]; then
    dh_delta_open "$delta"
    dh_apply_delta "$delta" "$tarball"
    if [ "$(dh_sha256 "$tarball")" != "$sha" ]; then
      rm -f -- "$tarball" "$delta" "$DH_STATE/base.state" "$DH_STATE/releases/$DH_RELEASE.ok"
      dh_fail 65 "the tarball $tarball rebuilt from $delta does not have the artifact's sha256:$sha: release $DH_RELEASE is not kept (the next deployment of it sends the whole artifact) and no base is"
    fi
    dh_record_base "$tarball" "$sha"
    rm -f -- "$delta"
    [ "$DH_DELTA_BASE" = "$tarball" ] || rm -f -- "$DH_DELTA_BASE"
  fi
  dh_standby_make "$tarball" "$sha"
}
# dh_standby_start TARBALL SHA [DELTA]: runs dh_standby_after in the background, at low priority,
# with the caller's standby.lock (fd 8), so the step does not wait for it: the next upload and the
# next probe do. Only a tarball kept in uploads/ is a base (a local deployment has none).
dh_standby_start() {
  case $1 in "$DH_STATE/uploads/"*) ;; *)
    exec 8>&-
    return 0
    ;;
  esac
  set -m
  (
    set +m
    exec 9>&-
    trap '' HUP INT PIPE
    renice -n 10 -p "$BASHPID" >/dev/null 2>&1
    ionice -c 3 -p "$BASHPID" >/dev/null 2>&1
    dh_standby_after "$@"
  ) </dev/null >"$DH_STATE/standby.log" 2>&1 &
  set +m
  exec 8>&-
}
# dh_standby_walk_start: walks the standby copy (dh_tree_state) in the background, while the
# upload checks the delta's tarball; dh_standby_apply waits for it.
dh_standby_walk_start() {
  DH_STANDBY_WALK=
  rm -f -- "$DH_STATE/standby.walk"
  [ -f "$DH_STATE/standby.state" ] && [ -d "$DH_STATE/standby" ] || return 0
  dh_tree_state "$DH_STATE/standby" >"$DH_STATE/standby.walk" 2>/dev/null &
  DH_STANDBY_WALK=$!
}
# dh_standby_apply DELTA DIR: turns the standby copy of the delta's base into the new release at
# DIR (an empty directory, replaced): the base's entries the delta does not copy are removed and
# the entries it ships are unpacked. The caller holds standby.lock and checked the delta
# (dh_delta_open, dh_delta_check) after dh_standby_walk_start. Returns 1 with the reason when there is no standby copy of that
# base or it changed since it was unpacked: the caller then unpacks the whole tarball.
dh_standby_apply() {
  local delta=$1 dir=$2 kind sha a b llen=0 roff=-1 rlen=0 had='' want='' boot='' st n sb="$DH_STATE/standby"
  { read -r _ && read -r kind sha _; } <"$delta" || return 1
  while read -r kind a b; do
    case $kind in
      L) llen=$((a + b)) ;;
      R) roff=$a rlen=$b ;;
    esac
  done < <(head -c "$DH_DELTA_HLEN" -- "$delta" | tail -n +4)
  [ "$roff" -ge 0 ] || return 1
  read -r had want boot <"$DH_STATE/standby.state" 2>/dev/null
  # The walk dh_standby_walk_start began (none when there was no standby copy to walk).
  st=
  if [ -n "${DH_STANDBY_WALK:-}" ]; then
    wait "$DH_STANDBY_WALK" && read -r st <"$DH_STATE/standby.walk"
    rm -f -- "$DH_STATE/standby.walk"
  fi
  if [ "$had" != "$sha" ] || [ ! -d "$sb" ]; then
    dh_say "no standby copy of the base on this host: unpacking the whole artifact"
    return 1
  fi
  if [ "${boot:--}" = - ] || [ "$boot" != "$(dh_boot_id)" ]; then
    dh_say "the standby copy of the base was unpacked before this host restarted: it is not used; unpacking the whole artifact"
    dh_standby_drop
    return 1
  fi
  if [ -z "$want" ] || [ "$st" != "$want" ]; then
    dh_say "the standby copy of the base changed on this host since it was unpacked: it is not used; unpacking the whole artifact"
    dh_standby_drop
    return 1
  fi
  rm -f -- "$DH_STATE/standby.state"
  # The removed entries: paths relative to the tree, never absolute, never through `..`.
  if tail -c "+$((DH_DELTA_HLEN + roff + 1))" -- "$delta" | head -c "$rlen" | grep -qzE '^/|(^|/)\.\.(/|$)'; then
    dh_standby_drop
    dh_fail 65 "$delta names a path outside the release"
  fi
  n=$(tail -c "+$((DH_DELTA_HLEN + roff + 1))" -- "$delta" | head -c "$rlen" | tr -cd '\0' | wc -c)
  if ! (cd -- "$sb" && tail -c "+$((DH_DELTA_HLEN + roff + 1))" -- "$delta" | head -c "$rlen" | xargs -0 -r rm -rf --) \
    || ! tail -c "+$((DH_DELTA_HLEN + 1))" -- "$delta" | head -c "$llen" | tar -x --no-same-owner -C "$sb"; then
    dh_standby_drop
    dh_say "cannot update the standby copy of the base with $delta: unpacking the whole artifact"
    return 1
  fi
  # Directories get the archive's mtime, as unpacking the whole artifact gives them.
  find "$sb" -mindepth 1 -type d -newermt '@946684800' -exec touch -h -d '@946684800' -- {} +
  if ! rmdir -- "$dir" || ! mv -T -- "$sb" "$dir"; then
    dh_standby_drop
    dh_fail 73 "cannot move the standby copy of the base to $dir"
  fi
  printf '::deployhooks::standby release=%s removed=%s\n' "$DH_RELEASE" "$n"
}
