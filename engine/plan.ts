/**
 * The diff engine: plan(previous snapshot or none, next snapshot) → per hook, run or not, and why.
 *
 * `run` is decided by comparing the hook's trigger lists (triggers.ts) of the two snapshots; the
 * reasons then explain each trigger element that differs, naming the class and the key. Because
 * Pulumi reruns a step exactly when its triggers differ, the plan and `pulumi up` always agree.
 */
import { CHANGE_CLASSES, type ChangeClass } from "../model/changeClass";
import { watchMatcher } from "../fingerprint/watch";
import { classTriggers, hookTriggers } from "./triggers";
import type { AppPlan, AppSnapshot, HookDecision, KeyedClassState, ResolvedHook } from "./types";

/** How many changed files a `code` reason lists before summarising the rest. */
export const MAX_FILES_NAMED = 5;

/** Classes whose class trigger differs between two snapshots, in the normative order. */
export function changedClasses(prev: AppSnapshot | undefined, next: AppSnapshot): ChangeClass[] {
  if (!prev) return [...CHANGE_CLASSES];
  return CHANGE_CLASSES.filter(
    (c) => !sameTriggers(classTriggers(prev, c), classTriggers(next, c)),
  );
}

/** Keys whose digest differs (added, removed or changed), sorted. */
export function changedKeys(prev: KeyedClassState, next: KeyedClassState): string[] {
  const keys = new Set([...Object.keys(prev.entries), ...Object.keys(next.entries)]);
  return [...keys].filter((k) => prev.entries[k] !== next.entries[k]).sort();
}

/** Files whose digest differs, restricted to `watch` globs when given, sorted. */
export function changedFiles(
  prev: AppSnapshot,
  next: AppSnapshot,
  watch: readonly string[],
): string[] | undefined {
  const a = prev.code.files;
  const b = next.code.files;
  if (!a || !b) return undefined;
  const match = watch.length > 0 ? watchMatcher(watch) : () => true;
  const paths = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...paths].filter((p) => a[p] !== b[p] && match(p)).sort();
}

type Reason = { cls: number; text: string };

function codeReasons(prev: AppSnapshot, next: AppSnapshot, hook: ResolvedHook): string[] {
  const files = changedFiles(prev, next, hook.watch);
  if (files === undefined) return ["code changed: source tree"];
  if (files.length === 0) {
    // The scoped fingerprint differs but no file does: the watch globs themselves changed.
    return [`code changed: ${hook.key}.watch`];
  }
  const named = files.slice(0, MAX_FILES_NAMED).map((f) => `code changed: ${f}`);
  const rest = files.length - named.length;
  return rest > 0 ? [...named, `code changed: ${rest} more file${rest === 1 ? "" : "s"}`] : named;
}

/** Explains why one hook's triggers differ; empty when they do not. */
function explain(
  prev: AppSnapshot,
  next: AppSnapshot,
  prevHook: ResolvedHook,
  hook: ResolvedHook,
): string[] {
  const reasons: Reason[] = [];
  const phaseIndex = CHANGE_CLASSES.indexOf(hook.phase);
  const add = (cls: number, text: string) => {
    if (!reasons.some((r) => r.text === text)) reasons.push({ cls, text });
  };
  if (prev.scripts[prevHook.name] !== next.scripts[hook.name]) {
    add(phaseIndex, `${hook.phase} changed: ${hook.key}`);
  }
  if (!sameTriggers(prevHook.rerunOn, hook.rerunOn)) {
    add(phaseIndex, `${hook.phase} changed: ${hook.key}.rerunOn`);
  }
  for (const cls of hook.rerunOn) {
    if (!prevHook.rerunOn.includes(cls)) continue;
    const before = classTriggers(prev, cls, prevHook.watch);
    const after = classTriggers(next, cls, hook.watch);
    if (sameTriggers(before, after)) continue;
    const i = CHANGE_CLASSES.indexOf(cls);
    switch (cls) {
      case "code":
        codeReasons(prev, next, hook).forEach((r) => add(i, r));
        break;
      case "build":
      case "runtime":
        changedKeys(prev[cls], next[cls]).forEach((k) => add(i, `${cls} changed: ${k}`));
        break;
      case "redeploy":
        add(i, "redeploy changed: redeployToken");
        break;
    }
  }
  return reasons.sort((a, b) => a.cls - b.cls).map((r) => r.text);
}

function sameTriggers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Decision for one hook of `next`. */
export function decideHook(
  prev: AppSnapshot | undefined,
  next: AppSnapshot,
  hook: ResolvedHook,
): HookDecision {
  if (!prev) return { name: hook.name, run: true, reasons: [`first deployment: app ${next.name}`] };
  const prevHook = prev.hooks.find((h) => h.name === hook.name);
  if (!prevHook) {
    return {
      name: hook.name,
      run: true,
      reasons: [`${hook.phase} changed: ${hook.key} (hook added)`],
    };
  }
  const run = !sameTriggers(hookTriggers(prev, prevHook), hookTriggers(next, hook));
  if (!run) return { name: hook.name, run: false, reasons: [] };
  const reasons = explain(prev, next, prevHook, hook);
  return {
    name: hook.name,
    run: true,
    reasons: reasons.length > 0 ? reasons : [`${hook.phase} changed: ${hook.key}`],
  };
}

/** The plan of one app: which classes changed, and for every hook of `next`, run or not and why. */
export function planApp(prev: AppSnapshot | undefined, next: AppSnapshot): AppPlan {
  return {
    name: next.name,
    profile: next.profile,
    changed: changedClasses(prev, next),
    hooks: next.hooks.map((h) => decideHook(prev, next, h)),
  };
}

/**
 * Plans several apps, listed in the order of `next`. Apps are matched by name; when each side has
 * exactly one app they are matched whatever their names (a renamed single-app file is a change,
 * not a new app).
 */
export function planApps(
  prev: readonly AppSnapshot[] | undefined,
  next: readonly AppSnapshot[],
): AppPlan[] {
  return next.map((app) => {
    const match =
      prev?.find((p) => p.name === app.name) ??
      (prev?.length === 1 && next.length === 1 ? prev[0] : undefined);
    return planApp(match, app);
  });
}
