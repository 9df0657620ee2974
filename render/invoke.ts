/**
 * How a rendered bash program becomes the `create` text of a command resource.
 *
 * The command text is `exec bash --norc -c '<program>' deployhooks`: one single-quoted word, so any
 * POSIX login shell (sh, dash, bash, ksh, zsh) passes the program to bash untouched, and `exec` leaves
 * no login shell in between. The same text works for `local.Command` (interpreter `/bin/sh -c`).
 * `--norc`: bash started by sshd (it sees SSH_CLIENT / SSH2_CLIENT with SHLVL < 2) reads
 * `~/.bashrc` even when non-interactive; steps must not depend on (nor pay for) the user's
 * interactive rc. Every bash that deployhooks starts on a host gets `--norc`.
 */
import { ConfigError } from "../model/configError";
import { shellQuote } from "./quote";

/** Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); stay clearly below it. */
export const MAX_PROGRAM_BYTES = 120_000;

/** `$0` of every program: bash prefixes its own error messages with it. */
export const PROGRAM_NAME = "deployhooks";

/** Wraps a bash program into the command text given to `remote.Command` / `local.Command`. */
export function toCommand(program: string): string {
  const bytes = Buffer.byteLength(program, "utf8");
  if (bytes > MAX_PROGRAM_BYTES) {
    const variables = inlinedVariableBytes(program);
    const mostlyVariables = variables * 2 > bytes;
    throw new ConfigError(
      `the rendered step is ${bytes} bytes (${variables} of them inlined variables); one command-line argument is limited to 128 KiB on Linux, so keep hook scripts and inlined variables under ${MAX_PROGRAM_BYTES} bytes in total (${mostlyVariables ? "give large values as secrets, which go on stdin, or keep them in a file of the repository" : "move long scripts into a file of the repository and call it from the hook"})`,
      { path: mostlyVariables ? "variables" : "script" },
    );
  }
  return `exec bash --norc -c ${shellQuote(program, "program")} ${PROGRAM_NAME}`;
}

/** Bytes of the program's inlined `export NAME='value'` lines (render/env.ts), newlines included. */
function inlinedVariableBytes(program: string): number {
  let n = 0;
  for (const m of program.matchAll(/^ *export [A-Za-z_][A-Za-z0-9_]*='(?:[^']|'\\'')*'$/gm)) {
    n += Buffer.byteLength(m[0], "utf8") + 1;
  }
  return n;
}

/** What every render function returns. */
export interface RenderedStep {
  /** The `create` text of the command resource (secret-free). */
  command: string;
  /** The bash program inside `command`, for reading and for tests (`bash -c program`). */
  program: string;
  /**
   * Names of the secrets the program expects on stdin (in this order); give the resource
   * `stdin: encodeSecretsForStdin(values)` with exactly these names. Empty: pass no stdin.
   */
  secretNames: string[];
}
