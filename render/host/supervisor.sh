# shellcheck shell=bash
# deployhooks host library: the built-in supervisor: process groups, current switch, stop, start, rollback (render/activate.ts).
dh_stat() {
  local s
  { IFS= read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
  s=${s##*) }
  read -r -a dh_statf <<<"$s"
}
dh_group_alive() {
  local f p
  for f in /proc/[0-9]*; do
    p=${f#/proc/}
    dh_stat "$p" || continue
    [ "${dh_statf[2]:-}" = "$1" ] && [ "${dh_statf[0]:-}" != Z ] && return 0
  done
  return 1
}
# dh_await_session PID: waits until PID (forked to exec setsid) leads its own process group, so
# that dh_group_alive and a group kill see it; returns 1 when it died first. Checking the group
# right after the fork saw no member under load and took a starting app for a dead one.
dh_await_session() {
  local i
  for ((i = 0; i < 2000; i++)); do
    dh_stat "$1" || return 1
    [ "${dh_statf[0]:-}" = Z ] && return 1
    [ "${dh_statf[2]:-}" = "$1" ] && return 0
    sleep 0.01
  done
  return 0
}
dh_link() {
  local tmp="$DH_APP/.current.tmp-$$"
  rm -f -- "$tmp"
  ln -s -- "releases/$1" "$tmp" || dh_fail 73 "cannot create a symlink in $DH_APP"
  mv -T -- "$tmp" "$DH_APP/current" || dh_fail 73 "cannot switch $DH_APP/current"
}
dh_switch() {
  local prev
  prev=$(readlink -- "$DH_APP/current" 2>/dev/null) || prev=
  dh_link "$DH_RELEASE"
  # shellcheck disable=SC2034 # read by dh_prune (render/prune.ts)
  DH_PREVIOUS=${prev#releases/}
  rm -f -- "$DH_STATE/rolled-back"
  printf '::deployhooks::activate release=%s previous=%s\n' "$DH_RELEASE" "${prev#releases/}"
}
dh_stop_app() {
  local pid='' start='' i grace=${DH_GRACE:-10}
  [ -f "$DH_PIDFILE" ] || return 0
  read -r pid start _ <"$DH_PIDFILE"
  rm -f -- "$DH_PIDFILE"
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if dh_stat "$pid" && [ "${dh_statf[19]:-}" != "$start" ]; then
    dh_say "pid $pid is no longer the app started by deployhooks; not stopping it"
    return 0
  fi
  dh_group_alive "$pid" || return 0
  kill -TERM -- "-$pid" 2>/dev/null
  for ((i = 0; i < grace * 5; i++)); do
    dh_group_alive "$pid" || break
    sleep 0.2
  done
  if dh_group_alive "$pid"; then
    dh_say "the previous app (process group $pid) was still running $grace s after TERM; sending KILL"
    kill -KILL -- "-$pid" 2>/dev/null
  fi
  printf '::deployhooks::stopped pid=%s\n' "$pid"
}
# A pid file whose process group is gone only misleads the outcome step.
dh_forget_dead_app() {
  local pid=''
  [ -f "$DH_PIDFILE" ] || return 0
  read -r pid _ <"$DH_PIDFILE"
  [[ $pid =~ ^[0-9]+$ ]] && dh_group_alive "$pid" && return 0
  rm -f -- "$DH_PIDFILE"
}
# The tail of app.log, secrets redacted line by line (dh_tail, host library).
dh_app_tail() { dh_tail "$DH_APP/logs/app.log"; }
# dh_start_app ENVFN COMMAND CHECK_SECONDS ACTIVATION: starts COMMAND in current as its own
# session; returns 1 (after printing the tail of app.log) when it died within CHECK_SECONDS.
dh_start_app() {
  local envfn=$1 cmd=$2 check=$3 act=$4 pid
  (
    cd -- "$DH_APP/current" || exit 1
    "$envfn"
    exec setsid nohup bash --norc -c "$cmd" deployhooks-app
  ) </dev/null >>"$DH_APP/logs/app.log" 2>&1 9>&- &
  pid=$!
  DH_STARTED_PID=$pid
  disown "$pid" 2>/dev/null
  dh_await_session "$pid"
  dh_stat "$pid" || dh_statf=()
  printf '%s %s %s\n' "$pid" "${dh_statf[19]:-}" "$act" >"$DH_PIDFILE" || dh_fail 73 "cannot write $DH_PIDFILE"
  sleep "$check"
  if ! dh_group_alive "$pid"; then
    dh_app_tail
    return 1
  fi
  printf '::deployhooks::started pid=%s\n' "$pid"
}
# The last confirmed activation (app.good.sh) becomes the one the pending record describes.
dh_promote() {
  local first=''
  [ -f "$DH_STATE/app.pending.sh" ] || return 0
  IFS= read -r first <"$DH_STATE/app.pending.sh"
  [ "$first" = "DH_RB_RELEASE=$DH_RELEASE" ] || return 0
  mv -f -- "$DH_STATE/app.pending.sh" "$DH_STATE/app.good.sh" || dh_say "warning: cannot update $DH_STATE/app.good.sh"
  return 0
}
dh_rb_state() {
  printf '::deployhooks::rollback status=%s release=%s from=%s restarted=%s pid=%s\n' "$1" "$2" "$DH_RELEASE" "$3" "$4"
  dh_say "host state: $5"
}
dh_app_state() {
  local pid=''
  [ -f "$DH_PIDFILE" ] && read -r pid _ <"$DH_PIDFILE"
  if [[ $pid =~ ^[0-9]+$ ]] && dh_group_alive "$pid"; then
    printf 'its app is still running (pid %s)' "$pid"
  else
    printf 'no app started by deployhooks is running'
  fi
}
# After a failed start (or health check) of $DH_RELEASE: back to the last confirmed activation.
dh_rollback() {
  local good="$DH_STATE/app.good.sh" n missing='' here="current still points to releases/$DH_RELEASE"
  local DH_RB_RELEASE='' DH_RB_ACTIVATION='' DH_RB_KIND='' DH_RB_START_CMD='' DH_RB_CHECK=1 DH_RB_GRACE=10
  local -a DH_RB_SECRETS=()
  # shellcheck source=/dev/null
  if [ ! -f "$good" ] || ! . "$good" || [ -z "$DH_RB_RELEASE" ]; then
    dh_rb_state none "" 0 "" "no earlier successful activation is recorded on this host, so nothing was rolled back; $here and $(dh_app_state)"
    return 0
  fi
  if [ "$DH_RB_RELEASE" = "$DH_RELEASE" ]; then
    dh_rb_state none "" 0 "" "release $DH_RELEASE is itself the last successful activation, so nothing was rolled back; $here and $(dh_app_state)"
    return 0
  fi
  if [ ! -f "$DH_STATE/releases/$DH_RB_RELEASE.ok" ] || [ ! -d "$DH_APP/releases/$DH_RB_RELEASE" ]; then
    dh_rb_state none "$DH_RB_RELEASE" 0 "" "the previous release $DH_RB_RELEASE is no longer on this host (pruned), so nothing was rolled back; $here and $(dh_app_state)"
    return 0
  fi
  dh_stop_app
  dh_link "$DH_RB_RELEASE"
  printf '%s %s\n' "$DH_RELEASE" "$DH_RB_RELEASE" >"$DH_STATE/rolled-back" || dh_say "warning: cannot write $DH_STATE/rolled-back"
  here="current points back to releases/$DH_RB_RELEASE (rolled back from $DH_RELEASE)"
  if [ "$DH_RB_KIND" != start ]; then
    dh_rb_state switched "$DH_RB_RELEASE" 0 "" "$here; that release was not started by the built-in supervisor, so deployhooks did not restart anything: restart it yourself or redeploy"
    return 0
  fi
  for n in "${DH_RB_SECRETS[@]}"; do
    [[ -v dh_secrets[$n] ]] || missing+=" $n"
  done
  if [ -n "$missing" ]; then
    dh_rb_state switched "$DH_RB_RELEASE" 0 "" "$here; its app was NOT restarted because its secrets$missing are not on this step's stdin; the app is not running"
    return 0
  fi
  DH_GRACE=$DH_RB_GRACE
  if dh_start_app dh_rb_env "$DH_RB_START_CMD" "$DH_RB_CHECK" "$DH_RB_ACTIVATION"; then
    dh_rb_state restarted "$DH_RB_RELEASE" 1 "$DH_STARTED_PID" "$here; its app is running again (pid $DH_STARTED_PID)"
  else
    dh_rb_state switched "$DH_RB_RELEASE" 0 "" "$here; its app was restarted but exited within $DH_RB_CHECK s too; the app is not running (see $DH_APP/logs/app.log)"
  fi
  return 0
}
