/**
 * A profile is a platform's lifecycle as data: its hooks in lifecycle order with their rules
 * (SPEC §4), how it classifies configuration keys and variables into change classes (SPEC §3),
 * and the host-side behaviour flags the components need. Profiles are plain data plus pure
 * functions; nothing here touches Pulumi or the file system.
 */
import type { ChangeClass } from "../model/changeClass";
import type {
  AppSpec,
  HookFailure,
  HookPhase,
  HookScope,
  HookStage,
  ProfileName,
  Role,
  Variable,
} from "../model/app";

/** One row of a profile's rule table. */
export interface HookRule {
  /** camelCase id (`postDeploy`). */
  name: string;
  /** The platform's own name for it (`post_deploy`, `CC_RUN_SUCCEEDED_HOOK`). */
  platformName: string;
  /** The configuration key holding its script (`hooks.post_deploy`, `CC_RUN_SUCCEEDED_HOOK`). */
  key: string;
  rerunOn: readonly ChangeClass[];
  failure: HookFailure;
  scope: HookScope;
  roles: readonly Role[];
  /** `null`: no timeout. */
  timeoutSeconds: number | null;
  /** Class of the hook's own script. */
  phase: HookPhase;
  stage: HookStage;
  /** Which variables the hook sees: build-visible or runtime-visible ones. */
  variables: "build" | "runtime";
  /**
   * Clever Cloud's run outcome hooks: `succeeded` runs when the app started and passed its health
   * check, `failed` when it did not. Absent for ordinary hooks.
   */
  outcome?: "succeeded" | "failed";
  /**
   * The hook blocks requests while it runs (seeds/004 "Blocks requests: Yes" for Upsun `deploy`):
   * the front proxy holds them and the new release serves them afterwards (SPEC §6a).
   */
  blocksRequests?: boolean;
  /** Where the rule comes from (seed document, reference section). */
  source: string;
}

/**
 * Top-level configuration key under which deployhooks keeps settings of its own that no platform
 * has (e.g. `deployhooks.restartCommand`). They change how the app is run, never how it is built,
 * so every profile classifies them `runtime`.
 */
export const DEPLOYHOOKS_SETTINGS_KEY = "deployhooks";

/** A profile: the rule table plus classification. */
export interface Profile {
  name: ProfileName;
  /** Hooks in lifecycle order. */
  hooks: readonly HookRule[];
  /** Rules for the non-hook build step (dependencies + build command). */
  buildStep: { rerunOn: readonly ChangeClass[] };
  /** Upsun: the release becomes read-only (except mounts) after the build. */
  readOnlyRelease: boolean;
  /** Class of a configuration key path (segments of `AppSpec.config`). */
  classifyKey(path: readonly string[]): Exclude<ChangeClass, "code" | "redeploy">;
  /** Class of a variable. */
  classifyVariable(variable: Variable): Exclude<ChangeClass, "code" | "redeploy">;
  /** Hooks this app may define (Clever Cloud Docker apps: only `runSucceeded`); undefined = all. */
  allowedHooks(app: AppSpec): readonly string[] | undefined;
}
