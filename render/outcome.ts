/**
 * The `outcome` step, after activation: is the new release up?
 * - With `health`, an HTTP check (health.ts); without it, the built-in supervisor's process must
 *   still be alive (when there is one), else the start is taken as succeeded.
 * - A supervised app whose process group is already dead (e.g. a start failure the activate step
 *   deferred) is unhealthy at once, without waiting for the health check.
 * - Healthy → the activation becomes the rollback target (dh_promote), then `succeeded` (Clever
 *   Cloud `runSucceeded`) runs and the step exits with its policy status.
 * - Unhealthy → `failed` (Clever Cloud `runFailed`) runs, then the rollback to the last confirmed
 *   activation (dh_rollback) and exit 1; with `failOnUnhealthy: false` instead: promote and exit 0.
 * Hooks run in `<app>/current` with the runtime variables.
 */
import type { ProfileName } from "../model/app";
import { hostFile } from "./library";
import { platformVariables, renderEnvFunction } from "./env";
import { RenderedStep, toCommand } from "./invoke";
import { appLayout, AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { renderHealthCall, HEALTH_BASH, HealthCheck } from "./health";
import { CommonStepOptions, renderProgram } from "./program";
import { shellQuote } from "./quote";
import { renderRun, RUN_BASH } from "./run";
import { normalizeSecretNames } from "./secrets";
import type { InstanceInfo, ProcessVariables, WrappedHook } from "./wrapper";
import { SUPERVISOR_BASH } from "./activate";

export interface OutcomeStepInput extends CommonStepOptions, InstanceInfo, ProcessVariables {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  health?: HealthCheck;
  /** Run when the app is healthy (Clever Cloud `runSucceeded`). */
  succeeded?: WrappedHook;
  /** Run when it is not (Clever Cloud `runFailed`); the step then fails. */
  failed?: WrappedHook;
  /** Exit non-zero when unhealthy. Default true. */
  failOnUnhealthy?: boolean;
  fingerprint?: string;
}

const OUTCOME_BASH = hostFile("outcome.sh");

/** The `outcome` step. */
export function renderOutcomeStep(input: OutcomeStepInput): RenderedStep {
  const layout = appLayout(input.target);
  const secretNames = normalizeSecretNames(input.secretNames);
  const env = renderEnvFunction(
    "dh_env",
    input.variables ?? {},
    secretNames,
    platformVariables({ ...input, appDir: layout.current, buildPhase: false }),
  );
  const run = (hook: WrappedHook, cwd = layout.current): string =>
    renderRun({
      label: hook.name,
      script: hook.script,
      cwd,
      timeoutSeconds: hook.timeoutSeconds,
      failure: hook.failure,
      fingerprint: input.fingerprint ?? "",
      envFunction: "dh_env",
      abortNote: "",
    });
  const check = input.health ? renderHealthCall(input.health) : "dh_alive";
  const failOnUnhealthy = input.failOnUnhealthy ?? true;
  const ran = input.failed ? ` ${input.failed.name} ran;` : "";
  const kept = `the new instance of release $DH_RELEASE did not start or failed its health check on its private port;${ran} traffic was never switched: the previous instance keeps serving; the deployment fails`;
  const main = [
    env,
    `DH_PIDFILE=${shellQuote(layout.pidFile)}`,
    "if dh_new_failed; then",
    "  dh_app_tail",
    "  printf '" + M + "health status=failed check=candidate\\n'",
    '  dh_why=; { IFS= read -r _; IFS= read -r dh_why; } <"$DH_STATE/activation.failed"',
    '  dh_say "$dh_why"',
    // A first deployment has no `current`: the hook runs in the new release instead.
    ...(input.failed
      ? [
          '  if [ -d "$DH_APP/current" ]; then',
          run(input.failed),
          "  else",
          run(input.failed, `${layout.releasesDir}/${input.releaseId}`),
          "  fi",
        ]
      : []),
    ...(failOnUnhealthy ? [`  dh_fail 1 "${kept}"`] : ["  exit 0"]),
    "fi",
    "dh_require_current",
    "dh_check_rolled_back",
    "DH_DEAD_PID=",
    "dh_healthy=0",
    "if dh_app_dead; then :",
    `elif ${check}; then dh_healthy=1`,
    "fi",
    'if [ "$dh_healthy" = 1 ]; then',
    "  dh_promote",
    ...(input.succeeded ? [run(input.succeeded), "  exit $?"] : ["  exit 0"]),
    "fi",
    ...(input.failed ? [run(input.failed)] : []),
    ...(failOnUnhealthy
      ? [
          "dh_rollback",
          `[ -n "$DH_DEAD_PID" ] && dh_fail 1 "the app failed to start: its process group $DH_DEAD_PID is not running (see $DH_APP/logs/app.log);${ran} the deployment fails"`,
          `dh_fail 1 ${shellQuote(`the app failed its start or health check;${ran} the deployment fails`)}`,
        ]
      : ["dh_promote", "exit 0"]),
  ].join("\n");
  const hookLibs = input.succeeded || input.failed ? [RUN_BASH] : [];
  const program = renderProgram({
    ...input,
    step: "outcome",
    secretNames,
    libraries: [SUPERVISOR_BASH, OUTCOME_BASH, ...(input.health ? [HEALTH_BASH] : []), ...hookLibs],
    main,
  });
  return { command: toCommand(program), program, secretNames };
}
