/**
 * lstat without building an `fs.Stats` object. On Node 20, `fs.lstatSync` spends more time creating
 * the Stats object (four eager `Date`s) and collecting it than in the system call; for 20,000 files
 * that is ~25 ms of a ~40 ms warm run. Node's own fs binding returns the raw numbers in a shared
 * Float64Array. That binding is internal, so it is used only after a probe at first use shows it
 * behaves exactly like `fs.lstatSync` on a real path; otherwise (another Node version, a runtime
 * without `process.binding`, `DEPLOYHOOKS_NO_FAST_STAT=1`) the public API is used. Both paths
 * return the same numbers, so results never depend on which one ran.
 */
import * as fs from "node:fs";

/** The fields the tree walk needs. */
export interface RawStat {
  mode: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export type BindingLstat = (
  p: string,
  bigint: boolean,
  req: undefined,
  throwIfNoEntry: boolean,
) => Float64Array | undefined;

let fast: BindingLstat | undefined | null = null; // null = not probed yet

function fromArray(a: Float64Array, out: RawStat): RawStat {
  // Node's stat array layout: dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks,
  // atime s/ns, mtime s/ns, ctime s/ns, birthtime s/ns (see lib/internal/fs/utils.js).
  out.mode = a[1];
  out.ino = a[7];
  out.size = a[8];
  out.mtimeMs = a[12] * 1e3 + a[13] / 1e6;
  out.ctimeMs = a[14] * 1e3 + a[15] / 1e6;
  return out;
}

function probe(sample: string): BindingLstat | undefined {
  if (process.env.DEPLOYHOOKS_NO_FAST_STAT === "1") return undefined;
  try {
    const proc = process as unknown as { binding?: (name: string) => { lstat?: unknown } };
    if (typeof proc.binding !== "function") return undefined;
    const binding = proc.binding("fs");
    if (typeof binding.lstat !== "function") return undefined;
    const lstat = (binding.lstat as BindingLstat).bind(binding);
    const a = lstat(sample, false, undefined, false);
    const s = fs.lstatSync(sample);
    if (!(a instanceof Float64Array) || a.length < 18) return undefined;
    const r = fromArray(a, { mode: 0, ino: 0, size: 0, mtimeMs: 0, ctimeMs: 0 });
    if (
      r.mode !== s.mode ||
      r.ino !== s.ino ||
      r.size !== s.size ||
      r.mtimeMs !== s.mtimeMs ||
      r.ctimeMs !== s.ctimeMs
    ) {
      return undefined;
    }
    if (lstat(sample + "/.deployhooks-missing-probe", false, undefined, false) !== undefined) {
      return undefined;
    }
    return lstat;
  } catch {
    return undefined;
  }
}

/**
 * lstat of `p` into `out` (reused by the caller); undefined when it does not exist. `sample` is
 * an existing path used once to probe the fast path.
 */
export function rawLstat(p: string, out: RawStat, sample: string): RawStat | undefined {
  if (fast === null) fast = probe(sample);
  if (fast) {
    const a = fast(p, false, undefined, false);
    return a === undefined ? undefined : fromArray(a, out);
  }
  const s = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!s) return undefined;
  out.mode = s.mode;
  out.ino = s.ino;
  out.size = s.size;
  out.mtimeMs = s.mtimeMs;
  out.ctimeMs = s.ctimeMs;
  return out;
}

/**
 * The binding's lstat itself (Node's stat array, layout as in `fromArray`) when the fast path is
 * used, for loops that read the numbers they need straight from it; undefined otherwise.
 */
export function bindingLstat(sample: string): BindingLstat | undefined {
  if (fast === null) fast = probe(sample);
  return fast;
}

/** For tests: forget the probe result (e.g. after changing DEPLOYHOOKS_NO_FAST_STAT). */
export function resetFastLstat(): void {
  fast = null;
}
