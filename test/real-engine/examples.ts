/**
 * The repository's TypeScript examples as inline programs: each example directory is copied to a
 * temporary directory (so a scenario can edit its code and configuration), `deployhooks` resolves to
 * this checkout's sources, and the example's `index.ts` runs fresh on every program run with the
 * copy as working directory (examples/vm's `source: "./app"` is relative to it).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO } from "./harness";

/** A private copy of `examples/<name>` whose `deployhooks` import is this checkout. */
export function copyExample(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dh-example-${name}-`));
  fs.cpSync(path.join(REPO, "examples", name), dir, {
    recursive: true,
    filter: (src) => !src.split(path.sep).includes("node_modules"),
  });
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(path.join(modules, "deployhooks"), { recursive: true });
  fs.writeFileSync(
    path.join(modules, "deployhooks", "index.js"),
    `module.exports = require(${JSON.stringify(path.join(REPO, "index.ts"))});\n`,
  );
  // The same @pulumi/pulumi module instance as the test process (symlinks resolve to it).
  fs.symlinkSync(path.join(REPO, "node_modules", "@pulumi"), path.join(modules, "@pulumi"));
  return dir;
}

/** Runs `<dir>/index.ts` afresh (cwd = dir during construction) and returns its exports. */
export function exampleProgram(dir: string): () => Record<string, unknown> {
  const entry = path.join(dir, "index.ts");
  return () => {
    delete require.cache[entry];
    const previous = process.cwd();
    process.chdir(dir);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return { ...(require(entry) as Record<string, unknown>) };
    } finally {
      process.chdir(previous);
    }
  };
}

/**
 * Replaces `from` by `to` in `<dir>/<file>` (both sides of a scenario share the copy: the second call
 * finds the edit done); fails when neither is there.
 */
export function edit(dir: string, file: string, from: string, to: string): void {
  const p = path.join(dir, file);
  const text = fs.readFileSync(p, "utf8");
  if (!text.includes(from) && text.includes(to)) return;
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
  fs.writeFileSync(p, text.replace(from, to));
}

/** The hooks' own history on the host (one reader for the demo, the e2e and this tier). */
export { readHistory, type HistoryLine } from "../../scripts/demoSupport";
