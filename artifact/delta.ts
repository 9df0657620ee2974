/**
 * Incremental upload: a **delta** that turns the tarball a host already has (its last unpacked
 * artifact, the *base*) into the new artifact, byte for byte.
 *
 * Both tarballs are this project's deterministic archives (tarball.ts): entries in path order, the
 * same header bytes for the same path, mode and size. An entry (its pax header if any, its ustar
 * header, its data padded to 512 bytes) whose bytes equal those of the base's entry of the same
 * path is copied from there on the host; any other entry (a file whose content or mode changed, a
 * new file) is shipped in the delta; an entry of the base that the new tarball lacks (a deleted
 * file) is simply not copied. The paths of the base's entries that are not copied (changed or
 * deleted) are listed too, so that the host can also turn an unpacked copy of the base into the
 * new release by removing those and unpacking the shipped entries (render/standby.ts).
 *
 * Format (text header, then the shipped bytes):
 * ```
 * deployhooks-delta 3 <header bytes, 12 digits> <sha256 hex of every byte after this line>
 * base <sha256 hex of the base tarball> <size>
 * target <file name of the new tarball: code-<fingerprint hex>.tar> <size>
 * C <offset in the base> <length>      copy from the base (runs of entries merged)
 * L <offset in the shipped bytes> <length>
 * R <offset in the shipped bytes> <length>   last: the base's entries not copied, NUL-terminated
 * ```
 * The `L` ranges, concatenated, are a tar stream of the shipped entries (the archive's end
 * included). The host first checks the delta against the checksum of its first line, its target
 * against the tarball the upload step names, and its base against the base it keeps (sha256,
 * verified when it was kept). With a standby copy of the base
 * (render/standby.ts) it removes the `R` entries and unpacks the `L` stream into it; otherwise it
 * applies the `C`/`L` lines with `dd` (render/delta.ts) and checks the rebuilt tarball's sha256
 * against the new artifact's while unpacking it, as for a full upload. Either way the new tarball,
 * kept as the next base, is checked against the artifact's sha256 before it becomes the base.
 *
 * Deterministic (same base and new tarball → same bytes), so the copy step's asset hash is stable.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { entryLength, readTarIndex, type TarIndex, type TarIndexEntry } from "./tarIndex";

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
  /** The entry's path as archived (a directory's ends with `/`). */
  name: string;
  /** Its index entry, when the delta is made from indexes. */
  indexed?: TarIndexEntry;
}

const BLOCK = 512;
const HEADER_WIDTH = 12;

/** The first bytes of a delta of this format. */
export const DELTA_MAGIC = "deployhooks-delta 3 ";

function cString(b: Buffer, start: number, end: number): string {
  const z = b.indexOf(0, start);
  return b.toString("utf8", start, z >= 0 && z < end ? z : end);
}

/** The entries of a deterministic tarball (offset, length and path of each, pax header included). */
export function tarEntries(fd: number, size: number): Entry[] {
  const out: Entry[] = [];
  const hdr = Buffer.alloc(BLOCK);
  let off = 0;
  let start = -1;
  let paxSize: number | undefined;
  let paxPath: string | undefined;
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
      const text = body.toString("utf8");
      const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(text);
      paxSize = m ? Number(m[1]) : undefined;
      const p = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
      paxPath = p ? p[1] : undefined;
      if (start < 0) start = off;
      off += BLOCK + Math.ceil(dataSize / BLOCK) * BLOCK;
      continue;
    }
    if (paxSize !== undefined) {
      dataSize = paxSize;
      paxSize = undefined;
    }
    const prefix = cString(hdr, 345, 500);
    const name = paxPath ?? (prefix ? `${prefix}/${cString(hdr, 0, 100)}` : cString(hdr, 0, 100));
    paxPath = undefined;
    const s = start >= 0 ? start : off;
    const end = off + BLOCK + Math.ceil(dataSize / BLOCK) * BLOCK;
    out.push({ offset: s, length: end - s, name });
    start = -1;
    off = end;
  }
  return out;
}

/** Whether the `length` bytes at `a` of `fdA` equal those at `b` of `fdB`. */
function sameBytes(fdA: number, a: number, fdB: number, b: number, length: number, buf: Buffer[]) {
  for (let done = 0; done < length;) {
    const n = Math.min(buf[0]!.length, length - done);
    fs.readSync(fdA, buf[0]!, 0, n, a + done);
    fs.readSync(fdB, buf[1]!, 0, n, b + done);
    if (buf[0]!.compare(buf[1]!, 0, n, 0, n) !== 0) return false;
    done += n;
  }
  return true;
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

/**
 * File name of the delta from the base `baseSha` (hex digest) to the tarball `targetName`
 * (`code-<fingerprint hex>.tar`: the tree's fingerprint names its deterministic bytes).
 */
export function deltaFileName(baseSha: string, targetName: string): string {
  const fp = /^code-([0-9a-f]{16})/.exec(targetName)?.[1];
  if (!fp) throw new Error(`deployhooks: ${targetName} is not an artifact's file name`);
  return `delta-${baseSha.replace(/^sha256:/, "").slice(0, 16)}-${fp}.bin`;
}

/** The new tarball of a delta, described by its index (tarIndex.ts) and able to read its bytes. */
export interface DeltaTarget {
  /** Its file name, `code-<fingerprint hex>.tar` (its sha256 is not needed). */
  name: string;
  /** Its size. */
  bytes: number;
  entries: TarIndexEntry[];
  /** `length` bytes of the tarball at `offset`. */
  read(offset: number, length: number): Buffer;
}

/**
 * Writes the delta from `baseTar` to `targetTar` into `outDir`. The base's hex digest is given by
 * the caller; the target is a tarball verified or written by this machine. With both tarballs'
 * indexes (tarIndex.ts; the base's may be that of a tarball planned but not written,
 * virtualArtifact.ts) entries are compared by
 * header hash and content digest (`buildDeltaFromIndex`), otherwise byte for byte. `undefined`
 * when more than half of the artifact would be shipped (send the full artifact instead).
 */
export function buildDelta(
  baseTar: string,
  baseSha: string,
  targetTar: string,
  outDir: string,
): DeltaArtifact | undefined {
  const baseIndex = readTarIndex(baseTar, baseSha, true);
  const targetIndex = baseIndex && readTarIndex(targetTar);
  const name = path.basename(targetTar);
  const tfd = fs.openSync(targetTar, "r");
  try {
    const read = (offset: number, length: number): Buffer => {
      const b = Buffer.allocUnsafe(length);
      fs.readSync(tfd, b, 0, length, offset);
      return b;
    };
    if (baseIndex && targetIndex) {
      return buildDeltaFromIndex(
        baseIndex,
        { name, bytes: targetIndex.bytes, entries: targetIndex.entries, read },
        outDir,
      );
    }
    const bfd = fs.openSync(baseTar, "r");
    try {
      const bsize = fs.fstatSync(bfd).size;
      const tsize = fs.fstatSync(tfd).size;
      const bufs = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
      return assembleDelta(
        { sha256: baseSha, bytes: bsize, entries: tarEntries(bfd, bsize) },
        { name, bytes: tsize, entries: tarEntries(tfd, tsize), read },
        (b, e) => b.length === e.length && sameBytes(bfd, b.offset, tfd, e.offset, e.length, bufs),
        outDir,
      );
    } finally {
      fs.closeSync(bfd);
    }
  } finally {
    fs.closeSync(tfd);
  }
}

/** The delta from the base described by `base` to `target`, from their indexes alone. */
export function buildDeltaFromIndex(
  base: TarIndex,
  target: DeltaTarget,
  outDir: string,
): DeltaArtifact | undefined {
  const entry = (e: TarIndexEntry): Entry => ({
    name: e.name,
    offset: e.offset,
    length: entryLength(e),
    indexed: e,
  });
  return assembleDelta(
    {
      sha256: base.sha256.replace(/^sha256:/, ""),
      bytes: base.bytes,
      entries: base.entries.map(entry),
    },
    { ...target, entries: target.entries.map(entry) },
    (b, e) =>
      b.indexed!.headerHash === e.indexed!.headerHash &&
      b.indexed!.digest === e.indexed!.digest &&
      b.indexed!.size === e.indexed!.size,
    outDir,
  );
}

interface DeltaBase {
  /** sha256 hex. */
  sha256: string;
  bytes: number;
  entries: Entry[];
}

interface DeltaNew {
  /** File name (`code-<fingerprint hex>.tar`). */
  name: string;
  bytes: number;
  entries: Entry[];
  read(offset: number, length: number): Buffer;
}

/** Writes the delta: `same(b, e)` says whether base entry `b` has the bytes of target entry `e`. */
function assembleDelta(
  base: DeltaBase,
  target: DeltaNew,
  same: (b: Entry, e: Entry) => boolean,
  outDir: string,
): DeltaArtifact | undefined {
  const out = path.join(outDir, deltaFileName(base.sha256, target.name));
  const inBase = new Map(base.entries.map((e) => [e.name, e]));
  const copied = new Set<string>();
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
  for (const e of target.entries) {
    const b = inBase.get(e.name);
    if (b && same(b, e)) {
      push("C", b.offset, e.length);
      copied.add(e.name);
      copiedEntries++;
    } else {
      shipped.push(target.read(e.offset, e.length));
      push("L", shippedLen, e.length);
      shippedLen += e.length;
      shippedEntries++;
      // Shipping more than half of the artifact: the full artifact is simpler and as fast.
      if (shippedLen > target.bytes / 2) return undefined;
    }
  }
  // The end of the archive (zero blocks and record padding) is shipped as is.
  const lastEntry = target.entries.at(-1);
  const tail = lastEntry ? lastEntry.offset + lastEntry.length : 0;
  if (target.bytes > tail) {
    shipped.push(target.read(tail, target.bytes - tail));
    push("L", shippedLen, target.bytes - tail);
    shippedLen += target.bytes - tail;
  }
  if (last) ops.push(`${last.kind} ${last.a} ${last.b}`);
  // The base's entries not copied (changed or deleted), for the host's standby tree.
  const removed = Buffer.from(
    [...inBase.keys()]
      .filter((n) => !copied.has(n))
      .map((n) => `${n}\0`)
      .join(""),
  );
  ops.push(`R ${shippedLen} ${removed.length}`);
  shipped.push(removed);
  const body = [
    `base ${base.sha256} ${base.bytes}`,
    `target ${target.name} ${target.bytes}`,
    ...ops,
    "",
  ].join("\n");
  const firstLen = DELTA_MAGIC.length + HEADER_WIDTH + 1 + 64 + 1;
  const headerLen = firstLen + Buffer.byteLength(body);
  const sum = createHash("sha256").update(body);
  for (const b of shipped) sum.update(b);
  const header = `${DELTA_MAGIC}${String(headerLen).padStart(HEADER_WIDTH, "0")} ${sum.digest("hex")}\n${body}`;
  for (const f of fs.readdirSync(outDir)) {
    if (/^delta-[0-9a-f]{16}-[0-9a-f]{16}\.bin(\.tmp)?$/.test(f) && path.join(outDir, f) !== out) {
      fs.rmSync(path.join(outDir, f), { force: true });
    }
  }
  const tmp = `${out}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(header), ...shipped]), { mode: 0o600 });
  fs.renameSync(tmp, out);
  return {
    path: out,
    bytes: headerLen + shippedLen + removed.length,
    shippedEntries,
    shippedBytes: shippedLen,
    copiedEntries,
  };
}
