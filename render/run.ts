/**
 * THE HOOK WRAPPER CONTRACT (SPEC §6), the part that runs one script:
 * - the body is written to `.deployhooks/hooks/<release>-<label>.sh` and run as
 *   `bash --norc <file>` (no `~/.bashrc`), so it fails only if its last command fails unless the body
 *   says `set -e` itself;
 * - cwd, environment (an env function) and a fresh TMPDIR are set in a subshell;
 * - stdin is /dev/null, stdout+stderr go to `logs/<release>-<label>.log`, fd 9 (the lock) is
 *   closed: a background child left by the body holds neither the SSH channel nor the lock;
 * - a timeout runs the body under `timeout --kill-after=10s N` (GNU timeout signals the whole
 *   process group it leads, so children die too) and is reported `timed out after N s`;
 * - one JSON line goes to `.deployhooks/history.jsonl`; a bounded, secret-redacted tail of the
 *   log and marker lines go to stdout; `warn` returns 0 with a `warn` marker, `abort` returns the
 *   hook's exit status.
 */
import type { HookFailure } from "../model/app";
import { hostFile } from "./library";
import { assertFingerprint, assertInteger, assertToken, shellQuote } from "./quote";

/** Bash: dh_history, dh_run (render/host/run.sh; dh_tail and redaction are in core.sh). */
export const RUN_BASH = hostFile("run.sh");

/** One script run inside a step. */
export interface RunSpec {
  /** Hook name (`deploy`) or step label (`step:build`): names the log, history entry and markers. */
  label: string;
  /** The script body, run as `bash <file>` exactly as written. */
  script: string;
  /** Absolute working directory on the host. */
  cwd: string;
  timeoutSeconds: number | null;
  failure: HookFailure;
  /** Recorded in history (e.g. a digest of the step's triggers); may be empty. */
  fingerprint: string;
  /** Name of the bash env function (see renderEnvFunction). */
  envFunction: string;
  /** Appended to the abort message, e.g. `; the current release keeps serving`. */
  abortNote: string;
}

/** A heredoc delimiter that is not a line of `text`. */
export function heredocDelimiter(text: string): string {
  const lines = new Set(text.split("\n"));
  let delimiter = "DEPLOYHOOKS_BODY";
  for (let i = 1; lines.has(delimiter); i++) delimiter = `DEPLOYHOOKS_BODY_${i}`;
  return delimiter;
}

/**
 * Bash that writes the body to its file and runs it; leaves the run's policy status in `$?`
 * (0 for ok and warned runs, the hook's status for aborting failures).
 */
export function renderRun(spec: RunSpec): string {
  assertToken(spec.label, "hook name", 64);
  if (spec.timeoutSeconds !== null) {
    assertInteger(spec.timeoutSeconds, 1, 7 * 86400, `hooks.${spec.label}.timeoutSeconds`);
  }
  shellQuote(spec.script, `hooks.${spec.label}.script`);
  assertFingerprint(spec.fingerprint, "fingerprint");
  const file = `$DH_STATE/hooks/$DH_RELEASE-${spec.label}.sh`;
  const body = spec.script === "" || spec.script.endsWith("\n") ? spec.script : `${spec.script}\n`;
  const delimiter = heredocDelimiter(spec.script);
  return [
    `cat >"${file}" <<'${delimiter}' || dh_fail 73 "cannot write ${file}"`,
    `${body}${delimiter}`,
    [
      "dh_run",
      shellQuote(spec.label),
      `"${file}"`,
      shellQuote(spec.cwd),
      shellQuote(spec.timeoutSeconds === null ? "" : String(spec.timeoutSeconds)),
      spec.failure,
      shellQuote(spec.fingerprint),
      spec.envFunction,
      shellQuote(spec.abortNote),
    ].join(" "),
  ].join("\n");
}
