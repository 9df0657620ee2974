/**
 * The host layout of SPEC §6 as data: every path a step reads or writes, derived from the
 * deployment root and the app name. Components use it to place uploads and to show log paths;
 * renderers use it so that every program agrees on where things are.
 */
import { ConfigError } from "../model/configError";
import { assertToken } from "./quote";

/** Where an app lives on a host. */
export interface AppTarget {
  /** Absolute deployment root on the host, e.g. `/srv/deployhooks` (no trailing slash needed). */
  root: string;
  /** App name (`[A-Za-z0-9][A-Za-z0-9_.-]*`): one directory `<root>/<app>/`. */
  app: string;
}

/** Every path of one app's layout on the host (absolute, no trailing slash). */
export interface AppLayout {
  appDir: string;
  releasesDir: string;
  current: string;
  cacheDir: string;
  sharedDir: string;
  logsDir: string;
  /** `.deployhooks/`: the tool's own state (lock, history, markers, hook files, tmp, uploads). */
  stateDir: string;
  lockFile: string;
  historyFile: string;
  uploadsDir: string;
  /** Hook bodies written by the wrapper (`<release>-<label>.sh`). */
  hooksDir: string;
  /** Per-run TMPDIRs, removed after each run. */
  tmpDir: string;
  /** Release markers: `<id>.ok` (complete upload), `<id>.sealed` (read-only). */
  markersDir: string;
  /** Pid file of the built-in supervisor: `<pid> <starttime> <activationId>`. */
  pidFile: string;
  /** Output of the app started by the built-in supervisor. */
  appLog: string;
}

const ROOT = /^(\/[A-Za-z0-9._@+-]+)+$/;
const APP = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Validates a target and returns it normalized (no trailing slash). */
export function normalizeTarget(target: AppTarget): AppTarget {
  const root = target.root.replace(/\/+$/, "");
  if (!ROOT.test(root) || root.split("/").some((s) => s === "." || s === "..")) {
    throw new ConfigError(
      `${JSON.stringify(target.root)} must be an absolute path of letters, digits and . _ @ + - (no spaces, no "." or ".." segments, not "/")`,
      { path: "root" },
    );
  }
  if (!APP.test(target.app) || target.app.length > 100) {
    throw new ConfigError(
      `${JSON.stringify(target.app)} must start with a letter or digit and use only letters, digits, . _ -`,
      {
        path: "app",
      },
    );
  }
  return { root, app: target.app };
}

/** The layout of `target` (validated). */
export function appLayout(target: AppTarget): AppLayout {
  const { root, app } = normalizeTarget(target);
  const appDir = `${root}/${app}`;
  const stateDir = `${appDir}/.deployhooks`;
  return {
    appDir,
    releasesDir: `${appDir}/releases`,
    current: `${appDir}/current`,
    cacheDir: `${appDir}/cache`,
    sharedDir: `${appDir}/shared`,
    logsDir: `${appDir}/logs`,
    stateDir,
    lockFile: `${stateDir}/lock`,
    historyFile: `${stateDir}/history.jsonl`,
    uploadsDir: `${stateDir}/uploads`,
    hooksDir: `${stateDir}/hooks`,
    tmpDir: `${stateDir}/tmp`,
    markersDir: `${stateDir}/releases`,
    pidFile: `${stateDir}/app.pid`,
    appLog: `${appDir}/logs/app.log`,
  };
}

/** `releases/<id>` of `target`. */
export function releaseDir(target: AppTarget, releaseId: string): string {
  assertToken(releaseId, "releaseId", 128);
  return `${appLayout(target).releasesDir}/${releaseId}`;
}

/** Where the upload tarball named `name` (`[A-Za-z0-9._-]`, e.g. `<releaseId>.tar`) goes. */
export function uploadPath(target: AppTarget, name: string): string {
  assertToken(name, "upload name", 160);
  return `${appLayout(target).uploadsDir}/${name}`;
}

/** Full log of one run of `label` (hook name or `step:<x>`) for `releaseId`. */
export function logFile(target: AppTarget, releaseId: string, label: string): string {
  assertToken(releaseId, "releaseId", 128);
  assertToken(label, "label", 64);
  return `${appLayout(target).logsDir}/${releaseId}-${label}.log`;
}

/** The history file (`.deployhooks/history.jsonl`) of `target`. */
export function historyFile(target: AppTarget): string {
  return appLayout(target).historyFile;
}
