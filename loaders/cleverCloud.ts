/**
 * Clever Cloud configuration → AppSpec (profile `cleverCloud`, app name always `app`).
 *
 * - Env files / CLI scripts (dotenv.ts): `CC_PRE_BUILD_HOOK` → preBuild, `CC_POST_BUILD_HOOK` →
 *   postBuild, `CC_PRE_RUN_HOOK` → preRun, `CC_RUN_SUCCEEDED_HOOK` → runSucceeded,
 *   `CC_RUN_FAILED_HOOK` → runFailed (origin key = the variable name); every other variable →
 *   `variables` `{name, value, origin: {file, line, key: name}}`; `config` = `{}`.
 *   Near-miss hook names (`CC_POSTBUILD_HOOK`, `cc_pre_build_hook`, `CC_RUN_SUCCEED_HOOK`) stay
 *   plain variables with a warning "file:line: … did you mean CC_POST_BUILD_HOOK?". A key set twice:
 *   the last value wins (at the first one's position) and a warning names both lines.
 * - Legacy `clevercloud/<runtime>.json`: `hooks.postDeploy` → runSucceeded (origin key
 *   `hooks.postDeploy`) with the deprecation warning; `config` = every other key of the file
 *   (`deploy.webroot`, `build`, …) plus `runtime: "<file stem>"`.
 */
import * as path from "path";
import { isMap, isPair, isScalar, LineCounter, parseDocument, YAMLMap } from "yaml";
import { AppSpec, HookInput, parseAppSpec, Variable } from "../model/app";
import { ConfigError } from "../model/configError";
import {
  EnvAssignment,
  lineAt,
  looksLikeCleverCli,
  parseCleverCliText,
  parseEnvText,
} from "./dotenv";
import { closestName } from "../model/suggest";
import { checkJsonNesting } from "./inputText";

/** Clever Cloud hook variable → camelCase hook name. */
export const CLEVER_HOOK_VARS: Readonly<Record<string, string>> = {
  CC_PRE_BUILD_HOOK: "preBuild",
  CC_POST_BUILD_HOOK: "postBuild",
  CC_PRE_RUN_HOOK: "preRun",
  CC_RUN_SUCCEEDED_HOOK: "runSucceeded",
  CC_RUN_FAILED_HOOK: "runFailed",
};

/** The app name of every Clever Cloud config. */
export const CLEVER_APP_NAME = "app";

export const LEGACY_POST_DEPLOY_WARNING =
  "hooks.postDeploy is deprecated; it runs as CC_RUN_SUCCEEDED_HOOK";

/** Builds the app from assignments (in file order). */
export function cleverAppFromAssignments(
  assignments: readonly EnvAssignment[],
  file: string,
  extraWarnings: string[] = [],
): AppSpec {
  const warnings = [...extraWarnings];
  const merged = new Map<string, EnvAssignment>();
  for (const a of assignments) {
    const prev = merged.get(a.key);
    if (prev) {
      warnings.push(
        `${file}:${a.line}: ${a.key} is set again (first set on line ${prev.line}); the last value wins`,
      );
    }
    merged.set(a.key, a); // Map keeps the first insertion position
  }
  const hooks: HookInput[] = [];
  const variables: Variable[] = [];
  const hookVars = Object.keys(CLEVER_HOOK_VARS);
  for (const a of merged.values()) {
    if (Object.prototype.hasOwnProperty.call(CLEVER_HOOK_VARS, a.key)) {
      hooks.push({
        name: CLEVER_HOOK_VARS[a.key],
        script: a.value,
        origin: { file, line: a.line, key: a.key },
      });
      continue;
    }
    const near = closestName(a.key, hookVars);
    if (near) {
      warnings.push(
        `${file}:${a.line}: ${a.key} is not a Clever Cloud hook (kept as a plain variable); did you mean ${near}?`,
      );
    }
    variables.push({ name: a.key, value: a.value, origin: { file, line: a.line, key: a.key } });
  }
  return parseAppSpec(
    {
      name: CLEVER_APP_NAME,
      profile: "cleverCloud",
      hooks,
      variables,
      config: {},
      warnings,
      origin: { file },
    },
    { file },
  );
}

export interface CleverEnvOptions {
  /** `env`: dotenv syntax; `cli`: a shell script with `clever env set` lines; default `auto`. */
  syntax?: "env" | "cli" | "auto";
}

/** Parses a Clever Cloud env file or CLI script (see dotenv.ts for the syntax). */
export function parseCleverEnv(
  text: string,
  file: string,
  options: CleverEnvOptions = {},
): AppSpec {
  const syntax = options.syntax ?? "auto";
  const cli = syntax === "cli" || (syntax === "auto" && looksLikeCleverCli(text));
  const assignments = cli ? parseCleverCliText(text, file) : parseEnvText(text, file);
  const warnings: string[] = [];
  if (cli) {
    const aliases = [
      ...new Set(assignments.map((a) => a.alias).filter((a): a is string => a !== undefined)),
    ];
    if (aliases.length > 1) {
      warnings.push(
        `${file}: variables set for several aliases (${aliases.join(", ")}) are merged into one app`,
      );
    }
  }
  return cleverAppFromAssignments(assignments, file, warnings);
}

/** 1-based line of a JSON.parse error, from its message (position or line/column), else the last line. */
function jsonErrorLine(text: string, message: string): number {
  const lc = /line (\d+)/.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /position (\d+)/.exec(message);
  return lineAt(text, pos ? Number(pos[1]) : text.length);
}

/** Key lines of a JSON text, by dotted path (best effort through the YAML parser; JSON ⊂ YAML 1.2). */
function jsonKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  try {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
    const walk = (node: unknown, prefix: string) => {
      if (!isMap(node)) return;
      for (const pair of (node as YAMLMap).items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = prefix + String(pair.key.value);
        if (pair.key.range) lines.set(key, lc.linePos(pair.key.range[0]).line);
        walk(pair.value, key + ".");
      }
    };
    walk(doc.contents, "");
  } catch {
    // positions are a nicety
  }
  return lines;
}

/** Parses a legacy `clevercloud/<runtime>.json`. */
export function parseCleverCloudJson(text: string, file: string): AppSpec {
  checkJsonNesting(text, file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new ConfigError(`JSON syntax error: ${msg}`, { file, line: jsonErrorLine(text, msg) });
  }
  const lines = jsonKeyLines(text);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError("a clevercloud/*.json file must hold a JSON object", { file, line: 1 });
  }
  const hooks: HookInput[] = [];
  const warnings: string[] = [];
  const rawHooks = (data as Record<string, unknown>).hooks;
  if (rawHooks !== undefined && rawHooks !== null) {
    if (typeof rawHooks !== "object" || Array.isArray(rawHooks)) {
      throw new ConfigError("hooks must be an object", {
        file,
        line: lines.get("hooks"),
        path: "hooks",
      });
    }
    for (const [k, v] of Object.entries(rawHooks as Record<string, unknown>)) {
      const line = lines.get(`hooks.${k}`);
      if (k !== "postDeploy") {
        const s = closestName(k, ["postDeploy"], 4);
        throw new ConfigError(
          `unknown legacy hook ${JSON.stringify(k)}${s ? `; did you mean ${s}?` : ""} (only postDeploy exists; use CC_*_HOOK variables)`,
          {
            file,
            line,
            path: `hooks.${k}`,
          },
        );
      }
      if (typeof v !== "string") {
        throw new ConfigError("hooks.postDeploy must be a string (a command)", {
          file,
          line,
          path: "hooks.postDeploy",
        });
      }
      hooks.push({
        name: "runSucceeded",
        script: v,
        origin: { file, line, key: "hooks.postDeploy" },
      });
      warnings.push(`${file}${line ? `:${line}` : ""}: ${LEGACY_POST_DEPLOY_WARNING}`);
    }
  }
  const runtime = path.basename(file).replace(/\.json$/i, "");
  // Every other key of the legacy file (`deploy.webroot`, `build`, `jarName`, …) configures how the
  // app is built and served, so it is kept in `config` (classified `build` by the profile).
  const { hooks: _hooks, ...rest } = data as Record<string, unknown>;
  return parseAppSpec(
    {
      name: CLEVER_APP_NAME,
      profile: "cleverCloud",
      hooks,
      variables: [],
      config: { ...rest, runtime },
      warnings,
      origin: { file },
    },
    { file },
  );
}
