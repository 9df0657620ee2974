/**
 * `loadConfig(path)`: detects the configuration format from the path and loads every app.
 *
 * | path | format | profile |
 * |---|---|---|
 * | `…/.platform.app.yaml` | one Platform.sh app | upsun |
 * | `…/.platform/applications.yaml` | list or map of apps | upsun |
 * | `…/.upsun/` or any `…/.upsun/*.yaml` | every `*.yaml`/`*.yml` directly in `.upsun/`, in alphabetical (code-point) order; an app defined in several files is taken whole from the last one, with a warning naming both places (Upsun's rule) | upsun |
 * | a directory holding `.upsun/`, `.platform/applications.yaml` or `.platform.app.yaml` | that (first found, in this order) | upsun |
 * | other `*.yaml`/`*.yml` | decided from the content (upsun.ts `auto`) | upsun |
 * | `*.env`, `.env` | dotenv syntax | cleverCloud |
 * | `*.json` | legacy `clevercloud/<runtime>.json` | cleverCloud |
 * | any other file with `profile: "cleverCloud"` | dotenv, or a `clever env set` script when it has `clever …` lines | cleverCloud |
 *
 * `options.profile` forces the profile: `upsun` reads any file as Platform.sh/Upsun YAML,
 * `cleverCloud` refuses YAML. Paths in errors, origins and `files` are built from the path given
 * (relative stays relative).
 */
import * as fs from "fs";
import * as path from "path";
import { AppSpec } from "../model/app";
import { ConfigError } from "../model/configError";
import { parseCleverCloudJson, parseCleverEnv } from "./cleverCloud";
import { configRootFor, parseUpsunYaml, readUpsunDocument, UpsunForm } from "./upsun";
import { newContext, parseYaml, readFileFromDisk, rootCursor } from "./yamlSource";

/** The profiles a configuration file can be loaded as. */
export type LoaderProfile = "upsun" | "cleverCloud";

export interface LoadOptions {
  /** Force the profile instead of detecting it from the path. */
  profile?: LoaderProfile;
}

export interface LoadedConfig {
  profile: LoaderProfile;
  /** Apps in configuration order. */
  apps: AppSpec[];
  /** Every file read (configuration files, then included files as they were reached). */
  files: string[];
  /** All apps' warnings, in order. */
  warnings: string[];
}

const YAML_EXT = /\.ya?ml$/i;
const JSON_EXT = /\.json$/i;
/** `*.env`, `.env` included. */
const ENV_EXT = /\.env$/i;

function read(file: string): string {
  const text = readFileFromDisk(file);
  if (text === undefined) throw new ConfigError("file not found", { file });
  return text;
}

function result(profile: LoaderProfile, apps: AppSpec[], files: string[]): LoadedConfig {
  return { profile, apps, files, warnings: apps.flatMap((a) => a.warnings) };
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Loads every `*.yaml`/`*.yml` of an `.upsun/` directory, merged (alphabetical order, later wins). */
function loadUpsunDirectory(dir: string): LoadedConfig {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => YAML_EXT.test(n) && fs.statSync(path.join(dir, n)).isFile())
      .sort();
  } catch (e) {
    throw new ConfigError(`cannot read directory: ${(e as Error).message}`, { file: dir });
  }
  if (names.length === 0) {
    throw new ConfigError("no *.yaml files in the .upsun directory", { file: dir });
  }
  const ctx = newContext(path.dirname(dir));
  const apps: AppSpec[] = [];
  /** Files whose top level looks like one Platform.sh app (`type:`/`hooks:`), not Upsun's layout. */
  const singleAppFiles: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    ctx.files.push(file);
    const text = read(file);
    if (!/^applications:/m.test(text) && /^(type|hooks):/m.test(text)) singleAppFiles.push(file);
    const src = parseYaml(text, file);
    for (const app of readUpsunDocument(rootCursor(src), "upsun", ctx)) {
      const i = apps.findIndex((a) => a.name === app.name);
      if (i < 0) {
        apps.push(app);
        continue;
      }
      // Upsun merges the files' top-level keys, so an app defined again in a later file replaces
      // the earlier definition as a whole (docs: yaml-structure). It keeps its place in the order.
      const prev = apps[i];
      const where = (a: AppSpec) => `${a.origin?.file}${a.origin?.line ? `:${a.origin.line}` : ""}`;
      const warning = `application ${JSON.stringify(app.name)} is defined in ${where(prev)} and again in ${where(app)}; the later file wins as a whole, as on Upsun (files are read in alphabetical order)`;
      apps[i] = { ...app, warnings: [...app.warnings, warning] };
    }
  }
  if (apps.length === 0) {
    const hint =
      singleAppFiles.length > 0
        ? ` (${singleAppFiles.map((f) => path.basename(f)).join(", ")} has a top-level type:/hooks: like a Platform.sh .platform.app.yaml; in .upsun/ an app goes under applications.<name>)`
        : "";
    throw new ConfigError(`no applications defined in any file of the .upsun directory${hint}`, {
      file: dir,
    });
  }
  return result("upsun", apps, ctx.files);
}

function loadYaml(file: string, form: UpsunForm): LoadedConfig {
  const root =
    path.basename(file) === ".platform.app.yaml" ? path.dirname(file) : configRootFor(file);
  const ctx = newContext(root);
  ctx.files.push(file);
  const apps = parseUpsunYaml(read(file), file, { form, context: ctx });
  return result("upsun", apps, ctx.files);
}

/** A Clever Cloud file: legacy JSON, or env text (`auto`: or a `clever env set` script). */
function loadClever(file: string, envSyntax: "env" | "auto"): LoadedConfig {
  const text = read(file);
  const app = JSON_EXT.test(file)
    ? parseCleverCloudJson(text, file)
    : parseCleverEnv(text, file, { syntax: envSyntax });
  return result("cleverCloud", [app], [file]);
}

/** Loads a configuration file or directory (see the table above). */
export function loadConfig(configPath: string, options: LoadOptions = {}): LoadedConfig {
  const p = configPath;
  if (isDir(p)) {
    if (options.profile === "cleverCloud") {
      throw new ConfigError("a directory is not a Clever Cloud configuration (give the env file)", {
        file: p,
      });
    }
    if (path.basename(path.resolve(p)) === ".upsun") return loadUpsunDirectory(p);
    if (isDir(path.join(p, ".upsun"))) return loadUpsunDirectory(path.join(p, ".upsun"));
    if (
      path.basename(path.resolve(p)) === ".platform" &&
      fs.existsSync(path.join(p, "applications.yaml"))
    ) {
      return loadYaml(path.join(p, "applications.yaml"), "applications");
    }
    if (fs.existsSync(path.join(p, ".platform", "applications.yaml"))) {
      return loadYaml(path.join(p, ".platform", "applications.yaml"), "applications");
    }
    if (fs.existsSync(path.join(p, ".platform.app.yaml"))) {
      return loadYaml(path.join(p, ".platform.app.yaml"), "app");
    }
    throw new ConfigError(
      "no .upsun/, .platform/applications.yaml or .platform.app.yaml in this directory",
      { file: p },
    );
  }
  const base = path.basename(p);
  const parent = path.basename(path.dirname(path.resolve(p)));
  const isYaml = YAML_EXT.test(base);
  if (options.profile === "cleverCloud") {
    if (isYaml) {
      throw new ConfigError(
        "a YAML file is not a Clever Cloud configuration (give an env file or clevercloud/*.json)",
        { file: p },
      );
    }
    return loadClever(p, ENV_EXT.test(base) ? "env" : "auto");
  }
  if (isYaml || options.profile === "upsun") {
    if (base === ".platform.app.yaml") return loadYaml(p, "app");
    if (parent === ".upsun" && isYaml) return loadUpsunDirectory(path.dirname(p));
    if (parent === ".platform" && base === "applications.yaml") return loadYaml(p, "applications");
    return loadYaml(p, "auto");
  }
  if (JSON_EXT.test(base) || ENV_EXT.test(base)) return loadClever(p, "env");
  if (!fs.existsSync(p)) throw new ConfigError("file not found", { file: p });
  throw new ConfigError(
    "cannot tell the configuration format from the file name (expected .platform.app.yaml, .platform/applications.yaml, .upsun/, *.env or clevercloud/*.json); give profile cleverCloud (--profile clever) for a Clever Cloud env file or script",
    { file: p },
  );
}
