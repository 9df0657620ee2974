/**
 * zod schemas of the components' args (validated once, at the edge, with field paths in messages)
 * and host normalization.
 */
import * as path from "node:path";
import { z } from "zod";
import {
  HOOK_FAILURES,
  HOOK_SCOPES,
  parseOrThrow,
  HOOK_STAGES,
  ROLES,
  VISIBILITIES,
} from "../model/app";
import { CHANGE_CLASSES } from "../model/changeClass";
import { ConfigError } from "../model/configError";
import { type HostArgs } from "./args";
import { DEFAULT_REMOTE_ROOT, PlanHost, defaultLocalRoot } from "./planTypes";

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
    blocksRequests: z.boolean().optional(),
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
  keepReleases: z.number().int().min(0).max(1000).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  restartCommand: z.string().min(1).optional(),
  traffic: z
    .object({
      proxy: z.boolean().optional(),
      holdSeconds: z.number().int().min(1).max(3600).optional(),
      drainSeconds: z.number().int().min(0).max(3600).optional(),
      listenAddress: z
        .string()
        .regex(
          /^[0-9A-Za-z.:[\]-]*$/,
          "must be an IP address or host name (empty: every interface)",
        )
        .optional(),
      maxUnavailable: z.number().int().min(1).max(1000).optional(),
    })
    .strict()
    .optional(),
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

const relationshipEndpointSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    scheme: z.string().optional(),
    username: z.string().optional(),
    password: z.any().optional(),
    path: z.string().optional(),
    query: z.record(z.string(), z.any()).optional(),
    service: z.string().optional(),
    rel: z.string().optional(),
    type: z.string().optional(),
  })
  .strict();
const upsunRouteSchema = z
  .object({
    type: z.enum(["upstream", "redirect"]).optional(),
    upstream: z.string().optional(),
    to: z.string().optional(),
    id: z.string().optional(),
    primary: z.boolean().optional(),
    originalUrl: z.string().optional(),
  })
  .strict();
const upsunPlatformSchema = z
  .object({
    project: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    environmentType: z.string().min(1).optional(),
    smtpHost: z.string().optional(),
    projectEntropy: z.any().optional(),
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
    relationships: z.record(z.string(), relationshipEndpointSchema).optional(),
    routes: z.record(z.string(), upsunRouteSchema).optional(),
    platform: upsunPlatformSchema.optional(),
  })
  .strict();

export const CC_FIELDS = [
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
    type: z.enum(["node", "php"]).optional(),
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
