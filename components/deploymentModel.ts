/**
 * Args → a deployment model, one function per component (Application, UpsunApp, CleverCloudApp):
 * plain data, no Pulumi runtime.
 */
import * as path from "node:path";
import {
  AppSpec,
  AppSpecInput,
  parseAppSpec,
  parseOrThrow,
  type LifecycleHook,
} from "../model/app";
import { ConfigError } from "../model/configError";
import {
  type ApplicationArgs,
  type CleverCloudAppArgs,
  type HostArgs,
  type TrafficArgs,
  type UpsunAppArgs,
} from "./args";
import { DEPLOYHOOKS_SETTINGS_KEY } from "../profiles/profile";
import { upsunProvidedVariables } from "./platformVariables";
import { cleverBuildFlavorSteps, upsunBuildFlavorSteps } from "../profiles/buildFlavor";
import { CLEVER_NODE_START, composeBuildCommand } from "../render/flavor";
import { CLEVER_PHP_START, upsunDefaultStart } from "../render/phpServer";
import {
  DEFAULT_KEEP_RELEASES,
  DeploymentModel,
  ModelVariable,
  TrafficSettings,
  defaultArtifactDir,
} from "./planTypes";
import { DEFAULT_DRAIN_SECONDS, DEFAULT_HOLD_SECONDS } from "../render/proxy";
import {
  CC_FIELDS,
  CLEVER_HOOK_FIELDS,
  applicationArgsSchema,
  cleverCloudAppArgsSchema,
  normalizeHosts,
  upsunAppArgsSchema,
} from "./argSchemas";

/** The args every component shares (where the code comes from, hosts, redeploy). */
interface CommonDeploymentArgs {
  appName?: string;
  source?: string;
  redeployToken?: string;
  artifactDir?: string;
  keepReleases?: number;
  hosts?: HostArgs[];
  port?: number;
  restartCommand?: string;
  traffic?: TrafficArgs;
}

/** TrafficArgs → settings with the documented defaults. */
export function trafficSettings(t: TrafficArgs | undefined): TrafficSettings {
  return {
    proxy: t?.proxy ?? true,
    holdSeconds: t?.holdSeconds ?? DEFAULT_HOLD_SECONDS,
    drainSeconds: t?.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
    listenAddress: t?.listenAddress ?? "",
    maxUnavailable: t?.maxUnavailable ?? 1,
  };
}

function commonModel(componentName: string, args: CommonDeploymentArgs) {
  const appName = args.appName ?? componentName;
  return {
    componentName,
    appName,
    hosts: normalizeHosts(args.hosts, args.port),
    source: path.resolve(args.source ?? "."),
    artifactDir: path.resolve(args.artifactDir ?? defaultArtifactDir()),
    keepReleases: args.keepReleases ?? DEFAULT_KEEP_RELEASES,
    redeployToken: args.redeployToken ?? "",
    restartCommand: args.restartCommand,
    traffic: trafficSettings(args.traffic),
  };
}

/** Puts deployhooks' own runtime settings (restartCommand) where every profile classifies them runtime. */
function withSettings(
  config: Record<string, unknown>,
  c: ReturnType<typeof commonModel>,
): Record<string, unknown> {
  if (!c.restartCommand) return config;
  const own = (config[DEPLOYHOOKS_SETTINGS_KEY] as Record<string, unknown> | undefined) ?? {};
  return { ...config, [DEPLOYHOOKS_SETTINGS_KEY]: { ...own, restartCommand: c.restartCommand } };
}

/** Generic Application args → model. */
export function applicationModel<V>(
  componentName: string,
  args: ApplicationArgs & { variables?: { value: V }[] },
): DeploymentModel<V> {
  if (!componentName) throw new ConfigError("is required", { path: "name" });
  parseOrThrow(applicationArgsSchema, args);
  const c = commonModel(componentName, args);
  const config: Record<string, unknown> = { ...(args.config ?? {}) };
  const variables: ModelVariable<V>[] = (args.variables ?? []).map((v) => ({
    name: v.name,
    value: v.value as unknown as V,
    secret: v.secret ?? false,
    visibility: (v.visibility ?? "both") as ModelVariable<V>["visibility"],
    buildAffecting: v.buildAffecting,
    key: `variables.${v.name}`,
  }));
  const start = args.start ?? "";
  const buildCommand = args.buildCommand ?? "";
  const healthCheckPath =
    args.healthCheckPath ??
    (args.port !== undefined || c.hosts.some((h) => h.url) ? "/" : undefined);
  // Runtime settings go where the profile classifies them as runtime (SPEC §3).
  if (args.profile === "upsun") {
    const web = { ...((config.web as Record<string, unknown>) ?? {}) };
    web["deployhooks"] = { start, port: args.port, healthCheckPath };
    config.web = web;
    config["deployhooksBuild"] = { buildCommand };
    if (args.mounts && args.mounts.length > 0) config.mounts = args.mounts;
  } else if (args.profile === "cleverCloud") {
    const add = (
      name: string,
      value: string | number | undefined,
      visibility: "build" | "runtime" | "both" = "both",
    ) => {
      if (value === undefined || value === "" || variables.some((v) => v.name === name)) return;
      variables.push({
        name,
        value: String(value) as unknown as V,
        secret: false,
        visibility,
        key: name,
      });
    };
    add("CC_RUN_COMMAND", start);
    add("CC_BUILD_COMMAND", buildCommand);
    add("CC_HEALTH_CHECK_PATH", healthCheckPath);
    add("PORT", args.port);
  } else {
    // The custom profile classifies `runtime.*` as runtime and every other key as build.
    config["runtime"] = {
      ...((config["runtime"] as Record<string, unknown>) ?? {}),
      start,
      port: args.port,
      healthCheckPath,
    };
    config["deployhooksBuild"] = { buildCommand };
  }
  // The args' closed sets are the model's own literals: no casts needed.
  const lifecycle = args.lifecycle?.map((l): LifecycleHook => ({
    name: l.name,
    rerunOn: l.rerunOn,
    failure: l.failure ?? "abort",
    scope: l.scope ?? "everyHost",
    roles: l.roles ?? ["web", "worker"],
    timeoutSeconds: l.timeoutSeconds ?? null,
    phase: l.phase ?? (l.stage === "beforeBuild" || l.stage === "afterBuild" ? "build" : "runtime"),
    stage: l.stage,
  }));
  return {
    componentName,
    app: {
      name: c.appName,
      profile: args.profile as AppSpec["profile"],
      hooks: (args.hooks ?? []).map(
        (h) => ({ ...h }) as AppSpecInput["hooks"] extends (infer H)[] | undefined ? H : never,
      ),
      config: withSettings(config, c),
      redeployToken: c.redeployToken,
      ...(lifecycle ? { lifecycle } : {}),
    },
    variables,
    hosts: c.hosts,
    source: c.source,
    artifactDir: c.artifactDir,
    keepReleases: c.keepReleases,
    buildCommand,
    start,
    restartCommand: c.restartCommand,
    port: args.port,
    healthCheckPath,
    healthCheckTimeoutSeconds: args.healthCheckTimeoutSeconds ?? 30,
    mounts: args.mounts ?? [],
    traffic: c.traffic,
  };
}

/** A `{NAME: value}` map of args → model variables keyed `<prefix>.<NAME>`. */
function variablesOf<V>(
  map: { [name: string]: unknown } | undefined,
  how: { secret: boolean; visibility: ModelVariable<V>["visibility"]; prefix: string },
): ModelVariable<V>[] {
  return Object.entries(map ?? {}).map(([name, value]) => ({
    name,
    value: value as V,
    secret: how.secret,
    visibility: how.visibility,
    key: `${how.prefix}.${name}`,
  }));
}

/** UpsunApp args → model. */
export function upsunModel<V>(componentName: string, args: UpsunAppArgs): DeploymentModel<V> {
  parseOrThrow(upsunAppArgsSchema, args);
  // variables.env (build-visible), runtime-only variables, secrets: one map each, one key prefix each.
  const vars: ModelVariable<V>[] = [
    ...variablesOf<V>(args.variables, {
      secret: false,
      visibility: "both",
      prefix: "variables.env",
    }),
    ...variablesOf<V>(args.runtimeVariables, {
      secret: false,
      visibility: "runtime",
      prefix: "runtimeVariables",
    }),
    ...variablesOf<V>(args.secrets, { secret: true, visibility: "runtime", prefix: "secrets" }),
  ];
  const config: Record<string, unknown> = { ...(args.config ?? {}) };
  if (args.type !== undefined) config.type = args.type;
  if (args.web) config.web = { ...((config.web as object) ?? {}), ...args.web };
  if (args.mounts) {
    config.mounts = Object.fromEntries(
      Object.entries(args.mounts).map(([p, m]) => [
        p,
        { source: m.source ?? "storage", source_path: m.sourcePath ?? p },
      ]),
    );
  }
  // Upsun-provided variables (PLATFORM_RELATIONSHIPS, PLATFORM_ROUTES, PLATFORM_BRANCH, …).
  vars.push(...upsunProvidedVariables<V>(args.appName ?? componentName, config, args, vars));
  const hooks = (["build", "deploy", "postDeploy"] as const)
    .filter((k) => args.hooks?.[k] !== undefined)
    .map((k) => ({
      name: k,
      script: args.hooks![k] as string,
      origin: { key: k === "postDeploy" ? "hooks.post_deploy" : `hooks.${k}` },
    }));
  return applicationModelFromParts<V>(componentName, args, {
    profile: "upsun",
    hooks,
    variables: vars,
    config,
    start: args.web?.commands?.start ?? upsunDefaultStart(config),
    // Upsun's dependencies and build flavor run first (render/flavor.ts), as on the platform.
    buildCommand: composeBuildCommand(upsunBuildFlavorSteps(config), args.buildCommand ?? ""),
    healthCheckPath: args.healthCheckPath,
    mounts: Object.keys(args.mounts ?? {}),
  });
}

/** CleverCloudApp args → model. */
export function cleverCloudModel<V>(
  componentName: string,
  args: CleverCloudAppArgs,
): DeploymentModel<V> {
  parseOrThrow(cleverCloudAppArgsSchema, args);
  const env: Record<string, unknown> = { ...(args.environment ?? {}) };
  const fields = args as unknown as Record<string, string | undefined>;
  for (const k of CC_FIELDS) if (fields[k] !== undefined) env[k] = fields[k];
  const hooks: AppSpecInput["hooks"] = [];
  const vars: ModelVariable<V>[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (name in CLEVER_HOOK_FIELDS) {
      if (typeof value !== "string") {
        throw new ConfigError("a hook script must be a plain string", {
          path: `environment.${name}`,
        });
      }
      hooks.push({ name: CLEVER_HOOK_FIELDS[name], script: value, origin: { key: name } });
    } else {
      vars.push({ name, value: value as V, secret: false, visibility: "both", key: name });
    }
  }
  for (const [name, value] of Object.entries(args.secrets ?? {})) {
    if (name in env) {
      throw new ConfigError(`${name} is given both in environment and in secrets`, {
        path: `secrets.${name}`,
      });
    }
    vars.push({ name, value: value as unknown as V, secret: true, visibility: "both", key: name });
  }
  const port = args.port ?? 8080;
  if (!vars.some((v) => v.name === "PORT")) {
    vars.push({
      name: "PORT",
      value: String(port) as unknown as V,
      secret: false,
      visibility: "runtime",
      key: "PORT",
    });
  }
  const plain = (k: string) => (typeof env[k] === "string" ? (env[k] as string) : "");
  return applicationModelFromParts<V>(
    componentName,
    { ...args, port },
    {
      profile: "cleverCloud",
      hooks,
      variables: vars,
      config: {
        ...(args.docker ? { runtime: "docker" } : {}),
        ...(args.type !== undefined ? { type: args.type } : {}),
      },
      start:
        plain("CC_RUN_COMMAND") ||
        (args.type === "node" ? CLEVER_NODE_START : args.type === "php" ? CLEVER_PHP_START : ""),
      // The runtime's dependency install (render/flavor.ts), then CC_BUILD_COMMAND.
      buildCommand: composeBuildCommand(
        cleverBuildFlavorSteps(args.type),
        plain("CC_BUILD_COMMAND"),
      ),
      healthCheckPath: plain("CC_HEALTH_CHECK_PATH") || "/",
      mounts: [],
    },
  );
}

function applicationModelFromParts<V>(
  componentName: string,
  args: CommonDeploymentArgs,
  parts: {
    profile: AppSpec["profile"];
    hooks: AppSpecInput["hooks"];
    variables: ModelVariable<V>[];
    config: Record<string, unknown>;
    start: string;
    buildCommand: string;
    healthCheckPath?: string;
    mounts: string[];
  },
): DeploymentModel<V> {
  const c = commonModel(componentName, args);
  const config = { ...parts.config };
  // The start command and the health check are runtime settings; the build command is build.
  if (parts.profile === "upsun") {
    config.web = {
      ...((config.web as object) ?? {}),
      deployhooks: { port: args.port, healthCheckPath: parts.healthCheckPath },
    };
    config["deployhooksBuild"] = { buildCommand: parts.buildCommand };
  }
  const healthCheckPath =
    parts.healthCheckPath ??
    (args.port !== undefined || c.hosts.some((h) => h.url) ? "/" : undefined);
  return {
    componentName,
    app: {
      name: c.appName,
      profile: parts.profile,
      hooks: parts.hooks,
      config: withSettings(config, c),
      redeployToken: c.redeployToken,
    },
    variables: parts.variables,
    hosts: c.hosts,
    source: c.source,
    artifactDir: c.artifactDir,
    keepReleases: c.keepReleases,
    buildCommand: parts.buildCommand,
    start: parts.start,
    restartCommand: c.restartCommand,
    port: args.port,
    healthCheckPath,
    healthCheckTimeoutSeconds: 30,
    mounts: parts.mounts,
    traffic: c.traffic,
  };
}

// ---------------------------------------------------------------------------------------------
// Planning.

/** The validated AppSpec of a resolved model (secret values included: use only in memory). */
export function appSpecOf(model: DeploymentModel<string>): AppSpec {
  return parseAppSpec({
    ...model.app,
    variables: model.variables.map((v) => ({
      name: v.name,
      value: v.value,
      visibility: v.visibility,
      ...(v.secret ? { secret: true } : {}),
      ...(v.buildAffecting !== undefined ? { buildAffecting: v.buildAffecting } : {}),
      origin: { key: v.key },
    })),
  });
}
