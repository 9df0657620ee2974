# shellcheck shell=bash
# deployhooks host library: messages, failure, layout, lock, release checks, redaction.
# Sourced by every step program after its header (DH_STEP, DH_APP, DH_APP_NAME, DH_STATE,
# DH_RELEASE, DH_REL, DH_LOCK_WAIT, DH_TAIL_LINES, DH_TAIL_WIDTH); defines functions only,
# plus the (empty) secrets table that dh_read_secrets fills.
declare -A dh_secrets=()

# Clock readings with bash builtins (bash ≥ 5: EPOCHREALTIME), else date: a step reads the clock
# about five times, and a date process costs 1-3 ms each.
# dh_now: UTC time with milliseconds, ISO 8601.
dh_now() {
  local us=${EPOCHREALTIME:-}
  us=${us//[!0-9]/}
  if [ "${#us}" -gt 6 ]; then
    TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ\n' "${us:0:-6}" "${us: -6:3}"
  else
    date -u +%Y-%m-%dT%H:%M:%S.%3NZ
  fi
}
# dh_epoch_ms: milliseconds since the epoch.
dh_epoch_ms() {
  local us=${EPOCHREALTIME:-}
  us=${us//[!0-9]/}
  if [ "${#us}" -gt 6 ]; then printf '%s\n' "${us:0:-3}"; else date +%s%3N; fi
}
dh_say() { printf 'deployhooks: %s\n' "$*"; }
dh_fail() {
  local code=$1
  shift
  printf '::deployhooks::error step=%s exit=%s\n' "$DH_STEP" "$code"
  dh_say "$*"
  exit "$code"
}
dh_prepare() {
  local d
  local -a dirs=("$DH_APP/releases" "$DH_APP/cache" "$DH_APP/shared" "$DH_APP/logs" "$DH_STATE/hooks"
    "$DH_STATE/tmp" "$DH_STATE/uploads" "$DH_STATE/releases" "$DH_STATE/triggers")
  # mkdir only when something is missing (one process less per step).
  for d in "${dirs[@]}"; do
    if [ ! -d "$d" ]; then
      mkdir -p -- "${dirs[@]}" || dh_fail 73 "cannot create the layout under $DH_APP"
      break
    fi
  done
  chmod go-rwx -- "$DH_STATE" "$DH_APP/logs" 2>/dev/null
  return 0
}
dh_lock() {
  exec 9>>"$DH_STATE/lock" || dh_fail 73 "cannot open the lock file $DH_STATE/lock"
  DH_WAITED_FOR_LOCK=0
  flock -n 9 && return 0
  DH_WAITED_FOR_LOCK=1
  flock -w "$DH_LOCK_WAIT" 9 || dh_fail 75 "another step of app $DH_APP_NAME still holds $DH_STATE/lock after $DH_LOCK_WAIT s (a concurrent deployment, or a stuck hook); retry when it has finished"
}
# dh_claim: one deployment at a time per app (render/README.md §3a). Under the lock, the step
# claims the app for its deployment ($DH_DEPLOYMENT) in $DH_STATE/deployment:
#   <deployment> <epoch of its last step start> <superseded deployment|-> <epoch it was superseded|0>
# Another deployment whose step held the lock when this step arrived (this step had to wait) is in
# progress: this one supersedes it, and its next step fails (exit 76) instead of running. Without
# that evidence of concurrency the claim is simply taken (a finished, crashed or reverted one).
dh_claim() {
  local f="$DH_STATE/deployment" id=- last=0 sup=- at=0 now
  [ -n "${DH_DEPLOYMENT:-}" ] || return 0
  printf -v now '%(%s)T' -1
  if [ -f "$f" ]; then read -r id last sup at _ <"$f" || true; fi
  [[ $last =~ ^[0-9]+$ ]] || last=0
  [[ $at =~ ^[0-9]+$ ]] || at=0
  if [ "$id" != "$DH_DEPLOYMENT" ]; then
    if [ "$sup" = "$DH_DEPLOYMENT" ] && [ $((now - at)) -lt "$DH_CLAIM_WINDOW" ]; then
      printf '::deployhooks::superseded deployment=%s by=%s\n' "$DH_DEPLOYMENT" "$id"
      dh_fail 76 "superseded by deployment $id: another deployment of app $DH_APP_NAME started on this host $((now - at)) s ago, so this deployment ($DH_DEPLOYMENT) stops before this step; the host runs deployment $id. To make this configuration current, deploy it again once the other one has finished (a rerun within $DH_CLAIM_WINDOW s of being superseded stops here too)"
    fi
    if [ "$id" != - ] && [ "$DH_WAITED_FOR_LOCK" = 1 ]; then
      sup=$id
      at=$now
      printf '::deployhooks::supersede deployment=%s previous=%s\n' "$DH_DEPLOYMENT" "$id"
      dh_say "deployment $DH_DEPLOYMENT supersedes deployment $id of app $DH_APP_NAME, still in progress on this host; its remaining steps will stop"
    else
      sup=-
      at=0
    fi
  fi
  if ! { printf '%s %s %s %s\n' "$DH_DEPLOYMENT" "$now" "$sup" "$at" >"$f.tmp" && mv -f -- "$f.tmp" "$f"; }; then
    dh_fail 73 "cannot write $f"
  fi
}
# dh_begin: the step's start marker (its time, in ms since the epoch on this host, lets the
# component tell the steps that ran in this `pulumi up` from outputs kept from earlier runs).
dh_begin() {
  printf '::deployhooks::step name=%s release=%s at=%s\n' "$DH_STEP" "$DH_RELEASE" "$(dh_epoch_ms)"
}
dh_release_ok() { [ -f "$DH_STATE/releases/$DH_RELEASE.ok" ] && [ -d "$DH_REL" ]; }
dh_require_release() {
  dh_release_ok || dh_fail 66 "release $DH_RELEASE is not complete on this host ($DH_REL); the upload step must run first"
}
dh_require_current() {
  [ -d "$DH_APP/current" ] || dh_fail 66 "$DH_APP/current does not exist yet; the activate step must run first"
  local now
  now=$(readlink -- "$DH_APP/current")
  [ "$now" = "releases/$DH_RELEASE" ] || dh_say "note: current points to $now, not to release $DH_RELEASE"
  return 0
}

# dh_redact TEXT: sets dh_redacted to TEXT with every secret value replaced by [redacted:NAME].
# A multi-line secret is also replaced line by line (each of its lines of 4 characters or more),
# so a line cut off from the rest of the secret is still hidden. Values are never command
# arguments, and no subshell is started.
dh_redact() {
  local n v part
  dh_redacted=$1
  for n in "${!dh_secrets[@]}"; do
    v=${dh_secrets[$n]}
    [ -n "$v" ] || continue
    dh_redacted=${dh_redacted//"$v"/[redacted:$n]}
    if [[ $v == *$'\n'* ]]; then
      while IFS= read -r part; do
        [ "${#part}" -ge 4 ] && dh_redacted=${dh_redacted//"$part"/[redacted:$n]}
      done <<<"$v"
    fi
  done
  return 0
}
# dh_emit_line LINE: one output line: redacted, then cut to DH_TAIL_WIDTH, prefixed "| ".
dh_emit_line() {
  dh_redact "$1"
  printf '| %s\n' "${dh_redacted:0:$DH_TAIL_WIDTH}"
}
# dh_emit_lines: dh_emit_line for every line of stdin.
dh_emit_lines() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    dh_emit_line "$line"
  done
}
# dh_tail FILE: the last DH_TAIL_LINES lines of FILE, redacted and cut.
dh_tail() {
  [ "$DH_TAIL_LINES" -gt 0 ] || return 0
  tail -n "$DH_TAIL_LINES" -- "$1" 2>/dev/null | dh_emit_lines
}
