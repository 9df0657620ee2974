/**
 * Local adapter for the `outcome` step (health check + Clever Cloud run-succeeded / run-failed
 * hooks): render/ has no outcome renderer yet, so this builds one from render's own pieces
 * (renderProgram, renderRun, renderEnvFunction, platformVariables), with the same markers and
 * history lines as the other steps. Replace with render's outcome step once it lands.
 */
import type { ProfileName } from "../model/app";
import { platformVariables, renderEnvFunction } from "../render/env";
import { RenderedStep, toCommand } from "../render/invoke";
import { appLayout, AppTarget } from "../render/layout";
import { MARKER_PREFIX } from "../render/messages";
import { renderProgram } from "../render/program";
import { assertInteger, assertToken, shellQuote } from "../render/quote";
import { renderRun, RUN_BASH } from "../render/run";
import { normalizeSecretNames } from "../render/secrets";
import type { WrappedHook } from "../render/wrapper";

/** Marker printed by the outcome step: `::deployhooks::health host=<h> status=ok|failed|skipped url=<u>`. */
export const HEALTH_MARKER = `${MARKER_PREFIX}health`;

export interface OutcomeStepInput {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  host: string;
  instanceNumber: number;
  /** URL probed on the host (curl, else wget); none = `skipped` (counts as started). */
  url?: string;
  timeoutSeconds: number;
  succeeded?: WrappedHook;
  failed?: WrappedHook;
  variables: Record<string, string>;
  secretNames: string[];
  fingerprint: string;
}

/** The `outcome` step. */
export function renderOutcomeStep(input: OutcomeStepInput): RenderedStep {
  assertToken(input.host, "host");
  assertInteger(input.timeoutSeconds, 1, 3600, "healthCheckTimeoutSeconds");
  const layout = appLayout(input.target);
  const cwd = layout.current;
  const secretNames = normalizeSecretNames(input.secretNames);
  const platform = platformVariables({ ...input, appDir: cwd, buildPhase: false });
  const run = (hook: WrappedHook) =>
    renderRun({
      label: hook.name,
      script: hook.script,
      cwd,
      timeoutSeconds: hook.timeoutSeconds,
      failure: hook.failure,
      fingerprint: input.fingerprint,
      envFunction: "dh_env",
      abortNote: "",
    });
  const url = input.url ? shellQuote(input.url, "url") : "";
  const probe = input.url
    ? [
        "dh_health=failed",
        `dh_deadline=$((SECONDS + ${input.timeoutSeconds}))`,
        "while :; do",
        "  if command -v curl >/dev/null 2>&1; then",
        `    curl -fsS -o /dev/null --max-time 5 ${url} >/dev/null 2>&1 && { dh_health=ok; break; }`,
        "  elif command -v wget >/dev/null 2>&1; then",
        `    wget -q -O /dev/null -T 5 ${url} >/dev/null 2>&1 && { dh_health=ok; break; }`,
        "  else",
        '    dh_say "neither curl nor wget is installed: cannot check health"; dh_health=skipped; break',
        "  fi",
        '  [ "$SECONDS" -ge "$dh_deadline" ] && break',
        "  sleep 1",
        "done",
      ]
    : ["dh_health=skipped"];
  const main = [
    "dh_require_current",
    renderEnvFunction("dh_env", input.variables, secretNames, platform),
    ...probe,
    `printf '${HEALTH_MARKER} host=%s status=%s url=%s\\n' ${shellQuote(input.host)} "$dh_health" ${url || "''"}`,
    'if [ "$dh_health" != failed ]; then',
    ...(input.succeeded ? [run(input.succeeded)] : []),
    "  exit 0",
    "fi",
    ...(input.failed ? [run(input.failed)] : []),
    `dh_fail 1 ${shellQuote(`the app did not answer ${input.url ?? ""} within ${input.timeoutSeconds} s`)}`,
  ].join("\n");
  const program = renderProgram({
    target: input.target,
    releaseId: input.releaseId,
    step: "outcome",
    secretNames,
    libraries: [RUN_BASH],
    main,
  });
  return { command: toCommand(program), program, secretNames };
}

/** Parses the health marker of an outcome step's stdout: `ok`, `failed`, `skipped`, or `unknown`. */
export function parseHealth(stdout: string | undefined): string {
  const m = new RegExp(`^${HEALTH_MARKER.replace(/[:]/g, ":")} host=\\S+ status=(\\w+)`, "m").exec(stdout ?? "");
  return m ? m[1] : "unknown";
}

/** Hooks that warned: `::deployhooks::run hook=<h> exit=<n> outcome=warned`. */
export function parseWarnings(stdout: string | undefined): { hook: string; exitCode: number }[] {
  const out: { hook: string; exitCode: number }[] = [];
  const re = new RegExp(`^${MARKER_PREFIX}run hook=(\\S+) exit=(\\d+) outcome=warned`, "gm");
  let m: RegExpExecArray | null;
  while ((m = re.exec(stdout ?? "")) !== null) out.push({ hook: m[1], exitCode: Number(m[2]) });
  return out;
}
