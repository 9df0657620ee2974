# shellcheck shell=bash
# deployhooks host library: the upload step: tarball checks, unpack, retention (render/upload.ts).
dh_upload() {
  local tarball=$1 want=$2 got tmp d spid trc src need avail err status=unpacked delta='' standby=''
  dh_release_status 1
  case $DH_RS in
    reused | present)
      # A kept release: nothing to unpack, the tarball is not needed (a remote host got none).
      [ "$DH_RS" = reused ] && touch -- "$DH_STATE/releases/$DH_RELEASE.ok" && dh_say "reused release $DH_RELEASE: $DH_RS_WHY; nothing to upload or unpack"
      dh_drop_upload "$tarball" kept
      printf '::deployhooks::upload release=%s status=%s\n' "$DH_RELEASE" "$DH_RS"
      return 0
      ;;
    rebuild)
      dh_say "$DH_RS_WHY: rebuilding it from the artifact"
      status=rebuilt
      ;;
  esac
  # The base, the uploads and the standby copy are this step's (and then its background job's).
  dh_base_lock
  dh_prune_failed
  # An incremental upload: the delta and the kept base give the new release (render/delta.ts);
  # the delta is checked against its own checksum and its base against the kept one first.
  if [ ! -f "$tarball" ] && [ -f "${tarball%.tar}.delta" ]; then
    delta=${tarball%.tar}.delta
    dh_delta_open "$delta"
    [ "$DH_DELTA_TARGET" = "${tarball##*/}" ] \
      || dh_fail 65 "upload of release $DH_RELEASE: $delta makes the tarball $DH_DELTA_TARGET, not this artifact (${tarball##*/}); run pulumi up --replace on this host's probe step to send the full artifact"
    dh_standby_walk_start
    dh_delta_check "$delta"
  fi
  [ -f "$tarball" ] || [ -n "$delta" ] || dh_fail 66 "upload of release $DH_RELEASE: tarball $tarball not found (was it copied to the host? if the release was pruned or changed on the host after the probe step found it kept, set a new redeployToken and run pulumi up again)"
  [ "$DH_RS" = rebuild ] && dh_remove_release "$DH_RELEASE" >/dev/null
  for d in "$DH_REL" "$DH_REL".tmp-*; do
    [ -e "$d" ] || [ -L "$d" ] || continue
    dh_say "removing leftover $d of an interrupted upload"
    chmod -R u+w -- "$d" 2>/dev/null
    rm -rf -- "$d" || dh_fail 73 "cannot remove $d"
  done
  # Room for the unpacked tree (about the tarball's size) before writing anything.
  if [ -n "$delta" ]; then need=$DH_DELTA_SIZE; else need=$(stat -c %s -- "$tarball") || dh_fail 74 "cannot read $tarball"; fi
  avail=$(df -Pk -- "$DH_APP/releases" 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [[ $avail =~ ^[0-9]+$ ]] && [ $((avail * 1024)) -lt "$need" ]; then
    dh_fail 73 "no space left on device: unpacking release $DH_RELEASE ($tarball, $((need / 1048576)) MiB) into $DH_APP/releases needs about $((need / 1048576)) MiB, only $((avail / 1024)) MiB are free"
  fi
  tmp=$(mktemp -d "$DH_REL.tmp-XXXXXX") || dh_fail 73 "cannot create a directory under $DH_APP/releases (no space left or not writable)"
  # Incremental: the standby copy of the base (standby.sh) becomes the release with only the
  # delta's entries changed; without one, the new tarball is written, then checked against the
  # artifact's sha256 while it is unpacked, as a full upload is.
  if [ -n "$delta" ]; then
    if dh_standby_apply "$delta" "$tmp"; then
      standby=1
    else
      dh_apply_delta "$delta" "$tarball"
    fi
  fi
  if [ -z "$standby" ]; then
    # The checksum is computed while tar unpacks (both read the file once, in parallel); nothing is
    # renamed into place before it matched.
    dh_sha256 "$tarball" >"$tmp.sha256" 2>&1 &
    spid=$!
    tar -x --no-same-owner -f "$tarball" -C "$tmp" 2>"$tmp.err"
    trc=$?
    wait "$spid"
    src=$?
    got=$(cat -- "$tmp.sha256" 2>/dev/null)
    err=$(head -c 2000 -- "$tmp.err" 2>/dev/null)
    rm -f -- "$tmp.sha256" "$tmp.err"
    got=${got%% *}
    if [ "$trc" -ne 0 ] || [ "$src" -ne 0 ] || [ "$got" != "$want" ]; then
      chmod -R u+w -- "$tmp" 2>/dev/null
      rm -rf -- "$tmp"
      case "$err$got" in
        *"No space left on device"*) dh_fail 73 "no space left on device while unpacking $tarball into $DH_APP/releases (release $DH_RELEASE); free space on that file system or lower keepReleases" ;;
      esac
      [ "$src" -eq 0 ] || dh_fail 74 "cannot read $tarball: $got"
      [ "$got" = "$want" ] || dh_fail 65 "upload of release $DH_RELEASE: checksum mismatch for $tarball: expected sha256:$want, got sha256:$got"
      dh_fail 74 "cannot unpack $tarball: $err"
    fi
  fi
  chmod u=rwx,go=rx -- "$tmp"
  mv -T -- "$tmp" "$DH_REL" || dh_fail 73 "cannot rename $tmp to $DH_REL"
  printf 'sha256:%s\n' "$want" >"$DH_STATE/releases/$DH_RELEASE.ok" || dh_fail 73 "cannot write the release marker $DH_STATE/releases/$DH_RELEASE.ok (no space left?)"
  [ -z "$delta" ] || printf '::deployhooks::delta applied=%s\n' "${delta##*/}"
  if [ -n "$standby" ]; then
    # The new tarball is written, checked and kept as the next base in the background.
    dh_standby_start "$tarball" "$want" "$delta"
  else
    dh_drop_upload "$tarball" unpacked
    dh_record_base "$tarball" "$want"
    dh_standby_start "$tarball" "$want"
  fi
  printf '::deployhooks::upload release=%s status=%s\n' "$DH_RELEASE" "$status"
}
# uploads/ keeps only the last unpacked tarball (a build-only change unpacks it again without a
# new copy); the placeholder a re-activation got instead of the tarball (<name>.kept) is removed.
dh_drop_upload() {
  local f
  case $1 in "$DH_STATE/uploads/"*) ;; *) return 0 ;; esac
  rm -f -- "${1%.tar}.kept"
  [ "$2" = unpacked ] || return 0
  for f in "$DH_STATE/uploads/"*; do
    [ "$f" = "$1" ] || rm -f -- "$f"
  done
}
