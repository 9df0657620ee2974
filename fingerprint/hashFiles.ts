/**
 * Hashing many files fast, on all cores: the main thread and up to `cores - 1` worker threads take
 * files from one shared atomic counter (largest first, so a big file never finishes last alone) and
 * write raw 32-byte digests into one SharedArrayBuffer. Each thread reads with `fs.readSync` into one
 * reused 1 MiB buffer: no per-file promise, stream or allocation. The worker is plain JavaScript
 * evaluated from a string, so it starts without a TypeScript compiler (~30 ms); the main thread
 * begins hashing at once and the worker joins when it is up.
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
  /** Size from lstat, used only to order and to decide whether a worker is worth starting. */
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
  counter: Int32Array,
  out: Uint8Array,
  buf: Buffer,
): void {
  const n = paths.length;
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= n) return;
    const mode = modes[i];
    const h = cryptoCreateHash("sha256");
    h.update(mode + "\0");
    if (mode === "l") {
      h.update(fsm.readlinkSync(paths[i], { encoding: "buffer" }));
    } else {
      const fd = fsm.openSync(paths[i], "r");
      try {
        for (;;) {
          const got = fsm.readSync(fd, buf, 0, buf.length, null);
          if (got === 0) break;
          h.update(got === buf.length ? buf : buf.subarray(0, got));
        }
      } finally {
        fsm.closeSync(fd);
      }
    }
    const d = h.digest();
    out.set(d, i * 32);
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const hashLoop = ${hashLoop.toString()};
try {
  hashLoop(fs, createHash, workerData.paths, workerData.modes, new Int32Array(workerData.counter),
    new Uint8Array(workerData.out), Buffer.allocUnsafe(${CHUNK}));
  parentPort.postMessage({ ok: true });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String(e && e.message || e), code: e && e.code });
}
`;

/** Worth starting a worker only when there is enough to do (a worker costs ~30 ms to start). */
const PARALLEL_MIN_BYTES = 16 << 20;
const PARALLEL_MIN_FILES = 2000;

let sharedBuf: Buffer | undefined;

/** Raw 32-byte digests of the jobs, in job order. */
export async function hashFiles(
  jobs: HashJob[],
  options: { threads?: number } = {},
): Promise<Buffer> {
  const n = jobs.length;
  const outSab = new SharedArrayBuffer(Math.max(1, n * 32));
  const out = new Uint8Array(outSab);
  if (n === 0) return Buffer.alloc(0);
  // Largest first: the tail of the schedule is made of small files, so both threads end together.
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b].size - jobs[a].size);
  const paths = order.map((i) => jobs[i].abs);
  const modes = order.map((i) => jobs[i].mode).join("");
  const counterSab = new SharedArrayBuffer(4);
  const counter = new Int32Array(counterSab);
  let totalBytes = 0;
  for (const j of jobs) totalBytes += j.size;
  const cores = Math.max(1, options.threads ?? os.availableParallelism());
  const workers =
    totalBytes >= PARALLEL_MIN_BYTES || n >= PARALLEL_MIN_FILES ? Math.min(cores - 1, 7) : 0;
  const pending: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { paths, modes, counter: counterSab, out: outSab },
    });
    pending.push(
      new Promise<void>((resolve, reject) => {
        worker.once("message", (m: { ok: boolean; message?: string; code?: string }) => {
          if (m.ok) resolve();
          else reject(Object.assign(new Error(m.message), { code: m.code }));
          void worker.terminate();
        });
        worker.once("error", reject);
      }),
    );
  }
  sharedBuf ??= Buffer.allocUnsafe(CHUNK);
  let mainError: unknown;
  try {
    hashLoop(fs, createHash, paths, modes, counter, out, sharedBuf);
  } catch (e) {
    mainError = e;
    Atomics.store(counter, 0, n); // stop the workers early
  }
  await Promise.all(pending);
  if (mainError) throw mainError;
  // Back from size order to job order.
  const result = Buffer.allocUnsafe(n * 32);
  for (let k = 0; k < n; k++) result.set(out.subarray(k * 32, k * 32 + 32), order[k] * 32);
  return result;
}

/** Digest of one entry (same definition as `hashFiles`), synchronously. */
export function hashEntrySync(abs: string, mode: EntryMode): Buffer {
  const out = new Uint8Array(32);
  sharedBuf ??= Buffer.allocUnsafe(CHUNK);
  hashLoop(fs, createHash, [abs], mode, new Int32Array(1), out, sharedBuf);
  return Buffer.from(out);
}
