/**
 * A tarball planned without being written: when a deployment's code changed in a few files and the
 * artifact directory holds an earlier tarball with a trusted index (tarIndex.ts), the new
 * tarball's bytes are the earlier one's unchanged entries plus the changed files' entries
 * (archiveLayout.ts). They are hashed, not written: the sha256 the deployment plans with costs
 * one read of the earlier tarball (from the page cache) and the changed files, instead of writing
 * 200 MB. The index is written (`<tarball>.idx`, with a virtual sum, artifactSum.ts), so the
 * tarball can be the base of the next delta once a host rebuilt it.
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

/** A planned, unwritten tarball. */
export interface VirtualArtifact extends DeltaTarget {
  /** Where it would be written: `<outDir>/code-<fingerprint hex>.tar`. */
  path: string;
}

class TooMuch extends Error {}

interface Piece {
  /** Offset in the tarball. */
  at: number;
  length: number;
  /** Bytes kept in memory, or ... */
  data?: Buffer;
  /** ... the offset of these bytes in the earlier tarball. */
  position?: number;
}

/** Hashes the archive's bytes and remembers where each range comes from. */
class HashingSink implements ArchiveSink {
  readonly hash = createHash("sha256");
  readonly pieces: Piece[] = [];
  private total = 0;
  private kept = 0;
  private readonly buf = Buffer.allocUnsafe(4 << 20);
  constructor(private readonly maxKept: number) {}

  offset(): number {
    return this.total;
  }

  write(data: Buffer): void {
    this.hash.update(data);
    this.pieces.push({ at: this.total, length: data.length, data });
    this.total += data.length;
    this.kept += data.length;
    if (this.kept > this.maxKept) throw new TooMuch();
  }

  zeros(n: number): void {
    this.write(Buffer.alloc(n));
  }

  copy(fd: number, position: number, length: number): void {
    for (let done = 0; done < length;) {
      const got = fs.readSync(
        fd,
        this.buf,
        0,
        Math.min(this.buf.length, length - done),
        position + done,
      );
      if (got === 0) throw new Error("buildArtifact: the previous tarball ended early");
      this.hash.update(this.buf.subarray(0, got));
      done += got;
    }
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
  const sink = new HashingSink(maxKept);
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
  const sha256 = sink.hash.digest("hex");
  const bytes = sink.offset();
  const index = writeTarIndex(target, { sha256: `sha256:${sha256}`, bytes, entries });
  if (index) writeVirtualSum(target, { sha256: `sha256:${sha256}`, bytes, index });
  const pieces = sink.pieces;
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
  return { path: target, sha256, bytes, entries, read };
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
