/**
 * Clever Cloud: `CC_PRE_BUILD_HOOK` … `CC_RUN_FAILED_HOOK` (SPEC §4).
 *
 * Sources: seeds/000 and seeds/001 (Clever Cloud "Deployment hooks" page: order, failure, "ran
 * every time", "not ran during deployments from cache", Docker exception), seeds/002 (blog post:
 * run succeeded/failed "can't abort the launch"), reference/platform-hooks.md §2.2 (cache
 * deployments, variables).
 */
import type { AppSpec, Variable } from "../model/app";
import { DEPLOYHOOKS_SETTINGS_KEY, type HookRule, type Profile } from "./profile";

const EVERY = ["code", "build", "runtime", "redeploy"] as const;

/** Clever Cloud's hook rule table. Scope: every host (no once-only hooks on the platform). */
export const CLEVER_CLOUD_HOOKS: readonly HookRule[] = [
  {
    // seeds/000: "ran before the dependencies are fetched. If it fails, the deployment fails. This hook is ran every time."
    name: "preBuild",
    platformName: "CC_PRE_BUILD_HOOK",
    key: "CC_PRE_BUILD_HOOK",
    rerunOn: EVERY,
    failure: "abort",
    scope: "everyHost",
    roles: ["web", "worker"],
    timeoutSeconds: null,
    phase: "build",
    stage: "beforeBuild",
    variables: "build",
    source: "seeds/000 'Pre Build'",
  },
  {
    // seeds/000: "ran after the project is built ... If it fails, the deployment fails. This hook is not ran during deployments from cache."
    name: "postBuild",
    platformName: "CC_POST_BUILD_HOOK",
    key: "CC_POST_BUILD_HOOK",
    rerunOn: ["code", "build"],
    failure: "abort",
    scope: "everyHost",
    roles: ["web", "worker"],
    timeoutSeconds: null,
    phase: "build",
    stage: "afterBuild",
    variables: "build",
    source: "seeds/000 'Post Build'",
  },
  {
    // seeds/000: "ran before the application is started ... If it fails, the deployment fails. This hook is ran every time."
    name: "preRun",
    platformName: "CC_PRE_RUN_HOOK",
    key: "CC_PRE_RUN_HOOK",
    rerunOn: EVERY,
    failure: "abort",
    scope: "everyHost",
    roles: ["web", "worker"],
    timeoutSeconds: null,
    phase: "runtime",
    stage: "beforeActivate",
    variables: "runtime",
    source: "seeds/000 'Pre Run'",
  },
  {
    // seeds/000: "ran once the application has started ... Their failure doesn't cause the deployment to fail. One of these hooks is ran every time."
    name: "runSucceeded",
    platformName: "CC_RUN_SUCCEEDED_HOOK",
    key: "CC_RUN_SUCCEEDED_HOOK",
    rerunOn: EVERY,
    failure: "warn",
    scope: "everyHost",
    roles: ["web", "worker"],
    timeoutSeconds: null,
    phase: "runtime",
    stage: "afterActivate",
    variables: "runtime",
    outcome: "succeeded",
    source: "seeds/000 'Run Succeeded'; seeds/002 'They can't abort the launch'",
  },
  {
    // seeds/000: "(or has failed starting) ... One of these hooks is ran every time."; SPEC §4: "the deployment then fails".
    name: "runFailed",
    platformName: "CC_RUN_FAILED_HOOK",
    key: "CC_RUN_FAILED_HOOK",
    rerunOn: EVERY,
    failure: "warn",
    scope: "everyHost",
    roles: ["web", "worker"],
    timeoutSeconds: null,
    phase: "runtime",
    stage: "afterActivate",
    variables: "runtime",
    outcome: "failed",
    source: "seeds/000 'Run Failed'; SPEC §4",
  },
];

/**
 * Variables that shape the build on Clever Cloud, so a change to one is a `build` change (a new
 * build, not a restart from cache). Every other variable is `runtime`.
 * Source: CleverCloud/documentation `content/doc/reference/reference-environment-variables.md`
 * (sections "Variables you can define", "Control build and dependencies cache", and the per-runtime
 * build settings), and reference/platform-hooks.md §2.2.
 */
export const CLEVER_CLOUD_BUILD_VARIABLES: readonly { name: string; why: string }[] = [
  { name: "CC_PRE_BUILD_HOOK", why: "build-phase hook script" },
  { name: "CC_POST_BUILD_HOOK", why: "build-phase hook script" },
  { name: "CC_BUILD_COMMAND", why: "the build command" },
  { name: "APP_FOLDER", why: "folder the app is built from" },
  { name: "CC_DISABLE_GIT_SUBMODULES", why: "changes the checked-out sources" },
  { name: "CC_NODE_VERSION", why: "Node.js version installed for the build" },
  { name: "CC_CACHE_DEPENDENCIES", why: "build dependency cache" },
  { name: "CC_DISABLE_BUILD_CACHE_UPLOAD", why: "build cache archive" },
  { name: "CC_IGNORE_FROM_BUILDCACHE", why: "build cache archive content" },
  { name: "IGNORE_FROM_BUILDCACHE", why: "build cache archive content (deprecated name)" },
  { name: "CC_OVERRIDE_BUILDCACHE", why: "build cache archive content" },
  { name: "CC_DOCKERFILE", why: "Docker: the Dockerfile built" },
  { name: "CC_DOTNET_PROFILE", why: ".NET build configuration" },
  { name: "CC_DOTNET_PROJ", why: ".NET project built" },
  { name: "CC_DOTNET_TFM", why: ".NET target framework" },
  { name: "CC_DOTNET_VERSION", why: ".NET SDK version" },
  { name: "CC_ELIXIR_VERSION", why: "Elixir version" },
  { name: "CC_MIX_BUILD_GOAL", why: "Elixir build goal" },
  { name: "CC_PHOENIX_ASSETS_DIR", why: "Phoenix assets build" },
  { name: "CC_PHOENIX_DIGEST_GOAL", why: "Phoenix assets build" },
  { name: "CC_GO_BUILD_TOOL", why: "Go build tool" },
  { name: "CC_GO_PKG", why: "Go main package built" },
  { name: "CC_HASKELL_STACK_TARGET", why: "Haskell build target" },
  { name: "CC_HASKELL_STACK_SETUP_COMMAND", why: "Haskell build step" },
  { name: "CC_HASKELL_STACK_INSTALL_COMMAND", why: "Haskell build step" },
  { name: "CC_HASKELL_STACK_INSTALL_DEPENDENCIES_COMMAND", why: "Haskell build step" },
  { name: "CC_JAVA_VERSION", why: "JVM used to build" },
  { name: "CC_MAVEN_PROFILES", why: "Maven build profiles" },
  { name: "MAVEN_DEPLOY_GOAL", why: "Maven build goals" },
  { name: "GRADLE_DEPLOY_GOAL", why: "Gradle build goals" },
  { name: "SBT_DEPLOY_GOAL", why: "sbt build goals" },
  { name: "PLAY1_VERSION", why: "Play 1 version" },
  { name: "CC_NODE_DEV_DEPENDENCIES", why: "Node.js dev dependencies installed or not" },
  { name: "CC_NODE_BUILD_TOOL", why: "Node.js build tool" },
  { name: "CC_CUSTOM_BUILD_TOOL", why: "Node.js custom build command" },
  { name: "CC_NPM_REGISTRY", why: "registry dependencies come from" },
  { name: "NPM_TOKEN", why: "private registry access for dependencies" },
  { name: "CC_COMPOSER_VERSION", why: "Composer version" },
  { name: "CC_PHP_DEV_DEPENDENCIES", why: "PHP dev dependencies installed or not" },
  { name: "CC_PHP_VERSION", why: "PHP version" },
  { name: "CC_PIP_REQUIREMENTS_FILE", why: "Python requirements installed" },
  { name: "CC_PYTHON_VERSION", why: "Python version" },
  { name: "PYTHON_SETUP_PY_GOAL", why: "Python setup goal after requirements" },
  { name: "CC_RUBY_VERSION", why: "Ruby version" },
  { name: "CC_RUSTUP_CHANNEL", why: "Rust toolchain" },
  { name: "CC_RUST_FEATURES", why: "Rust features compiled" },
];

const BUILD_VARIABLE_NAMES = new Set(CLEVER_CLOUD_BUILD_VARIABLES.map((v) => v.name));

/** A variable is `runtime` unless it shapes the build (the table above, or declared so). */
function classifyCleverVariable(v: Variable): "build" | "runtime" {
  if (v.buildAffecting !== undefined) return v.buildAffecting ? "build" : "runtime";
  return BUILD_VARIABLE_NAMES.has(v.name) ? "build" : "runtime";
}

/**
 * Docker applications accept only `runSucceeded` (seeds/001 "Exceptions / Docker"). The newer
 * Clever Cloud Docker page says all hooks are supported (reference/platform-hooks.md §2.2); SPEC §4
 * follows the seed, so we do too, and the error message says so.
 */
function cleverAllowedHooks(app: AppSpec): readonly string[] | undefined {
  return app.config["runtime"] === "docker" ? ["runSucceeded"] : undefined;
}

export const cleverCloud: Profile = {
  name: "cleverCloud",
  hooks: CLEVER_CLOUD_HOOKS,
  buildStep: { rerunOn: ["code", "build"] },
  readOnlyRelease: false,
  // The configuration keys of a Clever Cloud app (runtime type and the other keys of a legacy
  // clevercloud/<runtime>.json) decide what is built: `build`; deployhooks' own settings: runtime.
  classifyKey: (path) => (path[0] === DEPLOYHOOKS_SETTINGS_KEY ? "runtime" : "build"),
  classifyVariable: classifyCleverVariable,
  allowedHooks: cleverAllowedHooks,
};
