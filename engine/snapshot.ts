/**
 * From an AppSpec to an AppSnapshot: every input classified into exactly one change class (SPEC §3)
 * by the app's profile, each reduced to a digest under a readable key, so that two snapshots can
 * be compared key by key and the comparison can name what changed.
 */
import type { AppSpec } from "../model/app";
import { ConfigError } from "../model/configError";
import { formatPath } from "../model/fieldPath";
import { digestValue, secretDigest, sha256 } from "../fingerprint/digest";
import { profileFor, resolveHooks } from "../profiles/resolve";
import type { AppSnapshot, CodeState, KeyedClassState } from "./types";

/** The code state used when the caller has no source tree (a configuration-only comparison). */
export const NO_CODE: CodeState = { fingerprint: "none" };

/**
 * Digest of a hook script. Trailing white space at the very end is not part of what the shell runs
 * (a block scalar's `|` vs `|-` only differs there), so it does not count as a change.
 */
export function scriptDigest(script: string): string {
  return digestValue(script.replace(/\s+$/, ""));
}

/** Calls `visit` for every leaf of a configuration value (arrays and empty objects are leaves). */
function forEachLeaf(
  value: unknown,
  path: string[],
  visit: (path: string[], leaf: unknown) => void,
): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    );
    if (entries.length > 0) {
      for (const [k, v] of entries) forEachLeaf(v, [...path, k], visit);
      return;
    }
  }
  if (value !== undefined) visit(path, value);
}

function keyedState(entries: Record<string, string>): KeyedClassState {
  return { fingerprint: digestValue(entries), entries };
}

/**
 * Snapshot of one app. `code` is the source tree's state (fingerprint/tree.ts), or NO_CODE.
 * Secrets are digested with a slow KDF scoped to the app and variable, never a plain hash.
 */
export function snapshotApp(app: AppSpec, code: CodeState = NO_CODE): AppSnapshot {
  const profile = profileFor(app);
  const hooks = resolveHooks(app, profile);
  const classes = { build: {} as Record<string, string>, runtime: {} as Record<string, string> };
  const put = (
    cls: "build" | "runtime",
    key: string,
    digest: string,
    where: { file?: string; line?: number },
  ) => {
    if (key in classes.build || key in classes.runtime) {
      throw new ConfigError(`'${key}' is defined twice`, { ...where, path: key });
    }
    classes[cls][key] = digest;
  };

  forEachLeaf(app.config, [], (path, leaf) => {
    if (path.length === 0) return;
    put(profile.classifyKey(path), formatPath(path), digestValue(leaf), { file: app.origin?.file });
  });
  for (const v of app.variables) {
    const key = v.origin?.key ?? `variables.${v.name}`;
    const digest = v.secret ? secretDigest(`${app.name}/${v.name}`, v.value) : digestValue(v.value);
    // Visibility decides where the value is delivered, so changing it is a change of the variable.
    put(profile.classifyVariable(v), key, digestValue([digest, v.visibility ?? "both"]), {
      file: v.origin?.file,
      line: v.origin?.line,
    });
  }
  const scripts: Record<string, string> = {};
  for (const hook of hooks) {
    scripts[hook.name] = scriptDigest(hook.script);
    put(hook.phase, hook.key, scripts[hook.name], {});
  }

  const build = keyedState(classes.build);
  const runtime = keyedState(classes.runtime);
  const releaseId = sha256(`${code.fingerprint}\n${build.fingerprint}`).slice(
    "sha256:".length,
    "sha256:".length + 16,
  );
  return {
    name: app.name,
    profile: app.profile,
    code,
    build,
    runtime,
    redeploy: app.redeployToken,
    hooks,
    scripts,
    buildRerunOn: [...profile.buildStep.rerunOn],
    releaseId,
  };
}
