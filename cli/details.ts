/**
 * What `deployhooks explain` shows beyond the hooks (issue 9): the app's workers, its cron jobs,
 * the platform's build steps (Upsun flavor/dependencies, Clever Cloud's build tool) and the
 * variables each kind of hook sees — the user's and the platform's. Pure: an AppSpec (plus the
 * text of a Clever `clevercloud/cron.json` when there is one) in, plain data out, built from the
 * same functions the deployment uses (render/flavor.ts, profiles/crons.ts,
 * profiles/upsunEnvironment.ts, render/env.ts), so explain cannot drift from what runs.
 *
 * The normative `explain --json` shape (SPEC §7) is not changed: these details are printed in the
 * readable report only, and as JSON with `--details`.
 */
import type { AppSpec } from "../model/app";
import { isConfigError } from "../model/configError";
import { profileFor, resolveHooks } from "../profiles/resolve";
import { cleverCronJobs, upsunCronJobs } from "../profiles/crons";
import { upsunEnvironment } from "../profiles/upsunEnvironment";
import { CLEVER_NODE_START, flavorStepsOf } from "../render/flavor";
import { upsunPhpLocation } from "../render/phpServer";
import { platformVariables } from "../render/env";

export interface WorkerDetail {
  name: string;
  command: string;
  /** Where it is defined: `workers.queue.commands.start`, `CC_WORKER_COMMAND_1`. */
  key: string;
}

export interface CronDetail {
  name: string;
  /** Five fields, UTC (Upsun `H` already resolved to a fixed value). */
  schedule: string;
  command: string;
  key: string;
}

export interface BuildStepDetail {
  name: string;
  script: string;
}

/** One variable a hook sees: its name and where its value comes from. */
export interface VisibleVariable {
  name: string;
  /** `variables.env.NODE_ENV`, `platform` (set per host/release), `platform.branch`, … */
  source: string;
}

/** How the app's web process starts. */
export interface WebDetail {
  /** The start command, or what stands in for the platform's web server. */
  command: string;
  /** Where it comes from: `web.commands.start`, `web.locations./ (php)`, `CC_RUN_COMMAND`. */
  key: string;
}

export interface AppDetails {
  /** The web process; undefined when none is managed. */
  web?: WebDetail;
  workers: WorkerDetail[];
  crons: CronDetail[];
  buildSteps: BuildStepDetail[];
  /** Per hook of the app (lifecycle order): the variables it sees, by name. */
  variables: { hook: string; phase: "build" | "runtime"; names: VisibleVariable[] }[];
  /**
   * What could not be worked out (a cron the deployment would refuse, …), as messages: explain
   * still reports the hooks; the deployment reports the same problem as an error.
   */
  problems: string[];
}

/** Runs one part of the details; a ConfigError becomes a problem and an empty part. */
function part<T>(problems: string[], what: string, empty: T, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!isConfigError(e)) throw e;
    problems.push(`${what}: ${e.message}`);
    return empty;
  }
}

function upsunWorkers(config: Record<string, unknown>): WorkerDetail[] {
  const workers = config.workers;
  if (workers === null || typeof workers !== "object" || Array.isArray(workers)) return [];
  return Object.entries(workers as Record<string, unknown>).flatMap(([name, w]) => {
    const start = (w as { commands?: { start?: unknown } } | null)?.commands?.start;
    return typeof start === "string"
      ? [{ name, command: start, key: `workers.${name}.commands.start` }]
      : [];
  });
}

/** Clever Cloud: `CC_WORKER_COMMAND` and `CC_WORKER_COMMAND_<n>` (docs: workers). */
function cleverWorkers(app: AppSpec): WorkerDetail[] {
  return app.variables
    .filter((v) => /^CC_WORKER_COMMAND(_\w+)?$/.test(v.name) && v.value.trim() !== "")
    .map((v) => ({ name: v.name, command: v.value, key: v.origin?.key ?? v.name }));
}

/** The platform variables of a hook (names only; values are per host and release). */
function platformNames(app: AppSpec, buildPhase: boolean): VisibleVariable[] {
  const names = Object.keys(
    platformVariables({
      target: { root: "/srv/deployhooks", app: app.name },
      profile: app.profile,
      releaseId: "release",
      appDir: "/srv/deployhooks/app",
      buildPhase,
    }),
  );
  const out = names.map((name) => ({ name, source: "platform" }));
  if (app.profile === "upsun") {
    for (const row of upsunEnvironment({ appName: app.name, config: app.config })) {
      if (buildPhase && row.visibility !== "both") continue;
      if (out.some((o) => o.name === row.name)) continue;
      out.push({ name: row.name, source: row.key });
    }
  }
  return out;
}

/** The web process: its own start command, or the platform's default for the runtime. */
function webDetail(app: AppSpec): WebDetail | undefined {
  if (app.profile === "upsun") {
    const web = app.config.web as { commands?: { start?: unknown } } | undefined;
    if (typeof web?.commands?.start === "string" && web.commands.start !== "") {
      return { command: web.commands.start, key: "web.commands.start" };
    }
    const php = upsunPhpLocation(app.config);
    if (!php) return undefined;
    return {
      command: `php -S 127.0.0.1:$PORT -t ${php.root || "."} (passthru ${php.passthru || "none"}; PHP's built-in server for the platform's nginx + PHP-FPM)`,
      key: 'web.locations["/"] (type php, no web.commands.start)',
    };
  }
  if (app.profile === "cleverCloud") {
    const run = app.variables.find((v) => v.name === "CC_RUN_COMMAND");
    if (run && typeof run.value === "string" && run.value !== "") {
      return { command: run.value, key: "CC_RUN_COMMAND" };
    }
    if (app.config.type === "node") {
      return { command: CLEVER_NODE_START, key: "type node (default start)" };
    }
    if (app.config.type === "php") {
      return {
        command:
          "php -S 127.0.0.1:$PORT -t $CC_WEBROOT (passthru /index.php when its .htaccess rewrites to it; PHP's built-in server for Apache)",
        key: "type php (default start)",
      };
    }
  }
  return undefined;
}

/** The details of one app (see the module comment). */
export function appDetails(app: AppSpec, cleverCronText?: string): AppDetails {
  const profile = profileFor(app);
  const hooks = resolveHooks(app, profile);
  const problems: string[] = [];
  const workers = part(problems, "workers", [] as WorkerDetail[], () =>
    app.profile === "cleverCloud" ? cleverWorkers(app) : upsunWorkers(app.config),
  );
  const crons = part(problems, "crons", [] as CronDetail[], () =>
    (app.profile === "upsun"
      ? upsunCronJobs(app.config, app.name)
      : cleverCronText !== undefined
        ? cleverCronJobs(cleverCronText, "$ROOT")
        : []
    ).map((c) => ({ name: c.name, schedule: c.schedule, command: c.command, key: c.key })),
  );
  const buildSteps = part(problems, "platform build steps", [] as BuildStepDetail[], () =>
    flavorStepsOf(app),
  );
  const variables = part(problems, "variables", [] as AppDetails["variables"], () =>
    hooks.map((h) => {
      const phase = h.variables;
      const user = app.variables
        .filter((v) => {
          const vis = v.visibility ?? "both";
          return vis === "both" || vis === phase;
        })
        .map((v) => ({ name: v.name, source: v.origin?.key ?? v.name }));
      const platform = platformNames(app, phase === "build");
      // Platform variables win over user variables of the same name (render/env.ts).
      const names = [...user.filter((u) => !platform.some((p) => p.name === u.name)), ...platform];
      return { hook: h.name, phase, names };
    }),
  );
  const web = part(problems, "web", undefined as WebDetail | undefined, () => webDetail(app));
  return { ...(web ? { web } : {}), workers, crons, buildSteps, variables, problems };
}
