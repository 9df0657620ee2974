/**
 * The stat cache of `fingerprintTree`: per entry the lstat fields that tell "same file, unchanged"
 * (size, mtimeMs, ctimeMs, ino, st_mode) and the entry digest; per directory walked the fields that
 * tell "same set of names" (mtimeMs, ctimeMs, ino, st_mode) and the digest of its listing (the names
 * and kinds readdir gave, ignored ones included: a directory whose lstat changed but whose listing
 * did not still holds the cached entries); per ignore file read the same fields
 * (`stat`, following links, since its content is read through links); and the tree fingerprint.
 *
 * File format (version 3, little endian), chosen so that loading 20,000 entries costs about a
 * millisecond (no JSON.parse of a big document, no per-entry object):
 *
 * ```
 * 8 bytes   magic "DHSCACH3"
 * u32       byte length H of the header
 * H bytes   header, UTF-8 JSON: {"version":3,"root":…,"key":…,"writtenAt":<ms>,"fingerprint":…,
 *           "count":N,"dirs":D,"ignores":G,"pathsBytes":P}
 * pad       zero bytes up to a multiple of 8
 * N*5 f64   entries: size, mtimeMs, ctimeMs, ino, mode   (mode = full st_mode, so the type counts)
 * D*5 f64   directories: same fields
 * G*5 f64   ignore files: same fields
 * N*71 B    entry digests as ASCII "sha256:<64 hex>", back to back
 * D*64 B    directory listing digests as ASCII hex (`listingDigest`), back to back
 * P bytes   the N entry paths, then the D directory paths ("" = the root), then the G ignore-file
 *           paths, all relative POSIX, UTF-8, each followed by "\0"
 * ```
 *
 * `writtenAt` is the wall-clock time at which the scan that produced the cache STARTED (before the
 * first lstat). That is what the racy rule needs (see `isRacy`). `key` identifies the walk's
 * options (exclude globs, the cache file's own place): a cache made with other options is not used.
 *
 * The cache is trusted only when it is a regular file of the current user that nobody else can
 * write (see `loadStatCache`): a forged entry could otherwise make a changed file look unchanged.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const MAGIC = Buffer.from("DHSCACH3", "latin1");
const VERSION = 3;
const DIGEST_LEN = 71; // "sha256:" + 64 hex
const LISTING_LEN = 64;
export const NUMS_PER_ENTRY = 5;

/**
 * How close to the scan start an mtime may be before the cached digest (or directory listing) is
 * not trusted. A file written during or just before the scan can be modified again without its
 * mtime changing (same timestamp granularity: 1 s on ext3/HFS+, 2 s on FAT, and the kernel's
 * coarse clock lags `Date.now()` by up to a tick), exactly git's "racy git" problem. Such entries
 * are rehashed (such directories re-read) on the next run; once a later scan has written the cache
 * they are trusted again.
 */
export const RACY_WINDOW_MS = 2000;

/** A list of paths with `NUMS_PER_ENTRY` stat numbers each. */
export interface StatList {
  paths: string[];
  nums: Float64Array;
}

export interface StatCacheData {
  root: string;
  /** Options of the walk that produced it (see the module documentation). */
  key: string;
  writtenAt: number;
  /** Tree fingerprint of this content. */
  fingerprint: string;
  paths: string[];
  /** `NUMS_PER_ENTRY` numbers per entry. */
  nums: Float64Array;
  /** Digest of entry i: `digests.substr(i * 71, 71)`. */
  digests: string;
  dirs: StatList;
  /** Listing digest of directory k (`listingDigest`): `dirListings.substr(k * 64, 64)`. */
  dirListings: string;
  ignores: StatList;
}

/**
 * Digest of a directory's listing: `keys` are its entries' names, a directory's followed by "/",
 * in the walk's order, `kinds` one letter per entry (`d` directory, `f` file, `l` link, `o` other).
 */
export function listingDigest(keys: string[], kinds: string): string {
  return createHash("sha256").update(keys.join("\0")).update("\n").update(kinds).digest("hex");
}

export function listingAt(cache: StatCacheData, k: number): string {
  return cache.dirListings.substr(k * LISTING_LEN, LISTING_LEN);
}

export function digestAt(cache: StatCacheData, i: number): string {
  return cache.digests.substr(i * DIGEST_LEN, DIGEST_LEN);
}

/** True when the cached digest of an entry with this mtime must not be trusted. */
export function isRacy(mtimeMs: number, writtenAt: number): boolean {
  return mtimeMs >= writtenAt - RACY_WINDOW_MS;
}

interface Header {
  version: number;
  root: string;
  key: string;
  writtenAt: number;
  fingerprint: string;
  count: number;
  dirs: number;
  ignores: number;
  pathsBytes: number;
}

/**
 * Loads a cache file; undefined when missing, unreadable, corrupt, of another version, root or key,
 * (`key` unchecked when not given), and when it is not a regular file owned by the current user and writable by nobody else (a
 * symbolic link, or a file someone else could have planted or edited, is never trusted).
 */
export function loadStatCache(file: string, root: string, key?: string): StatCacheData | undefined {
  let buf: Buffer;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const st = fs.fstatSync(fd);
      const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
      if (!st.isFile() || st.uid !== uid || st.mode & 0o022) return undefined;
      buf = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  try {
    if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) return undefined;
    const hlen = buf.readUInt32LE(8);
    const h = JSON.parse(buf.toString("utf8", 12, 12 + hlen)) as Header;
    if (h.version !== VERSION || h.root !== root) return undefined;
    if (key !== undefined && h.key !== key) return undefined;
    const n = h.count;
    const lists = n + h.dirs + h.ignores;
    let off = align8(12 + hlen);
    const numsBytes = lists * NUMS_PER_ENTRY * 8;
    const listingBytes = h.dirs * LISTING_LEN;
    if (buf.length !== off + numsBytes + n * DIGEST_LEN + listingBytes + h.pathsBytes) {
      return undefined;
    }
    // Copy into an aligned Float64Array (the Buffer's own offset in its pool need not be aligned).
    const all = new Float64Array(lists * NUMS_PER_ENTRY);
    new Uint8Array(all.buffer).set(buf.subarray(off, off + numsBytes));
    off += numsBytes;
    const digests = buf.toString("latin1", off, off + n * DIGEST_LEN);
    off += n * DIGEST_LEN;
    const dirListings = buf.toString("latin1", off, off + listingBytes);
    off += listingBytes;
    const paths = lists === 0 ? [] : buf.toString("utf8", off, off + h.pathsBytes - 1).split("\0");
    if (paths.length !== lists) return undefined;
    const at = (k: number) => k * NUMS_PER_ENTRY;
    return {
      root,
      key: h.key,
      writtenAt: h.writtenAt,
      fingerprint: h.fingerprint,
      paths: n === lists ? paths : paths.slice(0, n),
      nums: all.subarray(0, at(n)),
      digests,
      dirs: { paths: paths.slice(n, n + h.dirs), nums: all.subarray(at(n), at(n + h.dirs)) },
      dirListings,
      ignores: { paths: paths.slice(n + h.dirs), nums: all.subarray(at(n + h.dirs)) },
    };
  } catch {
    return undefined;
  }
}

/**
 * Writes a cache file atomically (a new temporary file of mode 0600 in the same directory, then
 * rename). Missing directories are created with mode 0700.
 */
export function saveStatCache(file: string, data: StatCacheData): void {
  const n = data.paths.length;
  const all = [...data.paths, ...data.dirs.paths, ...data.ignores.paths];
  const pathsBuf = Buffer.from(all.length === 0 ? "" : all.join("\0") + "\0", "utf8");
  const header: Header = {
    version: VERSION,
    root: data.root,
    key: data.key,
    writtenAt: data.writtenAt,
    fingerprint: data.fingerprint,
    count: n,
    dirs: data.dirs.paths.length,
    ignores: data.ignores.paths.length,
    pathsBytes: pathsBuf.length,
  };
  const headerBuf = Buffer.from(JSON.stringify(header), "utf8");
  const numsStart = align8(12 + headerBuf.length);
  const numsBytes = all.length * NUMS_PER_ENTRY * 8;
  const listingBytes = data.dirs.paths.length * LISTING_LEN;
  if (data.dirListings.length !== listingBytes) {
    throw new Error("saveStatCache: one listing digest per directory is needed");
  }
  const out = Buffer.alloc(numsStart + numsBytes + n * DIGEST_LEN + listingBytes + pathsBuf.length);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(headerBuf.length, 8);
  headerBuf.copy(out, 12);
  let off = numsStart;
  for (const a of [data.nums, data.dirs.nums, data.ignores.nums]) {
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.length * 8);
    bytes.copy(out, off);
    off += bytes.length;
  }
  out.write(data.digests, off, "latin1");
  out.write(data.dirListings, off + n * DIGEST_LEN, "latin1");
  pathsBuf.copy(out, off + n * DIGEST_LEN + listingBytes);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const fd = fs.openSync(
      tmp,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      0o600,
    );
    try {
      fs.writeFileSync(fd, out);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
