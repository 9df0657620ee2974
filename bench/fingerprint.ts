/**
 * Fingerprint benchmark: baseline `find TREE -type f -print0 | sort -z | xargs -0 sha256sum`
 * against `fingerprintTree` cold (no stat cache) and warm (stat cache of an unchanged tree).
 * The OS page cache is warm for all three: the baseline runs once before anything is measured.
 * Each figure is the median of `runs` runs.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fingerprintTree } from "../fingerprint/tree";
import type { BenchContext } from "./main";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeBaseline(root: string): number {
  const t = process.hrtime.bigint();
  execFileSync(
    "bash",
    ["-c", 'find "$1" -type f -print0 | sort -z | xargs -0 sha256sum > /dev/null', "bash", root],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export async function runFingerprintBench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { root, runs, log } = ctx;
  const cacheFile = path.join(ctx.workDir, "fingerprint.cache");
  log(`fingerprint: warming the page cache (baseline once, not counted)`);
  timeBaseline(root);
  const baseline: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  let files = 0;
  let bytes = 0;
  let fp = "";
  for (let i = 0; i < runs; i++) {
    baseline.push(timeBaseline(root));
    fs.rmSync(cacheFile, { force: true });
    let t = process.hrtime.bigint();
    const c = await fingerprintTree(root, { cacheFile });
    cold.push(Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    const w = await fingerprintTree(root, { cacheFile });
    warm.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (w.fingerprint !== c.fingerprint || w.stats.hashed !== 0) {
      throw new Error(`warm run differs from cold run (hashed ${w.stats.hashed})`);
    }
    files = c.fileCount;
    bytes = c.bytes;
    fp = c.fingerprint;
    log(
      `fingerprint run ${i + 1}/${runs}: baseline ${baseline[i].toFixed(3)} s, cold ${cold[i].toFixed(3)} s, warm ${warm[i].toFixed(3)} s`,
    );
  }
  const coldSeconds = median(cold);
  const warmSeconds = median(warm);
  const baselineSeconds = median(baseline);
  const result = {
    files,
    bytes,
    coldSeconds: round(coldSeconds),
    warmSeconds: round(warmSeconds),
    baselineSeconds: round(baselineSeconds),
    coldRatio: round(coldSeconds / baselineSeconds),
    warmRatio: round(warmSeconds / coldSeconds),
  };
  log(
    `fingerprint: ${files} files, ${bytes} bytes, ${fp}; page cache warm for all runs; medians of ${runs}`,
  );
  log(`fingerprint: ${JSON.stringify(result)}`);
  return { fingerprint: result };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
