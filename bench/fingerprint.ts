/**
 * Fingerprint benchmark, every baseline measured in the same run, interleaved with what it is
 * compared to (the machine's load moves both alike):
 * - cold: `fingerprintTree` without a stat cache, against
 *   `find TREE -type f -print0 | sort -z | xargs -0 sha256sum` (`baselineSeconds`, whole process);
 *   `coldRatio = coldSeconds / baselineSeconds` (target ≤ 0.35). Also the CPU time (user + system,
 *   all threads) of each side, `coldCpuRatio = coldCpuSeconds / baselineCpuSeconds`: on a machine
 *   busy with other work, wall time follows the CPU time each side needs more than its parallelism.
 * - warm: `fingerprintTree` of the unchanged tree with its stat cache (outside the tree, as the
 *   components keep it), measured inside this already-running Node process — what a
 *   `pulumi preview`/`up` pays, since the fingerprint runs in the Pulumi program's process;
 *   against `git status --porcelain` in a committed copy of the tree (`gitStatusSeconds`, whole
 *   process, including git's start); `warmVsGit = warmSeconds / gitStatusSeconds` (target ≤ 1.0).
 *   `nodeStartSeconds` (`node -e 0`, whole process) is reported alongside: it is what a separate
 *   Node process would add to `warmSeconds`. `warmFirstCallSeconds`: the same call timed as the
 *   FIRST one in a fresh Node process (modules loaded, nothing JIT-compiled, an empty heap), as in a
 *   `pulumi preview` that fingerprints once; `warmFirstCallVsGit` compares it with the git samples.
 * The OS page cache is warm for all: the baselines and a cold run run once before anything is
 * measured. Each figure is the median of its samples (`runs` cold samples; 3 × `runs` warm ones).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fingerprintTree } from "../fingerprint/tree";
import type { BenchContext } from "./main";
import { ensureGitCopy } from "./tree";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall-clock seconds of `f`. */
function time(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function timeAsync(f: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const quiet = { stdio: ["ignore", "ignore", "inherit"] as ("ignore" | "inherit")[] };

/** Runs the baseline pipeline; its CPU seconds (user + system of every process in it). */
function shaBaseline(root: string): number {
  const out = execFileSync(
    "bash",
    [
      "-c",
      'TIMEFORMAT="%U %S"; { time (find "$1" -type f -print0 | sort -z | xargs -0 sha256sum > /dev/null) ; } 2>&1',
      "bash",
      root,
    ],
    { encoding: "utf8" },
  );
  const [user, sys] = out.trim().split(/\s+/).map(Number);
  return user + sys;
}

/** CPU seconds (user + system, all threads) this process spends in `f`. */
async function cpuOf(f: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await f();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Seconds of the first `fingerprintTree` call in a new Node process (module loading excluded). */
function firstCallSeconds(root: string, cacheFile: string): number {
  const script =
    'require("ts-node/register/transpile-only");' +
    `const { fingerprintTree } = require(${JSON.stringify(path.join(__dirname, "../fingerprint/tree"))});` +
    "const t = process.hrtime.bigint();" +
    "fingerprintTree(process.argv[1], { cacheFile: process.argv[2] }).then((w) => {" +
    "  if (w.stats.hashed !== 0) throw new Error('not warm');" +
    "  process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e9));" +
    "});";
  const out = execFileSync(process.execPath, ["-e", script, root, cacheFile], {
    encoding: "utf8",
    cwd: path.join(__dirname, ".."),
  });
  return Number(out);
}

function gitStatus(copy: string): void {
  const out = execFileSync("git", ["status", "--porcelain"], { cwd: copy, encoding: "utf8" });
  if (out !== "") throw new Error(`bench: the git copy is not clean:\n${out.slice(0, 500)}`);
}

export async function runFingerprintBench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { root, runs, log } = ctx;
  const cacheFile = path.join(ctx.workDir, "fingerprint.cache");
  log(`fingerprint: preparing the committed git copy of the tree (once per tree)`);
  const copy = ensureGitCopy(ctx.tree);
  log(`fingerprint: warming the page cache (baselines and a cold run once, not counted)`);
  shaBaseline(root);
  gitStatus(copy);
  gitStatus(copy);
  await fingerprintTree(root);
  const baseline: number[] = [];
  const baselineCpu: number[] = [];
  const coldCpu: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  const git: number[] = [];
  const nodeStart: number[] = [];
  const firstCall: number[] = [];
  let files = 0;
  let bytes = 0;
  let fp = "";
  for (let i = 0; i < runs; i++) {
    baseline.push(time(() => baselineCpu.push(shaBaseline(root))));
    fs.rmSync(cacheFile, { force: true });
    let c: Awaited<ReturnType<typeof fingerprintTree>> | undefined;
    let coldWall = 0;
    coldCpu.push(
      await cpuOf(async () => {
        coldWall = await timeAsync(async () => (c = await fingerprintTree(root, { cacheFile })));
      }),
    );
    cold.push(coldWall);
    for (let k = 0; k < 3; k++) {
      git.push(time(() => gitStatus(copy)));
      let w: Awaited<ReturnType<typeof fingerprintTree>> | undefined;
      warm.push(await timeAsync(async () => (w = await fingerprintTree(root, { cacheFile }))));
      if (w!.fingerprint !== c!.fingerprint || w!.stats.hashed !== 0) {
        throw new Error(`warm run differs from cold run (hashed ${w!.stats.hashed})`);
      }
    }
    nodeStart.push(time(() => execFileSync(process.execPath, ["-e", "0"], quiet)));
    firstCall.push(firstCallSeconds(root, cacheFile));
    files = c!.fileCount;
    bytes = c!.bytes;
    fp = c!.fingerprint;
    log(
      `fingerprint run ${i + 1}/${runs}: sha256sum baseline ${baseline[i].toFixed(3)} s (cpu ${baselineCpu[i].toFixed(2)}), cold ${cold[i].toFixed(3)} s (cpu ${coldCpu[i].toFixed(2)}); ` +
        `git status ${git.slice(-3).map((x) => x.toFixed(3))} s, warm ${warm.slice(-3).map((x) => x.toFixed(3))} s, ` +
        `warm first call in a new process ${firstCall[i].toFixed(3)} s`,
    );
  }
  const coldSeconds = median(cold);
  const warmSeconds = median(warm);
  const baselineSeconds = median(baseline);
  const gitStatusSeconds = median(git);
  const result = {
    files,
    bytes,
    coldSeconds: round(coldSeconds),
    baselineSeconds: round(baselineSeconds),
    coldRatio: round(coldSeconds / baselineSeconds),
    coldCpuSeconds: round(median(coldCpu)),
    baselineCpuSeconds: round(median(baselineCpu)),
    coldCpuRatio: round(median(coldCpu) / median(baselineCpu)),
    warmSeconds: round(warmSeconds),
    gitStatusSeconds: round(gitStatusSeconds),
    warmVsGit: round(warmSeconds / gitStatusSeconds),
    nodeStartSeconds: round(median(nodeStart)),
    warmFirstCallSeconds: round(median(firstCall)),
    warmFirstCallVsGit: round(median(firstCall) / gitStatusSeconds),
    warmRatio: round(warmSeconds / coldSeconds),
  };
  log(
    `fingerprint: ${files} files, ${bytes} bytes, ${fp}; page cache warm for all runs; medians (cold ${runs} samples, warm/git ${3 * runs})`,
  );
  log(`fingerprint: ${JSON.stringify(result)}`);
  return { fingerprint: result };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
