/**
 * Data shapes of the diff engine. A snapshot is everything the engine needs to know about one app
 * at one point in time, reduced to digests: comparing two snapshots tells which classes changed,
 * which keys changed, and which hooks must run. Triggers are derived from a snapshot alone, so a
 * Pulumi step (which only sees the next snapshot) reruns exactly when the plan says so.
 */
import type { ChangeClass } from "../model/changeClass";
import type { HookFailure, HookPhase, HookScope, HookStage, ProfileName, Role } from "../model/app";

/** A hook with every rule resolved (profile defaults merged with the user's overrides). */
export interface ResolvedHook {
  name: string;
  script: string;
  failure: HookFailure;
  timeoutSeconds: number | null;
  scope: HookScope;
  roles: Role[];
  /** In the normative order `code, build, runtime, redeploy`. */
  rerunOn: ChangeClass[];
  /** Globs (relative to the app's source root) restricting the hook's `code` class; [] = whole tree. */
  watch: string[];
  phase: HookPhase;
  stage: HookStage;
  variables: "build" | "runtime";
  outcome?: "succeeded" | "failed";
  /** Present (true) when the hook blocks requests: the front proxy holds them while it runs. */
  blocksRequests?: true;
  /** Configuration key of the script (`hooks.post_deploy`, `CC_PRE_RUN_HOOK`). */
  key: string;
}

/** The code of an app: a tree fingerprint and, when known, its per-file digests. */
export interface CodeState {
  /** `sha256:<hex>` of the whole tree, or a caller-chosen token (CLI `--code-changed`). */
  fingerprint: string;
  /** Relative path → file digest; needed for `watch` hooks and for naming changed files. */
  files?: Record<string, string>;
}

/** A keyed class (`build` or `runtime`): one digest per configuration key or variable. */
export interface KeyedClassState {
  /** `sha256:<hex>` over the sorted entries. */
  fingerprint: string;
  /** Readable key (`web.commands.start`, `variables.env.NODE_ENV`, `CC_PRE_RUN_HOOK`) → value digest. */
  entries: Record<string, string>;
}

/** One app, reduced to digests. */
export interface AppSnapshot {
  name: string;
  profile: ProfileName;
  code: CodeState;
  build: KeyedClassState;
  runtime: KeyedClassState;
  redeploy: string;
  /** Hooks the app defines, in lifecycle order. */
  hooks: ResolvedHook[];
  /** Digest of each hook's own script, by hook name. */
  scripts: Record<string, string>;
  /** Classes the build step (dependencies + build command) reruns on, from the profile. */
  buildRerunOn: ChangeClass[];
  /** Release id: derived from the code and build fingerprints (a new build ⇔ a new release). */
  releaseId: string;
}

/** Whether one hook runs, and why. */
export interface HookDecision {
  name: string;
  run: boolean;
  /**
   * Empty when the hook does not run. Each names the class and the key that changed (`runtime
   * changed: hooks.post_deploy`), or says `first deployment: app <name>`.
   */
  reasons: string[];
}

/** The plan of one app. */
export interface AppPlan {
  name: string;
  profile: ProfileName;
  /** Classes that differ, in the normative order. */
  changed: ChangeClass[];
  hooks: HookDecision[];
}

/** Kinds of deployment steps on a host (the artifact `transfer` step is an `upload`). */
export type StepKind = "upload" | "build" | "hook" | "hold" | "activate" | "outcome";

/** A host as the step planner sees it. */
export interface StepHost {
  /** Name used in resource names (`${component}-${host}-${step}`). */
  name: string;
  roles: Role[];
  /**
   * Flags the host that runs `once` hooks. At most one host is flagged, and it must be a web host;
   * without a flag the first web host leads (`leaderOf`).
   */
  leader: boolean;
  /** Stable identity of the machine (user@host:port, or `local`), part of every trigger. */
  identity: string;
}

/** One deployment step on one host: becomes one command resource. */
export interface StepPlan {
  /**
   * Step id unique per host: `probe`, `transfer`, `upload`, `build`, `hook-postDeploy`, `activate`,
   * `outcome`.
   */
  id: string;
  kind: StepKind;
  host: string;
  hook?: ResolvedHook;
  /**
   * The `triggers` of the Pulumi resource, readable: `class=…` per class it depends on, then
   * `script=…` (hook steps) or `<hook>.script=…` per outcome hook (outcome step), then `host=…`.
   */
  triggers: string[];
  /** Steps (as `host/id`) that must finish first. */
  dependsOn: string[];
}
