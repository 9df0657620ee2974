/**
 * Trigger strings (SPEC §5): one readable `class=value` string per class a step depends on, so
 * `pulumi preview --diff` names the class that changed. A hook step's triggers are exactly the
 * fingerprints of its rerunOn classes, its own script and its host: the plan compares these same
 * lists, so "triggers differ ⇔ the plan runs the hook" holds by construction.
 */
import type { ChangeClass } from "../model/changeClass";
import { scopedFingerprint } from "../fingerprint/watch";
import type { AppSnapshot, ResolvedHook, StepHost } from "./types";

/** `code=…`, `build=…`, `runtime=…` or `redeploy=…` for one class; `watch` narrows `code`. */
export function classTrigger(
  snapshot: AppSnapshot,
  cls: ChangeClass,
  watch: readonly string[] = [],
): string {
  switch (cls) {
    case "code":
      // Without per-file digests a watch-scoped hook falls back to the whole tree: it may rerun
      // more often than needed, never less.
      return watch.length > 0 && snapshot.code.files
        ? `code=${scopedFingerprint(snapshot.code.files, watch)}`
        : `code=${snapshot.code.fingerprint}`;
    case "build":
      return `build=${snapshot.build.fingerprint}`;
    case "runtime":
      return `runtime=${snapshot.runtime.fingerprint}`;
    case "redeploy":
      return `redeploy=${snapshot.redeploy}`;
  }
}

/** `host=<identity>`: a new or replaced machine gets a full first deployment. */
export function hostTrigger(host: StepHost): string {
  return `host=${host.identity}`;
}

/** The triggers of one hook's step: its classes, then `script=…`, then `host=…` when on a host. */
export function hookTriggers(snapshot: AppSnapshot, hook: ResolvedHook, host?: StepHost): string[] {
  return [
    ...hook.rerunOn.map((c) => classTrigger(snapshot, c, hook.watch)),
    `script=${snapshot.scripts[hook.name]}`,
    ...(host ? [hostTrigger(host)] : []),
  ];
}

/** The triggers of a non-hook step that depends on `classes`. */
export function stepTriggers(
  snapshot: AppSnapshot,
  classes: readonly ChangeClass[],
  host?: StepHost,
): string[] {
  return [...classes.map((c) => classTrigger(snapshot, c)), ...(host ? [hostTrigger(host)] : [])];
}

/** Splits `name=value` into its two parts (the value may itself contain `=`). */
export function splitTrigger(trigger: string): [string, string] {
  const i = trigger.indexOf("=");
  return i < 0 ? [trigger, ""] : [trigger.slice(0, i), trigger.slice(i + 1)];
}
