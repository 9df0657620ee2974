/**
 * The index of a tarball: `<tarball>.idx`, written by `buildArtifact` with the tarball (or when it
 * verified it), before its sum file (artifactSum.ts).
 *
 * For each entry, in archive order: where it starts, how many header bytes it has (a pax header
 * included), its content size, the sha256 of its header bytes and the tree digest of its content
 * (fingerprint/tree.ts; `-` for a directory). Two entries with the same header hash and digest are
 * the same bytes (the padding is zeros). So, without reading either tarball:
 * - a new tarball of a tree that changed in a few files copies every other entry from the previous
 *   tarball (`tarball.ts`), reading and hashing no source file it does not need;
 * - the delta between two tarballs (`delta.ts`) is known from their indexes.
 *
 * Format: a first line `deployhooks-tar-index 1 sha256:<hex> <bytes>` (the tarball's sum), then one
 * line per entry: `<offset> <header bytes> <size> <header sha256 hex> <digest hex or -> <JSON name>`.
 * An index is read only when it is the deploying user's own regular file, writable by nobody else,
 * has the sha256 the tarball's sum file recorded for it, and that sum file proves the tarball
 * unchanged since it was written or verified (`readArtifactSum(...).unchanged`): the index then
 * describes the tarball's bytes.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { readArtifactSum, readVirtualSum } from "./artifactSum";
import { BLOCK } from "./tarHeader";

/** One entry of a tarball. */
export interface TarIndexEntry {
  /** The entry's path as archived (a directory's ends with `/`). */
  name: string;
  /** Offset of its first header byte in the tarball. */
  offset: number;
  /** Header bytes (pax header and ustar header). */
  headerLength: number;
  /** Content bytes (0 for directories and links). */
  size: number;
  /** sha256 hex of the header bytes. */
  headerHash: string;
  /** Tree digest hex of the content (`<mode>\0<content>`), `-` for a directory. */
  digest: string;
}

/** A tarball's index. */
export interface TarIndex {
  /** `sha256:<hex>` of the tarball. */
  sha256: string;
  /** Size of the tarball. */
  bytes: number;
  entries: TarIndexEntry[];
}

const MAGIC = "deployhooks-tar-index 1";

/** Path of the index of `tarball`. */
export function tarIndexPath(tarball: string): string {
  return `${tarball}.idx`;
}

/** Bytes an entry takes in the tarball (headers, content, padding). */
export function entryLength(e: TarIndexEntry): number {
  return e.headerLength + Math.ceil(e.size / BLOCK) * BLOCK;
}

/** The index entry of a header just written or read at `offset`. */
export function indexEntry(
  name: string,
  offset: number,
  header: Buffer,
  size: number,
  digest: string | undefined,
): TarIndexEntry {
  return {
    name,
    offset,
    headerLength: header.length,
    size,
    headerHash: createHash("sha256").update(header).digest("hex"),
    digest: digest ? digest.replace(/^sha256:/, "") : "-",
  };
}

/**
 * Writes the index of `tarball` (atomically, mode 0600) and returns the sha256 hex of its bytes,
 * for the sum file; undefined when it could not be written (that only costs speed later).
 */
export function writeTarIndex(tarball: string, index: TarIndex): string | undefined {
  const file = tarIndexPath(tarball);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const lines = [`${MAGIC} ${index.sha256} ${index.bytes}`];
  for (const e of index.entries) {
    lines.push(
      `${e.offset} ${e.headerLength} ${e.size} ${e.headerHash} ${e.digest} ${JSON.stringify(e.name)}`,
    );
  }
  const text = lines.join("\n") + "\n";
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
    fs.renameSync(tmp, file);
    return createHash("sha256").update(text).digest("hex");
  } catch {
    fs.rmSync(tmp, { force: true });
    return undefined;
  }
}

/** Indexes already read, by path, with the digest their sum file gave (which proves them again). */
const parsed = new Map<string, { digest: string; index: TarIndex }>();

/** A non-negative integer written in decimal digits, else NaN. */
function count(text: string): number {
  return text.length > 0 && text.length < 16 && /^\d+$/.test(text) ? Number(text) : NaN;
}

/**
 * One entry line: `<offset> <header bytes> <size> <header sha256> <digest or -> <JSON name>`;
 * undefined when malformed. Sliced by position (a regular expression of the whole line cost more
 * than half of reading a 20,000-entry index); the file itself was checked against the sha256 its
 * sum file records, so this only guards against our own mistakes.
 */
function parseLine(line: string): TarIndexEntry | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const offset = count(line.slice(0, a));
  const headerLength = count(line.slice(a + 1, b));
  const size = count(line.slice(b + 1, c));
  const headerHash = line.substr(c + 1, 64);
  const dash = line.charCodeAt(c + 66) === 45;
  const digest = dash ? "-" : line.substr(c + 66, 64);
  const q = c + 66 + digest.length + 1;
  if (
    Number.isNaN(offset + headerLength + size) ||
    headerHash.length !== 64 ||
    digest.length !== (dash ? 1 : 64) ||
    line.charCodeAt(c + 65) !== 32 ||
    line.charCodeAt(q - 1) !== 32 ||
    line.charCodeAt(q) !== 34 ||
    line.charCodeAt(line.length - 1) !== 34 ||
    line.length < q + 2
  ) {
    return undefined;
  }
  const quoted = line.slice(q);
  const name =
    quoted.indexOf("\\") < 0 ? quoted.slice(1, -1) : (JSON.parse(quoted) as unknown as string);
  if (typeof name !== "string") return undefined;
  return { offset, headerLength, size, headerHash, digest, name };
}

/**
 * The index of `tarball` when it can be trusted (module documentation) and, if given, names
 * `sha256` (`sha256:<hex>` or hex); undefined otherwise. `allowVirtual`: also the index of a
 * tarball planned but not written (a virtual sum, artifactSum.ts): good for the base of a delta,
 * whose bytes are the host's, never for copying bytes from.
 */
export function readTarIndex(
  tarball: string,
  sha256?: string,
  allowVirtual = false,
): TarIndex | undefined {
  const real = readArtifactSum(tarball);
  const sum = real?.unchanged ? real : allowVirtual && !real ? readVirtualSum(tarball) : undefined;
  if (!sum?.index) return undefined;
  if (sha256 && sum.sha256 !== `sha256:${sha256.replace(/^sha256:/, "")}`) return undefined;
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  try {
    const file = tarIndexPath(tarball);
    const st = fs.lstatSync(file);
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022) return undefined;
    const cached = parsed.get(file);
    if (cached && cached.digest === sum.index) return cached.index;
    const text = fs.readFileSync(file);
    if (createHash("sha256").update(text).digest("hex") !== sum.index) return undefined;
    const lines = text.toString("utf8").split("\n");
    if (lines[0] !== `${MAGIC} ${sum.sha256} ${sum.bytes}` || lines.at(-1) !== "") return undefined;
    const entries: TarIndexEntry[] = [];
    let end = 0;
    for (let i = 1; i < lines.length - 1; i++) {
      const e = parseLine(lines[i]!);
      if (!e) return undefined;
      // Entries follow each other from offset 0 and stay inside the tarball.
      if (e.offset !== end) return undefined;
      end = e.offset + entryLength(e);
      if (end > sum.bytes) return undefined;
      entries.push(e);
    }
    const index = { sha256: sum.sha256, bytes: sum.bytes, entries };
    // A deployment reads the same index to plan its tarball and to make its delta.
    if (parsed.size >= 4) parsed.clear();
    parsed.set(file, { digest: sum.index, index });
    return index;
  } catch {
    return undefined;
  }
}
