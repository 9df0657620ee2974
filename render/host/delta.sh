# shellcheck shell=bash
# deployhooks host library: incremental upload on the host: the base tarball, its lock, and the delta (render/delta.ts).
# dh_sha256 FILE|-: sha256 hex; openssl when present (the CPU's SHA instructions: 4x coreutils here).
dh_sha256() {
  local out
  if command -v openssl >/dev/null 2>&1; then
    if [ "$1" = - ]; then out=$(openssl dgst -sha256 -r); else out=$(openssl dgst -sha256 -r "$1"); fi
  else
    out=$(sha256sum -- "$1")
  fi 2>/dev/null || return 1
  out=${out%% *}
  [[ $out =~ ^[0-9a-f]{64}$ ]] || return 1
  printf '%s\n' "$out"
}
# The base, the uploads and the standby copy belong to whoever holds standby.lock (fd 8): an
# upload step, then the background job it starts (standby.sh).
dh_base_lock() {
  exec 8>>"$DH_STATE/standby.lock" || dh_fail 73 "cannot open $DH_STATE/standby.lock"
  flock -n 8 && return 0
  dh_say "waiting for the previous upload's background job on this host (it prepares the base of incremental uploads: $DH_STATE/standby.log)" >&2
  flock -w 600 8 || dh_fail 75 "the previous upload of app $DH_APP_NAME is still preparing its base after 600 s ($DH_STATE/standby.log); retry when it has finished"
}
# The probe waits for a background job of the previous upload before it reads the base.
dh_base_settled() {
  dh_base_lock
  exec 8>&-
  dh_base
}
dh_file_state() { find "$1" -maxdepth 0 -printf '%s %i %T@ %C@'; }
dh_record_base() {
  case $1 in "$DH_STATE/uploads/"*) ;; *) return 0 ;; esac
  printf '%s %s %s\n' "${1##*/}" "$2" "$(dh_file_state "$1")" >"$DH_STATE/base.state" || rm -f -- "$DH_STATE/base.state"
}
dh_base() {
  local name='' sha='' st='' f got
  [ -f "$DH_STATE/base.state" ] || return 1
  read -r name sha st <"$DH_STATE/base.state" || return 1
  f="$DH_STATE/uploads/$name"
  [ -n "$name" ] && [ -f "$f" ] || return 1
  if [ "$(dh_file_state "$f")" != "$st" ]; then
    got=$(dh_sha256 "$f") || return 1
    if [ "$got" != "$sha" ]; then
      rm -f -- "$DH_STATE/base.state"
      dh_say "the kept tarball $f changed on this host (checksum mismatch): it is not used as the base of an incremental upload" >&2
      return 1
    fi
    dh_record_base "$f" "$sha"
  fi
  printf '%s %s\n' "$name" "$sha"
}
# dh_delta_open DELTA: checks the delta's format and that its base is the kept base; sets
# DH_DELTA_HLEN (header bytes), DH_DELTA_SUM (the checksum of the bytes after its first line),
# DH_DELTA_BASE (the base tarball), DH_DELTA_TARGET (the new tarball's file name) and
# DH_DELTA_SIZE (its size).
dh_delta_open() {
  local delta=$1 magic='' ver='' hlen='' dsum='' kind sha name base t tsha tsize
  { read -r magic ver hlen dsum && read -r kind sha _ && read -r t tsha tsize; } <"$delta" || dh_fail 74 "cannot read $delta"
  [[ "$magic $ver" == "deployhooks-delta 3" && $hlen =~ ^[0-9]{12}$ && $dsum =~ ^[0-9a-f]{64}$ && $kind == base && $t == target && $tsize =~ ^[0-9]+$ ]] || dh_fail 65 "$delta is not a deployhooks delta"
  read -r name base < <(dh_base) || true
  [[ -n ${base:-} && $base == "$sha" ]] \
    || dh_fail 66 "the base of the incremental upload $delta (sha256:$sha) is no longer on this host or changed; run pulumi up --replace on this host's probe step to send the full artifact"
  # shellcheck disable=SC2034 # DH_DELTA_TARGET and DH_DELTA_SIZE are read by dh_upload
  DH_DELTA_HLEN=$((10#$hlen)) DH_DELTA_SUM=$dsum DH_DELTA_BASE="$DH_STATE/uploads/$name" DH_DELTA_TARGET=$tsha DH_DELTA_SIZE=$tsize
}
# dh_delta_stream DELTA: the new tarball's bytes on stdout (copy ranges of the base, ranges of the
# shipped bytes); after dh_delta_open.
dh_delta_stream() {
  local delta=$1 kind a b
  while read -r kind a b; do
    case $kind in
      C) dd if="$DH_DELTA_BASE" iflag=skip_bytes,count_bytes skip="$a" count="$b" bs=1M status=none || return 1 ;;
      L) dd if="$delta" iflag=skip_bytes,count_bytes skip="$((DH_DELTA_HLEN + a))" count="$b" bs=1M status=none || return 1 ;;
    esac
  done < <(head -c "$DH_DELTA_HLEN" -- "$delta" | tail -n +4)
}
# dh_delta_check DELTA: the delta is the one that was made (its bytes after the first line have
# the checksum that line records); after dh_delta_open.
dh_delta_check() {
  local got first
  first=$(head -n 1 -- "$1" | wc -c) || first=0
  got=$(set -o pipefail && tail -c "+$((first + 1))" -- "$1" | dh_sha256 -) || got=
  [ "$got" = "$DH_DELTA_SUM" ] \
    || dh_fail 65 "upload of release $DH_RELEASE: $1 is damaged (its content has sha256:${got:-unreadable}, not the sha256:$DH_DELTA_SUM it was made with); run pulumi up --replace on this host's probe step to send the full artifact"
}
# dh_apply_delta DELTA OUT: writes the new tarball; after dh_delta_open.
dh_apply_delta() {
  local delta=$1 out=$2 tmp err
  tmp="$out.tmp-$$"
  if ! dh_delta_stream "$delta" >"$tmp" 2>"$tmp.err"; then
    err=$(head -c 500 -- "$tmp.err")
    rm -f -- "$tmp" "$tmp.err"
    case $err in *"No space left on device"*) dh_fail 73 "no space left on device while rebuilding $out from $delta" ;; esac
    dh_fail 74 "cannot rebuild $out from $delta: $err"
  fi
  rm -f -- "$tmp.err"
  mv -f -- "$tmp" "$out" || dh_fail 73 "cannot rename $tmp to $out"
}
