import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startSshd, SshdUnavailable } from "../../testing";
import type { RunReport, SshdHandle, SshdOptions } from "../../testing";

/** Starts the loopback sshd, or skips the suite with its reason (the fixture fails loudly under CI). */
export async function sshdOrSkip(ctx: Mocha.Context, options?: SshdOptions): Promise<SshdHandle> {
  try {
    return await startSshd(options);
  } catch (e) {
    if (e instanceof SshdUnavailable) {
      console.log(`    skipped: sshd fixture unavailable: ${e.message}`);
      ctx.skip();
    }
    throw e;
  }
}

/** A fresh temp directory per test; removed by the returned cleanup. */
export function tempDir(prefix = "dh-testing-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `name → op` for the steps of a report, in order (deletes suffixed with `!` when `replaced`). */
export function ops(report: RunReport): Array<[string, string]> {
  return report.steps.map((s) => [s.name, s.op + (s.replaced ? "!" : "")]);
}

export function executed(report: RunReport): string[] {
  return report.steps.filter((s) => s.executed).map((s) => `${s.name}:${s.op}`);
}

export function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** {@link ops} sorted by name: for resources without dependencies between them (registered in parallel). */
export function sortedOps(report: RunReport): Array<[string, string]> {
  return ops(report).sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
}
