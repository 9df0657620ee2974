/**
 * Temporary directories for a test file: `tmp(prefix)` makes one under the OS temp dir; all are
 * removed after the file's tests (mocha root `after`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return (prefix: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
