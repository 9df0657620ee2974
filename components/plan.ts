/**
 * Pure planning for the components (no Pulumi runtime): args → a deployment model (AppSpec input,
 * hosts, runtime settings), and a resolved model → one resource spec per engine StepPlan
 * ({type, name, create, update, triggers, secretNames, dependsOn, copy}). The component classes only
 * resolve Inputs and wire these specs into `@pulumi/command` resources.
 */
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import {
  AppSpec,
  AppSpecInput,
  HOOK_FAILURES,
  HOOK_SCOPES,
  parseAppSpec,
  parseOrThrow,
  HOOK_STAGES,
  type LifecycleHook,
  ROLES,
  VISIBILITIES,
} from "../model/app";
import { CHANGE_CLASSES } from "../model/changeClass";
import { ConfigError } from "../model/configError";
import { deploymentSteps, snapshotApp, stepRef } from "../engine";
import type { AppSnapshot, CodeState, StepHost, StepKind, StepPlan } from "../engine/types";
import { profileFor } from "../profiles/resolve";
import { renderActivateStep, renderStopStep } from "../render/activate";
import { digestValue } from "../fingerprint/digest";
import { renderBuildStep } from "../render/build";
import { AppTarget, uploadPath } from "../render/layout";
import { renderUploadStep } from "../render/upload";
import { renderHookStep } from "../render/wrapper";
import type { ApplicationArgs, CleverCloudAppArgs, HostArgs, UpsunAppArgs } from "./args";
import { DEPLOYHOOKS_SETTINGS_KEY } from "../profiles/profile";
import { renderOutcomeStep } from "../render/outcome";

/** Resource types the components create. */
export const LOCAL_COMMAND = "command:local:Command";
export const REMOTE_COMMAND = "command:remote:Command";
export const COPY_TO_REMOTE = "command:remote:CopyToRemote";
export type StepResourceType = typeof LOCAL_COMMAND | typeof REMOTE_COMMAND | typeof COPY_TO_REMOTE;

/** The no-op `update` of every command: only `triggers` (a replace) rerun a step (SPEC §5). */
export const NOOP_UPDATE = "true";
/** Default remote deployment root. */
export const DEFAULT_REMOTE_ROOT = "/srv/deployhooks";
/** Default local deployment root. */
export function defaultLocalRoot(): string {
  return path.join(os.homedir(), ".deployhooks", "apps");
}
/** Default directory of release tarballs. */
export function defaultArtifactDir(): string {
  return path.join(os.tmpdir(), "deployhooks-artifacts");
}

/** A variable whose value may still be an Input (V) or is resolved (string). */
export interface ModelVariable<V> {
  name: string;
  value: V;
  secret: boolean;
  visibility: "build" | "runtime" | "both";
  buildAffecting?: boolean;
  /** Configuration key (`variables.env.X`, `CC_NODE_VERSION`). */
  key: string;
}

/** A host as planned: plain data (the connection stays in the component). */
export interface PlanHost {
  name: string;
  roles: ("web" | "worker")[];
  leader: boolean;
  remote: boolean;
  root: string;
  /** URL probed by the health check, on the host itself. */
  url?: string;
  /** Index in the hosts list (INSTANCE_NUMBER). */
  index: number;
}

/** Everything a deployment needs, with variable values of type V (Input, then string). */
export interface DeploymentModel<V> {
  componentName: string;
  /** The app without its variables (those are in `variables`). */
  app: Omit<AppSpecInput, "variables">;
  variables: ModelVariable<V>[];
  hosts: PlanHost[];
  source: string;
  artifactDir: string;
  buildCommand: string;
  start: string;
  /** Your own restart command (systemd, …) instead of the built-in supervisor. */
  restartCommand?: string;
  port?: number;
  healthCheckPath?: string;
  healthCheckTimeoutSeconds: number;
  mounts: string[];
}

/** One resource to create. */
export interface StepResourceSpec {
  /** `${component}-${host}-${stepId}`. */
  name: string;
  type: StepResourceType;
  host: string;
  stepId: string;
  /** An engine step kind, or `app`: the app process of a host (no create; its delete stops it). */
  kind: StepKind | "app";
  /** Hook name for hook steps. */
  hook?: string;
  /** Hook failure policy (hook steps). */
  failure?: string;
  /** Command text (secret-free). Absent for CopyToRemote. */
  create?: string;
  /** The no-op update (absent for CopyToRemote). */
  update?: string;
  /** Teardown (the `app` resource): stops the app on the host. */
  delete?: string;
  triggers: string[];
  /** Secrets the step expects on stdin (values never in `create`). */
  secretNames: string[];
  /** Names of resources that must finish first. */
  dependsOn: string[];
  /** CopyToRemote: local tarball → remote path. */
  copy?: { localPath: string; remotePath: string };
}

/** The full plan of one deployment. */
export interface DeploymentPlan {
  app: AppSpec;
  snapshot: AppSnapshot;
  releaseId: string;
  steps: StepResourceSpec[];
  /** Host name → health URL ("" when none). */
  urls: Record<string, string>;
}

/** The resolved inputs of planDeployment. */
export interface ResolvedInputs {
  model: DeploymentModel<string>;
  code: CodeState;
  /** Local tarball of the code fingerprint. */
  artifact: { path: string; sha256: string };
  /** Host name → identity (`user@host:port`, `local`). */
  identities: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Validation of args (zod, field paths in messages).

const nameRe = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const anyInput = z.any();
const proxySchema = z
  .object({
    host: z.any().refine((v) => v !== undefined && v !== null && v !== "", "is required"),
    port: z
      .any()
      .refine(
        (v) =>
          v === undefined || typeof v !== "number" || (Number.isInteger(v) && v > 0 && v < 65536),
        "must be a port number",
      )
      .optional(),
    user: anyInput.optional(),
    privateKey: anyInput.optional(),
    password: anyInput.optional(),
    hostKey: anyInput.optional(),
    perDialTimeout: z
      .any()
      .refine(
        (v) => v === undefined || typeof v !== "number" || (Number.isInteger(v) && v >= 0),
        "must be a whole number of seconds (0: no limit)",
      )
      .optional(),
    dialErrorLimit: z
      .any()
      .refine(
        (v) => v === undefined || typeof v !== "number" || (Number.isInteger(v) && v >= -1),
        "must be a whole number (-1: unlimited)",
      )
      .optional(),
  })
  .strict();
const hostSchema = z
  .object({
    name: z
      .string()
      .regex(nameRe, "must be letters, digits and '-' (it is part of resource names)"),
    roles: z.array(z.enum(ROLES)).min(1).optional(),
    leader: z.boolean().optional(),
    connection: proxySchema.extend({ proxy: proxySchema.optional() }).strict().optional(),
    root: z.string().optional(),
    url: z.string().url().optional(),
  })
  .strict();
const hostsSchema = z.array(hostSchema).optional();

const variableArgsSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a shell variable name"),
    value: z.any().refine((v) => v !== undefined && v !== null, "is required"),
    secret: z.boolean().optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    buildAffecting: z.boolean().optional(),
  })
  .strict();
const hookArgsSchema = z
  .object({
    name: z.string(),
    script: z.string(),
    failure: z.enum(HOOK_FAILURES).optional(),
    timeoutSeconds: z.number().int().positive().optional(),
    scope: z.enum(HOOK_SCOPES).optional(),
    roles: z.array(z.enum(ROLES)).min(1).optional(),
    rerunOn: z.array(z.enum(CHANGE_CLASSES)).optional(),
    watch: z.array(z.string().min(1)).optional(),
  })
  .strict();
const lifecycleArgsSchema = z
  .object({
    name: z.string(),
    rerunOn: z.array(z.enum(CHANGE_CLASSES)),
    failure: z.enum(HOOK_FAILURES).optional(),
    scope: z.enum(HOOK_SCOPES).optional(),
    roles: z.array(z.enum(ROLES)).min(1).optional(),
    timeoutSeconds: z.number().int().positive().optional(),
    phase: z.enum(["build", "runtime"]).optional(),
    stage: z.enum(HOOK_STAGES),
  })
  .strict();
const deploymentFields = {
  appName: z.string().optional(),
  source: z.string().min(1).optional(),
  hosts: hostsSchema,
  redeployToken: z.string().optional(),
  artifactDir: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  restartCommand: z.string().min(1).optional(),
};
const envMap = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a shell variable name"),
  z.any(),
);

/** zod schema of ApplicationArgs (plain parts; Inputs are checked when resolved). */
export const applicationArgsSchema = z
  .object({
    ...deploymentFields,
    profile: z.enum(["upsun", "cleverCloud", "custom"]),
    hooks: z.array(hookArgsSchema).optional(),
    lifecycle: z.array(lifecycleArgsSchema).optional(),
    variables: z.array(variableArgsSchema).optional(),
    config: z.record(z.string(), z.any()).optional(),
    buildCommand: z.string().optional(),
    start: z.string().optional(),
    healthCheckPath: z.string().startsWith("/").optional(),
    healthCheckTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
    mounts: z.array(z.string()).optional(),
  })
  .strict();

/** zod schema of UpsunAppArgs. */
export const upsunAppArgsSchema = z
  .object({
    ...deploymentFields,
    type: z.string().optional(),
    hooks: z
      .object({
        build: z.string().optional(),
        deploy: z.string().optional(),
        postDeploy: z.string().optional(),
      })
      .strict()
      .optional(),
    variables: envMap.optional(),
    runtimeVariables: envMap.optional(),
    secrets: envMap.optional(),
    web: z
      .object({ commands: z.object({ start: z.string().optional() }).strict().optional() })
      .strict()
      .optional(),
    mounts: z
      .record(
        z.string(),
        z.object({ source: z.string().optional(), sourcePath: z.string().optional() }).strict(),
      )
      .optional(),
    config: z.record(z.string(), z.any()).optional(),
    buildCommand: z.string().optional(),
    healthCheckPath: z.string().startsWith("/").optional(),
  })
  .strict();

const CC_FIELDS = [
  "CC_PRE_BUILD_HOOK",
  "CC_POST_BUILD_HOOK",
  "CC_PRE_RUN_HOOK",
  "CC_RUN_SUCCEEDED_HOOK",
  "CC_RUN_FAILED_HOOK",
  "CC_RUN_COMMAND",
  "CC_BUILD_COMMAND",
  "CC_HEALTH_CHECK_PATH",
] as const;
/** zod schema of CleverCloudAppArgs. */
export const cleverCloudAppArgsSchema = z
  .object({
    ...deploymentFields,
    ...Object.fromEntries(CC_FIELDS.map((k) => [k, z.string().optional()])),
    environment: envMap.optional(),
    secrets: envMap.optional(),
    docker: z.boolean().optional(),
  })
  .strict();

/** Hook variable name → camelCase hook (Clever Cloud). */
export const CLEVER_HOOK_FIELDS: Readonly<Record<string, string>> = {
  CC_PRE_BUILD_HOOK: "preBuild",
  CC_POST_BUILD_HOOK: "postBuild",
  CC_PRE_RUN_HOOK: "preRun",
  CC_RUN_SUCCEEDED_HOOK: "runSucceeded",
  CC_RUN_FAILED_HOOK: "runFailed",
};

/** Hosts: validated, defaults applied (none → one local web host named `local`). */
export function normalizeHosts(
  hosts: readonly HostArgs[] | undefined,
  port: number | undefined,
): PlanHost[] {
  parseOrThrow(hostsSchema, hosts, { prefix: ["hosts"] });
  const list: readonly HostArgs[] = hosts && hosts.length > 0 ? hosts : [{ name: "local" }];
  const seen = new Set<string>();
  const leaders = list.filter((h) => h.leader);
  if (leaders.length > 1) {
    throw new ConfigError(
      `only one host can be the leader (${leaders.map((h) => h.name).join(", ")})`,
      { path: `hosts[${list.indexOf(leaders[1])}].leader` },
    );
  }
  return list.map((h, index) => {
    if (seen.has(h.name)) {
      throw new ConfigError(`host name '${h.name}' is used twice`, {
        path: `hosts[${index}].name`,
      });
    }
    seen.add(h.name);
    const roles = [...new Set(h.roles ?? ["web"])] as ("web" | "worker")[];
    if (h.leader && !roles.includes("web")) {
      throw new ConfigError("the leader must have the web role", {
        path: `hosts[${index}].leader`,
      });
    }
    const remote = h.connection !== undefined;
    const root = h.root ?? (remote ? DEFAULT_REMOTE_ROOT : defaultLocalRoot());
    if (!path.posix.isAbsolute(root)) {
      throw new ConfigError(`${JSON.stringify(root)} must be an absolute path`, {
        path: `hosts[${index}].root`,
      });
    }
    const url =
      h.url ??
      (port !== undefined && roles.includes("web") ? `http://127.0.0.1:${port}` : undefined);
    return { name: h.name, roles, leader: h.leader ?? false, remote, root, url, index };
  });
}

/** The args every component shares (where the code comes from, hosts, redeploy). */
interface CommonDeploymentArgs {
  appName?: string;
  source?: string;
  redeployToken?: string;
  artifactDir?: string;
  hosts?: HostArgs[];
  port?: number;
  restartCommand?: string;
}

function commonModel(componentName: string, args: CommonDeploymentArgs) {
  const appName = args.appName ?? componentName;
  return {
    componentName,
    appName,
    hosts: normalizeHosts(args.hosts, args.port),
    source: path.resolve(args.source ?? "."),
    artifactDir: path.resolve(args.artifactDir ?? defaultArtifactDir()),
    redeployToken: args.redeployToken ?? "",
    restartCommand: args.restartCommand,
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
    buildCommand,
    start,
    restartCommand: c.restartCommand,
    port: args.port,
    healthCheckPath,
    healthCheckTimeoutSeconds: args.healthCheckTimeoutSeconds ?? 30,
    mounts: args.mounts ?? [],
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
    start: args.web?.commands?.start ?? "",
    buildCommand: args.buildCommand ?? "",
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
      config: args.docker ? { runtime: "docker" } : {},
      start: plain("CC_RUN_COMMAND"),
      buildCommand: plain("CC_BUILD_COMMAND"),
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
    buildCommand: parts.buildCommand,
    start: parts.start,
    restartCommand: c.restartCommand,
    port: args.port,
    healthCheckPath,
    healthCheckTimeoutSeconds: 30,
    mounts: parts.mounts,
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

/** Resource name of a step. */
export function resourceName(component: string, host: string, stepId: string): string {
  return `${component}-${host}-${stepId}`;
}

/** Non-secret values and secret names visible to a process of `phase`. */
export function variablesFor(
  model: DeploymentModel<string>,
  phase: "build" | "runtime",
): { variables: Record<string, string>; secretNames: string[] } {
  const visible = model.variables.filter((v) => v.visibility === "both" || v.visibility === phase);
  const variables: Record<string, string> = {};
  const secretNames: string[] = [];
  for (const v of visible) {
    if (v.secret) secretNames.push(v.name);
    else variables[v.name] = v.value;
  }
  return { variables, secretNames: secretNames.sort() };
}

/** Secret values by name (for the stdin of a step). */
export function secretValues(
  model: DeploymentModel<string>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = model.variables.find((x) => x.secret && x.name === n);
    if (v) out[n] = v.value;
  }
  return out;
}

/** The whole plan: one resource spec per engine step (engine order). */
export function planDeployment(inputs: ResolvedInputs): DeploymentPlan {
  const { model, code, artifact, identities } = inputs;
  const app = appSpecOf(model);
  const snapshot = snapshotApp(app, code);
  const profile = profileFor(app);
  const releaseId = snapshot.releaseId;
  const stepHosts: StepHost[] = model.hosts.map((h) => ({
    name: h.name,
    roles: h.roles,
    leader: h.leader,
    identity: identities[h.name] ?? (h.remote ? `unknown:${h.name}` : "local"),
  }));
  const byName = new Map(model.hosts.map((h) => [h.name, h]));
  const steps = withoutEmptyOutcomes(
    deploymentSteps(snapshot, stepHosts, {
      transfer: (h) => byName.get(h.name)?.remote ?? false,
      healthCheck:
        model.hosts.some((h) => h.url !== undefined) && model.healthCheckPath !== undefined,
    }),
    (host) => byName.get(host)?.url !== undefined && model.healthCheckPath !== undefined,
  );
  const build = variablesFor(model, "build");
  const runtime = variablesFor(model, "runtime");
  if (
    model.port !== undefined &&
    !("PORT" in runtime.variables) &&
    !runtime.secretNames.includes("PORT")
  ) {
    runtime.variables.PORT = String(model.port);
  }
  const seal = profile.readOnlyRelease ? { mounts: model.mounts } : undefined;
  const names = new Map(
    steps.map((s) => [stepRef(s.host, s.id), resourceName(model.componentName, s.host, s.id)]),
  );
  const lastAfterBuild = new Map<string, string>();
  for (const s of steps) {
    if (s.kind === "build" || (s.kind === "hook" && s.hook?.stage === "afterBuild")) {
      lastAfterBuild.set(s.host, s.id);
    }
  }

  // Hosts whose deployment ends with an outcome step (health check, Clever run outcome hooks): their
  // activation hands a start failure to that step, which runs runFailed and rolls back.
  const withOutcome = new Set(steps.filter((s) => s.kind === "outcome").map((s) => s.host));

  const supervised = Boolean(model.start) && !model.restartCommand;
  const supervisorName = (host: string) => resourceName(model.componentName, host, "app");
  const specs = steps.map((s): StepResourceSpec => {
    const host = byName.get(s.host) as PlanHost;
    const target: AppTarget = { root: host.root, app: app.name };
    // On a remote host the tarball keeps its local name (`code-<fingerprint>.tar`, artifact/).
    const remoteTarball = uploadPath(target, path.basename(artifact.path));
    const common = { target, profile: app.profile, releaseId, instanceNumber: host.index };
    // One digest of the step's triggers: recorded in the history, and the activation's identity.
    const fingerprint = digestValue(s.triggers);
    const stepSeal = seal && lastAfterBuild.get(s.host) === s.id ? seal : undefined;
    const base = {
      name: names.get(stepRef(s.host, s.id)) as string,
      host: s.host,
      stepId: s.id,
      kind: s.kind,
      triggers: s.triggers,
      dependsOn: s.dependsOn.map((d) => names.get(d) as string),
    };
    const command = host.remote ? REMOTE_COMMAND : LOCAL_COMMAND;
    const rendered = renderStep(s, {
      model,
      snapshot,
      common,
      fingerprint,
      stepSeal,
      build,
      runtime,
      host,
      artifact,
      tarball: host.remote ? remoteTarball : artifact.path,
      outcomeFollows: withOutcome.has(s.host),
    });
    if (rendered === "copy") {
      return {
        ...base,
        type: COPY_TO_REMOTE,
        secretNames: [],
        copy: {
          localPath: artifact.path,
          remotePath: remoteTarball,
        },
      };
    }
    return {
      ...base,
      type: command,
      ...(s.hook ? { hook: s.hook.name, failure: s.hook.failure } : {}),
      ...(s.kind === "activate" && supervised
        ? { dependsOn: [...base.dependsOn, supervisorName(s.host)] }
        : {}),
      create: rendered.command,
      update: NOOP_UPDATE,
      secretNames: rendered.secretNames,
    };
  });
  // The app process of each host, as a resource of its own: nothing to create (activate starts the
  // app), triggered only by the host's identity, and its delete stops the app. So `pulumi destroy`
  // (or removing a host) stops the app, while deployments never pay for it.
  if (supervised) {
    for (const s of steps.filter((x) => x.kind === "activate")) {
      const host = byName.get(s.host) as PlanHost;
      specs.unshift({
        name: supervisorName(s.host),
        type: host.remote ? REMOTE_COMMAND : LOCAL_COMMAND,
        host: s.host,
        stepId: "app",
        kind: "app",
        triggers: s.triggers.filter((t) => t.startsWith("host=")),
        secretNames: [],
        dependsOn: [],
        update: NOOP_UPDATE,
        delete: renderStopStep({ target: { root: host.root, app: app.name } }).command,
      });
    }
  }
  const urls = Object.fromEntries(
    model.hosts.map((h) => [
      h.name,
      h.url && model.healthCheckPath !== undefined
        ? new URL(model.healthCheckPath, h.url).toString()
        : "",
    ]),
  );
  return { app, snapshot, releaseId, steps: specs, urls };
}

/**
 * The engine's `healthCheck` option is per app; a host without a URL (a worker) and without outcome
 * hooks gets no outcome step: it is dropped and its dependents wait for what it waited for.
 */
export function withoutEmptyOutcomes(
  steps: StepPlan[],
  hasUrl: (host: string) => boolean,
): StepPlan[] {
  const dropped = new Map<string, string[]>();
  for (const s of steps) {
    if (
      s.kind === "outcome" &&
      !hasUrl(s.host) &&
      !s.triggers.some((t) => /^[a-zA-Z0-9]+\.script=/.test(t))
    ) {
      dropped.set(stepRef(s.host, s.id), s.dependsOn);
    }
  }
  if (dropped.size === 0) return steps;
  const expand = (refs: string[]): string[] =>
    refs.flatMap((r) => (dropped.has(r) ? expand(dropped.get(r) as string[]) : [r]));
  return steps
    .filter((s) => !dropped.has(stepRef(s.host, s.id)))
    .map((s) => ({ ...s, dependsOn: [...new Set(expand(s.dependsOn))] }));
}

/** Port probed on the host itself (127.0.0.1): the host URL's port, else the app's port. */
export function healthPort(host: PlanHost, port: number | undefined): number | undefined {
  if (host.url === undefined) return undefined;
  const u = new URL(host.url);
  return u.port ? Number(u.port) : (port ?? (u.protocol === "https:" ? 443 : 80));
}

interface RenderContext {
  model: DeploymentModel<string>;
  snapshot: AppSnapshot;
  common: {
    target: AppTarget;
    profile: AppSpec["profile"];
    releaseId: string;
    instanceNumber: number;
  };
  fingerprint: string;
  stepSeal?: { mounts: string[] };
  build: { variables: Record<string, string>; secretNames: string[] };
  runtime: { variables: Record<string, string>; secretNames: string[] };
  host: PlanHost;
  artifact: { path: string; sha256: string };
  tarball: string;
  /** The host has an outcome step after its activation. */
  outcomeFollows: boolean;
}

function renderStep(
  s: StepPlan,
  ctx: RenderContext,
): { command: string; secretNames: string[] } | "copy" {
  const { common, fingerprint } = ctx;
  switch (s.kind) {
    case "upload":
      if (s.id === "transfer") return "copy";
      return renderUploadStep({
        target: common.target,
        releaseId: common.releaseId,
        tarball: ctx.tarball,
        sha256: ctx.artifact.sha256,
      });
    case "build":
      return renderBuildStep({
        ...common,
        ...ctx.build,
        command: ctx.model.buildCommand,
        fingerprint,
        ...(ctx.stepSeal ? { seal: ctx.stepSeal } : {}),
      });
    case "hook": {
      const hook = s.hook!;
      const vars = hook.variables === "build" ? ctx.build : ctx.runtime;
      return renderHookStep({
        ...common,
        ...vars,
        hook,
        fingerprint,
        ...(ctx.stepSeal ? { seal: ctx.stepSeal } : {}),
      });
    }
    case "activate":
      return renderActivateStep({
        ...common,
        activationId: fingerprint,
        ...ctx.runtime,
        // With an outcome step after it, a start failure is judged there (runFailed, rollback)
        // and the start check need not wait: the health check does.
        ...(ctx.outcomeFollows ? { deferFailure: true } : {}),
        ...(ctx.model.restartCommand
          ? { restartCommand: ctx.model.restartCommand }
          : ctx.model.start
            ? {
                start: {
                  command: ctx.model.start,
                  ...(ctx.model.port !== undefined ? { port: ctx.model.port } : {}),
                  ...(ctx.outcomeFollows ? { startCheckSeconds: 0 } : {}),
                },
              }
            : {}),
      });
    case "outcome": {
      const mine = ctx.snapshot.hooks.filter(
        (h) => h.outcome && s.triggers.some((t) => t.startsWith(`${h.name}.script=`)),
      );
      const port = healthPort(ctx.host, ctx.model.port);
      return renderOutcomeStep({
        ...common,
        ...ctx.runtime,
        ...(port !== undefined && ctx.model.healthCheckPath !== undefined
          ? {
              health: {
                port,
                path: ctx.model.healthCheckPath,
                timeoutSeconds: ctx.model.healthCheckTimeoutSeconds,
              },
            }
          : {}),
        fingerprint,
        succeeded: mine.find((h) => h.outcome === "succeeded"),
        failed: mine.find((h) => h.outcome === "failed"),
      });
    }
  }
}
