/**
 * The four change classes of SPEC §3. Every input of an application belongs to exactly one.
 * The order of CHANGE_CLASSES is the normative order used in every list (CLI JSON, triggers, reasons).
 */
export const CHANGE_CLASSES = ["code", "build", "runtime", "redeploy"] as const;

/** One of `code`, `build`, `runtime`, `redeploy`. */
export type ChangeClass = (typeof CHANGE_CLASSES)[number];

/** "Every deployment": the rerunOn of hooks that run whenever anything changed. */
export const EVERY_DEPLOYMENT: readonly ChangeClass[] = CHANGE_CLASSES;

/** Sorts and de-duplicates classes into the normative order `code, build, runtime, redeploy`. */
export function orderClasses(classes: Iterable<ChangeClass>): ChangeClass[] {
  const set = new Set(classes);
  return CHANGE_CLASSES.filter((c) => set.has(c));
}
