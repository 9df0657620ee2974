/**
 * Retention of local artifacts: without it, every code change leaves one more tarball (as big as the
 * source tree) in the artifact directory, forever.
 *
 * Rule, applied to the artifact directory after each build or reuse of a tarball: a tarball's last
 * use is the later of its mtime and its sum file's (set when it is built, each time it is reused,
 * and on the sum file when a deployment plans from it); the tarball just used is always
 * kept; any other `code-<fingerprint>.tar` is deleted when it is not among the
 * `ARTIFACT_KEEP` most recently used ones or was last used more than `ARTIFACT_MAX_AGE_DAYS` days
 * ago. Temporary files of interrupted builds (`code-….tar.<pid>.<time>.tmp`) older than a day and the
 * `.sha256` sidecars of earlier versions are deleted too, and so are a tarball's `.sum` and `.idx`
 * files (artifactSum.ts, tarIndex.ts) once the tarball is gone. Nothing else in the directory is touched
 * (stat caches, other tools' files).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readVirtualSum } from "./artifactSum";

/** How many tarballs (the most recently used ones) a directory keeps. */
export const ARTIFACT_KEEP = 5;
/** Tarballs unused for longer than this are deleted. */
export const ARTIFACT_MAX_AGE_DAYS = 7;

const DAY_MS = 24 * 3600 * 1000;
const TARBALL = /^code-[0-9a-f]{64}\.tar$/;
const TEMPORARY = /^code-[0-9a-f]{64}\.tar(\.sum|\.idx)?\.\d+\.\d+\.tmp$/;
const SIDECAR = /^code-[0-9a-f]{64}\.tar\.sha256$/;
const SUM = /^(code-[0-9a-f]{64}\.tar)\.(?:sum|idx)$/;

/** Applies the retention rule to `dir`; `current` (a file name) is kept. Returns what was removed. */
export function pruneArtifacts(dir: string, current: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const tarballs: { name: string; used: number }[] = [];
  const removed: string[] = [];
  const remove = (name: string): void => {
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // already gone (another deployment pruning at the same time)
    }
  };
  const sums: { name: string; tarball: string }[] = [];
  // A tarball planned from its sum is marked used on the sum file (artifactSum.ts).
  const sumUsed = (tarball: string): number => {
    try {
      return fs.lstatSync(path.join(dir, `${tarball}.sum`)).mtimeMs;
    } catch {
      return 0;
    }
  };
  for (const name of names) {
    if (name === current) continue;
    const sum = SUM.exec(name);
    if (sum) {
      sums.push({ name, tarball: sum[1]! });
      continue;
    }
    const isTarball = TARBALL.test(name);
    const isTemporary = !isTarball && TEMPORARY.test(name);
    if (!isTarball && !isTemporary && !SIDECAR.test(name)) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(dir, name));
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    if (isTarball) tarballs.push({ name, used: Math.max(st.mtimeMs, sumUsed(name)) });
    else if (!isTemporary || now - st.mtimeMs > DAY_MS) remove(name);
  }
  // A tarball planned but not written (a virtual sum, artifactSum.ts) counts as one: its index is
  // the base of the next delta.
  const virtual = new Set<string>();
  for (const s of sums) {
    if (s.name.endsWith(".sum") && !names.includes(s.tarball) && s.tarball !== current) {
      if (readVirtualSum(path.join(dir, s.tarball))) {
        virtual.add(s.tarball);
        tarballs.push({ name: s.tarball, used: sumUsed(s.tarball) });
      }
    }
  }
  tarballs.sort((a, b) => b.used - a.used || (a.name < b.name ? -1 : 1));
  const dropped = new Set<string>();
  tarballs.forEach((t, i) => {
    // `current` is one of the kept ones: the others get ARTIFACT_KEEP - 1 places.
    if (i >= ARTIFACT_KEEP - 1 || now - t.used > ARTIFACT_MAX_AGE_DAYS * DAY_MS) {
      if (virtual.has(t.name)) dropped.add(t.name);
      else remove(t.name);
    }
  });
  // Sum and index files (artifactSum.ts, tarIndex.ts) go with their tarball.
  for (const s of sums) {
    if (s.tarball === current) continue;
    if (
      virtual.has(s.tarball) ? dropped.has(s.tarball) : !fs.existsSync(path.join(dir, s.tarball))
    ) {
      remove(s.name);
    }
  }
  return removed;
}
