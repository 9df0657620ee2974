/**
 * The CLI's two reports as data (the normative JSON shapes of SPEC §7) and as readable tables.
 * Pure functions: the JSON objects contain exactly the fields the SPEC lists, in its order.
 */
import type { AppSpec } from "../model/app";
import type { AppPlan, ResolvedHook } from "../engine/types";

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

export function explainText(report: ExplainJson, style: Style): string {
  const out: string[] = [];
  for (const app of report.apps) {
    out.push(style.bold(`${app.name} (${app.profile})`));
    if (app.hooks.length === 0) {
      out.push("  no hooks defined", "");
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
      "",
    );
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
