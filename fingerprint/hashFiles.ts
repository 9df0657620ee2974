/**
 * Hashing many files fast, on all cores: the main thread and up to `cores - 1` worker threads take
 * files from one shared atomic counter (largest first, so a big file never finishes last alone) and
 * write raw 32-byte digests into one SharedArrayBuffer. Each thread reads with `fs.readSync` into one
 * reused 1 MiB buffer: no per-file promise, stream or allocation, and no read past the end when the
 * lstat size says the file is complete (one read for a small file, not two). The worker is plain
 * JavaScript evaluated from a string, so it starts without a TypeScript compiler; it can be started
 * before the job list is known (`startHasher`, e.g. while the tree is being walked), and it gets the
 * paths as UTF-8 bytes in shared memory, so nothing big is serialized. The main thread begins
 * hashing at once and the worker joins when it is up.
 *
 * The digest of an entry is sha256 over `<mode>\0<bytes>`, mode `-` (regular), `x` (executable) or
 * `l` (symlink, bytes = the link target, never followed): one value that changes with the content
 * and with the executable bit.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import { Worker } from "node:worker_threads";

export type EntryMode = "-" | "x" | "l";

export interface HashJob {
  /** Absolute path. */
  abs: string;
  mode: EntryMode;
  /** Size from lstat: orders the jobs, decides whether a worker is worth it, and lets a read that
   * returns exactly the rest of the file end the file without a further read. */
  size: number;
}

const CHUNK = 1 << 20;

/**
 * Body shared by the main thread and the worker (kept free of imports and closures: the worker
 * gets its source text). Returns nothing; writes digests into `out` at `index * 32`.
 */
function hashLoop(
  fsm: typeof fs,
  cryptoCreateHash: typeof createHash,
  paths: string[],
  modes: string,
  sizes: Float64Array,
  counter: Int32Array,
  out: Uint8Array,
  buf: Buffer,
): void {
  const n = paths.length;
  const prefixes: Record<string, Buffer> = {
    "-": Buffer.from("-\0"),
    x: Buffer.from("x\0"),
    l: Buffer.from("l\0"),
  };
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= n) return;
    const mode = modes[i];
    const h = cryptoCreateHash("sha256");
    h.update(prefixes[mode]);
    if (mode === "l") {
      h.update(fsm.readlinkSync(paths[i], { encoding: "buffer" }));
    } else {
      const fd = fsm.openSync(paths[i], "r");
      try {
        let total = 0;
        for (;;) {
          const got = fsm.readSync(fd, buf, 0, buf.length, null);
          if (got === 0) break;
          h.update(got === buf.length ? buf : buf.subarray(0, got));
          total += got;
          // A short read that completes the size lstat reported is the end of the file.
          if (got < buf.length && total === sizes[i]) break;
        }
      } finally {
        fsm.closeSync(fd);
      }
    }
    out.set(h.digest(), i * 32);
  }
}

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const hashLoop = ${hashLoop.toString()};
parentPort.once("message", (d) => {
  try {
    const paths = Buffer.from(d.paths).toString("utf8").split("\\0");
    paths.pop();
    hashLoop(fs, createHash, paths, d.modes, new Float64Array(d.sizes), new Int32Array(d.counter),
      new Uint8Array(d.out), Buffer.allocUnsafe(${CHUNK}));
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String(e && e.message || e), code: e && e.code });
  }
  parentPort.close();
});
`;

/** Worth using a worker only when there is enough to do (a worker costs ~30 ms to start). */
const PARALLEL_MIN_BYTES = 16 << 20;
const PARALLEL_MIN_FILES = 2000;

let sharedBuf: Buffer | undefined;

/** Hashing threads started ahead of the jobs (see `startHasher`). */
export interface Hasher {
  /** Raw 32-byte digests of the jobs, in job order. Call once. */
  hash(jobs: HashJob[]): Promise<Buffer>;
  /** Stops the workers when `hash` is not going to be called. */
  close(): void;
}

/** Starts the workers now (up to `cores - 1`, at most 7) so that they are up when the jobs come. */
export function startHasher(options: { threads?: number } = {}): Hasher {
  const cores = Math.max(1, options.threads ?? os.availableParallelism());
  const workers: Worker[] = [];
  for (let w = 0; w < Math.min(cores - 1, 7); w++) {
    // No inherited `-r ts-node/register` (a TypeScript program's): plain JavaScript starts in
    // ~30 ms, not ~150.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    worker.unref();
    workers.push(worker);
  }
  const close = () => workers.forEach((w) => void w.terminate());
  return { hash: (jobs) => hashWith(jobs, workers, close), close };
}

async function hashWith(jobs: HashJob[], workers: Worker[], close: () => void): Promise<Buffer> {
  const n = jobs.length;
  let totalBytes = 0;
  for (const j of jobs) totalBytes += j.size;
  const useWorkers = totalBytes >= PARALLEL_MIN_BYTES || n >= PARALLEL_MIN_FILES;
  if (n === 0 || !useWorkers) close();
  if (n === 0) return Buffer.alloc(0);
  const outSab = new SharedArrayBuffer(n * 32);
  const out = new Uint8Array(outSab);
  // Largest first: the tail of the schedule is made of small files, so both threads end together.
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b].size - jobs[a].size);
  const paths = order.map((i) => jobs[i].abs);
  const modes = order.map((i) => jobs[i].mode).join("");
  const sizes = new Float64Array(new SharedArrayBuffer(n * 8));
  order.forEach((j, k) => (sizes[k] = jobs[j].size));
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const pending: Promise<void>[] = [];
  if (useWorkers) {
    const text = Buffer.from(paths.join("\0") + "\0", "utf8");
    const shared = new Uint8Array(new SharedArrayBuffer(text.length));
    shared.set(text);
    for (const worker of workers) {
      pending.push(
        new Promise<void>((resolve, reject) => {
          worker.once("message", (m: { ok: boolean; message?: string; code?: string }) => {
            if (m.ok) resolve();
            else reject(Object.assign(new Error(m.message), { code: m.code }));
          });
          worker.once("error", reject);
          // Exiting without an answer would leave its claimed entries unhashed: never silent.
          worker.once("exit", () => reject(new Error("hashFiles: a hashing worker exited early")));
        }),
      );
      worker.postMessage({
        paths: shared.buffer,
        modes,
        sizes: sizes.buffer,
        counter: counter.buffer,
        out: outSab,
      });
    }
  }
  sharedBuf ??= Buffer.allocUnsafe(CHUNK);
  let mainError: unknown;
  try {
    hashLoop(fs, createHash, paths, modes, sizes, counter, out, sharedBuf);
  } catch (e) {
    mainError = e;
    Atomics.store(counter, 0, n); // stop the workers early
  }
  await Promise.all(pending);
  if (mainError) throw mainError;
  const result = Buffer.allocUnsafe(n * 32);
  for (let k = 0; k < n; k++) result.set(out.subarray(k * 32, k * 32 + 32), order[k] * 32);
  return result;
}

/** Raw 32-byte digests of the jobs, in job order (workers started now when worth it). */
export async function hashFiles(
  jobs: HashJob[],
  options: { threads?: number } = {},
): Promise<Buffer> {
  let totalBytes = 0;
  for (const j of jobs) totalBytes += j.size;
  const worth = totalBytes >= PARALLEL_MIN_BYTES || jobs.length >= PARALLEL_MIN_FILES;
  return startHasher(worth ? options : { threads: 1 }).hash(jobs);
}

/** Digest of one entry (same definition as `hashFiles`), synchronously. */
export function hashEntrySync(abs: string, mode: EntryMode): Buffer {
  const out = new Uint8Array(32);
  sharedBuf ??= Buffer.allocUnsafe(CHUNK);
  hashLoop(fs, createHash, [abs], mode, new Float64Array([-1]), new Int32Array(1), out, sharedBuf);
  return Buffer.from(out);
}
