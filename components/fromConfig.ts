/**
 * Migration helpers: build a component's args from an existing platform configuration through the
 * core loaders, so moving an app off Upsun or Clever Cloud is a few lines:
 *
 *   new UpsunApp("app", upsunAppArgsFromConfig(".upsun/config.yaml", { hosts }));
 *   new CleverCloudApp("app", cleverCloudAppArgsFromEnvFile("clever.env", { hosts }));
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../loaders";
import type { AppSpec } from "../model/app";
import { ConfigError } from "../model/configError";
import type { CleverCloudAppArgs, HostArgs, UpsunAppArgs, UpsunMountArgs } from "./args";

/** Options of {@link upsunAppArgsFromConfig}: what the configuration file does not say. */
export interface UpsunConfigOptions {
  /** Your own restart command (systemd, …) instead of the built-in supervisor (see the component args). */
  restartCommand?: string;
  /** App name in the configuration (required when it defines several apps). */
  app?: string;
  /** Hosts (none: the local machine). */
  hosts?: HostArgs[];
  /** Source directory. Default: the configuration root joined with the app's `source.root`. */
  source?: string;
  /** Port the app listens on. */
  port?: number;
  /** Runtime-only variables (Upsun project/environment variables). */
  runtimeVariables?: { [name: string]: pulumi.Input<string> };
  /** Secret runtime variables. */
  secrets?: { [name: string]: pulumi.Input<string> };
  /** Dependencies / build-flavor command run before `hooks.build`. */
  buildCommand?: string;
  /** Path probed after activation. */
  healthCheckPath?: string;
  /** Redeploy token. */
  redeployToken?: string;
  /** Local tarball directory. */
  artifactDir?: string;
}

function configRoot(configPath: string): string {
  const abs = path.resolve(configPath);
  const base = path.basename(abs);
  const parent = path.basename(path.dirname(abs));
  if (base === ".upsun" || base === ".platform") return path.dirname(abs);
  if (parent === ".upsun" || parent === ".platform") return path.dirname(path.dirname(abs));
  return path.extname(abs) ? path.dirname(abs) : abs;
}

function pickApp(apps: AppSpec[], name: string | undefined, file: string): AppSpec {
  if (name !== undefined) {
    const app = apps.find((a) => a.name === name);
    if (!app) {
      throw new ConfigError(
        `no app named '${name}' (apps: ${apps.map((a) => a.name).join(", ") || "none"})`,
        { file, path: "app" },
      );
    }
    return app;
  }
  if (apps.length !== 1) {
    throw new ConfigError(
      `the configuration defines ${apps.length} apps (${apps.map((a) => a.name).join(", ")}); say which one with { app }`,
      { file, path: "app" },
    );
  }
  return apps[0];
}

/** UpsunAppArgs from a `.upsun/config.yaml`, `.upsun/` directory, `.platform.app.yaml` or `.platform/applications.yaml`. */
export function upsunAppArgsFromConfig(
  configPath: string,
  options: UpsunConfigOptions = {},
): UpsunAppArgs {
  const loaded = loadConfig(configPath, { profile: "upsun" });
  const app = pickApp(loaded.apps, options.app, configPath);
  for (const w of app.warnings) pulumi.log.warn(`${configPath}: ${w}`);
  const script = (name: string) => app.hooks.find((h) => h.name === name)?.script;
  const { web, mounts, type, ...rest } = app.config as {
    web?: Record<string, unknown>;
    mounts?: Record<string, { source?: string; source_path?: string }>;
    type?: string;
  };
  const start =
    ((web?.commands as Record<string, unknown> | undefined)?.start as string | undefined) ??
    undefined;
  const upsunMounts: { [p: string]: UpsunMountArgs } = {};
  for (const [p, m] of Object.entries(mounts ?? {})) {
    upsunMounts[p] = {
      ...(m?.source !== undefined ? { source: String(m.source) } : {}),
      ...(m?.source_path !== undefined ? { sourcePath: String(m.source_path) } : {}),
    };
  }
  const hooks: UpsunAppArgs["hooks"] = {};
  for (const k of ["build", "deploy", "postDeploy"] as const) {
    if (script(k) !== undefined) hooks[k] = script(k);
  }
  const args: UpsunAppArgs = {
    appName: app.name,
    source: options.source ?? path.resolve(configRoot(configPath), app.sourceRoot),
    hooks,
    variables: Object.fromEntries(app.variables.map((v) => [v.name, v.value])),
    config: { ...rest, ...(web ? { web } : {}) },
    ...(type !== undefined ? { type: String(type) } : {}),
    ...(start !== undefined ? { web: { commands: { start } } } : {}),
    ...(Object.keys(upsunMounts).length > 0 ? { mounts: upsunMounts } : {}),
  };
  const { app: _app, source: _source, ...passThrough } = options;
  void _app;
  void _source;
  return { ...args, ...passThrough };
}

/** Options of {@link cleverCloudAppArgsFromEnvFile}. */
export interface CleverCloudEnvOptions {
  /** Your own restart command (systemd, …) instead of the built-in supervisor (see the component args). */
  restartCommand?: string;
  /** Hosts (none: the local machine). */
  hosts?: HostArgs[];
  /**
   * Source directory. Default: `APP_FOLDER` of the file (a relative path that stays inside the env
   * file's directory). Required when the file has no `APP_FOLDER`. Must not contain the env file
   * (it would ship in every release with its secret values).
   */
  source?: string;
  /** Names of variables of the file to treat as secrets (stdin only, never in command text or triggers). */
  secretNames?: string[];
  /** Extra secret variables. */
  secrets?: { [name: string]: pulumi.Input<string> };
  /** Port the app listens on. Default 8080. */
  port?: number;
  /** Docker application (only CC_RUN_SUCCEEDED_HOOK). */
  docker?: boolean;
  /** App name on the hosts. */
  appName?: string;
  /** Redeploy token. */
  redeployToken?: string;
  /** Local tarball directory. */
  artifactDir?: string;
}

/** CleverCloudAppArgs from a Clever Cloud env file (dotenv syntax or a `clever env set` script). */
export function cleverCloudAppArgsFromEnvFile(
  envPath: string,
  options: CleverCloudEnvOptions = {},
): CleverCloudAppArgs {
  const loaded = loadConfig(envPath, { profile: "cleverCloud" });
  const app = loaded.apps[0];
  for (const w of app.warnings) pulumi.log.warn(w);
  const secretNames = new Set(options.secretNames ?? []);
  const environment: { [k: string]: pulumi.Input<string> } = {};
  const secrets: { [k: string]: pulumi.Input<string> } = { ...(options.secrets ?? {}) };
  for (const h of app.hooks) environment[h.origin?.key ?? h.name] = h.script;
  for (const v of app.variables) {
    if (secretNames.has(v.name)) secrets[v.name] = pulumi.secret(v.value);
    else environment[v.name] = v.value;
  }
  for (const n of secretNames) {
    if (!app.variables.some((v) => v.name === n)) {
      throw new ConfigError(`${n} is not a variable of ${envPath}`, { path: "secretNames" });
    }
  }
  const dir = path.dirname(path.resolve(envPath));
  const appFolder = app.variables.find((v) => v.name === "APP_FOLDER")?.value;
  const { secretNames: _s, secrets: _x, source, ...rest } = options;
  void _s;
  void _x;
  const resolvedSource = envFileSource(envPath, dir, source, appFolder);
  return {
    source: resolvedSource,
    environment,
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
    ...rest,
  };
}

/** `path` with symlinks resolved as far as it exists (the rest appended). */
function realpathSoFar(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...tail);
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * The source of a Clever Cloud env-file migration: `source`, else `APP_FOLDER` (relative, inside the
 * env file's directory, symlinks included). The env file is never inside it: it would ship in every
 * release (with the values of `secretNames`) and every environment change would be a code change.
 */
function envFileSource(
  envPath: string,
  dir: string,
  source: string | undefined,
  appFolder: string | undefined,
): string {
  let src: string;
  if (source !== undefined) {
    src = path.resolve(source);
  } else if (appFolder !== undefined && appFolder !== "") {
    const inside =
      !path.isAbsolute(appFolder) &&
      isInside(realpathSoFar(path.resolve(dir, appFolder)), realpathSoFar(dir));
    if (!inside) {
      throw new ConfigError(
        `APP_FOLDER must be a relative path inside ${dir} (the directory of the env file), got ${JSON.stringify(appFolder)}`,
        { file: envPath, path: "APP_FOLDER" },
      );
    }
    src = path.resolve(dir, appFolder);
  } else {
    throw new ConfigError(
      `${envPath} has no APP_FOLDER: say where the app's source is with { source } (a directory that does not contain the env file)`,
      { path: "source" },
    );
  }
  if (isInside(realpathSoFar(envPath), realpathSoFar(src))) {
    throw new ConfigError(
      `the env file ${envPath} is inside the source directory ${src}: it would be shipped in every release (with the values of secretNames) and every environment change would become a code change; keep the env file outside the app's source (or point source / APP_FOLDER to a subdirectory)`,
      { path: source !== undefined ? "source" : "APP_FOLDER" },
    );
  }
  return src;
}
