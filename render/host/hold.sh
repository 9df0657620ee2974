# shellcheck shell=bash
# deployhooks host library: holding requests while a request-blocking hook runs (render/proxyHold.ts).
dh_px_watchdog() {
  local h
  h=$(cat -- "$DH_PX/hold")
  set -m
  (
    set +m
    trap '' HUP INT
    free=0
    start=$SECONDS
    idle=20
    [ "$DH_HOLD" -lt "$idle" ] && idle=$DH_HOLD
    while sleep 1; do
      [ "$(cat -- "$DH_PX/hold" 2>/dev/null)" = "$h" ] || exit 0
      if flock -n "$DH_STATE/lock" true; then free=$((free + 1)); else free=0; fi
      ((free >= idle && SECONDS - start >= DH_HOLD)) || continue
      exec 9>>"$DH_STATE/lock"
      flock -n 9 || continue
      [ "$(cat -- "$DH_PX/hold" 2>/dev/null)" = "$h" ] || exit 0
      read -r _ slot _ <<<"$h"
      dh_px_route $((1 - slot))
      rm -f -- "$DH_PX/hold"
      dh_say "hold of release $DH_RELEASE abandoned (no activation took it over): routed back to the previous app"
      exit 0
    done
  ) </dev/null >>"$DH_APP/logs/proxy.log" 2>&1 9>&- &
  set +m
}
dh_px_hold() {
  local live new h_rel='' h_slot=''
  dh_px_ensure
  live=$(dh_px_live)
  if [ -f "$DH_PX/hold" ]; then
    read -r h_rel h_slot _ <"$DH_PX/hold"
    if [ "$h_rel" = "$DH_RELEASE" ] && [ "$h_slot" = "$live" ]; then
      printf '::deployhooks::hold release=%s slot=%s port=%s status=kept\n' "$DH_RELEASE" "$live" "${DH_PORTS[$live]}"
      return 0
    fi
  fi
  new=$((1 - live))
  DH_PIDFILE="$DH_STATE/slot-$new.pid" dh_stop_app
  dh_px_free_slot "$new"
  printf '%s %s %(%s)T\n' "$DH_RELEASE" "$new" -1 >"$DH_PX/hold" || dh_fail 73 "cannot write $DH_PX/hold"
  dh_px_route "$new"
  dh_px_drain "$live"
  printf '::deployhooks::hold release=%s slot=%s port=%s status=held\n' "$DH_RELEASE" "$new" "${DH_PORTS[$new]}"
  dh_say "requests now wait for the new app (at most $DH_HOLD s each); the old app no longer receives any"
  dh_px_watchdog
}
