/**
 * The bytes of an artifact, entry by entry (the layout is documented in tarball.ts), emitted into a
 * sink: the file writer of `buildArtifact`, or the hashing sink of a planned tarball that is not
 * written (virtualArtifact.ts). One loop for both, so both give the same bytes.
 *
 * A file whose tree digest equals the one the previous tarball's index records for the same path
 * (tarIndex.ts) is not read: its entry is copied from the previous tarball (whole, or its content
 * under a new header when only the pax header's index moved). Every other file is read and its
 * digest checked against `tree.files`: a file changed since it was fingerprinted throws.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TreeFingerprint } from "../fingerprint/tree";
import { BLOCK, dirHeader, headerBytes, newParentDirs, type HeaderFields } from "./tarHeader";
import { entryLength, indexEntry, readTarIndex, type TarIndexEntry } from "./tarIndex";

/** Where the bytes go. */
export interface ArchiveSink {
  /** Offset of the next byte. */
  offset(): number;
  write(data: Buffer): void;
  zeros(n: number): void;
  /** `length` bytes at `position` of the previous tarball (open at `fd`). */
  copy(fd: number, position: number, length: number): void;
  /** `size` bytes read from `fd` (a source file), each chunk also given to `hash`. */
  fromFile(fd: number, size: number, hash: ReturnType<typeof createHash>, rel: string): void;
}

/** The previous tarball: open, with its index entries by path. */
export interface PreviousArtifact {
  fd: number;
  /** Its path, inode and ctime when it was opened (to open it again, virtualArtifact.ts). */
  path: string;
  ino: bigint;
  ctimeNs: bigint;
  byName: Map<string, TarIndexEntry>;
}

const TARBALL = /^code-[0-9a-f]{64}\.tar$/;

/**
 * The most recently used other tarball of `dir` whose index can be trusted (tarIndex.ts), open;
 * undefined when there is none. The caller closes `fd`.
 */
export function previousArtifact(dir: string, name: string): PreviousArtifact | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => TARBALL.test(n) && n !== name);
  } catch {
    return undefined;
  }
  const used = (n: string): number => {
    let t = 0;
    for (const f of [n, `${n}.sum`]) {
      try {
        t = Math.max(t, fs.lstatSync(path.join(dir, f)).mtimeMs);
      } catch {
        // missing
      }
    }
    return t;
  };
  const recent = names
    .map((n) => ({ n, t: used(n) }))
    .sort((a, b) => b.t - a.t)
    .slice(0, 3);
  for (const { n } of recent) {
    const file = path.join(dir, n);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      continue;
    }
    const index = readTarIndex(file);
    // The open file is the one the index and its sum describe.
    const st = fs.fstatSync(fd, { bigint: true });
    const now = fs.lstatSync(file, { bigint: true });
    if (
      index &&
      st.ino === now.ino &&
      st.ctimeNs === now.ctimeNs &&
      st.size === BigInt(index.bytes)
    ) {
      return {
        fd,
        path: file,
        ino: st.ino,
        ctimeNs: st.ctimeNs,
        byName: new Map(index.entries.map((e) => [e.name, e])),
      };
    }
    fs.closeSync(fd);
  }
  return undefined;
}

function checkDigest(
  rel: string,
  expected: string | undefined,
  h: ReturnType<typeof createHash>,
): void {
  const actual = "sha256:" + h.digest("hex");
  if (actual !== expected) {
    throw new Error(
      `buildArtifact: ${rel} changed since the tree was fingerprinted; fingerprint again`,
    );
  }
}

function pad(sink: ArchiveSink): void {
  const rem = sink.offset() % BLOCK;
  if (rem) sink.zeros(BLOCK - rem);
}

/**
 * Emits the artifact of `tree` (read from `absRoot`; `paths` = the keys of `tree.files` in
 * code-point order) into `sink`, copying unchanged entries from `prev`; returns its index entries.
 */
export function emitArchive(
  sink: ArchiveSink,
  absRoot: string,
  tree: TreeFingerprint,
  paths: string[],
  prev: PreviousArtifact | undefined,
): TarIndexEntry[] {
  const entries: TarIndexEntry[] = [];
  const dirs = new Set<string>();
  let index = 0;
  // Whole entries copied from the previous tarball, merged while they follow each other there.
  let run: { position: number; length: number } | undefined;
  const flush = () => {
    if (run) sink.copy(prev!.fd, run.position, run.length);
    run = undefined;
  };
  const offset = () => sink.offset() + (run?.length ?? 0);
  const put = (name: string, header: Buffer, size: number, digest?: string) => {
    flush();
    entries.push(indexEntry(name, sink.offset(), header, size, digest));
    sink.write(header);
  };
  for (const rel of paths) {
    for (const dir of newParentDirs(rel, dirs)) put(dir, dirHeader(index++, dir), 0);
    const mode = tree.modes?.[rel] ?? "-";
    const abs = absRoot + "/" + rel;
    const expected = tree.files[rel];
    if (mode === "l") {
      const target = fs.readlinkSync(abs, { encoding: "buffer" });
      checkDigest(rel, expected, createHash("sha256").update("l\0").update(target));
      const header = headerBytes(index++, {
        path: rel,
        mode: 0o777,
        size: 0,
        type: "2",
        linkpath: target.toString("utf8"),
      });
      put(rel, header, 0, expected);
      continue;
    }
    const fields = (size: number): HeaderFields => ({
      path: rel,
      mode: mode === "x" ? 0o755 : 0o644,
      size,
      type: "0",
      linkpath: "",
    });
    // Unchanged since the previous tarball (same digest: same mode, size and content).
    const before = prev?.byName.get(rel);
    if (prev && before && expected === `sha256:${before.digest}`) {
      // Without a pax header, the header is a function of path, mode and size: the same. With
      // one, it also holds the entry's index, which may have moved.
      const header =
        before.headerLength > BLOCK ? headerBytes(index, fields(before.size)) : undefined;
      index++;
      const at = offset();
      if (
        !header ||
        indexEntry(rel, at, header, before.size, expected).headerHash === before.headerHash
      ) {
        entries.push({ ...before, offset: at });
        const length = entryLength(before);
        if (run && run.position + run.length === before.offset) run.length += length;
        else {
          flush();
          run = { position: before.offset, length };
        }
      } else {
        put(rel, header, before.size, expected);
        sink.copy(prev.fd, before.offset + before.headerLength, before.size);
        pad(sink);
      }
      continue;
    }
    const src = fs.openSync(abs, "r");
    try {
      const size = fs.fstatSync(src).size;
      put(rel, headerBytes(index++, fields(size)), size, expected);
      const h = createHash("sha256").update(mode + "\0");
      sink.fromFile(src, size, h, rel);
      checkDigest(rel, expected, h);
      pad(sink);
    } finally {
      fs.closeSync(src);
    }
  }
  flush();
  // End of archive: two zero blocks, then up to the 10240-byte record size.
  sink.zeros(2 * BLOCK);
  const rem = sink.offset() % 10240;
  if (rem) sink.zeros(10240 - rem);
  return entries;
}
