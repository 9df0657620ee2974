/**
 * Platform.sh / Upsun application configuration → AppSpec[] (profile `upsun`).
 *
 * Shapes (corpus INDEX "Parser-relevant real-world forms"):
 *   - `app`: one application mapping (`.platform.app.yaml`, or a file `!include`d from a list);
 *   - `applications`: `.platform/applications.yaml`, a list (`- name: app`, any indentation) or a
 *     mapping keyed by app name (keys starting with `.` are anchor templates, not apps);
 *   - `upsun`: an Upsun file (`.upsun/*.yaml`) with an `applications:` mapping; `routes`,
 *     `services` and other top-level keys are ignored (never read, so their includes are not
 *     resolved). A top-level list (GuGuss/django-nextjs puts the Platform.sh list format into
 *     `.upsun/applications.yaml`) is read as the list form. A file with no `applications` is fine
 *     (routes/services split files).
 *   - `auto`: decided from the content (`applications:` key → upsun, list → applications, mapping
 *     with `type`/`hooks`/`name` → app, otherwise a mapping of apps).
 *
 * Mapping (docs/ARCHITECTURE.md "What goes where"):
 *   - `hooks.build|deploy|post_deploy` → hooks `build|deploy|postDeploy`, script byte-exact, origin
 *     `{file, line, key: "hooks.post_deploy"}` where file/line are where the text lives (for a
 *     string include: the included file, line 1). A null hook (`deploy:` with nothing) is "not
 *     defined". Other names under `hooks` are ConfigErrors with a did-you-mean.
 *   - `variables.env.X` → variable X, value `String(v)`: Platform.sh/Upsun expose every env var as a
 *     string, and a YAML scalar becomes its plain text (`true` → "true", `0` → "0"; null → "";
 *     lists/mappings → their JSON text). Visibility `both`.
 *   - `source.root` → `sourceRoot` (POSIX-normalized, leading `/` dropped, `/`, `"/"`, null → ".",
 *     escaping the root → ConfigError); `source` itself stays in config.
 *   - everything else → `config` (the mapping minus `name`, `hooks`, `variables.env`; an emptied
 *     `variables` is dropped).
 */
import * as path from "path";
import { isMap, isScalar, isSeq } from "yaml";
import { AppSpec, HookInput, parseAppSpec, Variable } from "../model/app";
import { ConfigError } from "../model/configError";
import { formatPath } from "../model/fieldPath";
import { closestName } from "../model/suggest";
import {
  Cursor,
  deref,
  describeCursor,
  entries,
  errorAt,
  FileReader,
  items,
  LoadContext,
  newContext,
  parseYaml,
  rootCursor,
  setKey,
  StringInclude,
  toPlain,
} from "./yamlSource";

/** Platform hook key → camelCase hook name. */
export const UPSUN_HOOK_KEYS: Readonly<Record<string, string>> = {
  build: "build",
  deploy: "deploy",
  post_deploy: "postDeploy",
};

export type UpsunForm = "app" | "applications" | "upsun" | "auto";

export interface UpsunParseOptions {
  /** How the file is laid out; default `auto`. */
  form?: UpsunForm;
  /** Configuration root for includes; default: the directory above `.platform/`/`.upsun/`, else the file's directory. */
  root?: string;
  /** File reader for includes (default: disk). */
  readFile?: FileReader;
  /** Shared load state (loadConfig passes one to collect files across several documents). */
  context?: LoadContext;
}

/** The configuration root for a config file: the parent of `.platform`/`.upsun`, else its directory. */
export function configRootFor(file: string): string {
  const dir = path.dirname(file);
  const base = path.basename(dir);
  return base === ".platform" || base === ".upsun" ? path.dirname(dir) : dir;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isString(c: Cursor | StringInclude): c is StringInclude {
  return "kind" in c;
}

/** True for a missing value: `key:` with nothing, or an explicit `null`/`~`. */
function isNull(c: Cursor): boolean {
  return c.node === null || (isScalar(c.node) && c.node.value === null);
}

function envValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function normalizeSourceRoot(cur: Cursor, ctx: LoadContext): string {
  const r = deref(cur, ctx);
  if (isString(r)) throw errorAt(cur, "source.root must be a path, not an included file's text");
  if (isNull(r)) return ".";
  if (!isScalar(r.node) || typeof r.node.value !== "string") {
    throw errorAt(cur, `source.root must be a string, got ${describeCursor(r)}`);
  }
  const raw = r.node.value.replace(/\\/g, "/").replace(/^\/+/, "");
  const norm = path.posix.normalize(raw === "" ? "." : raw).replace(/\/+$/, "");
  if (norm === ".." || norm.startsWith("../")) {
    throw errorAt(cur, `source.root escapes the configuration root: ${r.node.value}`);
  }
  return norm === "" ? "." : norm;
}

/** Reads one application mapping (the cursor may be an include or alias). */
function readApp(name: string | undefined, at: Cursor, ctx: LoadContext): AppSpec {
  const r = deref(at, ctx);
  if (isString(r)) {
    throw errorAt(at, "an application must be a mapping, not an included file's text");
  }
  if (!isMap(r.node)) {
    throw errorAt(r, `an application must be a mapping, got ${describeCursor(r)}`);
  }
  const appCur = r;
  const hooks: HookInput[] = [];
  const variables: Variable[] = [];
  const config: Record<string, unknown> = {};
  let sourceRoot = ".";
  let appName = name;
  for (const e of entries(appCur)) {
    if (e.key === "name") {
      const v = deref(e.value, ctx);
      const n = isString(v)
        ? v.text
        : isScalar(v.node) && typeof v.node.value === "string"
          ? v.node.value
          : undefined;
      if (n === undefined || n === "") {
        throw errorAt(
          e.value,
          `name must be a non-empty string, got ${isString(v) ? "a string include" : describeCursor(v)}`,
        );
      }
      if (appName === undefined) appName = n;
      else if (n !== appName) {
        throw errorAt(
          e.value,
          `name ${JSON.stringify(n)} differs from the application key ${JSON.stringify(appName)}`,
        );
      }
    } else if (e.key === "hooks") {
      readHooks(e.value, ctx, hooks);
    } else if (e.key === "variables") {
      const rest = readVariables(e.value, ctx, variables);
      if (rest !== undefined) setKey(config, "variables", rest);
    } else {
      if (e.key === "source") {
        const s = deref(e.value, ctx);
        if (!isString(s) && isMap(s.node)) {
          for (const se of entries(s)) {
            if (se.key === "root") sourceRoot = normalizeSourceRoot(se.value, ctx);
          }
        }
      }
      setKey(config, e.key, toPlain(e.value, ctx));
    }
  }
  if (appName === undefined) {
    throw errorAt(appCur, "the application has no name (add `name:`)");
  }
  return parseAppSpec(
    {
      name: appName,
      profile: "upsun",
      hooks,
      variables,
      config,
      sourceRoot,
      warnings: [],
      origin: { file: appCur.src.file, line: appCur.line },
    },
    { file: appCur.src.file, prefix: appCur.path },
  );
}

function readHooks(at: Cursor, ctx: LoadContext, out: HookInput[]): void {
  const r = deref(at, ctx);
  if (isString(r)) {
    throw errorAt(
      at,
      "hooks must be a mapping of hook name to script, not an included file's text",
    );
  }
  if (isNull(r)) return;
  if (!isMap(r.node)) {
    throw errorAt(r, `hooks must be a mapping of hook name to script, got ${describeCursor(r)}`);
  }
  for (const e of entries(r)) {
    const hookName = UPSUN_HOOK_KEYS[e.key];
    if (!Object.prototype.hasOwnProperty.call(UPSUN_HOOK_KEYS, e.key)) {
      const s = closestName(e.key, Object.keys(UPSUN_HOOK_KEYS), 4);
      throw errorAt(
        e.value,
        `unknown hook ${JSON.stringify(e.key)}${s ? `; did you mean ${s}?` : ""} (hooks are build, deploy, post_deploy)`,
      );
    }
    const v = deref(e.value, ctx);
    const key = `hooks.${e.key}`;
    if (isString(v)) {
      out.push({ name: hookName, script: v.text, origin: { file: v.file, line: 1, key } });
      continue;
    }
    if (isNull(v)) continue;
    if (!isScalar(v.node) || typeof v.node.value !== "string") {
      throw errorAt(e.value, `a hook must be a string (a shell script), got ${describeCursor(v)}`);
    }
    // The script text lives where the value is written (an alias/yaml include may move it).
    const line = v.src === e.value.src ? e.line : v.line;
    out.push({ name: hookName, script: v.node.value, origin: { file: v.src.file, line, key } });
  }
}

/** Takes `env` out into `out`; returns the rest of `variables` for config (undefined when empty). */
function readVariables(
  at: Cursor,
  ctx: LoadContext,
  out: Variable[],
): Record<string, unknown> | undefined {
  const r = deref(at, ctx);
  if (isString(r)) throw errorAt(at, "variables must be a mapping, not an included file's text");
  if (isNull(r)) return undefined;
  if (!isMap(r.node)) throw errorAt(r, `variables must be a mapping, got ${describeCursor(r)}`);
  const rest: Record<string, unknown> = {};
  let any = false;
  for (const e of entries(r)) {
    if (e.key !== "env") {
      setKey(rest, e.key, toPlain(e.value, ctx));
      any = true;
      continue;
    }
    const env = deref(e.value, ctx);
    if (isString(env)) {
      throw errorAt(e.value, "variables.env must be a mapping, not an included file's text");
    }
    if (isNull(env)) continue;
    if (!isMap(env.node)) {
      throw errorAt(env, `variables.env must be a mapping, got ${describeCursor(env)}`);
    }
    for (const v of entries(env)) {
      if (!VAR_NAME.test(v.key)) {
        throw errorAt(v.value, `${JSON.stringify(v.key)} is not a valid environment variable name`);
      }
      if (out.some((x) => x.name === v.key)) {
        throw errorAt(v.value, `variable ${v.key} is defined twice`);
      }
      out.push({
        name: v.key,
        value: envValue(toPlain(v.value, ctx)),
        visibility: "both",
        origin: { file: v.value.src.file, line: v.line, key: `variables.env.${v.key}` },
      });
    }
  }
  return any ? rest : undefined;
}

function readList(at: Cursor, ctx: LoadContext): AppSpec[] {
  return items(at).map((item) => readApp(undefined, item, ctx));
}

/**
 * A mapping of app name → app. Keys starting with a dot are not apps: Platform.sh ignores them
 * ("ignores YAML keys that start with a dot"), and people use them to hold anchor templates
 * (`.common: &common` merged into each app with `<<: *common`).
 */
function readMapOfApps(at: Cursor, ctx: LoadContext): AppSpec[] {
  return entries(at)
    .filter((e) => !e.key.startsWith("."))
    .map((e) => readApp(e.key, e.value, ctx));
}

function looksLikeOneApp(cur: Cursor): boolean {
  return entries(cur).some((e) =>
    ["type", "hooks", "name", "web", "build", "stack"].includes(e.key),
  );
}

function checkUnique(apps: AppSpec[], where: Cursor): void {
  const seen = new Map<string, AppSpec>();
  for (const a of apps) {
    const prev = seen.get(a.name);
    if (prev) {
      throw new ConfigError(
        `application ${JSON.stringify(a.name)} is defined twice (first at ${prev.origin?.file}:${prev.origin?.line})`,
        {
          file: a.origin?.file ?? where.src.file,
          line: a.origin?.line,
          path: formatPath(where.path) || undefined,
        },
      );
    }
    seen.set(a.name, a);
  }
}

/** Reads the apps of one parsed document (`root`: its root cursor) in the given form. */
export function readUpsunDocument(root: Cursor, form: UpsunForm, ctx: LoadContext): AppSpec[] {
  const r = deref(root, ctx);
  if (isString(r)) {
    throw errorAt(root, "the configuration must be YAML, not an included file's text");
  }
  const empty = isNull(r);
  let apps: AppSpec[];
  if (form === "app") {
    if (empty) throw errorAt(r, "the file is empty (expected an application mapping)");
    apps = [readApp(undefined, r, ctx)];
  } else if (form === "applications") {
    if (empty) throw errorAt(r, "the file defines no applications");
    if (isSeq(r.node)) apps = readList(r, ctx);
    else if (isMap(r.node)) apps = readMapOfApps(r, ctx);
    else throw errorAt(r, `applications must be a list or a mapping, got ${describeCursor(r)}`);
  } else if (form === "upsun") {
    if (empty) return [];
    if (isSeq(r.node)) apps = readList(r, ctx);
    else if (isMap(r.node)) {
      apps = [];
      for (const e of entries(r)) {
        if (e.key !== "applications") continue;
        const a = deref(e.value, ctx);
        if (isString(a)) {
          throw errorAt(e.value, "applications must be a mapping, not an included file's text");
        }
        if (isNull(a)) continue;
        if (isMap(a.node)) apps.push(...readMapOfApps(a, ctx));
        else if (isSeq(a.node)) apps.push(...readList(a, ctx));
        else {
          throw errorAt(
            a,
            `applications must be a mapping of app name to app, got ${describeCursor(a)}`,
          );
        }
      }
    } else throw errorAt(r, `an Upsun configuration must be a mapping, got ${describeCursor(r)}`);
  } else {
    if (empty) throw errorAt(r, "the file is empty");
    if (isSeq(r.node)) apps = readList(r, ctx);
    else if (isMap(r.node)) {
      if (entries(r).some((e) => e.key === "applications")) {
        return readUpsunDocument(r, "upsun", ctx);
      }
      apps = looksLikeOneApp(r) ? [readApp(undefined, r, ctx)] : readMapOfApps(r, ctx);
    } else {
      throw errorAt(
        r,
        `expected an application mapping, a list or a mapping of applications, got ${describeCursor(r)}`,
      );
    }
  }
  checkUnique(apps, r);
  return apps;
}

/** Parses one Platform.sh/Upsun YAML text (includes are read through `options.readFile`). */
export function parseUpsunYaml(
  text: string,
  file: string,
  options: UpsunParseOptions = {},
): AppSpec[] {
  const ctx = options.context ?? newContext(options.root ?? configRootFor(file), options.readFile);
  if (!ctx.files.includes(file)) ctx.files.push(file);
  const src = parseYaml(text, file);
  return readUpsunDocument(rootCursor(src), options.form ?? "auto", ctx);
}
