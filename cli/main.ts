/**
 * `deployhooks explain|diff` (SPEC §7): loaders + profiles + diff engine, no Pulumi.
 * Exit codes: 0 success, 2 bad input (file, line and field path on stderr; never a stack trace),
 * 1 internal error.
 */
import * as path from "path";
import { readConfigFile } from "../loaders/inputText";
import { appDetails } from "./details";
import { loadConfig, type LoadedConfig, type LoaderProfile } from "../loaders";
import type { AppSpec } from "../model/app";
import { ConfigError, isConfigError } from "../model/configError";
import { snapshotApp } from "../engine/snapshot";
import { planApps } from "../engine/plan";
import { resolveHooks } from "../profiles/resolve";
import { parseCommand, USAGE, UsageError } from "./args";
import { diffSteps, readProgramFile } from "./program";
import { ANSI, PLAIN, diffJson, diffText, explainJson, explainText, type DiffJson } from "./report";

/** Where the CLI writes; injectable so tests can run `main` in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour the readable tables (a terminal without NO_COLOR). */
  color: boolean;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
};

function selectApps(config: LoadedConfig, app: string | undefined, file: string): AppSpec[] {
  if (app === undefined) return config.apps;
  const found = config.apps.filter((a) => a.name === app);
  if (found.length === 0) {
    const names = config.apps.map((a) => a.name).join(", ") || "none";
    throw new ConfigError(`no app named '${app}' (apps: ${names})`, { file, path: "--app" });
  }
  return found;
}

/**
 * Loads the new side of a diff. Its profile is detected on its own (an old YAML file against a new
 * env file is a mistake to name, not a YAML syntax error); only a file whose format cannot be told
 * from its name falls back to the old side's profile.
 */
function loadNewConfig(
  file: string,
  profile: LoaderProfile | undefined,
  before: LoadedConfig,
): LoadedConfig {
  let after: LoadedConfig;
  try {
    after = loadConfig(file, { profile });
  } catch (e) {
    if (
      profile !== undefined ||
      !isConfigError(e) ||
      !/cannot tell the configuration format/.test(e.message)
    ) {
      throw e;
    }
    after = loadConfig(file, { profile: before.profile });
  }
  if (after.profile !== before.profile) {
    throw new ConfigError(
      `the two files are different platforms: the old configuration ${before.files[0] ?? ""} is ${before.profile}, the new one is ${after.profile}; diff compares two configurations of the same platform`,
      { file },
    );
  }
  return after;
}

/**
 * The text of the Clever Cloud `clevercloud/cron.json` that goes with a configuration file: the
 * sibling `cron.json` of a `clevercloud/<runtime>.json`, else `clevercloud/cron.json` beside the
 * env file (none: `{}`; unreadable: a `problem` for the details, never an exit).
 */
function cleverCronFile(config: string): { text?: string; problem?: string } {
  const dir = path.dirname(config);
  const file =
    path.basename(dir) === "clevercloud"
      ? path.join(dir, "cron.json")
      : path.join(dir, "clevercloud", "cron.json");
  if (path.resolve(file) === path.resolve(config)) return {};
  try {
    return { text: readConfigFile(file) };
  } catch (e) {
    // Only explain's details need it: a bad cron.json must not hide the hooks.
    if (!isConfigError(e)) throw e;
    return { problem: `crons: ${e.message}` };
  }
}

/** Prints each warning once (the old and the new configuration usually share theirs). */
function warn(io: Io, warnings: readonly string[]): void {
  for (const w of new Set(warnings)) io.err(`deployhooks: warning: ${w}\n`);
}

/** The diff report of two app lists. The CLI has no source tree: code changes only when the user says so. */
function diffApps(prev: AppSpec[], next: AppSpec[], codeChanged: boolean): DiffJson {
  const oldCode = { fingerprint: "cli:code" };
  const newCode = { fingerprint: codeChanged ? "cli:code-changed" : "cli:code" };
  return diffJson(
    planApps(
      prev.map((a) => snapshotApp(a, oldCode)),
      next.map((a) => snapshotApp(a, newCode)),
    ),
  );
}

/** `diff --program`: two component-args files, or two `steps` outputs (cli/program.ts). */
function diffProgram(
  prevFile: string,
  nextFile: string,
  app: string | undefined,
  codeChanged: boolean,
): DiffJson {
  const prev = readProgramFile(prevFile);
  const next = readProgramFile(nextFile);
  if (prev.kind !== next.kind) {
    throw new ConfigError(
      `the two files are of different kinds: ${prevFile} holds ${prev.kind === "args" ? "component args" : "steps outputs"}, this one ${next.kind === "args" ? "component args" : "steps outputs"}`,
      { file: nextFile },
    );
  }
  if (prev.kind === "args" && next.kind === "args") {
    const nextApps = app === undefined ? next.apps : next.apps.filter((a) => a.name === app);
    if (app !== undefined && nextApps.length === 0) {
      const names = next.apps.map((a) => a.name).join(", ") || "none";
      throw new ConfigError(`no app named '${app}' (apps: ${names})`, {
        file: nextFile,
        path: "--app",
      });
    }
    const prevApps = app === undefined ? prev.apps : prev.apps.filter((a) => a.name === app);
    return diffApps(prevApps, nextApps, codeChanged);
  }
  if (prev.kind === "steps" && next.kind === "steps") {
    if (codeChanged) {
      throw new UsageError(
        "--code-changed does not apply to steps outputs (their triggers say it)",
      );
    }
    const report = diffSteps(prev, next);
    if (app === undefined) return report;
    const apps = report.apps.filter((a) => a.name === app);
    if (apps.length === 0) {
      const names = report.apps.map((a) => a.name).join(", ") || "none";
      throw new ConfigError(`no component named '${app}' (components: ${names})`, {
        file: nextFile,
        path: "--app",
      });
    }
    return { apps };
  }
  throw new Error("unreachable");
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const cmd = parseCommand(argv);
    const style = io.color ? ANSI : PLAIN;
    switch (cmd.kind) {
      case "help":
        io.out(USAGE + "\n");
        return 0;
      case "explain": {
        const config = loadConfig(cmd.config, { profile: cmd.profile });
        const apps = selectApps(config, cmd.app, cmd.config);
        const report = explainJson(apps.map((app) => ({ app, hooks: resolveHooks(app) })));
        warn(io, config.warnings);
        // The normative shape (SPEC §7) unless --details asks for more.
        const details = () => {
          const cron = config.profile === "cleverCloud" ? cleverCronFile(cmd.config) : {};
          return apps.map((app) => {
            const d = appDetails(app, cron.text);
            return cron.problem ? { ...d, problems: [...d.problems, cron.problem] } : d;
          });
        };
        if (cmd.json && !cmd.details) io.out(JSON.stringify(report) + "\n");
        else if (cmd.json) {
          const d = details();
          io.out(
            JSON.stringify({ apps: report.apps.map((a, i) => ({ ...a, details: d[i] })) }) + "\n",
          );
        } else io.out(explainText(report, style, details()) + "\n");
        return 0;
      }
      case "diff": {
        if (cmd.program) {
          const report = diffProgram(cmd.oldConfig, cmd.newConfig, cmd.app, cmd.codeChanged);
          io.out(cmd.json ? JSON.stringify(report) + "\n" : diffText(report, style) + "\n");
          return 0;
        }
        const before = loadConfig(cmd.oldConfig, { profile: cmd.profile });
        const after = loadNewConfig(cmd.newConfig, cmd.profile, before);
        const next = selectApps(after, cmd.app, cmd.newConfig);
        const prev =
          cmd.app === undefined ? before.apps : before.apps.filter((a) => a.name === cmd.app);
        warn(io, [...before.warnings, ...after.warnings]);
        const report = diffApps(prev, next, cmd.codeChanged);
        io.out(cmd.json ? JSON.stringify(report) + "\n" : diffText(report, style) + "\n");
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`deployhooks: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (isConfigError(e)) {
      io.err(`deployhooks: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    io.err(`deployhooks: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.DEPLOYHOOKS_DEBUG) io.err(`${err?.stack ?? ""}\n`);
    return 1;
  }
}
