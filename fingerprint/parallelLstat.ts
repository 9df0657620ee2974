/**
 * The lstat pass of a warm run (tree.ts `warmRun`): one `lstat` per cached entry, 20,000 for the
 * bench tree, is nearly all of a warm run's time. `git status` spreads the same calls over threads
 * (`core.preloadIndex`); this spreads them over the calling thread and one worker thread kept for
 * the life of the process. The worker is started at the end of the second warm run's lstat pass
 * (it takes ~30 ms to start, about what a whole warm run costs, and its start slows the run that
 * starts it) and used from the next one: a process that fingerprints again and again (an
 * Automation API program that deploys again and again, a watch, the bench) gets both cores from
 * its third warm run, a process that fingerprints once or twice gets one. It is `unref`-ed: it never keeps the process alive.
 *
 * Both threads claim chunks of entries from a shared counter and write each entry's numbers
 * (size, mtimeMs, ctimeMs, ino, st_mode, as `rawLstat` gives them; NaN size = gone) into a shared
 * array. The calling thread then waits for the worker's last chunk; a chunk the worker has not
 * finished within a second is done again here, and the worker is not used again.
 */
import { Worker } from "node:worker_threads";
import { NUMS_PER_ENTRY } from "./statCache";
import { bindingLstat, rawLstat, type RawStat } from "./fastLstat";

/** Entries per claim. */
const CHUNK = 512;
/** Below this many entries the calling thread does them all. */
const MIN_PARALLEL = 4096;

// The worker: plain JavaScript evaluated from this string (no TypeScript loader, no imports of
// ours). Its lstat is Node's binding (the numbers `rawLstat` reads), else `fs.lstatSync`.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
let fast;
try {
  const b = process.binding("fs");
  if (typeof b.lstat === "function") fast = b.lstat.bind(b);
} catch {}
parentPort.on("message", (m) => {
  const { prefix, rels, nums, counters, chunks, useFast } = m;
  const n = rels.length;
  for (;;) {
    const start = Atomics.add(counters, 0, ${CHUNK});
    if (start >= n) break;
    const end = Math.min(n, start + ${CHUNK});
    for (let i = start; i < end; i++) {
      const o = i * ${NUMS_PER_ENTRY};
      const p = prefix + rels[i];
      if (useFast && fast) {
        const a = fast(p, false, undefined, false);
        if (a === undefined) { nums[o] = NaN; continue; }
        nums[o] = a[8]; nums[o + 1] = a[12] * 1e3 + a[13] / 1e6; nums[o + 2] = a[14] * 1e3 + a[15] / 1e6;
        nums[o + 3] = a[7]; nums[o + 4] = a[1];
      } else {
        const s = fs.lstatSync(p, { throwIfNoEntry: false });
        if (!s) { nums[o] = NaN; continue; }
        nums[o] = s.size; nums[o + 1] = s.mtimeMs; nums[o + 2] = s.ctimeMs; nums[o + 3] = s.ino; nums[o + 4] = s.mode;
      }
    }
    Atomics.store(chunks, start / ${CHUNK}, 1);
  }
  Atomics.add(counters, 1, 1);
  Atomics.notify(counters, 1);
});
Atomics.store(workerData.ready, 0, 1);
`;

interface Helper {
  worker: Worker;
  /** Set to 1 by the worker once it listens (read without waiting for its `online` event, which
   * a caller that never yields to the event loop would never see). */
  ready: Int32Array;
  broken: boolean;
}

let helper: Helper | undefined;
/** Warm runs done on this thread alone while there was no worker. */
let serialCalls = 0;

function startHelper(): void {
  const ready = new Int32Array(new SharedArrayBuffer(4));
  try {
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { ready } });
    const h: Helper = { worker, ready, broken: false };
    worker.unref();
    const broken = () => {
      h.broken = true;
    };
    worker.once("error", broken);
    worker.once("exit", broken);
    helper = h;
  } catch {
    helper = { worker: undefined as unknown as Worker, ready, broken: true };
  }
}

/** For tests: whether the worker thread is absent, starting, ready, or not usable. */
export function lstatHelperState(): "none" | "starting" | "ready" | "broken" {
  if (!helper) return "none";
  if (helper.broken) return "broken";
  return Atomics.load(helper.ready, 0) === 1 ? "ready" : "starting";
}

/**
 * lstat of `prefix + rels[i]` for every i into `nums` (`NUMS_PER_ENTRY` per entry, NaN size when
 * the entry is gone). `sample`: the tree's root, for `rawLstat`'s probe. `parallel: false` keeps
 * it on this thread. Returns how many entries the worker thread did.
 */
export function lstatEntries(
  prefix: string,
  rels: string[],
  nums: Float64Array,
  sample: string,
  parallel = true,
): number {
  const n = rels.length;
  const h = helper;
  if (!parallel || n < MIN_PARALLEL || !h || h.broken || Atomics.load(h.ready, 0) !== 1) {
    lstatRange(prefix, rels, nums, 0, n, sample);
    // Started at the end of the second call's lstat pass: starting it costs the call that starts
    // it 5–10 ms (the new thread's start-up competes with this one), which a process that
    // fingerprints once (a `pulumi preview`) must not pay.
    if (parallel && n >= MIN_PARALLEL && h === undefined && ++serialCalls >= 2) startHelper();
    return 0;
  }
  const shared = new Float64Array(new SharedArrayBuffer(n * NUMS_PER_ENTRY * 8));
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const chunks = new Int32Array(new SharedArrayBuffer(Math.ceil(n / CHUNK) * 4));
  try {
    h.worker.postMessage({
      prefix,
      rels,
      nums: shared,
      counters,
      chunks,
      // The worker reads the binding only when this thread does (the same numbers).
      useFast: bindingLstat(sample) !== undefined,
    });
  } catch {
    h.broken = true;
    lstatRange(prefix, rels, nums, 0, n, sample);
    return 0;
  }
  let own = 0;
  for (;;) {
    const start = Atomics.add(counters, 0, CHUNK);
    if (start >= n) break;
    const end = Math.min(n, start + CHUNK);
    lstatRange(prefix, rels, shared, start, end, sample);
    own += end - start;
    Atomics.store(chunks, start / CHUNK, 1);
  }
  // The worker's last chunk; after a second without it, this thread does what is left.
  const deadline = Date.now() + 1000;
  while (Atomics.load(counters, 1) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    Atomics.wait(counters, 1, 0, left);
  }
  if (Atomics.load(counters, 1) === 0) {
    h.broken = true;
    void h.worker.terminate();
    for (let c = 0; c < chunks.length; c++) {
      if (Atomics.load(chunks, c) === 1) continue;
      const end = Math.min(n, (c + 1) * CHUNK);
      lstatRange(prefix, rels, shared, c * CHUNK, end, sample);
      own += end - c * CHUNK;
    }
  }
  nums.set(shared.subarray(0, n * NUMS_PER_ENTRY));
  return n - own;
}

/** lstat of entries `start` to `end` (excluded) into `out`, on this thread. */
function lstatRange(
  prefix: string,
  rels: string[],
  out: Float64Array,
  start: number,
  end: number,
  sample: string,
): void {
  const fast = bindingLstat(sample);
  if (fast) {
    // The same numbers as rawLstat, read straight from Node's stat array (a preview runs this
    // loop once, mostly before the JIT has optimized it: fewer calls per entry matter).
    for (let i = start; i < end; i++) {
      const o = i * NUMS_PER_ENTRY;
      const a = fast(prefix + rels[i], false, undefined, false);
      if (a === undefined) {
        out[o] = NaN;
        continue;
      }
      out[o] = a[8];
      out[o + 1] = a[12] * 1e3 + a[13] / 1e6;
      out[o + 2] = a[14] * 1e3 + a[15] / 1e6;
      out[o + 3] = a[7];
      out[o + 4] = a[1];
    }
    return;
  }
  const st: RawStat = { mode: 0, ino: 0, size: 0, mtimeMs: 0, ctimeMs: 0 };
  for (let i = start; i < end; i++) {
    const o = i * NUMS_PER_ENTRY;
    if (!rawLstat(prefix + rels[i], st, sample)) {
      out[o] = NaN;
      continue;
    }
    out[o] = st.size;
    out[o + 1] = st.mtimeMs;
    out[o + 2] = st.ctimeMs;
    out[o + 3] = st.ino;
    out[o + 4] = st.mode;
  }
}
