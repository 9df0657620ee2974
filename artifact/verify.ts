/**
 * Verification of an existing tarball against the tree it claims to archive, from its own bytes
 * only: no stored checksum is trusted, so a tarball planted or corrupted by anyone is never reused.
 *
 * The archive is read once, front to back. For each entry of the tree, in the writer's order, the
 * header bytes in the file must equal the bytes `headerBytes` produces for that entry (the size is
 * taken from the file's header, the link target from the source tree), and the entry's content must
 * hash to the digest `tree.files` gives (sha256 over `<mode>\0<content>`); the block padding must be
 * zeros, and the file must end with exactly the writer's end-of-archive zeros. Those conditions hold
 * exactly when the file is byte for byte what `buildArtifact` would write now (up to sha256
 * collisions), so the result also carries the sha256 of the whole file, computed on the same read,
 * and its index (tarIndex.ts).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { TreeFingerprint } from "../fingerprint/tree";
import { BLOCK, dirHeader, headerBytes, newParentDirs } from "./tarHeader";
import { indexEntry, type TarIndexEntry } from "./tarIndex";

const BUF_SIZE = 4 << 20;
/** A pax header longer than this is not one the writer makes. */
const MAX_PAX = 64 << 10;

/** Sequential reader of a file descriptor that hashes every byte it reads. */
class Reader {
  private readonly buf = Buffer.allocUnsafe(BUF_SIZE);
  private start = 0;
  private end = 0;
  private eof = false;
  /** Bytes consumed so far. */
  pos = 0;
  readonly hash = createHash("sha256");
  constructor(private readonly fd: number) {}

  /** Makes at least `n` (≤ BUF_SIZE) bytes available; false when the file ends first. */
  private fill(n: number): boolean {
    while (this.end - this.start < n) {
      if (this.eof) return false;
      if (this.start > 0 && this.buf.length - this.end < n) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) this.eof = true;
      else {
        this.hash.update(this.buf.subarray(this.end, this.end + got));
        this.end += got;
      }
    }
    return true;
  }

  /** The next `n` bytes without consuming them, or undefined at the end of the file. */
  peek(n: number): Buffer | undefined {
    return this.fill(n) ? this.buf.subarray(this.start, this.start + n) : undefined;
  }

  /** Consumes up to `max` bytes (at least one), or undefined at the end of the file. */
  take(max: number): Buffer | undefined {
    if (!this.fill(1)) return undefined;
    const n = Math.min(max, this.end - this.start);
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    this.pos += n;
    return out;
  }

  /** Consumes `expected.length` bytes if they equal `expected`. */
  expect(expected: Buffer): boolean {
    let off = 0;
    while (off < expected.length) {
      const got = this.take(expected.length - off);
      if (!got || !got.equals(expected.subarray(off, off + got.length))) return false;
      off += got.length;
    }
    return true;
  }

  /** Consumes `n` bytes if they are all zero. */
  expectZeros(n: number): boolean {
    while (n > 0) {
      const got = this.take(n);
      if (!got) return false;
      for (let i = 0; i < got.length; i++) if (got[i] !== 0) return false;
      n -= got.length;
    }
    return true;
  }

  /** True when every byte of the file has been consumed. */
  atEnd(): boolean {
    return !this.fill(1);
  }
}

/** The 12-byte octal number field at `off` of a header block, or undefined when malformed. */
function octalField(block: Buffer, off: number): number | undefined {
  const text = block.toString("latin1", off, off + 12);
  return /^[0-7]{11}\0$/.test(text) ? parseInt(text.slice(0, 11), 8) : undefined;
}

/** Size of the regular-file entry whose header starts at the reader's position. */
function entrySize(r: Reader): number | undefined {
  const first = r.peek(BLOCK);
  if (!first) return undefined;
  if (first[156] !== 0x78 /* "x" */) return octalField(first, 124);
  const paxLen = octalField(first, 124);
  if (paxLen === undefined || paxLen > MAX_PAX) return undefined;
  const paxBlocks = Math.ceil(paxLen / BLOCK) * BLOCK;
  const all = r.peek(BLOCK + paxBlocks + BLOCK);
  if (!all) return undefined;
  const body = all.toString("utf8", BLOCK, BLOCK + paxLen);
  const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(body);
  return m ? Number(m[1]) : octalField(all.subarray(BLOCK + paxBlocks), 124);
}

/**
 * Whether the file open at `fd` is exactly the artifact of `tree` read from `absRoot` (module
 * documentation); its sha256 and size when it is, undefined otherwise. `paths` are the keys of
 * `tree.files` in code-point order.
 */
export function verifyArtifact(
  fd: number,
  absRoot: string,
  tree: TreeFingerprint,
  paths: string[],
): { sha256: string; bytes: number; entries: TarIndexEntry[] } | undefined {
  const r = new Reader(fd);
  const dirs = new Set<string>();
  const entries: TarIndexEntry[] = [];
  let index = 0;
  for (const rel of paths) {
    for (const dir of newParentDirs(rel, dirs)) {
      const h = dirHeader(index++, dir);
      entries.push(indexEntry(dir, r.pos, h, 0, undefined));
      if (!r.expect(h)) return undefined;
    }
    const mode = tree.modes?.[rel] ?? "-";
    const expected = tree.files[rel];
    if (mode === "l") {
      let target: Buffer;
      try {
        target = fs.readlinkSync(absRoot + "/" + rel, { encoding: "buffer" });
      } catch {
        return undefined;
      }
      const d = "sha256:" + createHash("sha256").update("l\0").update(target).digest("hex");
      if (d !== expected) return undefined;
      const h = headerBytes(index++, {
        path: rel,
        mode: 0o777,
        size: 0,
        type: "2",
        linkpath: target.toString("utf8"),
      });
      entries.push(indexEntry(rel, r.pos, h, 0, expected));
      if (!r.expect(h)) return undefined;
      continue;
    }
    const size = entrySize(r);
    if (size === undefined) return undefined;
    const h = headerBytes(index++, {
      path: rel,
      mode: mode === "x" ? 0o755 : 0o644,
      size,
      type: "0",
      linkpath: "",
    });
    entries.push(indexEntry(rel, r.pos, h, size, expected));
    if (!r.expect(h)) return undefined;
    const content = createHash("sha256").update(mode + "\0");
    let left = size;
    while (left > 0) {
      const chunk = r.take(Math.min(left, BUF_SIZE));
      if (!chunk) return undefined;
      content.update(chunk);
      left -= chunk.length;
    }
    if ("sha256:" + content.digest("hex") !== expected) return undefined;
    const rem = size % BLOCK;
    if (rem && !r.expectZeros(BLOCK - rem)) return undefined;
  }
  if (!r.expectZeros(2 * BLOCK)) return undefined;
  const rem = r.pos % 10240;
  if (rem && !r.expectZeros(10240 - rem)) return undefined;
  if (!r.atEnd()) return undefined;
  return { sha256: "sha256:" + r.hash.digest("hex"), bytes: r.pos, entries };
}
