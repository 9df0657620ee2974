# shellcheck shell=bash
# deployhooks host library: the activation behind the front proxy: slots, candidate health, switch (render/activate.ts).
dh_px_start_slot() {
  local pid port=${DH_PORTS[$1]}
  (
    cd -- "$DH_REL" || exit 1
    dh_env_rel
    export PORT="$port"
    exec setsid nohup bash --norc -c "$DH_START_CMD" deployhooks-app
  ) </dev/null >>"$DH_APP/logs/app.log" 2>&1 9>&- &
  pid=$!
  disown "$pid" 2>/dev/null
  dh_await_session "$pid"
  dh_stat "$pid" || dh_statf=()
  printf '%s %s %s %s\n' "$pid" "${dh_statf[19]:-}" "$DH_ACTIVATION" "$DH_RELEASE" >"$DH_STATE/slot-$1.pid" || dh_fail 73 "cannot write $DH_STATE/slot-$1.pid"
  printf '::deployhooks::started pid=%s slot=%s port=%s\n' "$pid" "$1" "$port"
}
# dh_px_slot_healthy SLOT: the new app answers its health check on its private port.
dh_px_slot_healthy() {
  local pid='' port=${DH_PORTS[$1]} code=000 deadline attempts=0
  read -r pid _ <"$DH_STATE/slot-$1.pid"
  deadline=$((SECONDS + DH_HEALTH_TIMEOUT))
  while :; do
    if ! dh_group_alive "$pid"; then
      dh_app_tail
      printf '::deployhooks::candidate status=failed check=process pid=%s port=%s\n' "$pid" "$port"
      DH_WHY="the new app (process group $pid) exited before it answered on its private port $port; see $DH_APP/logs/app.log"
      dh_say "$DH_WHY"
      return 1
    fi
    attempts=$((attempts + 1))
    code=$(dh_http_status "$port" "$DH_HEALTH_PATH" auto)
    if [[ $code =~ ^[23][0-9][0-9]$ ]]; then
      printf '::deployhooks::candidate status=ok code=%s port=%s attempts=%s\n' "$code" "$port" "$attempts"
      return 0
    fi
    [ "$SECONDS" -ge "$deadline" ] && break
    # Most apps answer within a few tenths of a second: look often at first.
    if ((attempts < 20)); then sleep 0.02; else sleep 0.1; fi
  done
  dh_app_tail
  printf '::deployhooks::candidate status=failed code=%s port=%s attempts=%s\n' "$code" "$port" "$attempts"
  DH_WHY="the new app did not answer http://127.0.0.1:$port$DH_HEALTH_PATH within $DH_HEALTH_TIMEOUT s with 2xx/3xx (last status $code)"
  dh_say "$DH_WHY"
  return 1
}
dh_px_activation() {
  local live new old held=0 h_rel='' h_slot='' prev
  dh_px_ensure
  rm -f -- "$DH_STATE/activation.failed"
  live=$(dh_px_live)
  new=$((1 - live))
  if [ -f "$DH_PX/hold" ]; then
    read -r h_rel h_slot _ <"$DH_PX/hold"
    if [ "$h_rel" = "$DH_RELEASE" ] && [ "$h_slot" = "$live" ]; then
      held=1
      new=$live
    fi
  fi
  old=$((1 - new))
  # Requests are held only while a request-blocking hook ran (the hold step); any other activation
  # (a runtime-only change, a redeploy, a host without the hold) goes blue/green: no wait at all.
  [ "$held" = 1 ] || DH_MODE=blueGreen
  DH_PIDFILE="$DH_STATE/slot-$new.pid" dh_stop_app
  [ "$held" = 1 ] || dh_px_free_slot "$new"
  if dh_px_start_slot "$new" && dh_px_slot_healthy "$new"; then
    [ "$DH_MODE" = blueGreen ] && dh_px_route "$new"
    prev=$(readlink -- "$DH_APP/current" 2>/dev/null) || prev=
    dh_switch
    dh_restart_workers
    cp -f -- "$DH_STATE/slot-$new.pid" "$DH_PIDFILE"
    printf '%s\n' "$new" >"$DH_PX/slot"
    rm -f -- "$DH_PX/hold"
    if dh_commit 0; then
      [ "$DH_MODE" = blueGreen ] && dh_px_drain "$old"
      DH_PIDFILE="$DH_STATE/slot-$old.pid" dh_stop_app
      [ "$DH_DEFER" = 1 ] || dh_promote
      dh_prune "$DH_KEEP"
    else
      dh_say "the step's channel was lost before it read the result: back to the previous app"
      dh_px_route "$old"
      DH_PIDFILE="$DH_STATE/slot-$new.pid" dh_stop_app
      if [ -n "$prev" ]; then dh_link "${prev#releases/}"; fi
      [ -f "$DH_STATE/slot-$old.pid" ] && cp -f -- "$DH_STATE/slot-$old.pid" "$DH_PIDFILE"
      printf '%s\n' "$old" >"$DH_PX/slot"
      printf '%s %s\n' "$DH_RELEASE" "${prev#releases/}" >"$DH_STATE/rolled-back"
    fi
    return 0
  fi
  DH_PIDFILE="$DH_STATE/slot-$new.pid" dh_stop_app
  [ "$DH_MODE" = hold ] && dh_px_route "$old"
  rm -f -- "$DH_PX/hold"
  printf '%s\n%s\n' "$DH_RELEASE" "${DH_WHY:-the new app did not start}" >"$DH_STATE/activation.failed"
  if [ "$DH_DEFER" = 1 ]; then
    printf '::deployhooks::startFailed pid=\n'
    dh_say "the new app did not become healthy; traffic stays on the previous app; the outcome step reports the failure and runs runFailed"
    dh_commit 0
    return 0
  fi
  dh_say "the new app did not become healthy; traffic stays on the previous app"
  printf '::deployhooks::error step=%s exit=1\n' "$DH_STEP"
  dh_commit 1
  return 0
}
