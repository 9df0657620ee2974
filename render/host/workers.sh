# shellcheck shell=bash
# deployhooks host library: supervised workers: dh_restart_worker (render/activate.ts).
dh_restart_worker() {
  local pid
  DH_PIDFILE="$DH_STATE/worker-$1.pid" dh_stop_app
  (
    cd -- "$DH_APP/current" || exit 1
    dh_env
    exec setsid nohup bash --norc -c "$2" "deployhooks-worker-$1"
  ) </dev/null >>"$DH_APP/logs/worker-$1.log" 2>&1 9>&- &
  pid=$!
  disown "$pid" 2>/dev/null
  dh_await_session "$pid"
  dh_stat "$pid" || dh_statf=()
  printf '%s %s %s\n' "$pid" "${dh_statf[19]:-}" "$DH_ACTIVATION" >"$DH_STATE/worker-$1.pid" || dh_fail 73 "cannot write $DH_STATE/worker-$1.pid"
  printf '::deployhooks::worker name=%s pid=%s\n' "$1" "$pid"
}
