/** Public types of `deployhooks/testing`. */

/** What the runner decided for one resource, with `@pulumi/command` 1.2.1's rules. */
export type StepOp = "create" | "replace" | "update" | "same" | "delete";

/** One resource operation, in the order operations started. */
export interface RunStep {
  urn: string;
  /** `command:local:Command`, `command:remote:Command`, `command:remote:CopyToRemote`, … */
  type: string;
  name: string;
  op: StepOp;
  /** True when a script ran (or a copy happened). False for `same`, preview, no-op create/update/delete, skips. */
  executed: boolean;
  /** The script that ran (`create`, `update` or `delete`); `"[secret]"` when that input was secret. */
  command?: string;
  exitCode?: number;
  durationMs?: number;
  stdout?: string;
  stderr?: string;
  error?: string;
  /** For `delete`: true when this deletes the old resource of a create-before-delete replacement. */
  replaced?: boolean;
}

/** Result of {@link runProgram}. */
export interface RunReport {
  steps: RunStep[];
  /** Program exports, resolved (secrets unwrapped). Empty when the program failed before returning. */
  outputs: Record<string, unknown>;
  failed: boolean;
  error?: string;
  /** `pulumi.log.warn` messages emitted during the run, plus runner warnings (prefixed `deployhooks/testing:`). */
  warnings: string[];
  durationMs: number;
}

/** A Pulumi program: what `pulumi up` would run as `index.ts`. */
export type Program = () =>
  Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

export interface RunOptions {
  /** JSON state file kept between runs (created when missing). */
  stateFile: string;
  /** Pulumi project name. Default `"project"`. */
  project?: string;
  /** Pulumi stack name. Default `"stack"`. */
  stack?: string;
  /** Config values keyed `key` (project-scoped automatically) or `ns:key`. */
  config?: Record<string, string>;
  /** Config keys (same spelling as in `config`) that are secret. */
  secretConfigKeys?: string[];
  /** Preview: compute ops, execute nothing, write no state. */
  preview?: boolean;
  /**
   * Key material for secrets kept in state (encrypted `connection`/`environment`/`create`… needed by a
   * later `delete`, and keyed digests for change detection). Default: a random key stored next to the
   * state file as `<stateFile>.key` (mode 0600).
   */
  secretsPassphrase?: string;
  /** Extra environment for local commands (added to process.env before `environment`). */
  env?: Record<string, string>;
  /** Mirror command output lines to this callback (e.g. `console.log`) while running. */
  onOutput?: (line: string, stream: "stdout" | "stderr", urn: string) => void;
}
