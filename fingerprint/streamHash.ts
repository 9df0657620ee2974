/**
 * Cold scans: hashing that starts while the tree is still being walked. The walk (main thread)
 * hands each file or symlink to `StreamHasher.add`; batches of paths go to a worker thread through a
 * MessagePort, and the worker, polling the port synchronously (`receiveMessageOnPort`), claims
 * entries from a shared atomic counter as soon as they are published. When the walk ends the main
 * thread claims entries too, so both threads finish together. The worker is plain JavaScript
 * evaluated from a string; if it is slow to start, the main thread does the work.
 *
 * Per regular file: `open(O_NOFOLLOW | O_NONBLOCK)`, `fstat` on the descriptor (the numbers the
 * stat cache keeps, without a second path lookup for an `lstat`), reads into one reused 1 MiB
 * buffer until the size `fstat` gave is complete, `close`. Per symlink: `lstat` + `readlink`. An
 * entry that vanished, or is no longer a file (resp. a link) by the time it is opened, is dropped
 * (the tree changed during the scan; its directory's new mtime makes the next run walk again).
 * Any other error (e.g. EACCES) is thrown, as the main thread meets it again.
 *
 * Digest: sha256 over `<mode>\0<bytes>` as in `hashFiles.ts`; results per entry: state (1 `-`,
 * 2 `x`, 3 `l`, 4 dropped), the stat numbers (size, mtimeMs, ctimeMs, ino, st_mode) and the digest.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { NUMS_PER_ENTRY } from "./statCache";

/** Entries handed to the worker at most (beyond, the main thread hashes them itself). */
const CAPACITY = 1 << 18;
const BATCH = 256;
const CHUNK = 1 << 20;

interface ScanContext {
  fsm: typeof fs;
  hashOf: typeof createHash;
  /** Node's binding fstat (fast path) or undefined. */
  fstat: ((fd: number) => Float64Array) | undefined;
  nums: Float64Array;
  state: Uint8Array;
  out: Uint8Array;
  buf: Buffer;
}

/** Hashes entry `i` (no imports, no closures: the worker gets this function's source). */
function scanEntry(i: number, abs: string, link: boolean, c: ScanContext): void {
  const o = i * 5;
  if (link) {
    const st = c.fsm.lstatSync(abs, { throwIfNoEntry: false });
    if (!st || !st.isSymbolicLink()) {
      Atomics.store(c.state, i, 4);
      return;
    }
    const h = c.hashOf("sha256");
    h.update("l\0");
    h.update(c.fsm.readlinkSync(abs, { encoding: "buffer" }));
    c.nums[o] = st.size;
    c.nums[o + 1] = st.mtimeMs;
    c.nums[o + 2] = st.ctimeMs;
    c.nums[o + 3] = st.ino;
    c.nums[o + 4] = st.mode;
    c.out.set(h.digest(), i * 32);
    Atomics.store(c.state, i, 3);
    return;
  }
  let fd: number;
  try {
    const k = c.fsm.constants;
    fd = c.fsm.openSync(abs, k.O_RDONLY | k.O_NOFOLLOW | k.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ELOOP" || code === "ENOTDIR" || code === "ENXIO") {
      Atomics.store(c.state, i, 4);
      return;
    }
    throw e;
  }
  try {
    let mode: number;
    let size: number;
    if (c.fstat) {
      const a = c.fstat(fd);
      mode = a[1];
      size = a[8];
      c.nums[o + 1] = a[12] * 1e3 + a[13] / 1e6;
      c.nums[o + 2] = a[14] * 1e3 + a[15] / 1e6;
      c.nums[o + 3] = a[7];
    } else {
      const st = c.fsm.fstatSync(fd);
      mode = st.mode;
      size = st.size;
      c.nums[o + 1] = st.mtimeMs;
      c.nums[o + 2] = st.ctimeMs;
      c.nums[o + 3] = st.ino;
    }
    if ((mode & 0o170000) !== 0o100000) {
      Atomics.store(c.state, i, 4);
      return;
    }
    c.nums[o] = size;
    c.nums[o + 4] = mode;
    const exec = (mode & 0o100) !== 0;
    const h = c.hashOf("sha256");
    h.update(exec ? "x\0" : "-\0");
    const buf = c.buf;
    let total = 0;
    for (;;) {
      const got = c.fsm.readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      h.update(got === buf.length ? buf : buf.subarray(0, got));
      total += got;
      if (got < buf.length && total === size) break; // the end of the file fstat described
    }
    c.out.set(h.digest(), i * 32);
    Atomics.store(c.state, i, exec ? 2 : 1);
  } finally {
    c.fsm.closeSync(fd);
  }
}

/** Node's binding fstat when it agrees with `fs.fstatSync` here (same probe idea as fastLstat). */
function fastFstat(fsm: typeof fs, probeFd: number): ((fd: number) => Float64Array) | undefined {
  try {
    if (process.env.DEPLOYHOOKS_NO_FAST_STAT === "1") return undefined;
    const proc = process as unknown as { binding?: (name: string) => Record<string, unknown> };
    if (typeof proc.binding !== "function") return undefined;
    const b = proc.binding("fs");
    const f = b.fstat as (fd: number, big: boolean, req: undefined, t: boolean) => Float64Array;
    if (typeof f !== "function") return undefined;
    const a = f.call(b, probeFd, false, undefined, false);
    const s = fsm.fstatSync(probeFd);
    const ok =
      a instanceof Float64Array &&
      a.length >= 18 &&
      a[1] === s.mode &&
      a[7] === s.ino &&
      a[8] === s.size &&
      a[12] * 1e3 + a[13] / 1e6 === s.mtimeMs &&
      a[14] * 1e3 + a[15] / 1e6 === s.ctimeMs;
    return ok ? (fd) => f.call(b, fd, false, undefined, false) : undefined;
  } catch {
    return undefined;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData: d, receiveMessageOnPort } = require("node:worker_threads");
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const scanEntry = ${scanEntry.toString()};
const fastFstat = ${fastFstat.toString()};
try {
  const pub = new Int32Array(d.pub);
  const next = new Int32Array(d.next);
  const probe = fs.openSync(d.probe, "r");
  const fstat = fastFstat(fs, probe);
  fs.closeSync(probe);
  const c = { fsm: fs, hashOf: createHash, fstat, nums: new Float64Array(d.nums),
    state: new Uint8Array(d.state), out: new Uint8Array(d.out), buf: Buffer.allocUnsafe(${CHUNK}) };
  const paths = [];
  const links = [];
  const drain = () => {
    let m;
    while ((m = receiveMessageOnPort(d.port))) {
      const { start, p, l } = m.message;
      for (let k = 0; k < p.length; k++) { paths[start + k] = p[k]; links[start + k] = l[k] === "1"; }
    }
  };
  for (;;) {
    const published = Atomics.load(pub, 0);
    const i = Atomics.load(next, 0);
    if (i < published) {
      if (Atomics.compareExchange(next, 0, i, i + 1) !== i) continue;
      if (paths[i] === undefined) drain();
      scanEntry(i, paths[i], links[i], c);
      continue;
    }
    if (Atomics.load(pub, 1) === 1) break;
    drain();
    Atomics.wait(pub, 0, published, 20);
  }
  parentPort.postMessage({ ok: true });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String((e && e.message) || e) });
}
`;

export interface StreamHashResult {
  /** Per entry (in `add` order): 1 `-`, 2 `x`, 3 `l`, 4 dropped. */
  state: Uint8Array;
  nums: Float64Array;
  /** 32 raw bytes per entry. */
  digests: Uint8Array;
}

/** See the module documentation. */
export class StreamHasher {
  private readonly paths: string[] = [];
  private readonly links: boolean[] = [];
  private readonly cap: number;
  private readonly pub = new Int32Array(new SharedArrayBuffer(8));
  private readonly next = new Int32Array(new SharedArrayBuffer(4));
  private readonly state: Uint8Array;
  private readonly nums: Float64Array;
  private readonly out: Uint8Array;
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private done: Promise<void> | undefined;
  private published = 0;

  /** `parallel`: start a worker (a few ms of the main thread, ~30 ms before it hashes). */
  constructor(sample: string, parallel: boolean) {
    this.cap = parallel ? CAPACITY : 0;
    this.state = new Uint8Array(new SharedArrayBuffer(Math.max(1, this.cap)));
    this.nums = new Float64Array(new SharedArrayBuffer(Math.max(8, this.cap * 5 * 8)));
    this.out = new Uint8Array(new SharedArrayBuffer(Math.max(1, this.cap * 32)));
    if (!parallel) return;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // No inherited `-r ts-node/register` (a TypeScript program's, the bench's): this plain
      // JavaScript then starts in ~30 ms instead of ~150, and hashes with the main thread.
      execArgv: [],
      workerData: {
        pub: this.pub.buffer,
        next: this.next.buffer,
        state: this.state.buffer,
        nums: this.nums.buffer,
        out: this.out.buffer,
        port: port2,
        probe: sample,
      },
      transferList: [port2],
    });
    this.worker.unref();
    const w = this.worker;
    this.done = new Promise<void>((resolve) => {
      // Whatever the worker's fate, the main thread redoes what it left unfinished.
      w.once("message", () => resolve());
      w.once("error", () => resolve());
      w.once("exit", () => resolve());
    });
  }

  /** Queues one entry (absolute path; `link` when readdir said symlink). */
  add(abs: string, link: boolean): void {
    this.paths.push(abs);
    this.links.push(link);
    if (this.paths.length - this.published >= BATCH) this.publish();
  }

  private publish(): void {
    const end = Math.min(this.paths.length, this.cap);
    if (!this.port || end <= this.published) return;
    const p = this.paths.slice(this.published, end);
    const l = this.links
      .slice(this.published, end)
      .map((x) => (x ? "1" : "0"))
      .join("");
    this.port.postMessage({ start: this.published, p, l });
    this.published = end;
    Atomics.store(this.pub, 0, end);
    Atomics.notify(this.pub, 0);
  }

  /** Stops the worker (when the results are not wanted). */
  close(): void {
    void this.worker?.terminate();
  }

  /** Hashes what is left (with the worker), and returns every entry's result. */
  async finish(): Promise<StreamHashResult> {
    const n = this.paths.length;
    this.publish();
    Atomics.store(this.pub, 1, 1);
    Atomics.notify(this.pub, 0);
    const state = new Uint8Array(n);
    const nums = new Float64Array(n * NUMS_PER_ENTRY);
    const digests = new Uint8Array(n * 32);
    const buf = Buffer.allocUnsafe(CHUNK);
    let probeFd: number | undefined;
    let fstat: ScanContext["fstat"];
    try {
      if (n > 0) {
        probeFd = fs.openSync(this.paths[0].slice(0, this.paths[0].lastIndexOf("/")) || "/", "r");
        fstat = fastFstat(fs, probeFd);
      }
    } finally {
      if (probeFd !== undefined) fs.closeSync(probeFd);
    }
    const shared: ScanContext = {
      fsm: fs,
      hashOf: createHash,
      fstat,
      nums: this.nums,
      state: this.state,
      out: this.out,
      buf,
    };
    try {
      // Published entries: claimed alongside the worker.
      for (;;) {
        const i = Atomics.load(this.next, 0);
        if (i >= this.published) break;
        if (Atomics.compareExchange(this.next, 0, i, i + 1) !== i) continue;
        scanEntry(i, this.paths[i], this.links[i], shared);
      }
      let incomplete = false;
      for (let i = 0; i < this.published; i++) {
        if (Atomics.load(this.state, i) === 0) incomplete = true;
      }
      if (incomplete && this.done) {
        await this.done;
        for (let i = 0; i < this.published; i++) {
          if (Atomics.load(this.state, i) === 0) scanEntry(i, this.paths[i], this.links[i], shared);
        }
      }
      state.set(this.state.subarray(0, this.published));
      nums.set(this.nums.subarray(0, this.published * NUMS_PER_ENTRY));
      digests.set(this.out.subarray(0, this.published * 32));
      // The rest (no worker, or beyond its capacity): here.
      const own: ScanContext = { ...shared, nums, state, out: digests };
      for (let i = this.published; i < n; i++) scanEntry(i, this.paths[i], this.links[i], own);
    } finally {
      this.close();
    }
    return { state, nums, digests };
  }
}
