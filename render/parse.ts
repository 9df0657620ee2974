/**
 * Reads a step's stdout (the `stdout` output of the command resource): marker lines
 * `::deployhooks::<kind> key=value ...` and the log tail (`| ` lines). Anything else is a human
 * message. The component turns `warnings` into Pulumi warnings naming the hook and exit code.
 */
import { describeHookFailure, MARKER_PREFIX, TAIL_PREFIX } from "./messages";

export type RunOutcome = "ok" | "failed" | "warned" | "timedOut";

/** One hook (or step command) run reported by the step. */
export interface HookRunReport {
  hook: string;
  exitCode: number;
  outcome: RunOutcome;
  seconds: number;
  logFile: string;
  /** Trigger keys that changed since the hook's previous run on the host, `first`, `retry` or `-`. */
  reason: string;
}

export interface HookWarning {
  hook: string;
  exitCode: number;
  timedOut: boolean;
  /** `hook deploy exited with status 3 (…hint…)` / `hook deploy timed out after 5 s`. */
  message: string;
}

/** What the upload step did with the release. */
export type UploadStatus = "reused" | "present" | "unpacked" | "rebuilt";

export interface StepOutput {
  runs: HookRunReport[];
  /** Hooks that failed under the `warn` policy. */
  warnings: HookWarning[];
  /** Hooks that failed under the `abort` policy (their step exited non-zero). */
  failures: HookWarning[];
  /** The first hook that timed out, if any. */
  timedOut?: { hook: string; seconds: number };
  /** Log file of the last run. */
  logFile?: string;
  /** Error reported by the wrapper itself (`dh_fail`). */
  error?: { step: string; exitCode: number };
  health?: { healthy: boolean; code?: string; url?: string; check?: string };
  /** The upload step: `reused` (a kept, verified, built release), `present`, `unpacked`, `rebuilt`. */
  upload?: UploadStatus;
  /** A build-phase step found its release built earlier and unchanged: it did not run (`reused release <id>`). */
  reused?: string;
  /** The probe step's finding (`reused`, `present`, `rebuild`, `missing`). */
  probe?: string;
  activated?: { release: string; previous: string };
  /**
   * The activate step (with `deferFailure`) saw the app die within its start check; the outcome
   * step reports the failure.
   */
  startFailed?: boolean;
  /**
   * A failed start / health check went back to the last confirmed activation. `status`: `none`
   * (nothing rolled back), `switched` (current points back, app not restarted), `restarted`.
   */
  rollback?: {
    status: "none" | "switched" | "restarted";
    release: string;
    from: string;
    restarted: boolean;
    pid?: number;
  };
  /** The step's start marker: its label, release and start time (ms since the epoch, host clock). */
  step?: { name: string; release: string; at: number };
  /** Log tail lines, without their prefix. */
  tail: string[];
  /** Every marker, in order, as parsed. */
  markers: Array<{ kind: string; fields: Record<string, string> }>;
}

/** `key=value` pairs of a marker line (values have no spaces by construction). */
export function parseMarkerFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const token of text.split(" ")) {
    const eq = token.indexOf("=");
    if (eq > 0) fields[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return fields;
}

function toWarning(fields: Record<string, string>, timeouts: Map<string, number>): HookWarning {
  const hook = fields.hook ?? "?";
  const exitCode = Number(fields.exit);
  const timedOut = fields.timedOut === "1";
  return {
    hook,
    exitCode,
    timedOut,
    message: describeHookFailure(hook, exitCode, timedOut ? timeouts.get(hook) : undefined),
  };
}

/** Parses the stdout of any step. */
export function parseStepOutput(stdout: string): StepOutput {
  const out: StepOutput = { runs: [], warnings: [], failures: [], tail: [], markers: [] };
  const timeouts = new Map<string, number>();
  for (const line of stdout.split(/\r?\n/)) {
    if (line.startsWith(TAIL_PREFIX)) {
      out.tail.push(line.slice(TAIL_PREFIX.length));
      continue;
    }
    if (!line.startsWith(MARKER_PREFIX)) continue;
    const rest = line.slice(MARKER_PREFIX.length);
    const space = rest.indexOf(" ");
    const kind = space < 0 ? rest : rest.slice(0, space);
    const fields = parseMarkerFields(space < 0 ? "" : rest.slice(space + 1));
    out.markers.push({ kind, fields });
    switch (kind) {
      case "run":
        out.runs.push({
          hook: fields.hook,
          exitCode: Number(fields.exit),
          outcome: fields.outcome as RunOutcome,
          seconds: Number(fields.seconds),
          logFile: fields.log,
          reason: fields.reason ?? "-",
        });
        out.logFile = fields.log;
        break;
      case "timeout":
        timeouts.set(fields.hook, Number(fields.after));
        out.timedOut ??= { hook: fields.hook, seconds: Number(fields.after) };
        break;
      case "warn":
        out.warnings.push(toWarning(fields, timeouts));
        break;
      case "failed":
        out.failures.push(toWarning(fields, timeouts));
        break;
      case "error":
        out.error = { step: fields.step, exitCode: Number(fields.exit) };
        break;
      case "health":
        out.health = {
          healthy: fields.status === "ok",
          code: fields.code,
          url: fields.url,
          check: fields.check,
        };
        break;
      case "upload":
        out.upload = fields.status as UploadStatus;
        break;
      case "reused":
        out.reused = fields.release;
        break;
      case "probe":
        out.probe = fields.status;
        break;
      case "startFailed":
        out.startFailed = true;
        break;
      case "rollback":
        out.rollback = {
          status: fields.status as "none" | "switched" | "restarted",
          release: fields.release ?? "",
          from: fields.from ?? "",
          restarted: fields.restarted === "1",
          ...(fields.pid ? { pid: Number(fields.pid) } : {}),
        };
        break;
      case "step":
        out.step = { name: fields.name, release: fields.release ?? "", at: Number(fields.at) };
        break;
      case "activate":
        out.activated = { release: fields.release, previous: fields.previous ?? "" };
        break;
    }
  }
  return out;
}
