/**
 * The CLI's two reports as data (the normative JSON shapes of SPEC §7) and as readable tables.
 * Pure functions: the JSON objects contain exactly the fields the SPEC lists, in its order.
 */
import type { AppSpec } from "../model/app";
import type { AppPlan, ResolvedHook } from "../engine/types";
import type { AppDetails } from "./details";

export interface ExplainHookJson {
  name: string;
  script: string;
  failure: string;
  timeoutSeconds: number | null;
  scope: string;
  roles: string[];
  rerunOn: string[];
}
export interface ExplainJson {
  apps: { name: string; profile: string; hooks: ExplainHookJson[] }[];
}
export interface DiffJson {
  apps: {
    name: string;
    profile: string;
    changed: string[];
    hooks: { name: string; run: boolean; reasons: string[] }[];
  }[];
}

export function explainJson(apps: readonly { app: AppSpec; hooks: ResolvedHook[] }[]): ExplainJson {
  return {
    apps: apps.map(({ app, hooks }) => ({
      name: app.name,
      profile: app.profile,
      hooks: hooks.map((h) => ({
        name: h.name,
        script: h.script,
        failure: h.failure,
        timeoutSeconds: h.timeoutSeconds,
        scope: h.scope,
        roles: [...h.roles],
        rerunOn: [...h.rerunOn],
      })),
    })),
  };
}

export function diffJson(plans: readonly AppPlan[]): DiffJson {
  return {
    apps: plans.map((p) => ({
      name: p.name,
      profile: p.profile,
      changed: [...p.changed],
      hooks: p.hooks.map((h) => ({ name: h.name, run: h.run, reasons: [...h.reasons] })),
    })),
  };
}

/** ANSI styling, applied only when the output is a terminal (and NO_COLOR is unset). */
export interface Style {
  bold(s: string): string;
  green(s: string): string;
  dim(s: string): string;
}
export const PLAIN: Style = { bold: (s) => s, green: (s) => s, dim: (s) => s };
export const ANSI: Style = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
};

/** Visible width of a cell: ANSI styling takes no room on screen. */
const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

/** Lays out rows in columns; a cell may hold several lines; the last column is not padded. */
function table(header: string[], rows: string[][][], style: Style): string[] {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => Math.max(0, ...r[i].map(width)))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - width(c))))
      .join("  ")
      .trimEnd();
  const out = [style.bold(line(header))];
  for (const row of rows) {
    const height = Math.max(...row.map((c) => c.length), 1);
    for (let k = 0; k < height; k++) out.push(line(row.map((c) => c[k] ?? "")));
  }
  return out;
}

function firstLine(script: string): string {
  const lines = script.split("\n").filter((l) => l.trim() !== "");
  const first = lines[0] ?? "";
  return lines.length > 1 ? `${first} … (${lines.length} lines)` : first;
}

/** The details of one app as indented lines (workers, crons, build steps, variables per hook). */
function detailLines(d: AppDetails, style: Style): string[] {
  const out: string[] = [];
  const section = (title: string, header: string[], rows: string[][][]) => {
    if (rows.length === 0) return;
    out.push(`  ${style.bold(title)}`);
    out.push(...table(header, rows, style).map((l) => `    ${l}`));
  };
  section(
    "platform build steps (before the build command)",
    ["STEP", "SCRIPT"],
    d.buildSteps.map((s) => [[s.name], [firstLine(s.script)]]),
  );
  section("web", ["COMMAND", "FROM"], d.web ? [[[firstLine(d.web.command)], [d.web.key]]] : []);
  section(
    "workers",
    ["WORKER", "COMMAND", "FROM"],
    d.workers.map((w) => [[w.name], [firstLine(w.command)], [w.key]]),
  );
  section(
    "crons (UTC, on the leader host)",
    ["CRON", "SCHEDULE", "COMMAND"],
    d.crons.map((c) => [[c.name], [c.schedule], [firstLine(c.command)]]),
  );
  // Hooks that see the same variables share a row.
  const groups: { hooks: string[]; names: string }[] = [];
  for (const v of d.variables) {
    const names = v.names.map((n) => n.name).join(", ");
    const g = groups.find((x) => x.names === names);
    if (g) g.hooks.push(v.hook);
    else groups.push({ hooks: [v.hook], names });
  }
  for (const p of d.problems) out.push(`  ${style.bold("cannot tell")} ${p}`);
  section(
    "variables each hook sees (platform variables win over yours)",
    ["HOOKS", "VARIABLES"],
    groups.map((g) => [[g.hooks.join(", ")], wrap(g.names, 72)]),
  );
  return out;
}

/** Splits a comma-separated list into lines of at most `max` characters. */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.length > 0 ? lines : [""];
}

export function explainText(
  report: ExplainJson,
  style: Style,
  details: readonly AppDetails[] = [],
): string {
  const out: string[] = [];
  for (const [i, app] of report.apps.entries()) {
    out.push(style.bold(`${app.name} (${app.profile})`));
    if (app.hooks.length === 0) {
      out.push("  no hooks defined");
      if (details[i]) out.push(...detailLines(details[i], style));
      out.push("");
      continue;
    }
    const rows = app.hooks.map((h) => [
      [h.name],
      [h.failure],
      [h.timeoutSeconds === null ? "none" : `${h.timeoutSeconds} s`],
      [h.scope],
      [h.roles.join(",")],
      [h.rerunOn.join(", ")],
      [firstLine(h.script)],
    ]);
    out.push(
      ...table(
        ["HOOK", "ON FAILURE", "TIMEOUT", "SCOPE", "ROLES", "RERUNS ON", "SCRIPT"],
        rows,
        style,
      ).map((l) => `  ${l}`),
    );
    if (details[i]) out.push(...detailLines(details[i], style));
    out.push("");
  }
  return out.join("\n");
}

export function diffText(report: DiffJson, style: Style): string {
  const out: string[] = [];
  for (const app of report.apps) {
    const changed =
      app.changed.length > 0 ? `changed: ${app.changed.join(", ")}` : "nothing changed";
    out.push(`${style.bold(`${app.name} (${app.profile})`)} — ${changed}`);
    if (app.hooks.length === 0) {
      out.push("  no hooks defined", "");
      continue;
    }
    const rows = app.hooks.map((h) => [
      [h.name],
      [h.run ? style.green("run") : style.dim("skip")],
      h.run ? h.reasons : [style.dim("nothing it depends on changed")],
    ]);
    out.push(...table(["HOOK", "RUN", "WHY"], rows, style).map((l) => `  ${l}`));
    out.push("");
  }
  return out.join("\n");
}
