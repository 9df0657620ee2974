/**
 * Texts shared by the bash programs and `parseStepOutput`, so a message reads the same in the
 * step's output and in the Pulumi warning the component logs.
 */

/** Prefix of every marker line on a step's stdout. */
export const MARKER_PREFIX = "::deployhooks::";

/** Tail lines of a hook's log are printed with this prefix, so they can never look like markers. */
export const TAIL_PREFIX = "| ";

export const HINT_126 =
  "hint: exit 126 means a script is not executable: make it executable in the repository (git update-index --chmod=+x <file>) or call it as bash <file>";
export const HINT_127 =
  "hint: exit 127 means a command was not found: check the command name, PATH, and that the script path exists relative to the hook's directory";

/** The hint for an exit code, if any. */
export function exitHint(exitCode: number): string | undefined {
  if (exitCode === 126) return HINT_126;
  if (exitCode === 127) return HINT_127;
  return undefined;
}

/** `hook deploy exited with status 3` / `hook deploy timed out after 5 s`, plus a hint. */
export function describeHookFailure(
  hook: string,
  exitCode: number,
  timedOutAfter?: number,
): string {
  if (timedOutAfter !== undefined) return `hook ${hook} timed out after ${timedOutAfter} s`;
  const hint = exitHint(exitCode);
  return `hook ${hook} exited with status ${exitCode}${hint ? ` (${hint})` : ""}`;
}
