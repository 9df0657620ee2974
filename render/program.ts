/**
 * Assembles one step's bash program: a header of constants, the core library (messages, layout,
 * lock), the fragments the step needs, then the step's main part. The wrapper itself runs with
 * `set -u -o pipefail` and checks every command it depends on explicitly; it never uses `set -e`
 * (and nothing of its own options reaches a hook body: bodies run as separate `bash <file>`).
 * All output (stdout and the wrapper's stderr) goes to stdout, in order.
 */
import { hostFile, hostLibraryPath, isInHostLibrary } from "./library";
import { AppTarget, appLayout } from "./layout";
import { assertInteger, assertToken, shellQuote } from "./quote";
import { SECRETS_BASH } from "./secrets";

/** Defaults shared by every step. */
export const DEFAULT_LOCK_WAIT_SECONDS = 600;
export const DEFAULT_TAIL_LINES = 40;
export const DEFAULT_LIVE_LINES = 100;
/** Characters kept of each tail line (stdout lands in Pulumi state). */
export const TAIL_WIDTH = 400;

/** Options every step accepts. */
export interface CommonStepOptions {
  /** How long to wait for the app's lock before failing with a clear message. Default 600 s. */
  lockWaitSeconds?: number;
  /** Last lines of a hook's log copied to stdout after the run (beyond the live ones). Default 40. */
  tailLines?: number;
  /** First lines of a hook's output copied to stdout live, while it runs. Default 100. */
  liveLines?: number;
  /**
   * The step's trigger entries (`key=value`): each hook run compares them with those of its previous
   * run on the host and reports the keys that changed as its `reason`. Default none (`reason=-`).
   */
  triggers?: string[];
  /**
   * Source the host library (`hostLibraryPath(target)`, installed by `renderLibraryStep`) instead
   * of inlining its functions: the command text is then only what is specific to the step.
   * Default false (a self-contained program).
   */
  hostLibrary?: boolean;
  /**
   * The deployment this step belongs to (a token; the components give the release id): under the
   * lock the step claims the app for it and fails with exit 76 when another deployment superseded
   * it (render/README.md §3a). Default: no claim.
   */
  deployment?: string;
}

/** Seconds after its last step start during which a deployment counts as in progress. */
export const CLAIM_WINDOW_SECONDS = 120;

export interface ProgramParts extends CommonStepOptions {
  /** Step label for messages: `upload`, `build`, `hook:deploy`, `activate`, `outcome`. */
  step: string;
  target: AppTarget;
  releaseId: string;
  /** Sorted, validated secret names expected on stdin. */
  secretNames: string[];
  /** Bash fragments (function definitions) the main part uses. */
  libraries: string[];
  main: string;
}

/** Bash: messages, failure, layout creation, lock, release checks, redaction (render/host/core.sh). */
export const CORE_BASH = hostFile("core.sh");

/** The whole program of one step. */
export function renderProgram(parts: ProgramParts): string {
  const layout = appLayout(parts.target);
  assertToken(parts.releaseId, "releaseId", 128);
  const lockWait = parts.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS;
  assertInteger(lockWait, 0, 86400, "lockWaitSeconds");
  const tail = parts.tailLines ?? DEFAULT_TAIL_LINES;
  assertInteger(tail, 0, 1000, "tailLines");
  const live = parts.liveLines ?? DEFAULT_LIVE_LINES;
  assertInteger(live, 0, 10000, "liveLines");
  if (parts.deployment !== undefined) assertToken(parts.deployment, "deployment", 128);
  const header = [
    `# deployhooks step ${parts.step} (generated; protocol in render/README.md)`,
    "set -u -o pipefail",
    "exec 2>&1",
    `DH_STEP=${shellQuote(parts.step)}`,
    `DH_APP=${shellQuote(layout.appDir)}`,
    `DH_APP_NAME=${shellQuote(parts.target.app)}`,
    `DH_STATE=${shellQuote(layout.stateDir)}`,
    `DH_RELEASE=${shellQuote(parts.releaseId)}`,
    `DH_REL=${shellQuote(`${layout.releasesDir}/${parts.releaseId}`)}`,
    `DH_LOCK_WAIT=${lockWait}`,
    `DH_TAIL_LINES=${tail}`,
    `DH_TAIL_WIDTH=${TAIL_WIDTH}`,
    `DH_LIVE_LINES=${live}`,
    `DH_TRIGGERS=(${(parts.triggers ?? []).map((t) => shellQuote(t, "triggers")).join(" ")})`,
    ...(parts.deployment !== undefined
      ? [`DH_DEPLOYMENT=${shellQuote(parts.deployment)}`, `DH_CLAIM_WINDOW=${CLAIM_WINDOW_SECONDS}`]
      : []),
  ].join("\n");
  const start = [
    "dh_prepare",
    ...(parts.secretNames.length > 0 ? [`dh_read_secrets ${parts.secretNames.join(" ")}`] : []),
    "dh_lock",
    ...(parts.deployment !== undefined ? ["dh_claim", "dh_begin"] : []),
  ].join("\n");
  if (parts.hostLibrary) {
    const lib = hostLibraryPath(parts.target);
    const missing = `cannot read the host library ${lib}; it is installed by the library step of this host (to reinstall it: pulumi up --target-replace the resource <component>-<host>-library)`;
    return [
      header,
      `. ${shellQuote(lib)} || { printf '::deployhooks::error step=%s exit=66\\n' "$DH_STEP"; printf 'deployhooks: %s\\n' ${shellQuote(missing)}; exit 66; }`,
      ...parts.libraries.filter((l) => !isInHostLibrary(l)).map((l) => l.trim()),
      start,
      parts.main.trim(),
      "",
    ].join("\n");
  }
  return [
    header,
    CORE_BASH.trim(),
    ...(parts.secretNames.length > 0 ? [SECRETS_BASH.trim()] : []),
    ...parts.libraries.filter((l) => l !== CORE_BASH && l !== SECRETS_BASH).map((l) => l.trim()),
    start,
    parts.main.trim(),
    "",
  ].join("\n");
}
