/**
 * Upsun / Platform.sh: `build`, `deploy`, `post_deploy` (SPEC §4).
 *
 * Sources: seeds/003 ("hooks" page of the Upsun docs: order, "only the `build` hook is run for
 * worker instances", "if an environment changes by no code changes, only the last step is run"),
 * seeds/004 (comparison table: failures stop build, variables, timeout, workers, redeploys),
 * reference/platform-hooks.md §2.1 (keys that do not trigger a rebuild; deploy runs on one node).
 */
import type { Variable } from "../model/app";
import { DEPLOYHOOKS_SETTINGS_KEY, type HookRule, type Profile } from "./profile";

/** Upsun's hook rule table. */
export const UPSUN_HOOKS: readonly HookRule[] = [
  {
    // seeds/004: fails the build, build variables, 1 hour timeout, runs on workers, not on redeploys.
    name: "build",
    platformName: "build",
    key: "hooks.build",
    rerunOn: ["code", "build"],
    failure: "abort",
    scope: "everyHost",
    roles: ["web", "worker"],
    timeoutSeconds: 3600,
    phase: "build",
    stage: "afterBuild",
    variables: "build",
    source:
      "seeds/004 comparison table; seeds/003 'Timeout: Build hooks automatically time out if they run for 1 hour'",
  },
  {
    // seeds/004: does not stop the build, runtime variables, no timeout, not on workers, tied to
    // commits ("reused until there is a new git commit"); platform-hooks.md: "run on 1 node".
    name: "deploy",
    platformName: "deploy",
    key: "hooks.deploy",
    rerunOn: ["code", "build"],
    failure: "warn",
    scope: "once",
    roles: ["web"],
    timeoutSeconds: null,
    phase: "runtime",
    stage: "beforeActivate",
    variables: "runtime",
    blocksRequests: true,
    source:
      "seeds/004 'Deploy hook' ('Blocks requests: Yes'); reference/platform-hooks.md §2.1 'the deploy hook is only ever run on 1 node'",
  },
  {
    // seeds/004: "The post_deploy hook is the only hook that runs during a redeploy".
    name: "postDeploy",
    platformName: "post_deploy",
    key: "hooks.post_deploy",
    rerunOn: ["code", "build", "runtime", "redeploy"],
    failure: "warn",
    scope: "once",
    roles: ["web"],
    timeoutSeconds: null,
    phase: "runtime",
    stage: "afterActivate",
    variables: "runtime",
    source: "seeds/004 'Post-deploy hook'; seeds/003 'only the last step is run'",
  },
];

/**
 * Top-level keys that never trigger a rebuild (reference/platform-hooks.md §2.1, SPEC §3): `access`,
 * `relationships`, `firewall`, `crons`, `web` except `web.mounts`, `workers` except
 * `workers.<name>.mounts`. (`hooks.deploy` and `hooks.post_deploy` are hook scripts: their class
 * comes from the hook rule's `phase`.) Every other key is `build`.
 */
export const UPSUN_RUNTIME_KEYS: readonly string[] = [
  "access",
  "relationships",
  "firewall",
  "crons",
  "web",
  "workers",
];

function classifyUpsunKey(path: readonly string[]): "build" | "runtime" {
  const [top, second, third] = path;
  if (top === DEPLOYHOOKS_SETTINGS_KEY) return "runtime";
  if (top === "web") return second === "mounts" ? "build" : "runtime";
  if (top === "workers") return third === "mounts" ? "build" : "runtime";
  if (top === "hooks") return second === "deploy" || second === "post_deploy" ? "runtime" : "build";
  return UPSUN_RUNTIME_KEYS.includes(top) ? "runtime" : "build";
}

/** Variables declared in the app configuration are visible at build time, so they are `build`. */
function classifyUpsunVariable(v: Variable): "build" | "runtime" {
  return v.visibility === "runtime" ? "runtime" : "build";
}

export const upsun: Profile = {
  name: "upsun",
  hooks: UPSUN_HOOKS,
  buildStep: { rerunOn: ["code", "build"] },
  readOnlyRelease: true,
  classifyKey: classifyUpsunKey,
  classifyVariable: classifyUpsunVariable,
  allowedHooks: () => undefined,
};
