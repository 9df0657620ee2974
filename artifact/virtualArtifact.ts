/**
 * A tarball planned without being written: when a deployment's code changed in a few files and the
 * artifact directory holds an earlier tarball with a trusted index (tarIndex.ts), the new
 * tarball's bytes are the earlier one's unchanged entries plus the changed files' entries
 * (archiveLayout.ts). They are neither written nor read now: the plan records where each range
 * comes from (reading only the changed files), and a worker thread hashes the ranges while the
 * deployment goes on (`sha256`, a promise: its probe step runs meanwhile; the upload step's command
 * and the delta wait for it). That costs one read of the earlier tarball (from the page cache) and
 * the changed files, off the main thread, instead of writing 200 MB. Once hashed, the index is
 * written (`<tarball>.idx`, with a virtual sum, artifactSum.ts), so the tarball can be the base of
 * the next delta once a host rebuilt it.
 *
 * A host that has a base gets a delta made from the plan (`read` gives the bytes of any range: the
 * changed files' entries are kept in memory, the rest is read again from the earlier tarball, which
 * must still be the file that was read); a host that needs the whole tarball gets it written then
 * (`PlannedArtifact.ready`), and it must hash to the planned sha256.
 *
 * Not used when the changed entries would hold more than `maxKept` (`VIRTUAL_MAX_KEPT`) bytes in
 * memory: the tarball is written as usual.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { TreeFingerprint } from "../fingerprint/tree";
import { compareCodePoints } from "../fingerprint/digest";
import { emitArchive, previousArtifact, type ArchiveSink } from "./archiveLayout";
import { writeVirtualSum } from "./artifactSum";
import type { DeltaTarget } from "./delta";
import { privateDirProblem } from "./privateDir";
import { artifactFileName } from "./tarball";
import { writeTarIndex } from "./tarIndex";

/** Most bytes of changed entries a planned tarball keeps in memory. */
export const VIRTUAL_MAX_KEPT = 64 << 20;

/** A planned, unwritten tarball (the target of a delta: delta.ts). */
export interface VirtualArtifact extends DeltaTarget {
  /** Where it would be written: `<outDir>/code-<fingerprint hex>.tar`. */
  path: string;
  /** sha256 hex of its bytes, once a worker thread has hashed them (see the module doc). */
  sha256: Promise<string>;
  /** Settles once its index and virtual sum are written (just after `sha256`). */
  indexed: Promise<void>;
}

class TooMuch extends Error {}

/** A range of the tarball: bytes kept in memory, or a range of the earlier tarball. */
interface Piece {
  /** Offset in the tarball. */
  at: number;
  length: number;
  /** Bytes kept in memory, or ... */
  data?: Buffer;
  /** ... the offset of these bytes in the earlier tarball. */
  position?: number;
}

/** Records where each range of the archive comes from; reads nothing of the earlier tarball. */
class RecordingSink implements ArchiveSink {
  readonly pieces: Piece[] = [];
  private total = 0;
  private kept = 0;
  constructor(private readonly maxKept: number) {}

  offset(): number {
    return this.total;
  }

  write(data: Buffer): void {
    this.pieces.push({ at: this.total, length: data.length, data });
    this.total += data.length;
    this.kept += data.length;
    if (this.kept > this.maxKept) throw new TooMuch();
  }

  zeros(n: number): void {
    this.write(Buffer.alloc(n));
  }

  copy(_fd: number, position: number, length: number): void {
    const last = this.pieces.at(-1);
    if (last?.position !== undefined && last.position + last.length === position) {
      last.length += length;
    } else {
      this.pieces.push({ at: this.total, length, position });
    }
    this.total += length;
  }

  fromFile(fd: number, size: number, hash: ReturnType<typeof createHash>, rel: string): void {
    if (this.kept + size > this.maxKept) throw new TooMuch();
    const data = Buffer.allocUnsafe(size);
    for (let done = 0; done < size;) {
      const got = fs.readSync(fd, data, done, size - done, null);
      if (got === 0) throw new Error(`buildArtifact: ${rel} shrank while being archived`);
      done += got;
    }
    hash.update(data);
    this.write(data);
  }
}

/**
 * sha256 hex of the pieces in order, the earlier tarball's ranges read from `file`, which must
 * still be the file that was planned from (inode and ctime, as decimal strings). No imports and no
 * closures: the worker thread runs this function's source.
 */
function hashPieces(
  fsm: typeof fs,
  hashOf: typeof createHash,
  file: string,
  ino: string,
  ctimeNs: string,
  pieces: Piece[],
): string {
  const h = hashOf("sha256");
  const fd = fsm.openSync(file, fsm.constants.O_RDONLY | fsm.constants.O_NOFOLLOW);
  try {
    const st = fsm.fstatSync(fd, { bigint: true });
    if (String(st.ino) !== ino || String(st.ctimeNs) !== ctimeNs) {
      throw new Error(
        `deployhooks: ${file} changed while this deployment was using it to plan its tarball; run the deployment again`,
      );
    }
    const buf = Buffer.allocUnsafe(4 << 20);
    for (const p of pieces) {
      if (p.data) {
        h.update(p.data);
        continue;
      }
      for (let done = 0; done < p.length;) {
        const n = Math.min(buf.length, p.length - done);
        const got = fsm.readSync(fd, buf, 0, n, p.position! + done);
        if (got === 0) throw new Error(`deployhooks: ${file} ended early`);
        h.update(buf.subarray(0, got));
        done += got;
      }
    }
  } finally {
    fsm.closeSync(fd);
  }
  return h.digest("hex");
}

// The thread lowers its own priority (Linux: a thread's nice value is its own): the probe steps'
// ssh processes and the main thread go first; the checksum is needed only by the upload steps.
const WORKER_SOURCE = `
const { parentPort, workerData: w } = require("node:worker_threads");
try { require("node:os").setPriority(0, Math.min(19, require("node:os").getPriority(0) + 10)); } catch {}
const hashPieces = ${hashPieces.toString()};
const pieces = w.pieces.map((p) => (p.data ? { ...p, data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength) } : p));
try {
  parentPort.postMessage({ sha256: hashPieces(require("node:fs"), require("node:crypto").createHash, w.file, w.ino, w.ctimeNs, pieces) });
} catch (e) {
  parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
`;

/**
 * Hashes the pieces in a worker thread (the main thread stays free for the deployment's steps);
 * on the main thread when no worker can be started.
 */
function hashInWorker(
  file: string,
  ino: bigint,
  ctimeNs: bigint,
  pieces: Piece[],
): Promise<string> {
  const args = [file, String(ino), String(ctimeNs), pieces] as const;
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const fallback = () => {
      if (settled) return;
      settled = true;
      try {
        resolve(hashPieces(fs, createHash, ...args));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        // No inherited `-r ts-node/register` (a TypeScript program's): ~30 ms to start, not ~150.
        execArgv: [],
        workerData: { file, ino: args[1], ctimeNs: args[2], pieces },
      });
    } catch {
      fallback();
      return;
    }
    worker.once("message", (m: { sha256?: string; error?: string }) => {
      if (settled) return;
      settled = true;
      if (m.sha256) resolve(m.sha256);
      else reject(new Error(m.error ?? "deployhooks: the tarball's hashing thread failed"));
    });
    worker.once("error", fallback);
    worker.once("exit", fallback);
  });
}

/**
 * The tarball of `tree` planned from the most recently used earlier tarball of `outDir` (see the
 * module documentation), or undefined (no such tarball, too much changed, or `outDir` not private).
 */
export function planVirtualArtifact(
  root: string,
  tree: TreeFingerprint,
  outDir: string,
  maxKept = VIRTUAL_MAX_KEPT,
): VirtualArtifact | undefined {
  const dir = path.resolve(outDir);
  if (privateDirProblem(dir)) return undefined;
  const name = artifactFileName(tree.fingerprint);
  const target = path.join(dir, name);
  const prev = previousArtifact(dir, name);
  if (!prev) return undefined;
  const sink = new RecordingSink(maxKept);
  let entries;
  try {
    const paths = Object.keys(tree.files).sort(compareCodePoints);
    entries = emitArchive(sink, path.resolve(root), tree, paths, prev);
  } catch (e) {
    if (e instanceof TooMuch) return undefined;
    throw e;
  } finally {
    fs.closeSync(prev.fd);
  }
  const bytes = sink.offset();
  const pieces = sink.pieces;
  const sha256 = hashInWorker(prev.path, prev.ino, prev.ctimeNs, pieces);
  const indexed = sha256.then((hex) => {
    const index = writeTarIndex(target, { sha256: `sha256:${hex}`, bytes, entries });
    if (index) writeVirtualSum(target, { sha256: `sha256:${hex}`, bytes, index });
  });
  // Whoever uses the plan awaits them; an unused plan's failure is not an unhandled rejection.
  sha256.catch(() => undefined);
  indexed.catch(() => undefined);
  const read = (offset: number, length: number): Buffer => {
    const out = Buffer.alloc(length);
    // The first piece that ends after `offset` (pieces are in order and contiguous).
    let lo = 0;
    let hi = pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pieces[mid]!.at + pieces[mid]!.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    let fd: number | undefined;
    try {
      for (let i = lo, done = 0; done < length && i < pieces.length; i++) {
        const p = pieces[i]!;
        const from = offset + done - p.at;
        const n = Math.min(p.length - from, length - done);
        if (p.data) {
          p.data.copy(out, done, from, from + n);
        } else {
          fd ??= reopen(prev.path, prev.ino, prev.ctimeNs);
          if (fs.readSync(fd, out, done, n, p.position! + from) !== n) {
            throw new Error(`deployhooks: ${prev.path} ended early`);
          }
        }
        done += n;
      }
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return out;
  };
  return { path: target, name, sha256, indexed, bytes, entries, read };
}

/** Opens the earlier tarball again; it must be the very file that was read (inode and ctime). */
function reopen(file: string, ino: bigint, ctimeNs: bigint): number {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  const st = fs.fstatSync(fd, { bigint: true });
  if (st.ino !== ino || st.ctimeNs !== ctimeNs) {
    fs.closeSync(fd);
    throw new Error(
      `deployhooks: ${file} changed while this deployment was using it to make a delta; run the deployment again`,
    );
  }
  return fd;
}
