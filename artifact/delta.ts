/**
 * Incremental upload: a **delta** that turns the tarball a host already has (its last unpacked
 * artifact, the *base*) into the new artifact, byte for byte.
 *
 * Both tarballs are this project's deterministic archives (tarball.ts): entries in path order, the
 * same header bytes for the same path, mode and size. An entry (its pax header if any, its ustar
 * header, its data padded to 512 bytes) whose bytes are found in the base is copied from there on
 * the host; any other entry (a file whose content or mode changed, a new file) is shipped in the
 * delta; an entry of the base that the new tarball lacks (a deleted file) is simply not copied.
 *
 * Format (text header, then the shipped bytes):
 * ```
 * deployhooks-delta 1 <header bytes, 12 digits>
 * base <sha256 hex of the base tarball> <size>
 * target <sha256 hex of the new tarball> <size>
 * C <offset in the base> <length>      copy from the base (runs of entries merged)
 * L <offset in the shipped bytes> <length>
 * ```
 * The host applies it with `dd` (render/delta.ts), then unpacks the result through the ordinary
 * upload path, which checks its sha256 against the new artifact's: the release is exactly the
 * full artifact unpacked, or nothing.
 *
 * Deterministic (same base and new tarball → same bytes), so the copy step's asset hash is stable.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface DeltaArtifact {
  /** Absolute path: `<outDir>/delta-<base 16 hex>-<target 16 hex>.bin`. */
  path: string;
  /** Size of the delta file in bytes. */
  bytes: number;
  /** Entries shipped (changed or new files, links, directories). */
  shippedEntries: number;
  /** Bytes of entry data shipped. */
  shippedBytes: number;
  /** Entries copied from the base on the host. */
  copiedEntries: number;
}

interface Entry {
  offset: number;
  length: number;
}

const BLOCK = 512;
const HEADER_WIDTH = 12;

/** The entries of a deterministic tarball (offset and length of each, pax header included). */
export function tarEntries(fd: number, size: number): Entry[] {
  const out: Entry[] = [];
  const hdr = Buffer.alloc(BLOCK);
  let off = 0;
  let start = -1;
  let paxSize: number | undefined;
  while (off + BLOCK <= size) {
    fs.readSync(fd, hdr, 0, BLOCK, off);
    if (hdr.every((b) => b === 0)) break;
    const type = String.fromCharCode(hdr[156]!);
    const field = hdr.toString("ascii", 124, 136).replace(/\0.*$/s, "").trim();
    let dataSize = field === "" ? 0 : parseInt(field, 8);
    if (!Number.isFinite(dataSize)) throw new Error(`tar: bad size field at offset ${off}`);
    if (type === "x") {
      const body = Buffer.alloc(dataSize);
      fs.readSync(fd, body, 0, dataSize, off + BLOCK);
      const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(body.toString("utf8"));
      paxSize = m ? Number(m[1]) : undefined;
      if (start < 0) start = off;
      off += BLOCK + Math.ceil(dataSize / BLOCK) * BLOCK;
      continue;
    }
    if (paxSize !== undefined) {
      dataSize = paxSize;
      paxSize = undefined;
    }
    const s = start >= 0 ? start : off;
    const end = off + BLOCK + Math.ceil(dataSize / BLOCK) * BLOCK;
    out.push({ offset: s, length: end - s });
    start = -1;
    off = end;
  }
  return out;
}

function entryDigest(fd: number, e: Entry, buf: { b: Buffer }): string {
  if (buf.b.length < e.length) buf.b = Buffer.alloc(Math.max(e.length, buf.b.length * 2));
  fs.readSync(fd, buf.b, 0, e.length, e.offset);
  return createHash("sha256").update(buf.b.subarray(0, e.length)).digest("hex");
}

/** sha256 hex of a file. */
export function fileSha256(file: string): string {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(4 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

/** File name of the delta from `baseSha` to `targetSha` (hex digests). */
export function deltaFileName(baseSha: string, targetSha: string): string {
  return `delta-${baseSha.slice(0, 16)}-${targetSha.slice(0, 16)}.bin`;
}

/**
 * Writes (or reuses) the delta from `baseTar` to `targetTar` into `outDir`. Hex digests of both are
 * given by the caller (already verified). Other `delta-*.bin` files of `outDir` are removed (only
 * the newest delta is kept). Written atomically, mode 0600. `undefined` when more than half of the
 * artifact would be shipped (send the full artifact instead).
 */
export function buildDelta(
  baseTar: string,
  baseSha: string,
  targetTar: string,
  targetSha: string,
  outDir: string,
): DeltaArtifact | undefined {
  const out = path.join(outDir, deltaFileName(baseSha, targetSha));
  const bfd = fs.openSync(baseTar, "r");
  const tfd = fs.openSync(targetTar, "r");
  try {
    const bsize = fs.fstatSync(bfd).size;
    const tsize = fs.fstatSync(tfd).size;
    const buf = { b: Buffer.alloc(1 << 20) };
    const inBase = new Map<string, number>();
    for (const e of tarEntries(bfd, bsize)) inBase.set(entryDigest(bfd, e, buf), e.offset);
    const ops: string[] = [];
    const shipped: Buffer[] = [];
    let shippedLen = 0;
    let shippedEntries = 0;
    let copiedEntries = 0;
    let last: { kind: "C" | "L"; a: number; b: number } | undefined;
    const push = (kind: "C" | "L", a: number, b: number) => {
      if (last && last.kind === kind && last.a + last.b === a) {
        last.b += b;
        return;
      }
      if (last) ops.push(`${last.kind} ${last.a} ${last.b}`);
      last = { kind, a, b };
    };
    const entries = tarEntries(tfd, tsize);
    for (const e of entries) {
      const at = inBase.get(entryDigest(tfd, e, buf));
      if (at !== undefined) {
        push("C", at, e.length);
        copiedEntries++;
      } else {
        shipped.push(Buffer.from(buf.b.subarray(0, e.length)));
        push("L", shippedLen, e.length);
        shippedLen += e.length;
        shippedEntries++;
        // Shipping more than half of the artifact: the full artifact is simpler and as fast.
        if (shippedLen > tsize / 2) return undefined;
      }
    }
    // The end of the archive (zero blocks and record padding) is shipped as is.
    const tail = entries.length ? entries.at(-1)!.offset + entries.at(-1)!.length : 0;
    if (tsize > tail) {
      const t = Buffer.alloc(tsize - tail);
      fs.readSync(tfd, t, 0, t.length, tail);
      shipped.push(t);
      push("L", shippedLen, t.length);
      shippedLen += t.length;
    }
    if (last) ops.push(`${last.kind} ${last.a} ${last.b}`);
    const body = [`base ${baseSha} ${bsize}`, `target ${targetSha} ${tsize}`, ...ops, ""].join(
      "\n",
    );
    const firstLen = `deployhooks-delta 1 `.length + HEADER_WIDTH + 1;
    const headerLen = firstLen + Buffer.byteLength(body);
    const header = `deployhooks-delta 1 ${String(headerLen).padStart(HEADER_WIDTH, "0")}\n${body}`;
    for (const f of fs.readdirSync(outDir)) {
      if (
        /^delta-[0-9a-f]{16}-[0-9a-f]{16}\.bin(\.tmp)?$/.test(f) &&
        path.join(outDir, f) !== out
      ) {
        fs.rmSync(path.join(outDir, f), { force: true });
      }
    }
    const tmp = `${out}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(header), ...shipped]), { mode: 0o600 });
    fs.renameSync(tmp, out);
    return {
      path: out,
      bytes: headerLen + shippedLen,
      shippedEntries,
      shippedBytes: shippedLen,
      copiedEntries,
    };
  } finally {
    fs.closeSync(bfd);
    fs.closeSync(tfd);
  }
}
