/**
 * The `hold` step (Upsun "Blocks requests: Yes", SPEC §6a): before a request-blocking hook
 * (`deploy`) runs, every web host stops routing to the old app, drains its in-flight requests
 * (bounded) and routes to the slot the new app will start in, so new requests wait there until the
 * activation starts it (or get 503 + Retry-After past the hold limit). The old app keeps running,
 * unrouted, until the new one is healthy: a failed start routes back to it at once.
 *
 * The hold is recorded in `.deployhooks/proxy/hold` (`<release> <slot> <epoch>`); the activation of
 * that release takes it over. A detached watchdog undoes a hold that nobody takes over (a deploy
 * hook that aborted the deployment, a cancelled run): once the hold is older than the hold limit and
 * no step of the app has held the app's lock for 20 s, it routes back to the old app.
 * Without caddy on the host (or with no supervised start command) the step only says so: the old
 * release keeps serving while the hook runs.
 */
import { bash } from "./bashTemplate";
import { RenderedStep, toCommand } from "./invoke";
import { appLayout, AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { caddyConfig, PROXY_BASH, ProxyOptions, proxySettings } from "./proxy";
import { shellQuote } from "./quote";
import { SUPERVISOR_BASH } from "./activate";

/**
 * Seconds the app's lock must stay free (at most the hold limit) before the watchdog undoes an
 * abandoned hold.
 */
export const HOLD_IDLE_SECONDS = 20;

export interface HoldStepInput extends CommonStepOptions {
  target: AppTarget;
  releaseId: string;
  /** The proxy settings of the host (as given to its activate step). Absent: no proxy, no hold. */
  proxy?: ProxyOptions;
}

const HOLD_BASH = bash`
dh_px_watchdog() {
  local h
  h=$(cat -- "$DH_PX/hold")
  set -m
  (
    set +m
    trap '' HUP INT
    free=0
    start=$SECONDS
    idle=${HOLD_IDLE_SECONDS}
    [ "$DH_HOLD" -lt "$idle" ] && idle=$DH_HOLD
    while sleep 1; do
      [ "$(cat -- "$DH_PX/hold" 2>/dev/null)" = "$h" ] || exit 0
      if flock -n "$DH_STATE/lock" true; then free=$((free + 1)); else free=0; fi
      [ "$free" -ge "$idle" ] && [ $((SECONDS - start)) -ge "$DH_HOLD" ] || continue
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
      printf '${M}hold release=%s slot=%s port=%s status=kept\n' "$DH_RELEASE" "$live" "@{DH_PORTS[$live]}"
      return 0
    fi
  fi
  new=$((1 - live))
  DH_PIDFILE="$DH_STATE/slot-$new.pid" dh_stop_app
  dh_px_free_slot "$new"
  printf '%s %s %s\n' "$DH_RELEASE" "$new" "$(date +%s)" >"$DH_PX/hold" || dh_fail 73 "cannot write $DH_PX/hold"
  dh_px_route "$new"
  dh_px_drain "$live"
  printf '${M}hold release=%s slot=%s port=%s status=held\n' "$DH_RELEASE" "$new" "@{DH_PORTS[$new]}"
  dh_say "requests now wait for the new app (at most $DH_HOLD s each); the old app no longer receives any"
  dh_px_watchdog
}
`;

/** The `hold` step of one web host. */
export function renderHoldStep(input: HoldStepInput): RenderedStep {
  const layout = appLayout(input.target);
  const px = `${layout.stateDir}/proxy`;
  const main = input.proxy
    ? (() => {
        const p = proxySettings(input.proxy);
        return [
          `DH_PIDFILE=${shellQuote(layout.pidFile)}`,
          `DH_PX=${shellQuote(px)}`,
          `DH_PX_CONFIG=${shellQuote(caddyConfig(px, p))}`,
          `DH_PX_PUBLIC=${p.publicPort}`,
          `DH_DRAIN=${p.drainSeconds}`,
          `DH_HOLD=${p.holdSeconds}`,
          "DH_GRACE=10",
          "declare -a DH_PORTS=()",
          "if dh_px_have; then",
          "  dh_px_hold",
          "else",
          `  printf '${M}hold status=skipped reason=no-proxy\\n'`,
          '  dh_say "no front proxy (caddy) on this host: requests are not held; the old release keeps serving while the hook runs"',
          "fi",
          "exit 0",
        ];
      })()
    : [
        `printf '${M}hold status=skipped reason=no-proxy\\n'`,
        'dh_say "no front proxy for this app on this host: requests are not held; the old release keeps serving while the hook runs"',
        "exit 0",
      ];
  const program = renderProgram({
    ...input,
    step: "hold",
    secretNames: [],
    libraries: input.proxy ? [SUPERVISOR_BASH, PROXY_BASH, HOLD_BASH] : [],
    main: main.join("\n"),
  });
  return { command: toCommand(program), program, secretNames: [] };
}
