/**
 * Temporary directories that hold key material (ssh keys, known_hosts, a secret StringAsset, the
 * sshd fixture's keys): mode 0700, removed by their owner when done and, whatever happens, when the
 * process ends: on `exit` (also `process.exit()` and an uncaught exception) and on SIGINT, SIGTERM
 * and SIGHUP (then the signal is raised again, so the process still dies of it when nothing else
 * handles it).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const live = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function removeAll(): void {
  for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  // Only ours: without it the default action (termination by that signal) would not happen.
  if (process.listenerCount(signal) === 1) {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", removeAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** A fresh private temporary directory (`<tmp>/<prefix>XXXXXX`, 0700), removed on every exit path. */
export function makePrivateTempDir(prefix: string): string {
  install();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  live.add(dir);
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** Removes a directory made by {@link makePrivateTempDir}. */
export function removePrivateTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}
