/**
 * Assembles one step's bash program: a header of constants, the core library (messages, layout,
 * lock), the fragments the step needs, then the step's main part. The wrapper itself runs with
 * `set -u -o pipefail` and checks every command it depends on explicitly; it never uses `set -e`
 * (and nothing of its own options reaches a hook body: bodies run as separate `bash <file>`).
 * All output (stdout and the wrapper's stderr) goes to stdout, in order.
 */
import { bash } from "./bashTemplate";
import { AppTarget, appLayout } from "./layout";
import { assertInteger, assertToken, shellQuote } from "./quote";
import { SECRETS_BASH } from "./secrets";

/** Defaults shared by every step. */
export const DEFAULT_LOCK_WAIT_SECONDS = 600;
export const DEFAULT_TAIL_LINES = 40;
/** Characters kept of each tail line (stdout lands in Pulumi state). */
export const TAIL_WIDTH = 400;

/** Options every step accepts. */
export interface CommonStepOptions {
  /** How long to wait for the app's lock before failing with a clear message. Default 600 s. */
  lockWaitSeconds?: number;
  /** Lines of a hook's log copied to stdout. Default 40. */
  tailLines?: number;
}

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

/** Bash: messages, failure, layout creation, lock, release checks. */
export const CORE_BASH = bash`
dh_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
dh_say() { printf 'deployhooks: %s\n' "$*"; }
dh_fail() {
  local code=$1; shift
  printf '::deployhooks::error step=%s exit=%s\n' "$DH_STEP" "$code"
  dh_say "$*"
  exit "$code"
}
dh_prepare() {
  mkdir -p -- "$DH_APP/releases" "$DH_APP/cache" "$DH_APP/shared" "$DH_APP/logs" \
    "$DH_STATE/hooks" "$DH_STATE/tmp" "$DH_STATE/uploads" "$DH_STATE/releases" \
    || dh_fail 73 "cannot create the layout under $DH_APP"
  chmod go-rwx -- "$DH_STATE" "$DH_APP/logs" 2>/dev/null
  return 0
}
dh_lock() {
  exec 9>>"$DH_STATE/lock" || dh_fail 73 "cannot open the lock file $DH_STATE/lock"
  flock -w "$DH_LOCK_WAIT" 9 || dh_fail 75 "another step of app $DH_APP_NAME still holds $DH_STATE/lock after $DH_LOCK_WAIT s (a concurrent deployment, or a stuck hook); retry when it has finished"
}
dh_release_ok() { [ -f "$DH_STATE/releases/$DH_RELEASE.ok" ] && [ -d "$DH_REL" ]; }
dh_require_release() {
  dh_release_ok || dh_fail 66 "release $DH_RELEASE is not complete on this host ($DH_REL); the upload step must run first"
}
dh_require_current() {
  [ -d "$DH_APP/current" ] || dh_fail 66 "$DH_APP/current does not exist yet; the activate step must run first"
  local now
  now=$(readlink -- "$DH_APP/current")
  [ "$now" = "releases/$DH_RELEASE" ] || dh_say "note: current points to $now, not to release $DH_RELEASE"
  return 0
}
`;

/** The whole program of one step. */
export function renderProgram(parts: ProgramParts): string {
  const layout = appLayout(parts.target);
  assertToken(parts.releaseId, "releaseId", 128);
  const lockWait = parts.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS;
  assertInteger(lockWait, 0, 86400, "lockWaitSeconds");
  const tail = parts.tailLines ?? DEFAULT_TAIL_LINES;
  assertInteger(tail, 0, 1000, "tailLines");
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
    "declare -A dh_secrets=()",
  ].join("\n");
  const start = [
    "dh_prepare",
    ...(parts.secretNames.length > 0 ? [`dh_read_secrets ${parts.secretNames.join(" ")}`] : []),
    "dh_lock",
  ].join("\n");
  return [
    header,
    CORE_BASH.trim(),
    ...(parts.secretNames.length > 0 ? [SECRETS_BASH.trim()] : []),
    ...parts.libraries.map((l) => l.trim()),
    start,
    parts.main.trim(),
    "",
  ].join("\n");
}
