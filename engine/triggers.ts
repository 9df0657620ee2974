/**
 * Trigger strings (SPEC §5): what a step's `triggers` hold, so that `pulumi preview --diff` names
 * what changed — not only the class, but the configuration key or the top-level path:
 *
 * | entry | what it covers |
 * |---|---|
 * | `code:<top-level path>=<digest>` | the files under one top-level path of the source tree (`code:migrations/`, `code:package.json`); beyond `MAX_CODE_ENTRIES` paths, the rest in one `code:+N more=…` |
 * | `code=<fingerprint>` | the whole tree, when no per-file digests are known (the CLI) |
 * | `build:<key>=<digest>`, `runtime:<key>=<digest>` | one configuration key or variable (`runtime:variables.env.GREETING`, `build:CC_NODE_BUILD_TOOL`); beyond `MAX_KEY_ENTRIES` keys, the rest in one `build:+N more=…`; a class with no key is `build=none` |
 * | `redeploy=<token>` | the redeploy token |
 * | `script=<digest>` | the hook's own script (hook steps) |
 * | `host=<identity>` | the machine |
 *
 * `<digest>` is the first 16 hex digits of a sha256: enough to tell a change (these are not
 * integrity checks), short enough to read. Secret variables are digested through `secretDigest`
 * (a slow KDF) in the snapshot before they get here, so no entry allows a cheap guess.
 *
 * A hook step's triggers are exactly these entries for its rerunOn classes (code restricted to
 * its `watch` globs), its script and its host. The plan compares these same lists, so "triggers
 * differ ⇔ the plan runs the hook" holds by construction; and since every entry is a digest of a
 * part of exactly one class, the entries of a class differ exactly when the class's fingerprint
 * does (up to a 64-bit collision).
 */
import type { ChangeClass } from "../model/changeClass";
import { compareCodePoints, sha256 } from "../fingerprint/digest";
import { watchMatcher } from "../fingerprint/watch";
import type { AppSnapshot, KeyedClassState, ResolvedHook, StepHost } from "./types";

/** Most `code:<path>` entries of a step; further top-level paths share one `code:+N more` entry. */
export const MAX_CODE_ENTRIES = 16;
/** Most `<class>:<key>` entries per class; further keys share one `<class>:+N more` entry. */
export const MAX_KEY_ENTRIES = 48;

/** The short digest written in an entry. */
function short(text: string): string {
  return sha256(text).slice("sha256:".length, "sha256:".length + 16);
}

/** `migrations/` for `migrations/001.sql`, `package.json` for `package.json`. */
export function topLevelPath(file: string): string {
  const i = file.indexOf("/");
  return i < 0 ? file : file.slice(0, i + 1);
}

/** Bounded entries: the first `max - 1` groups by name, the rest merged into `+N more`. */
function bounded(prefix: string, groups: [string, string][], max: number): string[] {
  // A `=` inside a key would look like the end of the name: shown as %3D (display only).
  const entry = ([name, text]: [string, string]) =>
    `${prefix}:${name.replace(/=/g, "%3D")}=${short(text)}`;
  if (groups.length <= max) return groups.map(entry);
  const named = groups.slice(0, max - 1);
  const rest = groups.slice(max - 1);
  return [
    ...named.map(entry),
    `${prefix}:+${rest.length} more=${short(rest.map(([n, t]) => `${n}\0${t}`).join("\n"))}`,
  ];
}

const codeCache = new WeakMap<Record<string, string>, Map<string, string[]>>();

/** The `code:<path>` entries of a file map (matching `watch` when given). */
function codeEntries(files: Record<string, string>, watch: readonly string[]): string[] {
  const cacheKey = JSON.stringify(watch);
  let perWatch = codeCache.get(files);
  if (!perWatch) codeCache.set(files, (perWatch = new Map()));
  const cached = perWatch.get(cacheKey);
  if (cached) return cached;
  const match = watch.length > 0 ? watchMatcher(watch) : () => true;
  const paths = Object.keys(files)
    .filter((p) => match(p))
    .sort(compareCodePoints);
  const groups = new Map<string, string>();
  for (const p of paths) {
    const top = topLevelPath(p);
    groups.set(top, `${groups.get(top) ?? ""}${p}\0${files[p]}\n`);
  }
  const entries =
    groups.size === 0 ? ["code=none"] : bounded("code", [...groups.entries()], MAX_CODE_ENTRIES);
  perWatch.set(cacheKey, entries);
  return entries;
}

function keyedEntries(cls: "build" | "runtime", state: KeyedClassState): string[] {
  const keys = Object.keys(state.entries).sort(compareCodePoints);
  if (keys.length === 0) return [`${cls}=none`];
  return bounded(
    cls,
    keys.map((k) => [k, state.entries[k]]),
    MAX_KEY_ENTRIES,
  );
}

/** The entries of one class (table above); `watch` narrows `code`. */
export function classTriggers(
  snapshot: AppSnapshot,
  cls: ChangeClass,
  watch: readonly string[] = [],
): string[] {
  switch (cls) {
    case "code":
      // Without per-file digests (the CLI) there is one entry for the whole tree, and a
      // watch-scoped hook falls back to it: it may rerun more often than needed, never less.
      return snapshot.code.files
        ? codeEntries(snapshot.code.files, watch)
        : [`code=${snapshot.code.fingerprint}`];
    case "build":
    case "runtime":
      return keyedEntries(cls, snapshot[cls]);
    case "redeploy":
      return [`redeploy=${snapshot.redeploy}`];
  }
}

/** `host=<identity>`: a new or replaced machine gets a full first deployment. */
export function hostTrigger(host: StepHost): string {
  return `host=${host.identity}`;
}

/** The triggers of one hook's step: its classes, then `script=…`, then `host=…` when on a host. */
export function hookTriggers(snapshot: AppSnapshot, hook: ResolvedHook, host?: StepHost): string[] {
  return [
    ...hook.rerunOn.flatMap((c) => classTriggers(snapshot, c, hook.watch)),
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
  return [
    ...classes.flatMap((c) => classTriggers(snapshot, c)),
    ...(host ? [hostTrigger(host)] : []),
  ];
}

/** The name of a trigger entry: `runtime:variables.env.GREETING`, `code:src/`, `script`, `host`. */
export function triggerName(trigger: string): string {
  const i = trigger.indexOf("=");
  return i < 0 ? trigger : trigger.slice(0, i);
}

/** The class of a trigger entry (`code`, `build`, `runtime`, `redeploy`), or undefined. */
export function triggerClass(trigger: string): ChangeClass | undefined {
  const m = /^(code|build|runtime|redeploy)[:=]/.exec(trigger);
  return m ? (m[1] as ChangeClass) : undefined;
}

/** The names of the entries that differ between two trigger lists (added, removed or changed). */
export function changedTriggerNames(before: readonly string[], after: readonly string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  const names = new Set<string>();
  for (const t of before) if (!b.has(t)) names.add(triggerName(t));
  for (const t of after) if (!a.has(t)) names.add(triggerName(t));
  return [...names];
}
