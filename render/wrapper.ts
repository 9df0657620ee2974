/**
 * The `hook` step: one hook of the lifecycle run on one host under the hook wrapper contract
 * (see run.ts). cwd: before activation the new release dir (build-phase hooks and Upsun
 * `deploy`), after activation `<app>/current`.
 */
import type { ProfileName } from "../model/app";
import type { ResolvedHook } from "../engine/types";
import { platformVariables, renderEnvFunction } from "./env";
import { RenderedStep, toCommand } from "./invoke";
import { appLayout, AppTarget, releaseDir } from "./layout";
import { CommonStepOptions, renderProgram } from "./program";
import { assertToken } from "./quote";
import { renderRun, RUN_BASH } from "./run";
import { renderSealCall, SEAL_BASH, SealOptions } from "./seal";
import { normalizeSecretNames } from "./secrets";
import {
  BuildPhaseOptions,
  RELEASE_BASH,
  renderBuildPhaseEnd,
  renderBuildPhaseStart,
} from "./releaseCheck";

/** The fields of a resolved hook the wrapper needs. */
export type WrappedHook = Pick<
  ResolvedHook,
  "name" | "script" | "failure" | "timeoutSeconds" | "stage" | "variables"
>;

/** Identity of the instance, for the Clever Cloud variables. */
export interface InstanceInfo {
  /** INSTANCE_NUMBER: index of the host. Default 0. */
  instanceNumber?: number;
  /** CC_DEPLOYMENT_ID. Default: the release id. */
  deploymentId?: string;
  /** CC_COMMIT_ID. Default: the release id. */
  commitId?: string;
}

/** The variables of a process: non-secret values inlined, secrets by name (values on stdin). */
export interface ProcessVariables {
  /** Non-secret variables, inlined in the command text as quoted `export` lines. */
  variables?: Record<string, string>;
  /** Names of secret variables; their values come on stdin (encodeSecretsForStdin). */
  secretNames?: string[];
}

export interface HookStepInput extends CommonStepOptions, InstanceInfo, ProcessVariables {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  hook: WrappedHook;
  /** Recorded in the history line (e.g. a digest of the step's triggers). Default "". */
  fingerprint?: string;
  /** Upsun: after a successful run, link mounts and make the release read-only. */
  seal?: SealOptions;
  /**
   * Given for build-phase hooks (`beforeBuild`/`afterBuild`): a release built earlier and unchanged
   * on the host is reused (`reused release <id>`, the hook does not run). See releaseCheck.ts.
   */
  buildPhase?: BuildPhaseOptions;
}

/** Whether a hook sees build-phase variables and the `build` instance type. */
export function isBuildPhase(hook: Pick<ResolvedHook, "variables">): boolean {
  return hook.variables === "build";
}

/** The `hook` step of `input.hook`. */
export function renderHookStep(input: HookStepInput): RenderedStep {
  const { hook } = input;
  assertToken(hook.name, "hook.name", 64);
  const layout = appLayout(input.target);
  const before = hook.stage !== "afterActivate"; // beforeBuild, afterBuild, beforeActivate: the new release dir
  const cwd = before ? releaseDir(input.target, input.releaseId) : layout.current;
  const secretNames = normalizeSecretNames(input.secretNames);
  const platform = platformVariables({ ...input, appDir: cwd, buildPhase: isBuildPhase(hook) });
  const main = [
    renderEnvFunction("dh_env", input.variables ?? {}, secretNames, platform),
    before ? "dh_require_release" : "dh_require_current",
    ...(before && input.buildPhase ? renderBuildPhaseStart(input.buildPhase) : []),
    ...(before && isBuildPhase(hook) && input.seal ? ["dh_unseal"] : []),
    renderRun({
      label: hook.name,
      script: hook.script,
      cwd,
      timeoutSeconds: hook.timeoutSeconds,
      failure: hook.failure,
      fingerprint: input.fingerprint ?? "",
      envFunction: "dh_env",
      abortNote: before ? "; the current release keeps serving" : "",
    }),
    "dh_status=$?",
    ...(input.seal ? [`[ "$dh_status" -eq 0 ] && ${renderSealCall(input.seal)}`] : []),
    ...(before && input.buildPhase ? renderBuildPhaseEnd(input.buildPhase) : []),
    'exit "$dh_status"',
  ].join("\n");
  const program = renderProgram({
    ...input,
    step: `hook:${hook.name}`,
    secretNames,
    libraries: [
      RUN_BASH,
      ...(input.seal ? [SEAL_BASH] : []),
      ...(before && input.buildPhase ? [RELEASE_BASH] : []),
    ],
    main,
  });
  return { command: toCommand(program), program, secretNames };
}
