# shellcheck shell=bash
# deployhooks host library: the outcome step's checks (render/outcome.ts).
dh_alive() {
  local pid=''
  if [ ! -f "$DH_PIDFILE" ]; then
    printf '::deployhooks::health status=ok check=none\n'
    return 0
  fi
  read -r pid _ <"$DH_PIDFILE"
  if [[ $pid =~ ^[0-9]+$ ]] && dh_group_alive "$pid"; then
    printf '::deployhooks::health status=ok check=process pid=%s\n' "$pid"
    return 0
  fi
  printf '::deployhooks::health status=failed check=process pid=%s\n' "$pid"
  dh_say "the app started by deployhooks (pid $pid) is not running; see $DH_APP/logs/app.log"
  return 1
}
# The supervised app (pid file) is dead: no need to wait for a health check.
dh_app_dead() {
  local pid=''
  [ -f "$DH_PIDFILE" ] || return 1
  read -r pid _ <"$DH_PIDFILE"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  dh_group_alive "$pid" && return 1
  # shellcheck disable=SC2034 # read by the outcome step's main part
  DH_DEAD_PID=$pid
  dh_app_tail
  printf '::deployhooks::health status=failed check=process pid=%s\n' "$pid"
  return 0
}
# The activation behind the proxy found the new app unhealthy: nothing was switched.
dh_new_failed() {
  local r=''
  [ -f "$DH_STATE/activation.failed" ] || return 1
  read -r r <"$DH_STATE/activation.failed"
  [ "$r" = "$DH_RELEASE" ]
}
# A rerun of the outcome step after this release was rolled back must not judge the old app.
dh_check_rolled_back() {
  local from='' to=''
  [ -f "$DH_STATE/rolled-back" ] || return 0
  read -r from to <"$DH_STATE/rolled-back"
  [ "$from" = "$DH_RELEASE" ] || return 0
  [ "$(readlink -- "$DH_APP/current")" = "releases/$DH_RELEASE" ] && return 0
  dh_fail 1 "release $DH_RELEASE failed to start and was rolled back: current points to releases/$to; to retry, deploy a change or set a new redeployToken (a new activation)"
}
