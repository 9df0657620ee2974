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
import { hostFile } from "./library";
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

const HOLD_BASH = hostFile("hold.sh");

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
