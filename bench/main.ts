/**
 * `npm run bench [-- --json] [--files N] [--mb N] [--keep] [--only SECTION] [--runs N]`
 *
 * Sections are registered in `SECTIONS`; each gets a `BenchContext` (the generated tree, a scratch
 * directory, a logger) and returns an object that is merged into the final JSON. Human-readable
 * progress goes to stderr; with `--json` the LAST line of stdout is the merged JSON object.
 * To add a section (e.g. `deploy`): write `bench/deploy.ts` exporting
 * `async function runDeployBench(ctx): Promise<{ deploy: {...} }>` and add it to `SECTIONS`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runDeployBench } from "./deploy";
import { runFingerprintBench } from "./fingerprint";
import { runTrafficBench } from "./traffic";
import { ensureBenchTree, type BenchTree } from "./tree";

export interface BenchContext {
  /** Root of the generated source tree. */
  root: string;
  tree: BenchTree;
  /** Scratch directory for this bench run (removed at the end unless `--keep`). */
  workDir: string;
  /** Runs per measurement (median taken). */
  runs: number;
  log: (line: string) => void;
  args: BenchArgs;
}

export type BenchSection = (ctx: BenchContext) => Promise<Record<string, unknown>>;

/** The registry of sections, in run order. */
export const SECTIONS: Record<string, BenchSection> = {
  fingerprint: runFingerprintBench,
  deploy: runDeployBench,
  traffic: runTrafficBench,
};

export interface BenchArgs {
  json: boolean;
  files: number;
  mb: number;
  keep: boolean;
  only?: string;
  runs: number;
  seed: number;
}

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { json: false, files: 20_000, mb: 200, keep: false, runs: 3, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`bench: ${a} needs a positive number`);
      return v;
    };
    if (a === "--json") args.json = true;
    else if (a === "--keep") args.keep = true;
    else if (a === "--files") args.files = Math.floor(num());
    else if (a === "--mb") args.mb = num();
    else if (a === "--runs") args.runs = Math.floor(num());
    else if (a === "--seed") args.seed = Math.floor(num());
    else if (a === "--only") {
      args.only = argv[++i];
      if (!args.only || !(args.only in SECTIONS)) {
        throw new Error(
          `bench: --only must be one of ${Object.keys(SECTIONS).join(", ")} (got ${args.only})`,
        );
      }
    } else throw new Error(`bench: unknown argument ${a}`);
  }
  return args;
}

export async function main(argv: string[]): Promise<Record<string, unknown>> {
  const args = parseArgs(argv);
  const log = (line: string) => process.stderr.write(line + "\n");
  const t = process.hrtime.bigint();
  const tree = ensureBenchTree({ files: args.files, mb: args.mb, seed: args.seed });
  log(
    `bench tree ${tree.root}: ${tree.files} files, ${tree.bytes} bytes (${tree.reused ? "reused" : `generated in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`})`,
  );
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "deployhooks-bench-run-"));
  const result: Record<string, unknown> = {};
  try {
    for (const [name, section] of Object.entries(SECTIONS)) {
      if (args.only && args.only !== name) continue;
      Object.assign(
        result,
        await section({ root: tree.root, tree, workDir, runs: args.runs, log, args }),
      );
    }
  } finally {
    // The generated tree is always kept (reused by the next run with the same parameters; delete
    // its directory to reclaim the space); --keep also keeps this run's scratch directory.
    if (!args.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  }
  return result;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + "\n");
    },
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
