/**
 * Cron jobs as the platforms define them, normalized to plain data: Upsun `crons` and Clever Cloud
 * `clevercloud/cron.json`. render/cron.ts installs them on the leader host.
 *
 * Sources: platformsh/platformsh-docs `sites/upsun/src/create-apps/image-properties/crons.md`
 * (`spec`, `commands.start` run in Dash, `commands.stop`, `shutdown_timeout` default 10 s,
 * `timeout` default and maximum 86400 s, `H` = "an unspecified but invariant time", cron jobs run
 * only on the web instance); the legacy `cmd` key of Platform.sh (corpus: drupal9, Berdir); Clever
 * Cloud `content/doc/administrate/cron.md` (a JSON array of "M H d m Y command" strings, UTC,
 * `@reboot` not available, `$ROOT` replaced by the application's root folder).
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../model/configError";

/** One job, normalized. */
export interface CronJob {
  /** Name (Upsun key; Clever: `cron-<index>`): `[A-Za-z0-9_.-]+`. */
  name: string;
  /** Five numeric fields (`*`, lists, ranges, steps), UTC. */
  schedule: string;
  /** The command, run by `sh` in the app's current release. */
  command: string;
  /** Seconds before the run is stopped; null = none. */
  timeoutSeconds: number | null;
  /** Seconds between TERM and KILL when stopped. */
  shutdownTimeoutSeconds: number;
  /** Where it was defined (`crons.report`, `clevercloud/cron.json[0]`). */
  key: string;
}

const FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function hashOf(seed: string, field: number): number {
  return createHash("sha256").update(`${seed}/${field}`).digest().readUInt32BE(0);
}

/**
 * A cron spec → five numeric fields. `H` (Upsun) becomes a value chosen by a hash of `seed` (the
 * app and job names): invariant across deployments, spread across jobs; `H/n` an invariant offset
 * stepping by n. Month and weekday names are accepted; weekday 7 is Sunday (0).
 */
export function normalizeSchedule(spec: string, seed: string, key: string): string {
  const trimmed = spec.trim();
  if (trimmed === "@reboot") {
    throw new ConfigError("@reboot is not supported (Clever Cloud does not run it either)", {
      path: key,
    });
  }
  const expanded = MACROS[trimmed] ?? trimmed;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) {
    throw new ConfigError(`'${spec}' must have 5 fields (minute hour day month weekday)`, {
      path: key,
    });
  }
  return parts
    .map((raw, i) => {
      const f = FIELDS[i];
      const bad = (why: string) =>
        new ConfigError(`'${spec}': ${f.name} '${raw}' ${why}`, { path: key });
      const hMax = i === 4 ? 6 : f.max;
      const item = (it: string): string => {
        let s = it.toUpperCase();
        (f.names ?? []).forEach((n, idx) => {
          s = s.replace(new RegExp(`\\b${n}\\b`, "g"), String(idx + (f.name === "month" ? 1 : 0)));
        });
        if (s === "H") return String(f.min + (hashOf(seed, i) % (hMax - f.min + 1)));
        const hs = /^H\/(\d+)$/.exec(s);
        if (hs) {
          const step = Number(hs[1]);
          if (step < 1) throw bad("has a zero step");
          return `${f.min + (hashOf(seed, i) % step)}-${hMax}/${step}`;
        }
        const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(s);
        if (!m) throw bad("is not a number, range, list, step or H");
        if (m[2] !== undefined && Number(m[2]) < 1) throw bad("has a zero step");
        if (m[1] !== "*") {
          for (const n of m[1].split("-").map(Number)) {
            if (n < f.min || n > f.max) throw bad(`is out of range ${f.min}-${f.max}`);
          }
        }
        return s.replace(/\d+/g, (n) => String(Number(n)));
      };
      const out = raw.split(",").map(item).join(",");
      // Weekday 7 is Sunday: as a single value it becomes 0 (ranges ending at 7 are matched in bash).
      return i === 4 && out === "7" ? "0" : out;
    })
    .join(" ");
}

const nameRe = /^[A-Za-z0-9_.-]+$/;

/** Upsun `crons`: `spec`, `commands.start` (or the legacy `cmd`), `timeout`, `shutdown_timeout`. */
export function upsunCronJobs(config: Record<string, unknown>, appName: string): CronJob[] {
  const crons = config.crons;
  if (crons === undefined || crons === null) return [];
  if (typeof crons !== "object" || Array.isArray(crons)) {
    throw new ConfigError("must be a mapping of job name → {spec, commands}", { path: "crons" });
  }
  return Object.entries(crons as Record<string, unknown>).map(([name, raw]) => {
    const key = `crons.${name}`;
    if (!nameRe.test(name)) {
      throw new ConfigError("a cron name must be letters, digits, '.', '_' or '-'", { path: key });
    }
    const c = (raw ?? {}) as {
      spec?: unknown;
      cmd?: unknown;
      commands?: { start?: unknown };
      timeout?: unknown;
      shutdown_timeout?: unknown;
    };
    const command = c.commands?.start ?? c.cmd;
    if (typeof command !== "string" || command.trim() === "") {
      throw new ConfigError("needs commands.start (or cmd)", { path: key });
    }
    if (typeof c.spec !== "string") throw new ConfigError("needs spec", { path: `${key}.spec` });
    const int = (v: unknown, d: number, k: string, max: number): number => {
      if (v === undefined || v === null) return d;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > max) {
        throw new ConfigError(`must be a whole number of seconds (0-${max})`, { path: k });
      }
      return n;
    };
    return {
      name,
      schedule: normalizeSchedule(c.spec, `${appName}/${name}`, `${key}.spec`),
      command,
      timeoutSeconds: int(c.timeout, 86400, `${key}.timeout`, 86400) || 86400,
      shutdownTimeoutSeconds: int(c.shutdown_timeout, 10, `${key}.shutdown_timeout`, 3600),
      key,
    };
  });
}

/**
 * Clever Cloud `clevercloud/cron.json` (the file's text): `["M H d m Y command", …]`; `$ROOT` in a
 * command is replaced by `root` (the app's current release on the host). No timeout.
 */
export function cleverCronJobs(
  text: string,
  root: string,
  file = "clevercloud/cron.json",
): CronJob[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(list) || !list.every((l) => typeof l === "string")) {
    throw new ConfigError('must be a JSON array of strings ("M H d m Y command")', { file });
  }
  return list.map((line, i) => {
    const key = `[${i}]`;
    const at = line.trim();
    const macro = /^(@\w+)\s+(.*)$/.exec(at);
    const parts = at.split(/\s+/);
    const spec = macro ? macro[1] : parts.slice(0, 5).join(" ");
    const command = macro
      ? macro[2]
      : at.split(/\s+/).length > 5
        ? at.replace(/^(\S+\s+){5}/, "")
        : "";
    if (command.trim() === "") {
      throw new ConfigError(`'${line}' has no command after the 5 schedule fields`, {
        file,
        path: key,
      });
    }
    return {
      name: `cron-${i}`,
      schedule: normalizeSchedule(spec, `clever/${i}`, `${file}${key}`),
      command: command.split("$ROOT").join(root),
      timeoutSeconds: null,
      shutdownTimeoutSeconds: 10,
      key: `${file}${key}`,
    };
  });
}
