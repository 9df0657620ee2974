/** render/: bash programs run on hosts, stdin encoding of secrets, parsing of step output. */
export {
  shellQuote,
  isValidVariableName,
  assertVariableName,
  RESERVED_VARIABLE_NAMES,
} from "./quote";
export { appLayout, normalizeTarget, releaseDir, uploadPath, logFile, historyFile } from "./layout";
export type { AppTarget, AppLayout } from "./layout";
export { toCommand, MAX_PROGRAM_BYTES } from "./invoke";
export type { RenderedStep } from "./invoke";
export { encodeSecretsForStdin, SECRETS_HEADER, SECRETS_END } from "./secrets";
export { platformVariables } from "./env";
export type { PlatformContext } from "./env";
export { DEFAULT_LOCK_WAIT_SECONDS, DEFAULT_TAIL_LINES } from "./program";
export type { CommonStepOptions } from "./program";
export {
  MARKER_PREFIX,
  TAIL_PREFIX,
  HINT_126,
  HINT_127,
  exitHint,
  describeHookFailure,
} from "./messages";
export { renderUploadStep, normalizeSha256 } from "./upload";
export type { UploadStepInput } from "./upload";
export { renderBuildStep, BUILD_LABEL } from "./build";
export type { BuildStepInput } from "./build";
export { renderHookStep, isBuildPhase } from "./wrapper";
export type { HookStepInput, WrappedHook, InstanceInfo, ProcessVariables } from "./wrapper";
export type { SealOptions } from "./seal";
export { renderActivateStep, renderStopStep, RESTART_LABEL } from "./activate";
export type { ActivateStepInput, StartOptions, StopStepInput } from "./activate";
export type { HealthCheck } from "./health";
export { renderOutcomeStep } from "./outcome";
export type { OutcomeStepInput } from "./outcome";
export { parseStepOutput } from "./parse";
export type { StepOutput, HookRunReport, HookWarning, RunOutcome } from "./parse";
