/** Small helpers of `npm run demo` (history also for test/e2e): PATH lookup, history, stopping the app. */
import * as fs from "node:fs";
import * as path from "node:path";

/** Absolute path of an executable on PATH, or undefined. */
export function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** One line of `<app>/.deployhooks/history.jsonl` (written by render/run.ts). */
export interface HistoryLine {
  hook: string;
  release: string;
  fingerprint: string;
  start: string;
  end: string;
  exitCode: number;
  outcome: string;
}

/** Every history line of the app deployed in `appDir` ([] when none). */
export function readHistory(appDir: string): HistoryLine[] {
  const file = path.join(appDir, ".deployhooks", "history.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryLine);
}

function groupAlive(pgid: number): boolean {
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid && f[0] !== "Z") return true;
    } catch {
      // gone
    }
  }
  return false;
}

/**
 * Stops the app started by the built-in supervisor (`.deployhooks/app.pid`: its process group):
 * TERM, then KILL after 5 s. Returns the process group id, or 0 when nothing was running.
 */
export function stopApp(appDir: string): number {
  const pidFile = path.join(appDir, ".deployhooks", "app.pid");
  if (!fs.existsSync(pidFile)) return 0;
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim().split(/\s+/)[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !groupAlive(pid)) return 0;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return 0;
  }
  const deadline = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  return pid;
}
