/**
 * The application model: what every loader produces and every component consumes, validated once
 * with zod at the edge. Plain data only. Profiles (profiles/) give the defaults and the rules; this
 * file only says what an app may contain.
 */
import { z } from "zod";
import { CHANGE_CLASSES } from "./changeClass";
import { checkAppText, MAX_VARIABLES } from "./appText";
import { ConfigError } from "./configError";
import { formatPath, PathSegment } from "./fieldPath";

export const PROFILE_NAMES = ["upsun", "cleverCloud", "custom"] as const;
/** Which platform's lifecycle an app follows. */
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const HOOK_FAILURES = ["abort", "warn"] as const;
/** `abort`: the deployment stops and the current release keeps serving. `warn`: it continues. */
export type HookFailure = (typeof HOOK_FAILURES)[number];

export const HOOK_SCOPES = ["once", "everyHost"] as const;
/** `once`: on the leader host only. `everyHost`: on every host whose role the hook serves. */
export type HookScope = (typeof HOOK_SCOPES)[number];

export const ROLES = ["web", "worker"] as const;
/** A host's role: `web` serves requests, `worker` runs background commands. */
export type Role = (typeof ROLES)[number];

export const HOOK_PHASES = ["build", "runtime"] as const;
/**
 * Which change class a hook's own script belongs to (SPEC §3): the scripts of build-phase hooks
 * are `build`, the scripts of deploy-phase hooks are `runtime`.
 */
export type HookPhase = (typeof HOOK_PHASES)[number];

export const HOOK_STAGES = [
  "beforeBuild",
  "afterBuild",
  "beforeActivate",
  "afterActivate",
] as const;
/**
 * Where a hook runs in the deployment of one host:
 * `beforeBuild` (before dependencies and the build command: Clever Cloud preBuild),
 * `afterBuild` (right after the build step, in the new release: Upsun build, Clever postBuild),
 * `beforeActivate` (release built and sealed, not serving yet: Upsun deploy, Clever preRun),
 * `afterActivate` (after the `current` switch and restart: Upsun postDeploy, Clever run outcome).
 */
export type HookStage = (typeof HOOK_STAGES)[number];

export const VISIBILITIES = ["build", "runtime", "both"] as const;
/** When a variable is visible to the app: at build time, at run time, or both. */
export type Visibility = (typeof VISIBILITIES)[number];

/** camelCase hook identifier: `build`, `postDeploy`, `preRun`, or a custom profile's own names. */
export const hookNameSchema = z
  .string()
  .regex(/^[a-z][A-Za-z0-9]*$/, "must be a camelCase identifier such as postDeploy");

/** Where a piece of configuration came from, for error messages and reasons. */
export const originSchema = z
  .object({
    /** Configuration file. */
    file: z.string().optional(),
    /** 1-based line. */
    line: z.number().int().positive().optional(),
    /** Platform key, e.g. `hooks.post_deploy` or `CC_PRE_RUN_HOOK`. */
    key: z.string().optional(),
  })
  .strict();
export type Origin = z.infer<typeof originSchema>;

const changeClassSchema = z.enum(CHANGE_CLASSES);

/** One hook as written by the user; the profile fills in what is left out. */
export const hookInputSchema = z
  .object({
    name: hookNameSchema,
    script: z.string(),
    failure: z.enum(HOOK_FAILURES).optional(),
    timeoutSeconds: z.number().int().positive().nullable().optional(),
    scope: z.enum(HOOK_SCOPES).optional(),
    roles: z.array(z.enum(ROLES)).min(1).optional(),
    rerunOn: z.array(changeClassSchema).optional(),
    watch: z.array(z.string().min(1)).optional(),
    /** Override of the profile's rule: the hook blocks requests (held by the front proxy). */
    blocksRequests: z.boolean().optional(),
    origin: originSchema.optional(),
  })
  .strict();
export type HookInput = z.infer<typeof hookInputSchema>;

/** One environment variable of the app. */
export const variableSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a shell variable name"),
    value: z.string(),
    /** Default `both`. */
    visibility: z.enum(VISIBILITIES).optional(),
    /** Secret values never appear in command text, triggers, logs or plain state. */
    secret: z.boolean().optional(),
    /** Declares that the variable shapes the build (Clever Cloud: makes it `build` class). */
    buildAffecting: z.boolean().optional(),
    origin: originSchema.optional(),
  })
  .strict();
export type Variable = z.infer<typeof variableSchema>;

/** A hook of a custom lifecycle (profile `custom`): the rule row the user defines. */
export const lifecycleHookSchema = z
  .object({
    name: hookNameSchema,
    rerunOn: z.array(changeClassSchema),
    failure: z.enum(HOOK_FAILURES),
    scope: z.enum(HOOK_SCOPES),
    roles: z.array(z.enum(ROLES)).min(1),
    timeoutSeconds: z.number().int().positive().nullable(),
    phase: z.enum(HOOK_PHASES),
    /** Where the hook runs (see HookStage). */
    stage: z.enum(HOOK_STAGES),
  })
  .strict();
export type LifecycleHook = z.infer<typeof lifecycleHookSchema>;

/** One application. */
export const appSpecSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
        "must start with a letter or digit and use only letters, digits, '.', '_' and '-'",
      ),
    profile: z.enum(PROFILE_NAMES),
    hooks: z.array(hookInputSchema).default([]),
    variables: z.array(variableSchema).default([]),
    /**
     * The platform configuration keys other than hooks and variables (Upsun: the app's YAML
     * mapping; Clever Cloud: e.g. `runtime`), classified key by key by the profile.
     */
    config: z.record(z.string(), z.unknown()).default({}),
    /** Source directory of the app, relative to the repository / configuration root. */
    sourceRoot: z.string().default("."),
    /** Opaque token: changing it asks for a redeploy with nothing else changed. */
    redeployToken: z.string().default(""),
    /** Custom profile only: the lifecycle, in order. */
    lifecycle: z.array(lifecycleHookSchema).optional(),
    /** Warnings from loading (deprecations, near-miss names), shown by the CLI and components. */
    warnings: z.array(z.string()).default([]),
    /** The configuration file the app came from. */
    origin: originSchema.optional(),
  })
  .strict();
/** A validated application (defaults applied). */
export type AppSpec = z.output<typeof appSpecSchema>;
/** An application as given (defaults optional). */
export type AppSpecInput = z.input<typeof appSpecSchema>;

/**
 * Validates with `schema` and throws a ConfigError naming the field path (prefixed by `prefix`)
 * of the first problem; `file` is attached when the input came from a file.
 */
export function parseOrThrow<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
  where: { file?: string; prefix?: readonly PathSegment[] } = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatPath([...(where.prefix ?? []), ...(issue.path as PathSegment[])]);
  throw new ConfigError(issue.message, { file: where.file, path: path || undefined });
}

/** The line a schema issue at `issuePath` of an app input refers to, from the input's origins. */
function issueLine(input: unknown, issuePath: readonly PropertyKey[]): number | undefined {
  const app = (input ?? {}) as {
    origin?: { line?: number };
    hooks?: { origin?: { line?: number } }[];
    variables?: { origin?: { line?: number } }[];
  };
  const [head, index] = issuePath;
  const list = head === "hooks" ? app.hooks : head === "variables" ? app.variables : undefined;
  const item = Array.isArray(list) && typeof index === "number" ? list[index] : undefined;
  return item?.origin?.line ?? app.origin?.line;
}

/**
 * Validates one app (defaults applied). A problem is reported at the line of the hook, variable or
 * app it concerns (from the origins the loader recorded), and text that no host could receive
 * (NUL, lone surrogates, an oversized non-secret variable) is refused here (appText.ts).
 */
export function parseAppSpec(
  input: unknown,
  where: { file?: string; prefix?: readonly PathSegment[] } = {},
): AppSpec {
  const count = (input as { variables?: unknown[] } | null)?.variables?.length ?? 0;
  if (count > MAX_VARIABLES) {
    throw new ConfigError(
      `${count} variables, above the limit of ${MAX_VARIABLES} variables for one app`,
      { file: where.file, path: formatPath([...(where.prefix ?? []), "variables"]) },
    );
  }
  const result = appSpecSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = formatPath([...(where.prefix ?? []), ...(issue.path as PathSegment[])]);
    throw new ConfigError(issue.message, {
      file: where.file,
      line: issueLine(input, issue.path),
      path: path || undefined,
    });
  }
  checkAppText(result.data);
  return result.data;
}
