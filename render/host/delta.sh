# shellcheck shell=bash
# deployhooks host library: incremental upload on the host: the base tarball and dh_apply_delta (render/delta.ts).
# sha256 hex of a file: openssl when present (it uses the CPU's SHA instructions: 4x coreutils here).
dh_sha256() {
  local out=
  if command -v openssl >/dev/null 2>&1; then
    out=$(openssl dgst -sha256 -r "$1" 2>/dev/null) || out=
    out=${out%% *}
  fi
  if [[ ! $out =~ ^[0-9a-f]{64}$ ]]; then
    out=$(sha256sum -- "$1") || return 1
    out=${out%% *}
  fi
  printf '%s\n' "$out"
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
dh_apply_delta() {
  local delta=$1 out=$2 magic='' ver='' hlen='' kind a b base name sha tmp
  { read -r magic ver hlen && read -r kind sha _; } <"$delta" || dh_fail 74 "cannot read $delta"
  [[ "$magic $ver" == "deployhooks-delta 2" && $kind == base ]] || dh_fail 65 "$delta is not a deployhooks delta"
  hlen=$((10#$hlen))
  read -r name base < <(dh_base) || true
  [[ -n ${base:-} && $base == "$sha" ]] \
    || dh_fail 66 "the base of the incremental upload $delta (sha256:$sha) is no longer on this host or changed; run pulumi up --replace on this host's probe step to send the full artifact"
  base="$DH_STATE/uploads/$name"
  tmp="$out.tmp-$$"
  : >"$tmp" || dh_fail 73 "cannot write $tmp"
  while read -r kind a b; do
    case $kind in
      C) dd if="$base" iflag=skip_bytes,count_bytes skip="$a" count="$b" bs=1M status=none ;;
      L) dd if="$delta" iflag=skip_bytes,count_bytes skip="$((hlen + a))" count="$b" bs=1M status=none ;;
      *) continue ;;
    esac >>"$tmp" 2>"$tmp.err" || {
      a=$(head -c 500 -- "$tmp.err")
      rm -f -- "$tmp" "$tmp.err"
      case $a in *"No space left on device"*) dh_fail 73 "no space left on device while rebuilding $out from $delta" ;; esac
      dh_fail 74 "cannot rebuild $out from $delta: $a"
    }
  done < <(head -c "$hlen" -- "$delta" | tail -n +4)
  rm -f -- "$tmp.err"
  mv -f -- "$tmp" "$out" || dh_fail 73 "cannot rename $tmp to $out"
  printf '::deployhooks::delta applied=%s\n' "${delta##*/}"
}
