/**
 * The `activate` step: switch `current` to the release atomically (a fresh relative symlink
 * `releases/<id>` renamed over `current` with `mv -T`), then (re)start the app:
 * - built-in minimal supervisor (`start`): stop the previous process group recorded in
 *   `.deployhooks/app.pid` (`<pid> <starttime>`; the start time guards against pid reuse) with TERM,
 *   then KILL after the grace period; start `setsid nohup bash --norc -c <start>` in `current` with the
 *   runtime variables (+ PORT), stdin /dev/null, output to `logs/app.log`, lock fd closed, so the
 *   SSH channel closes; check it is still alive after `startCheckSeconds`. It does not restart a
 *   crashed app: use `restartCommand` with systemd (or similar) for that.
 * - a failed start (or restart) rolls back to the last confirmed activation (`app.good.sh`, a
 *   record without secret values) and restarts its app; with `deferFailure` the start failure is
 *   reported (`startFailed`) and left to the outcome step, which confirms or rolls back.
 * - or a user `restartCommand` (e.g. `sudo systemctl restart app`), run like a hook (`step:restart`,
 *   abort, logged, in history).
 * Finally releases uploaded before this one beyond `keepReleases` are pruned (by the mtime of their
 * `.ok` marker); releases uploaded after it (another deployment in flight) are never touched.
 */
import type { ProfileName } from "../model/app";
import { ConfigError } from "../model/configError";
import { bash } from "./bashTemplate";
import { platformVariables, renderEnvFunction } from "./env";
import { RenderedStep, toCommand } from "./invoke";
import { appLayout, AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { assertFingerprint, assertInteger, shellQuote } from "./quote";
import { heredocDelimiter, renderRun, RUN_BASH } from "./run";
import { normalizeSecretNames } from "./secrets";
import { PRUNE_BASH } from "./prune";
import type { InstanceInfo, ProcessVariables } from "./wrapper";
import { HEALTH_BASH } from "./health";
import {
  caddyConfig,
  PROXY_BASH,
  PROXY_INSTALL_COMMAND,
  ProxyOptions,
  proxySettings,
} from "./proxy";

export const RESTART_LABEL = "step:restart";

/** The built-in supervisor's settings. */
export interface StartOptions {
  /** Shell text that runs the app in the foreground (`node server.js`). */
  command: string;
  /** Exported as PORT. */
  port?: number;
  /** Seconds between TERM and KILL when stopping the previous process group. Default 10. */
  stopGraceSeconds?: number;
  /** Seconds after the start at which the app must still be running. Default 1. */
  startCheckSeconds?: number;
}

/**
 * The rollback record each activation writes (what a rollback restart needs, no secret values);
 * renamed to `app.good.sh` once the activation is confirmed (dh_promote).
 */
const RECORD_PENDING = "app.pending.sh";

export interface ActivateStepInput extends CommonStepOptions, InstanceInfo, ProcessVariables {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  /** Built-in supervisor. Exclusive with restartCommand; neither = only switch `current`. */
  start?: StartOptions;
  /** Your own restart (systemd, …), run in `current` with the runtime variables. */
  restartCommand?: string;
  /** Default 300. */
  restartTimeoutSeconds?: number;
  /** Releases kept on the host, including the new one; 0 = never prune. Default 5. */
  keepReleases?: number;
  /**
   * Identity of this activation (e.g. a digest of the step's triggers), recorded in the pid file so
   * that only the matching stop program (the resource's `delete`) stops the app. Default "".
   */
  activationId?: string;
  /**
   * An outcome step follows and judges the start (give it whenever the app has an outcome step).
   * Then an app that dies within `startCheckSeconds` does not fail this step: it prints
   * `::deployhooks::startFailed pid=<pid>` and the tail of `app.log`, skips pruning and exits 0,
   * so the outcome step runs `runFailed`, rolls back and fails the deployment. And this activation
   * becomes the rollback target of later deployments only once the outcome step found it healthy.
   * Default false: the start check failing rolls back and fails this step.
   */
  deferFailure?: boolean;
  /**
   * Front proxy (with `start` only): when `caddy` is installed on the host, the app runs behind it
   * on a private port per activation and traffic moves per `proxy.mode` (render/proxy.ts); without
   * `caddy` the activation falls back to stop-then-start on `start.port` and says so
   * (`::deployhooks::proxy status=missing`).
   */
  proxy?: ProxyOptions;
  /**
   * Supervised workers (Upsun `workers.*.commands.start`, Clever `CC_WORKER_COMMAND*`): each is
   * stopped and started again (its own process group, in `current`, runtime variables, output in
   * `logs/worker-<name>.log`, pid in `.deployhooks/worker-<name>.pid`) right after `current`
   * switched. Default none.
   */
  workers?: WorkerCommand[];
}

/** One supervised worker. */
export interface WorkerCommand {
  /** `[A-Za-z0-9_.-]+` (file names). */
  name: string;
  command: string;
}

/** Bash: dh_restart_worker NAME COMMAND. */
export const WORKER_BASH = bash`
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
  printf '%s %s %s\n' "$pid" "@{dh_statf[19]:-}" "$DH_ACTIVATION" >"$DH_STATE/worker-$1.pid" || dh_fail 73 "cannot write $DH_STATE/worker-$1.pid"
  printf '${M}worker name=%s pid=%s\n' "$1" "$pid"
}
`;

/** Bash: group liveness, switch, stop, start, prune. */
export const SUPERVISOR_BASH = bash`
dh_stat() {
  local s
  { IFS= read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
  s=@{s##*) }
  read -r -a dh_statf <<<"$s"
}
dh_group_alive() {
  local f p
  for f in /proc/[0-9]*; do
    p=@{f#/proc/}
    dh_stat "$p" || continue
    [ "@{dh_statf[2]:-}" = "$1" ] && [ "@{dh_statf[0]:-}" != Z ] && return 0
  done
  return 1
}
# dh_await_session PID: waits until PID (forked to exec setsid) leads its own process group, so
# that dh_group_alive and a group kill see it; returns 1 when it died first. Checking the group
# right after the fork saw no member under load and took a starting app for a dead one.
dh_await_session() {
  local i
  for ((i = 0; i < 400; i++)); do
    dh_stat "$1" || return 1
    [ "@{dh_statf[0]:-}" = Z ] && return 1
    [ "@{dh_statf[2]:-}" = "$1" ] && return 0
    sleep 0.05
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
  DH_PREVIOUS=@{prev#releases/}
  rm -f -- "$DH_STATE/rolled-back"
  printf '${M}activate release=%s previous=%s\n' "$DH_RELEASE" "@{prev#releases/}"
}
dh_stop_app() {
  local pid='' start='' i grace=@{DH_GRACE:-10}
  [ -f "$DH_PIDFILE" ] || return 0
  read -r pid start _ <"$DH_PIDFILE"
  rm -f -- "$DH_PIDFILE"
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if dh_stat "$pid" && [ "@{dh_statf[19]:-}" != "$start" ]; then
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
  printf '${M}stopped pid=%s\n' "$pid"
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
  printf '%s %s %s\n' "$pid" "@{dh_statf[19]:-}" "$act" >"$DH_PIDFILE" || dh_fail 73 "cannot write $DH_PIDFILE"
  sleep "$check"
  if ! dh_group_alive "$pid"; then
    dh_app_tail
    return 1
  fi
  printf '${M}started pid=%s\n' "$pid"
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
  printf '${M}rollback status=%s release=%s from=%s restarted=%s pid=%s\n' "$1" "$2" "$DH_RELEASE" "$3" "$4"
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
  for n in "@{DH_RB_SECRETS[@]}"; do
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
`;

/**
 * Bash: the activation runs detached from the step's channel (issue 8 item 6). `dh_detached FN`
 * runs FN in a background process group of its own (job control on for that one fork), output to
 * `.deployhooks/activation.out`, holding the lock (fd 9) until it ends; the step's own process
 * waits for `activation.result`, copies the output to its stdout and only then writes
 * `activation.ack`. FN publishes its result with `dh_commit CODE`, which returns 0 once the step
 * acknowledged it and 1 when the step is gone first (its process ended, or was re-parented: the SSH
 * session or the runner died) — FN then rolls back to the last confirmed activation instead of
 * leaving a release that `pulumi up` never recorded (a cancel followed by a revert converges).
 */
export const DETACH_BASH = bash`
dh_waiter_here() {
  dh_stat "$DH_WAITER" && [ "@{dh_statf[1]:-}" = "$DH_WAITER_PPID" ] && [ "@{dh_statf[0]:-}" != Z ]
}
dh_commit() {
  local i
  printf '%s\n' "$1" >"$DH_STATE/activation.result.tmp" && mv -f -- "$DH_STATE/activation.result.tmp" "$DH_STATE/activation.result"
  for ((i = 0; i < 600; i++)); do
    [ -f "$DH_STATE/activation.ack" ] && return 0
    if ! dh_waiter_here; then
      sleep 0.3
      [ -f "$DH_STATE/activation.ack" ] && return 0
      return 1
    fi
    sleep 0.1
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
  DH_WAITER_PPID=@{dh_statf[1]:-}
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
    sleep 0.1
  done
  [ -f "$DH_STATE/activation.result" ] && read -r code <"$DH_STATE/activation.result"
  cat -- "$DH_STATE/activation.out" || exit 1
  [[ $code =~ ^[0-9]+$ ]] || code=1
  : >"$DH_STATE/activation.ack"
  exit "$code"
}
`;

/**
 * Bash: the activation behind the proxy (needs PROXY_BASH, HEALTH_BASH, SUPERVISOR_BASH,
 * DETACH_BASH and the DH_* settings the renderer writes).
 */
export const PROXY_ACTIVATE_BASH = bash`
dh_px_start_slot() {
  local pid port=@{DH_PORTS[$1]}
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
  printf '%s %s %s %s\n' "$pid" "@{dh_statf[19]:-}" "$DH_ACTIVATION" "$DH_RELEASE" >"$DH_STATE/slot-$1.pid" || dh_fail 73 "cannot write $DH_STATE/slot-$1.pid"
  printf '${M}started pid=%s slot=%s port=%s\n' "$pid" "$1" "$port"
}
# dh_px_slot_healthy SLOT: the new app answers its health check on its private port.
dh_px_slot_healthy() {
  local pid='' port=@{DH_PORTS[$1]} code=000 deadline attempts=0
  read -r pid _ <"$DH_STATE/slot-$1.pid"
  deadline=$((SECONDS + DH_HEALTH_TIMEOUT))
  while :; do
    if ! dh_group_alive "$pid"; then
      dh_app_tail
      printf '${M}candidate status=failed check=process pid=%s port=%s\n' "$pid" "$port"
      DH_WHY="the new app (process group $pid) exited before it answered on its private port $port; see $DH_APP/logs/app.log"
      dh_say "$DH_WHY"
      return 1
    fi
    attempts=$((attempts + 1))
    code=$(dh_http_status "$port" "$DH_HEALTH_PATH" auto)
    if [[ $code =~ ^[23][0-9][0-9]$ ]]; then
      printf '${M}candidate status=ok code=%s port=%s attempts=%s\n' "$code" "$port" "$attempts"
      return 0
    fi
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.1
  done
  dh_app_tail
  printf '${M}candidate status=failed code=%s port=%s attempts=%s\n' "$code" "$port" "$attempts"
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
      if [ -n "$prev" ]; then dh_link "@{prev#releases/}"; fi
      [ -f "$DH_STATE/slot-$old.pid" ] && cp -f -- "$DH_STATE/slot-$old.pid" "$DH_PIDFILE"
      printf '%s\n' "$old" >"$DH_PX/slot"
      printf '%s %s\n' "$DH_RELEASE" "@{prev#releases/}" >"$DH_STATE/rolled-back"
    fi
    return 0
  fi
  DH_PIDFILE="$DH_STATE/slot-$new.pid" dh_stop_app
  [ "$DH_MODE" = hold ] && dh_px_route "$old"
  rm -f -- "$DH_PX/hold"
  printf '%s\n%s\n' "$DH_RELEASE" "@{DH_WHY:-the new app did not start}" >"$DH_STATE/activation.failed"
  if [ "$DH_DEFER" = 1 ]; then
    printf '${M}startFailed pid=\n'
    dh_say "the new app did not become healthy; traffic stays on the previous app; the outcome step reports the failure and runs runFailed"
    dh_commit 0
    return 0
  fi
  dh_say "the new app did not become healthy; traffic stays on the previous app"
  printf '${M}error step=%s exit=1\n' "$DH_STEP"
  dh_commit 1
  return 0
}
`;

/** The `activate` step. */
export function renderActivateStep(input: ActivateStepInput): RenderedStep {
  if (input.start && input.restartCommand !== undefined) {
    throw new ConfigError("give either start or restartCommand, not both", {
      path: "restartCommand",
    });
  }
  const layout = appLayout(input.target);
  const secretNames = normalizeSecretNames(input.secretNames);
  const activationId = input.activationId ?? "";
  assertFingerprint(activationId, "activationId");
  const keep = input.keepReleases ?? 5;
  assertInteger(keep, 0, 1000, "keepReleases");
  const variables = { ...(input.variables ?? {}) };
  const start = input.start;
  if (start?.port !== undefined) {
    assertInteger(start.port, 1, 65535, "start.port");
    variables.PORT = String(start.port);
  }
  const grace = start?.stopGraceSeconds ?? 10;
  assertInteger(grace, 0, 3600, "start.stopGraceSeconds");
  const check = start?.startCheckSeconds ?? 1;
  assertInteger(check, 0, 600, "start.startCheckSeconds");
  const env = renderEnvFunction(
    "dh_env",
    variables,
    secretNames,
    platformVariables({ ...input, appDir: layout.current, buildPhase: false }),
  );
  const defer = input.deferFailure ?? false;
  // The legacy (no proxy) activation: stop-then-start in `current`; published with dh_commit, and
  // confirmed (promoted, pruned) only once the step acknowledged the result.
  const confirm = [
    "if dh_commit 0; then",
    ...(defer ? [] : ["  dh_promote"]),
    `  dh_prune ${keep}`,
    "else",
    '  dh_say "the step\'s channel was lost before it read the result: rolling back"',
    "  dh_rollback",
    "fi",
    "return 0",
  ];
  let legacy: string[] = [];
  if (start) {
    const failed = "the app exited within $DH_START_CHECK s of its start; see $DH_APP/logs/app.log";
    legacy = [
      "dh_switch",
      "dh_restart_workers",
      "dh_stop_app",
      'if ! dh_start_app dh_env "$DH_START_CMD" "$DH_START_CHECK" "$DH_ACTIVATION"; then',
      ...(defer
        ? [
            `  printf '${M}startFailed pid=%s\\n' "$DH_STARTED_PID"`,
            `  dh_say "${failed}; the outcome step reports the failure, runs runFailed and rolls back"`,
            "  dh_commit 0 || dh_rollback",
            "  return 0",
          ]
        : ["  dh_rollback", `  dh_fail 1 "${failed}"`]),
      "fi",
      ...confirm,
    ];
  } else if (input.restartCommand !== undefined) {
    legacy = [
      "dh_switch",
      "dh_restart_workers",
      "dh_forget_dead_app",
      renderRun({
        label: RESTART_LABEL,
        script: input.restartCommand,
        cwd: layout.current,
        timeoutSeconds: input.restartTimeoutSeconds ?? 300,
        failure: "abort",
        fingerprint: "",
        envFunction: "dh_env",
        abortNote: "",
      }),
      'dh_status=$?; if [ "$dh_status" -ne 0 ]; then dh_rollback; exit "$dh_status"; fi',
      ...confirm,
    ];
  } else {
    legacy = ["dh_switch", "dh_restart_workers", "dh_forget_dead_app", ...confirm];
  }
  const record = [
    `DH_RB_RELEASE=${input.releaseId}`,
    `DH_RB_ACTIVATION=${shellQuote(activationId)}`,
    `DH_RB_KIND=${start ? "start" : input.restartCommand !== undefined ? "restart" : "none"}`,
    `DH_RB_START_CMD=${shellQuote(start?.command ?? "")}`,
    `DH_RB_CHECK=${check}`,
    `DH_RB_GRACE=${grace}`,
    `DH_RB_SECRETS=(${secretNames.join(" ")})`,
    env.replace(/^dh_env\(\) \{/, "dh_rb_env() {"),
    "",
  ].join("\n");
  const delimiter = heredocDelimiter(record);
  const pending = `$DH_STATE/${RECORD_PENDING}`;
  const proxy = start && input.proxy ? proxySettings(input.proxy) : undefined;
  const proxyVars = proxy
    ? [
        renderEnvFunction(
          "dh_env_rel",
          variables,
          secretNames,
          platformVariables({
            ...input,
            appDir: `${layout.releasesDir}/${input.releaseId}`,
            buildPhase: false,
          }),
        ),
        `DH_PX=${shellQuote(`${layout.stateDir}/proxy`)}`,
        `DH_PX_CONFIG=${shellQuote(caddyConfig(`${layout.stateDir}/proxy`, proxy))}`,
        `DH_PX_PUBLIC=${proxy.publicPort}`,
        `DH_DRAIN=${proxy.drainSeconds}`,
        `DH_MODE=${proxy.mode}`,
        `DH_HEALTH_PATH=${shellQuote(proxy.healthPath)}`,
        `DH_HEALTH_TIMEOUT=${proxy.healthTimeoutSeconds}`,
        `DH_DEFER=${defer ? 1 : 0}`,
        `DH_KEEP=${keep}`,
        "declare -a DH_PORTS=()",
      ]
    : [];
  const missing = `the front proxy (caddy) is not installed on this host, so the activation stops the old app before starting the new one (requests are refused meanwhile); install it with: ${PROXY_INSTALL_COMMAND}`;
  const body = proxy
    ? [
        "if dh_px_have; then",
        "  dh_px_activation",
        "  return 0",
        "fi",
        `printf '${M}proxy status=missing install=%s\\n' ${shellQuote(PROXY_INSTALL_COMMAND)}`,
        `dh_say ${shellQuote(missing)}`,
        ...legacy,
      ]
    : legacy;
  const workers = input.workers ?? [];
  for (const w of workers) {
    if (!/^[A-Za-z0-9_.-]+$/.test(w.name) || w.name.length > 64) {
      throw new ConfigError(`${JSON.stringify(w.name)} must be letters, digits, . _ -`, {
        path: `workers.${w.name}`,
      });
    }
  }
  const restartWorkers = [
    "dh_restart_workers() {",
    ...workers.map(
      (w) => `  dh_restart_worker ${w.name} ${shellQuote(w.command, `workers.${w.name}`)}`,
    ),
    "  return 0",
    "}",
  ].join("\n");
  const main = [
    env,
    restartWorkers,
    `DH_PIDFILE=${shellQuote(layout.pidFile)}`,
    `DH_ACTIVATION=${shellQuote(activationId)}`,
    `DH_GRACE=${grace}`,
    `DH_START_CHECK=${check}`,
    ...(start ? [`DH_START_CMD=${shellQuote(start.command, "start.command")}`] : []),
    ...proxyVars,
    "dh_require_release",
    `(umask 077 && cat >"${pending}.tmp" <<'${delimiter}'`,
    `${record}${delimiter}`,
    `) && mv -f -- "${pending}.tmp" "${pending}" || dh_fail 73 "cannot write ${pending}"`,
    "dh_activation() {",
    ...body.map((l) => `  ${l}`),
    "}",
    "dh_detached dh_activation",
  ].join("\n");
  const program = renderProgram({
    ...input,
    step: "activate",
    secretNames,
    libraries: [
      SUPERVISOR_BASH,
      PRUNE_BASH,
      DETACH_BASH,
      WORKER_BASH,
      ...(proxy ? [PROXY_BASH, HEALTH_BASH, PROXY_ACTIVATE_BASH] : []),
      ...(input.restartCommand !== undefined ? [RUN_BASH] : []),
    ],
    main,
  });
  return { command: toCommand(program), program, secretNames };
}

/** Input of the stop program. */
export interface StopStepInput extends CommonStepOptions {
  target: AppTarget;
  /**
   * The activation whose app this program may stop (see ActivateStepInput.activationId); absent:
   * stop whatever app the supervisor runs for this app on the host.
   */
  activationId?: string;
  /** Seconds between TERM and KILL. Default 10. */
  stopGraceSeconds?: number;
}

/**
 * The stop program: the `delete` that stops the app started by the built-in supervisor (the
 * components put it on a per-host `app` resource that is only deleted by `pulumi destroy` or when
 * the host is removed). With `activationId`, it stops the app only when the pid file still names
 * that activation (safe as the delete of a resource that is replaced create-before-delete).
 * Missing app directory: nothing to do, and no layout is created.
 */
export function renderStopStep(input: StopStepInput): RenderedStep {
  if (input.activationId !== undefined) assertFingerprint(input.activationId, "activationId");
  const grace = input.stopGraceSeconds ?? 10;
  assertInteger(grace, 0, 3600, "stopGraceSeconds");
  const layout = appLayout(input.target);
  // Without an activation id: stop whatever the pid file names. With one: only that activation's
  // app (the pid file's third field); a pid file naming another activation is left alone.
  const stop =
    input.activationId === undefined
      ? [
          "dh_stop_app",
          'DH_PIDFILE="$DH_STATE/slot-0.pid" dh_stop_app',
          'DH_PIDFILE="$DH_STATE/slot-1.pid" dh_stop_app',
          'for dh_w in "$DH_STATE"/worker-*.pid; do [ -f "$dh_w" ] && DH_PIDFILE=$dh_w dh_stop_app; done',
          `DH_PX=${shellQuote(`${layout.stateDir}/proxy`)}`,
          "dh_px_stop",
        ]
      : [
          'if [ -f "$DH_PIDFILE" ]; then',
          '  dh_got=; read -r _ _ dh_got <"$DH_PIDFILE"',
          `  if [ "$dh_got" = ${shellQuote(input.activationId)} ]; then dh_stop_app`,
          `  else printf '${M}stop skipped: the running app belongs to another activation\\n'`,
          "  fi",
          "fi",
        ];
  const main = [
    `DH_PIDFILE=${shellQuote(layout.pidFile)}`,
    `DH_GRACE=${grace}`,
    ...stop,
    "exit 0",
  ].join("\n");
  const program = renderProgram({
    ...input,
    releaseId: "stop",
    step: "stop",
    secretNames: [],
    libraries: [SUPERVISOR_BASH, ...(input.activationId === undefined ? [PROXY_BASH] : [])],
    main,
  });
  // A host whose app directory is gone has nothing to stop (and must not get a fresh layout).
  const guarded = `[ -d ${shellQuote(layout.appDir)} ] || exit 0\n${program}`;
  return { command: toCommand(guarded), program: guarded, secretNames: [] };
}
