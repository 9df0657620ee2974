/**
 * The custom profile: users who define their own lifecycle give the rule rows themselves
 * (`AppSpec.lifecycle`). Configuration keys under `runtime` (e.g. `runtime.start`) are `runtime`;
 * every other key is `build`. Variables are `build` unless visible at run time only — the same rule
 * as Upsun's, which is the least surprising for a user-defined table.
 */
import type { LifecycleHook, Variable } from "../model/app";
import { orderClasses } from "../model/changeClass";
import { DEPLOYHOOKS_SETTINGS_KEY, type HookRule, type Profile } from "./profile";

/** Builds a profile from user-defined lifecycle rows (in lifecycle order). */
export function customProfile(lifecycle: readonly LifecycleHook[]): Profile {
  const hooks: HookRule[] = lifecycle.map((row) => ({
    name: row.name,
    platformName: row.name,
    key: `hooks.${row.name}`,
    rerunOn: orderClasses(row.rerunOn),
    failure: row.failure,
    scope: row.scope,
    roles: row.roles,
    timeoutSeconds: row.timeoutSeconds,
    phase: row.phase,
    stage: row.stage,
    variables: row.phase,
    source: "user-defined lifecycle",
  }));
  return {
    name: "custom",
    hooks,
    buildStep: { rerunOn: ["code", "build"] },
    readOnlyRelease: false,
    classifyKey: (path) =>
      path[0] === "runtime" || path[0] === DEPLOYHOOKS_SETTINGS_KEY ? "runtime" : "build",
    classifyVariable: (v: Variable) => (v.visibility === "runtime" ? "runtime" : "build"),
    allowedHooks: () => undefined,
  };
}
