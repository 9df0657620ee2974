/**
 * The environment of a hook or app process: the user's variables (non-secret ones inlined as
 * quoted `export` lines, secret ones copied from the stdin block), then the platform variables,
 * which win over user variables of the same name.
 */
import type { ProfileName } from "../model/app";
import { ConfigError } from "../model/configError";
import { AppTarget, appLayout } from "./layout";
import { assertInteger, assertToken, assertVariableName, shellQuote } from "./quote";

/** Where and how a process runs, for the platform variables. */
export interface PlatformContext {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  /** The directory the process runs in (APP_DIR / PLATFORM_APP_DIR / APP_HOME). */
  appDir: string;
  /** Clever Cloud INSTANCE_TYPE: `build` for build-phase hooks, `production` otherwise. */
  buildPhase: boolean;
  /** Clever Cloud INSTANCE_NUMBER (the host's index). Default 0. */
  instanceNumber?: number;
  /** Clever Cloud CC_DEPLOYMENT_ID. Default: the release id. */
  deploymentId?: string;
  /** Clever Cloud CC_COMMIT_ID. Default: the release id. */
  commitId?: string;
}

/**
 * Platform variables: `APP_DIR`, `APP_CACHE_DIR`, `APP_RELEASE_ID` always; Upsun aliases for
 * `upsun`, Clever Cloud aliases for `cleverCloud`, both sets for `custom`.
 */
export function platformVariables(ctx: PlatformContext): Record<string, string> {
  const layout = appLayout(ctx.target);
  const instance = ctx.instanceNumber ?? 0;
  assertInteger(instance, 0, 1_000_000, "instanceNumber");
  const deploymentId = ctx.deploymentId ?? ctx.releaseId;
  const commitId = ctx.commitId ?? ctx.releaseId;
  assertToken(deploymentId, "deploymentId");
  assertToken(commitId, "commitId");
  const vars: Record<string, string> = {
    APP_DIR: ctx.appDir,
    APP_CACHE_DIR: layout.cacheDir,
    APP_RELEASE_ID: ctx.releaseId,
  };
  if (ctx.profile !== "cleverCloud") {
    Object.assign(vars, {
      PLATFORM_APP_DIR: ctx.appDir,
      PLATFORM_CACHE_DIR: layout.cacheDir,
      PLATFORM_TREE_ID: ctx.releaseId,
      PLATFORM_APPLICATION_NAME: ctx.target.app,
    });
  }
  if (ctx.profile !== "upsun") {
    Object.assign(vars, {
      APP_HOME: ctx.appDir,
      INSTANCE_NUMBER: String(instance),
      INSTANCE_TYPE: ctx.buildPhase ? "build" : "production",
      CC_DEPLOYMENT_ID: deploymentId,
      CC_COMMIT_ID: commitId,
    });
  }
  return vars;
}

/**
 * What Upsun adds to every process of an app, in bash (only for profiles with the Upsun variables):
 * - the global `dependencies` on PATH (`.global/bin` for npm and pip, `.global/vendor/bin` for
 *   Composer; render/flavor.ts installs them there), when the app has a `.global` directory;
 * - `PLATFORM_DOCUMENT_ROOT` given relative (profiles/upsunEnvironment.ts) made absolute against
 *   the process's `PLATFORM_APP_DIR`;
 * - at runtime (`PLATFORM_ENVIRONMENT` is set: the test Upsun's own config readers use to tell
 *   runtime from build), the app's `.environment` file sourced last, so it "has the last word on
 *   environment variable values" (platformsh-docs `development/variables/set-variables.md`, "Set
 *   variables via script": it runs "when the container starts and on all SSH logins", i.e. for the
 *   deploy and post_deploy hooks, the start command, workers and crons, never for the build).
 *   Upsun sources it with dash; we source it in the process's bash, with the caller's shell options
 *   (`set -u`, …) lifted while it runs.
 */
function upsunRuntimeLines(variables: Record<string, string>): string[] {
  const lines = [
    '  if [ -d "$PLATFORM_APP_DIR/.global" ]; then',
    '    export PATH="$PLATFORM_APP_DIR/.global/bin:$PLATFORM_APP_DIR/.global/vendor/bin:$PATH"',
    '    export PYTHONUSERBASE="$PLATFORM_APP_DIR/.global"',
    "  fi",
  ];
  const docRoot = variables.PLATFORM_DOCUMENT_ROOT;
  if (docRoot !== undefined && !docRoot.startsWith("/")) {
    const rel = docRoot === "" ? "" : `/${docRoot}`;
    lines.push(
      `  export PLATFORM_DOCUMENT_ROOT="$PLATFORM_APP_DIR"${shellQuote(rel, "PLATFORM_DOCUMENT_ROOT")}`,
    );
  }
  if (variables.PLATFORM_ENVIRONMENT !== undefined) {
    lines.push(
      '  if [ -f "$PLATFORM_APP_DIR/.environment" ]; then',
      "    local dh_opts",
      "    dh_opts=$(set +o)",
      "    set +eu",
      '    . "$PLATFORM_APP_DIR/.environment"',
      '    eval "$dh_opts"',
      "  fi",
    );
  }
  return lines;
}

/**
 * Bash function `name` that exports, in this order: `variables` (quoted literals), the secrets
 * `secretNames` (from `dh_secrets`), then `platform`. Runs inside the subshell of one process only.
 */
export function renderEnvFunction(
  name: string,
  variables: Record<string, string>,
  secretNames: readonly string[],
  platform: Record<string, string>,
): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(variables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    assertVariableName(k, `variables.${k}`);
    if (secretNames.includes(k)) {
      throw new ConfigError(`${k} is given both as a variable and as a secret`, {
        path: `variables.${k}`,
      });
    }
    if (typeof v !== "string") {
      throw new ConfigError("must be a string", { path: `variables.${k}` });
    }
    lines.push(`  export ${k}=${shellQuote(v, `variables.${k}`)}`);
  }
  for (const k of secretNames) {
    assertVariableName(k, `secretNames.${k}`);
    lines.push(`  export ${k}="\${dh_secrets[${k}]}"`);
  }
  for (const [k, v] of Object.entries(platform)) lines.push(`  export ${k}=${shellQuote(v, k)}`);
  if ("PLATFORM_APP_DIR" in platform) lines.push(...upsunRuntimeLines(variables));
  return [`${name}() {`, ...lines, "  return 0", "}"].join("\n");
}
