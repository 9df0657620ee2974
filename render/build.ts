/**
 * The `build` step (dependencies / build flavor / build command) in the new release dir, with
 * build-visible variables, APP_CACHE_DIR and a per-run TMPDIR; always `abort` on failure. An empty
 * command is a no-op that still checks the release and seals it when asked. Recorded in history
 * and logs under the label `step:build`.
 */
import type { ProfileName } from "../model/app";
import { platformVariables, renderEnvFunction } from "./env";
import { RenderedStep, toCommand } from "./invoke";
import { AppTarget, releaseDir } from "./layout";
import { MARKER_PREFIX } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { renderRun, RUN_BASH } from "./run";
import { renderSealCall, SEAL_BASH, SealOptions } from "./seal";
import {
  BuildPhaseOptions,
  RELEASE_BASH,
  renderBuildPhaseEnd,
  renderBuildPhaseStart,
} from "./releaseCheck";
import { normalizeSecretNames } from "./secrets";
import type { InstanceInfo, ProcessVariables } from "./wrapper";

export const BUILD_LABEL = "step:build";

export interface BuildStepInput extends CommonStepOptions, InstanceInfo, ProcessVariables {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  /** Shell text run as one bash script in the release dir; "" = nothing to build. */
  command: string;
  /** Default: no timeout. */
  timeoutSeconds?: number | null;
  fingerprint?: string;
  /** Upsun without a build hook: seal the release after the build. */
  seal?: SealOptions;
  /**
   * A release built earlier and unchanged on the host is reused (`reused release <id>`, nothing
   * runs); `markBuilt` when this is the last build-phase step. Default: `{}` (reuse, no mark).
   */
  buildPhase?: BuildPhaseOptions;
}

/** The `build` step. */
export function renderBuildStep(input: BuildStepInput): RenderedStep {
  const cwd = releaseDir(input.target, input.releaseId);
  const secretNames = normalizeSecretNames(input.secretNames);
  const seal = input.seal ? [`[ "$dh_status" -eq 0 ] && ${renderSealCall(input.seal)}`] : [];
  const run =
    input.command.trim() === ""
      ? [`printf '${MARKER_PREFIX}skip step=build reason=no-build-command\\n'`, "dh_status=0"]
      : [
          renderEnvFunction(
            "dh_env",
            input.variables ?? {},
            secretNames,
            platformVariables({ ...input, appDir: cwd, buildPhase: true }),
          ),
          renderRun({
            label: BUILD_LABEL,
            script: input.command,
            cwd,
            timeoutSeconds: input.timeoutSeconds ?? null,
            failure: "abort",
            fingerprint: input.fingerprint ?? "",
            envFunction: "dh_env",
            abortNote: "; the current release keeps serving",
          }),
          "dh_status=$?",
        ];
  const phase = input.buildPhase ?? {};
  const main = [
    "dh_require_release",
    ...renderBuildPhaseStart(phase),
    "dh_unseal",
    ...run,
    ...seal,
    ...renderBuildPhaseEnd(phase),
    'exit "$dh_status"',
  ].join("\n");
  const program = renderProgram({
    ...input,
    step: "build",
    secretNames,
    libraries: [RUN_BASH, SEAL_BASH, RELEASE_BASH],
    main,
  });
  return { command: toCommand(program), program, secretNames };
}
