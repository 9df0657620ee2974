/**
 * `@pulumi/command` 1.2.1's decisions (shared/reference/pulumi-command.md §3, §5.3), as plain
 * functions on plain inputs. The one source of truth for `runProgram`'s emulation and for the
 * provider double that the real engine loads (testing/commandProvider.ts).
 */
import type { StepOp } from "./types";

export const LOCAL_COMMAND = "command:local:Command";
export const REMOTE_COMMAND = "command:remote:Command";
export const COPY_TO_REMOTE = "command:remote:CopyToRemote";
/** The resource types both the emulation and the double implement. */
export const COMMAND_TYPES: readonly string[] = [LOCAL_COMMAND, REMOTE_COMMAND, COPY_TO_REMOTE];

/** Outputs the provider adds to the echoed inputs; never compared as inputs. */
export const PROVIDER_OUTPUTS: readonly string[] = ["stdout", "stderr", "assets", "archive"];

/** Inputs the provider marks secret itself (`provider:"secret"`), whatever the program sent. */
export function providerSecretInputs(type: string): string[] {
  return type === REMOTE_COMMAND || type === COPY_TO_REMOTE ? ["connection"] : [];
}

/** Value equality on comparable (normalized) input values. */
export type Equal = (a: unknown, b: unknown) => boolean;

/**
 * create / replace / update / same for a resource whose previous inputs are `prior` (undefined: not
 * in state). Only `triggers` replaces (any element added, removed or changed, unknown included);
 * any other input change updates; both compared without the provider's own outputs.
 */
export function decideOp(
  prior: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  equal: Equal,
): Exclude<StepOp, "delete"> {
  if (!prior) return "create";
  if (!equal(prior.triggers ?? null, next.triggers ?? null)) return "replace";
  return equal(inputsOnly(prior, ["triggers"]), inputsOnly(next, ["triggers"])) ? "same" : "update";
}

/** `inputs` without the provider outputs and without `drop`. */
export function inputsOnly(
  inputs: Record<string, unknown>,
  drop: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (v === undefined || PROVIDER_OUTPUTS.includes(k) || drop.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Which script a create/replace/update runs: `update` when updating and it is set, else `create`. */
export function scriptKey(op: StepOp, inputs: Record<string, unknown>): "create" | "update" {
  return op === "update" && inputs.update !== undefined && inputs.update !== null
    ? "update"
    : "create";
}

/**
 * CopyToRemote copies on create and replace, and on update only when the source content or
 * `remotePath` changed: a connection-only change copies nothing (1.2.1's `needCopy`).
 */
export function copyNeeded(
  op: StepOp,
  prior: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  equal: Equal,
): boolean {
  if (op === "create" || op === "replace" || !prior) return true;
  if (op !== "update") return false;
  return !equal(prior.source, next.source) || !equal(prior.remotePath, next.remotePath);
}

/** `logging` of 1.2.1: which streams are logged while the command runs (capture is unaffected). */
export function streamLogged(logging: unknown, stream: "stdout" | "stderr"): boolean {
  switch (logging) {
    case "none":
      return false;
    case "stdout":
      return stream === "stdout";
    case "stderr":
      return stream === "stderr";
    default:
      return true; // "stdoutAndStderr", the default
  }
}

/** A provider Check failure: the property and the reason. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * What 1.2.1's Check refuses: a CopyToRemote `source` that is unknown at preview (pulumi-command#1183,
 * fixed after 1.2.1; pulumi-command.md §4). `isUnknown` says how the caller sees an unknown value.
 */
export function checkFailure(
  type: string,
  inputs: Record<string, unknown>,
  isUnknown: (value: unknown) => boolean,
): CheckFailure | undefined {
  if (type === COPY_TO_REMOTE && isUnknown(inputs.source)) {
    return {
      property: "source",
      reason: "asset or archive must be known at preview (@pulumi/command 1.2.1)",
    };
  }
  return undefined;
}
