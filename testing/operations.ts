/**
 * One `@pulumi/command` 1.2.1 operation carried out for real: a create/update/delete script (local
 * shell or ssh) or a CopyToRemote copy, with the provider's error texts and `logging`. Shared by
 * `runProgram`'s emulation and the provider double (testing/commandProvider.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  copyToRemote,
  isSshFailure,
  quoteGo,
  runLocal,
  runRemote,
  type Connection,
  type ExecResult,
  type OutputSink,
} from "./exec";
import { makePrivateTempDir, removePrivateTempDir } from "./privateDirs";
import { LOCAL_COMMAND, streamLogged } from "./rules";

/** Where an operation's output lines go, and the extra environment of local commands. */
export interface OperationOptions {
  /** Receives the lines of the streams `logging` selects, as they arrive. */
  sink?: OutputSink;
  /** Extra environment for local commands (before `environment`). */
  baseEnv?: Record<string, string>;
}

/**
 * Runs `script` of a `command:local:Command` or `command:remote:Command` whose plain inputs are
 * `inputs`. `previous`: the outputs of the last create/update (`PULUMI_COMMAND_STDOUT`/`STDERR` for
 * local commands unless `addPreviousOutputInEnv: false`; remote ones are not sent: a default sshd
 * drops them).
 */
export function executeScript(
  type: string,
  inputs: Record<string, unknown>,
  script: string,
  previous: { stdout?: string; stderr?: string } | undefined,
  options: OperationOptions,
): Promise<ExecResult> {
  const sink = options.sink;
  const logged: OutputSink | undefined = sink
    ? (line, stream) => {
        if (streamLogged(inputs.logging, stream)) sink(line, stream);
      }
    : undefined;
  const environment = inputs.environment as Record<string, string> | undefined;
  const stdin = inputs.stdin as string | undefined;
  if (type === LOCAL_COMMAND) {
    return runLocal({
      command: script,
      interpreter: inputs.interpreter as string[] | undefined,
      dir: inputs.dir as string | undefined,
      environment,
      stdin,
      previous,
      addPreviousOutputInEnv: inputs.addPreviousOutputInEnv as boolean | undefined,
      baseEnv: options.baseEnv,
      sink: logged,
    });
  }
  return runRemote({
    connection: inputs.connection as Connection,
    command: script,
    environment,
    stdin,
    sink: logged,
  });
}

/** The provider's error text for a failed script. */
export function failureText(r: ExecResult, command: string, where: "local" | "remote"): string {
  if (r.spawnError) return `${r.spawnError}: running ${quoteGo(command)}`;
  if (where === "remote" && isSshFailure(r)) return `ssh: ${r.stderr.trim()}`;
  const status =
    where === "local" ? `exit status ${r.exitCode}` : `Process exited with status ${r.exitCode}`;
  return `${status}: running ${quoteGo(command)}:\n${r.combined}`;
}

/** Error text of a failed command resource script; a secret script is shown as `[secret]`. */
export function scriptFailure(
  r: ExecResult,
  type: string,
  script: string,
  secret: boolean,
): string {
  const message = failureText(r, script, type === LOCAL_COMMAND ? "local" : "remote");
  return secret ? message.split(quoteGo(script)).join("[secret]") : message;
}

/** A CopyToRemote source on this machine: a file or directory path, or a StringAsset's text. */
export type LocalSource = { path: string } | { text: string };

/** What {@link copySource} did. */
export interface CopyOutcome {
  /** `copy <source> -> <remotePath>` (`<StringAsset>` for text). */
  command: string;
  result: ExecResult;
  /** The provider-style error when the copy failed. */
  error?: string;
}

/** Copies like 1.2.1's CopyToRemote (parents created; `dir` → `dest/dir`, `dir/` → contents). */
export async function copySource(
  connection: Connection,
  source: LocalSource,
  remotePath: string,
): Promise<CopyOutcome> {
  let local: string;
  let display: string;
  let tempDir: string | undefined;
  if ("path" in source) {
    local = source.path;
    display = source.path;
  } else {
    tempDir = makePrivateTempDir("deployhooks-asset-");
    local = path.join(tempDir, "asset");
    fs.writeFileSync(local, source.text, { mode: 0o600 });
    display = "<StringAsset>";
  }
  try {
    const result = await copyToRemote({ connection, localPath: local, remotePath });
    const command = `copy ${display} -> ${remotePath}`;
    if (result.exitCode === 0) return { command, result };
    const error = isSshFailure(result)
      ? `ssh: ${result.stderr.trim()}`
      : `failed to copy: ${result.combined.trim()}`;
    return { command, result, error };
  } finally {
    if (tempDir) removePrivateTempDir(tempDir);
  }
}
