/** Source trees and private directories for the artifact tests, removed after the run. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const made: string[] = [];

/** A fresh directory of mode 0700 (an artifact directory must be private). */
export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o700);
  made.push(d);
  return d;
}

/** Removes every directory `tmpDir` made. */
export function removeTmpDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * Writes `files` under `root`: `null` removes the file, `->x` makes a link to x, a name ending in
 * `.sh` is executable.
 */
export function writeTree(root: string, files: Record<string, string | null>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.rmSync(p, { force: true });
    if (content === null) continue;
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (content.startsWith("->")) fs.symlinkSync(content.slice(2), p);
    else fs.writeFileSync(p, content, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
  }
}
