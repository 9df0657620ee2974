/**
 * `deployhooks diff --program <prev.json> <next.json>`: what a Pulumi program's change reruns,
 * from two JSON files of either kind (both files of the same kind):
 *
 * 1. **Component args**: `{"component": "UpsunApp" | "CleverCloudApp" | "Application",
 *    "name": "<component name>", "args": { …the component's args… }}`, or a list of them (several
 *    components). The args become apps exactly as the components build them
 *    (components/deploymentModel.ts), and the diff engine compares them as it compares two
 *    configuration files: the same report, the same reasons.
 * 2. **`steps` outputs**: what `pulumi stack output steps --json` prints (resource name → trigger
 *    entries), an object holding it under `steps` (`pulumi stack output --json`), or a
 *    `pulumi stack export` whose deployhooks components carry a `steps` output. Every step of the
 *    next side is listed: `run` is "its trigger entries differ", and each differing entry is a
 *    reason (`runtime changed: runtimeVariables.GREETING`, `code changed: migrations/`).
 *
 * Bad input (unreadable or invalid JSON, an unknown component, invalid args, mixed kinds) is a
 * ConfigError naming the file (exit 2).
 */
import type { AppSpec } from "../model/app";
import { ConfigError, isConfigError } from "../model/configError";
import type { ProfileName } from "../model/app";
import { checkJsonNesting, readConfigFile } from "../loaders/inputText";
import { CHANGE_CLASSES, type ChangeClass } from "../model/changeClass";
import { changedTriggerNames, triggerClass } from "../engine/triggers";
import type { DiffJson } from "./report";

/** The apps of a component-args file, in file order. */
export interface ProgramArgsFile {
  kind: "args";
  apps: AppSpec[];
}

/** The components' `steps` outputs of a stack file: per component, resource name → triggers. */
export interface ProgramStepsFile {
  kind: "steps";
  components: { name: string; profile: string; steps: Record<string, string[]> }[];
}

export type ProgramFile = ProgramArgsFile | ProgramStepsFile;

const COMPONENT_PROFILES: Record<string, ProfileName> = {
  UpsunApp: "upsun",
  CleverCloudApp: "cleverCloud",
  Application: "custom",
};

function readJson(file: string): unknown {
  const text = readConfigFile(file);
  if (text === undefined) throw new ConfigError("file not found", { file });
  checkJsonNesting(text, file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`JSON syntax error: ${(e as Error).message}`, { file });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function isStepsMap(v: unknown): v is Record<string, string[]> {
  return (
    isObject(v) &&
    Object.keys(v).length > 0 &&
    Object.values(v).every((t) => Array.isArray(t) && t.every((x) => typeof x === "string"))
  );
}

/** The component args → AppSpec, as the components build it (loaded lazily: it pulls in Pulumi types' runtime). */
function appOf(entry: Record<string, unknown>, file: string, index: number): AppSpec {
  const where = `[${index}]`;
  const component = entry.component;
  if (typeof component !== "string" || !(component in COMPONENT_PROFILES)) {
    throw new ConfigError(
      `component must be one of ${Object.keys(COMPONENT_PROFILES).join(", ")}, got ${JSON.stringify(component ?? null)}`,
      { file, path: `${where}.component` },
    );
  }
  const name = entry.name;
  if (typeof name !== "string" || name === "") {
    throw new ConfigError("name (the component's name) must be a non-empty string", {
      file,
      path: `${where}.name`,
    });
  }
  if (!isObject(entry.args)) {
    throw new ConfigError("args must be an object (the component's args)", {
      file,
      path: `${where}.args`,
    });
  }
  const model =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only `--program` needs it (it loads @pulumi/pulumi)
    require("../components/deploymentModel") as typeof import("../components/deploymentModel");
  const args = entry.args as never;
  try {
    const m =
      component === "UpsunApp"
        ? model.upsunModel<string>(name, args)
        : component === "CleverCloudApp"
          ? model.cleverCloudModel<string>(name, args)
          : model.applicationModel<string>(name, args);
    return model.appSpecOf(m);
  } catch (e) {
    if (isConfigError(e)) {
      throw new ConfigError(e.detail, {
        file,
        path: [`${where}.args`, e.path].filter(Boolean).join("."),
      });
    }
    throw e;
  }
}

/** The `steps` outputs in a stack export (`pulumi stack export`): one per deployhooks component. */
function stepsOfExport(data: Record<string, unknown>): ProgramStepsFile["components"] {
  const deployment = (data.deployment ?? {}) as { resources?: unknown };
  const resources = Array.isArray(deployment.resources) ? deployment.resources : [];
  const out: ProgramStepsFile["components"] = [];
  for (const r of resources as Record<string, unknown>[]) {
    const outputs = (r.outputs ?? {}) as Record<string, unknown>;
    if (!isStepsMap(outputs.steps)) continue;
    const type = String(r.type ?? "");
    const urn = String(r.urn ?? "");
    out.push({
      name: urn.slice(urn.lastIndexOf("::") + 2) || type,
      profile: COMPONENT_PROFILES[type.slice(type.lastIndexOf(":") + 1)] ?? "unknown",
      steps: outputs.steps,
    });
  }
  return out;
}

/** The longest common prefix of the step names, up to a `-` (the component, or component-host). */
function commonName(names: string[]): string {
  let prefix = names[0] ?? "";
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = prefix.lastIndexOf("-");
  return cut > 0 ? prefix.slice(0, cut) : "steps";
}

/** Reads one `--program` file (see the module comment). */
export function readProgramFile(file: string): ProgramFile {
  const data = readJson(file);
  if (isObject(data) && isObject(data.deployment)) {
    const components = stepsOfExport(data);
    if (components.length === 0) {
      throw new ConfigError("the stack export holds no component with a `steps` output", { file });
    }
    return { kind: "steps", components };
  }
  const steps = isObject(data) && isStepsMap(data.steps) ? data.steps : data;
  if (isStepsMap(steps)) {
    return {
      kind: "steps",
      components: [{ name: commonName(Object.keys(steps)), profile: "unknown", steps }],
    };
  }
  const entries = Array.isArray(data) ? data : [data];
  if (entries.length === 0 || !entries.every(isObject) || !entries.every((e) => "component" in e)) {
    throw new ConfigError(
      'expected component args ({"component": "UpsunApp", "name": "api", "args": {…}} or a list of them) or a `steps` output (resource name → trigger strings)',
      { file },
    );
  }
  return { kind: "args", apps: entries.map((e, i) => appOf(e, file, i)) };
}

/** A changed trigger entry as a reason: `runtime changed: web.commands.start`. */
export function entryReason(name: string): string {
  const cls = triggerClass(`${name}=`);
  if (cls === "code") {
    return name === "code" ? "code changed: source tree" : `code changed: ${name.slice(5)}`;
  }
  if (cls === "redeploy") return "redeploy changed: redeployToken";
  if (cls) {
    const key = name.slice(cls.length + 1);
    return name === cls ? `${cls} changed` : `${cls} changed: ${key}`;
  }
  if (name === "script") return "script changed: the hook's script";
  if (name === "host") return "host changed: a new or replaced machine";
  const m = /^([A-Za-z0-9]+)\.script$/.exec(name);
  if (m) return `script changed: ${m[1]}`;
  return `changed: ${name}`;
}

/** The diff of two `steps` files: every step of the next side, run iff its triggers differ. */
export function diffSteps(prev: ProgramStepsFile, next: ProgramStepsFile): DiffJson {
  return {
    apps: next.components.map((c) => {
      const before =
        prev.components.find((p) => p.name === c.name) ??
        (prev.components.length === 1 && next.components.length === 1
          ? prev.components[0]
          : undefined);
      const changed = new Set<ChangeClass>();
      const hooks = Object.entries(c.steps).map(([name, triggers]) => {
        const old = before?.steps[name];
        if (!old) return { name, run: true, reasons: ["step added"] };
        const names = changedTriggerNames(old, triggers);
        for (const n of names) {
          const cls = triggerClass(`${n}=`);
          if (cls) changed.add(cls);
        }
        return { name, run: names.length > 0, reasons: names.map(entryReason) };
      });
      return {
        name: c.name,
        profile: c.profile,
        changed: CHANGE_CLASSES.filter((k) => changed.has(k)),
        hooks,
      };
    }),
  };
}
