# shellcheck shell=bash
# deployhooks host library: the activation detached from its step's channel: dh_detached, dh_commit (render/activate.ts).
dh_waiter_here() {
  dh_stat "$DH_WAITER" && [ "${dh_statf[1]:-}" = "$DH_WAITER_PPID" ] && [ "${dh_statf[0]:-}" != Z ]
}
dh_commit() {
  local i
  printf '%s\n' "$1" >"$DH_STATE/activation.result.tmp" && mv -f -- "$DH_STATE/activation.result.tmp" "$DH_STATE/activation.result"
  for ((i = 0; i < 3000; i++)); do
    [ -f "$DH_STATE/activation.ack" ] && return 0
    if ! dh_waiter_here; then
      sleep 0.3
      [ -f "$DH_STATE/activation.ack" ] && return 0
      return 1
    fi
    sleep 0.02
  done
  return 1
}
# The detached activation ended (exit, dh_fail) without publishing a result: publish its status.
dh_on_exit() {
  [ -f "$DH_STATE/activation.result" ] || printf '%s\n' "$1" >"$DH_STATE/activation.result"
}
dh_detached() {
  local bg code=1
  rm -f -- "$DH_STATE/activation.result" "$DH_STATE/activation.ack"
  : >"$DH_STATE/activation.out" || dh_fail 73 "cannot write $DH_STATE/activation.out"
  DH_WAITER=$$
  dh_stat "$$" || dh_statf=()
  DH_WAITER_PPID=${dh_statf[1]:-}
  set -m
  (
    set +m
    trap '' HUP INT PIPE
    trap 'dh_on_exit "$?"' EXIT
    "$1"
  ) </dev/null >>"$DH_STATE/activation.out" 2>&1 &
  bg=$!
  set +m
  while [ ! -f "$DH_STATE/activation.result" ] && kill -0 "$bg" 2>/dev/null; do
    sleep 0.02
  done
  [ -f "$DH_STATE/activation.result" ] && read -r code <"$DH_STATE/activation.result"
  cat -- "$DH_STATE/activation.out" || exit 1
  [[ $code =~ ^[0-9]+$ ]] || code=1
  : >"$DH_STATE/activation.ack"
  exit "$code"
}
