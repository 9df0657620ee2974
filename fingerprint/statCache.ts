/**
 * The stat cache of `fingerprintTree`: per path the lstat fields that tell "same file, unchanged"
 * (size, mtimeMs, ctimeMs, ino, st_mode) and the entry digest. On a re-run an entry whose lstat
 * matches is not read again.
 *
 * File format (version 1, little endian), chosen so that loading 20,000 entries costs a few
 * milliseconds (no JSON.parse of a big document, no per-entry object):
 *
 * ```
 * 8 bytes   magic "DHSCACH1"
 * u32       byte length H of the header
 * H bytes   header, UTF-8 JSON: {"version":1,"root":…,"writtenAt":<ms>,"count":N,"pathsBytes":P}
 * pad       zero bytes up to a multiple of 8
 * N*5 f64   size, mtimeMs, ctimeMs, ino, mode   (mode = full st_mode, so the type counts too)
 * N*71 B    digests as ASCII "sha256:<64 hex>", back to back
 * P bytes   paths, UTF-8, each followed by "\0"
 * ```
 *
 * `writtenAt` is the wall-clock time at which the scan that produced the cache STARTED (before the
 * first lstat). That is what the racy-entry rule needs (see `isRacy`).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const MAGIC = Buffer.from("DHSCACH1", "latin1");
const DIGEST_LEN = 71; // "sha256:" + 64 hex
export const NUMS_PER_ENTRY = 5;

/**
 * How close to the scan start an mtime may be before the cached digest is not trusted. A file
 * written during or just before the scan can be modified again without its mtime changing (same
 * timestamp granularity: 1 s on ext3/HFS+, 2 s on FAT, and the kernel's coarse clock lags
 * `Date.now()` by up to a tick), exactly git's "racy git" problem. Such entries are rehashed on the
 * next run; once a later scan has written the cache they are trusted again.
 */
export const RACY_WINDOW_MS = 2000;

export interface StatCacheData {
  root: string;
  writtenAt: number;
  paths: string[];
  /** `NUMS_PER_ENTRY` numbers per entry. */
  nums: Float64Array;
  /** Digest of entry i: `digests.substr(i * 71, 71)`. */
  digests: string;
}

export function digestAt(cache: StatCacheData, i: number): string {
  return cache.digests.substr(i * DIGEST_LEN, DIGEST_LEN);
}

/** True when the cached digest of an entry with this mtime must not be trusted. */
export function isRacy(mtimeMs: number, writtenAt: number): boolean {
  return mtimeMs >= writtenAt - RACY_WINDOW_MS;
}

/**
 * Loads a cache file; undefined when missing, unreadable, corrupt or of another version/root, and
 * when it is not a regular file owned by the current user and writable by nobody else (a symbolic
 * link, or a file someone else could have planted or edited, is never trusted: a forged entry could
 * make a changed file look unchanged).
 */
export function loadStatCache(file: string, root: string): StatCacheData | undefined {
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
    const header = JSON.parse(buf.toString("utf8", 12, 12 + hlen)) as {
      version: number;
      root: string;
      writtenAt: number;
      count: number;
      pathsBytes: number;
    };
    if (header.version !== 1 || header.root !== root) return undefined;
    const n = header.count;
    let off = align8(12 + hlen);
    const numsBytes = n * NUMS_PER_ENTRY * 8;
    if (buf.length !== off + numsBytes + n * DIGEST_LEN + header.pathsBytes) return undefined;
    // Copy into an aligned Float64Array (the Buffer's own offset in its pool need not be aligned).
    const nums = new Float64Array(n * NUMS_PER_ENTRY);
    new Uint8Array(nums.buffer).set(buf.subarray(off, off + numsBytes));
    off += numsBytes;
    const digests = buf.toString("latin1", off, off + n * DIGEST_LEN);
    off += n * DIGEST_LEN;
    const paths = n === 0 ? [] : buf.toString("utf8", off, off + header.pathsBytes - 1).split("\0");
    if (paths.length !== n) return undefined;
    return { root, writtenAt: header.writtenAt, paths, nums, digests };
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
  const pathsBuf = Buffer.from(n === 0 ? "" : data.paths.join("\0") + "\0", "utf8");
  const header = Buffer.from(
    JSON.stringify({
      version: 1,
      root: data.root,
      writtenAt: data.writtenAt,
      count: n,
      pathsBytes: pathsBuf.length,
    }),
    "utf8",
  );
  const headStart = 12 + header.length;
  const numsStart = align8(headStart);
  const numsBytes = n * NUMS_PER_ENTRY * 8;
  const out = Buffer.alloc(numsStart + numsBytes + n * DIGEST_LEN + pathsBuf.length);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  Buffer.from(data.nums.buffer, data.nums.byteOffset, numsBytes).copy(out, numsStart);
  out.write(data.digests, numsStart + numsBytes, "latin1");
  pathsBuf.copy(out, numsStart + numsBytes + n * DIGEST_LEN);
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
