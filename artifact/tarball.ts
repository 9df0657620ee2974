/**
 * The upload artifact: ONE deterministic, uncompressed POSIX tar per code fingerprint.
 *
 * Layout (stable: the same tree always gives the same bytes, whatever the file creation order,
 * mtimes, owner or umask on the machine that builds it):
 * - Entries in code-point order of their paths; a directory entry (`dir/`, mode 0755) is written
 *   right before the first entry below it, so every parent directory is in the archive and gets a
 *   fixed mode on extraction. Only the entries of `tree.files` are written (ignored files, VCS and
 *   platform configuration never are).
 * - Files: mode 0755 when the fingerprint says executable (`x`), else 0644. Symlinks: type `2`,
 *   the link target as read now (mode 0777, as tar stores links).
 * - mtime 946684800 (2000-01-01T00:00:00Z) everywhere, uid/gid 0, uname/gname empty, devmajor/minor 0.
 * - ustar headers; a pax extended header (`x`, record `path=` / `linkpath=` / `size=`) precedes an
 *   entry whose path or target is longer than 100 bytes or not ASCII, or whose size exceeds the
 *   ustar limit. The pax header's own name is `PaxHeader` + entry index, so it is deterministic too.
 * - Ends with two zero blocks, padded to a multiple of 10240 bytes (the default tar record size).
 *
 * Why written by hand and not with the `tar` package: the output must be byte-exact across machines
 * and versions (the `tar` package adds pax ctime/atime records and takes uid/mode from disk unless
 * each is overridden), and this writer reads every file with `readSync` straight into its output
 * buffer, hashing as it goes, with no stream per file: 200 MB / 20,000 files take ~0.3 s.
 *
 * Why no compression: measured on the benchmark tree (20,000 files, 200 MiB, half of it already
 * incompressible), `tar -cf - | gzip -1` takes 5.9 s and gives 124 MiB, plain tar takes 0.21 s and
 * gives 215 MiB. Over SSH (loopback or LAN) sending the extra 90 MiB costs far less than 5.7 s of
 * compression, and `tar -xf` on the host then needs no decompressor. Revisit for slow WAN links.
 *
 * No fsync: a torn file after a crash cannot be mistaken for a good one, because reuse requires the
 * sidecar `.sha256` (written after the rename) to match the bytes.
 *
 * Consistency: each file's content is hashed while it is copied and compared with `tree.files`; a
 * file changed since it was fingerprinted makes `buildArtifact` throw instead of producing an
 * archive whose name lies about its content.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TreeFingerprint } from "../fingerprint/tree";
import { compareCodePoints } from "../fingerprint/digest";

export interface Artifact {
  /** Absolute path of the tarball: `<outDir>/code-<fingerprint hex>.tar`. */
  path: string;
  /** `sha256:<hex>` of the tarball bytes. */
  sha256: string;
  /** Size of the tarball in bytes. */
  bytes: number;
  /** Number of file and link entries (directories not counted). */
  files: number;
  /** True when an existing tarball was verified and reused. */
  reused: boolean;
}

/** Fixed mtime of every entry: 2000-01-01T00:00:00Z. */
export const ARTIFACT_MTIME = 946684800;

const BLOCK = 512;
const BUF_SIZE = 4 << 20;
const USTAR_MAX_SIZE = 0o77777777777;

/** File name of the artifact of a code fingerprint (`sha256:<hex>` → `code-<hex>.tar`). */
export function artifactFileName(fingerprint: string): string {
  const hex = fingerprint.startsWith("sha256:") ? fingerprint.slice(7) : fingerprint;
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new TypeError(`artifactFileName: not a sha256 fingerprint: ${fingerprint}`);
  }
  return `code-${hex}.tar`;
}

/**
 * Builds (or reuses) the tarball of `tree` read from `root` into `outDir`. An existing tarball is
 * reused when its sha256 matches the sidecar `<name>.sha256` written with it; otherwise it is
 * rebuilt. Written atomically (temporary file in `outDir`, then rename).
 */
export async function buildArtifact(
  root: string,
  tree: TreeFingerprint,
  outDir: string,
): Promise<Artifact> {
  const absRoot = path.resolve(root);
  const name = artifactFileName(tree.fingerprint);
  fs.mkdirSync(outDir, { recursive: true });
  const target = path.resolve(outDir, name);
  const sidecar = target + ".sha256";
  const paths = Object.keys(tree.files).sort(compareCodePoints);

  if (fs.existsSync(target) && fs.existsSync(sidecar)) {
    const expected = fs.readFileSync(sidecar, "utf8").trim();
    const actual = hashFile(target);
    if (actual === expected) {
      return {
        path: target,
        sha256: actual,
        bytes: fs.statSync(target).size,
        files: paths.length,
        reused: true,
      };
    }
  }

  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, "w");
  const out = new Writer(fd);
  try {
    const dirs = new Set<string>();
    let index = 0;
    for (const rel of paths) {
      // Parent directories, outermost first, each once.
      let slash = rel.indexOf("/");
      while (slash >= 0) {
        const dir = rel.slice(0, slash + 1);
        if (!dirs.has(dir)) {
          dirs.add(dir);
          writeHeader(out, index++, { path: dir, mode: 0o755, size: 0, type: "5", linkpath: "" });
        }
        slash = rel.indexOf("/", slash + 1);
      }
      const mode = tree.modes?.[rel] ?? "-";
      const abs = absRoot + "/" + rel;
      const expected = tree.files[rel];
      if (mode === "l") {
        const target = fs.readlinkSync(abs, { encoding: "buffer" });
        const d = createHash("sha256").update("l\0").update(target);
        checkDigest(rel, expected, d);
        writeHeader(out, index++, {
          path: rel,
          mode: 0o777,
          size: 0,
          type: "2",
          linkpath: target.toString("utf8"),
        });
        continue;
      }
      const src = fs.openSync(abs, "r");
      try {
        const size = fs.fstatSync(src).size;
        writeHeader(out, index++, {
          path: rel,
          mode: mode === "x" ? 0o755 : 0o644,
          size,
          type: "0",
          linkpath: "",
        });
        const h = createHash("sha256").update(mode + "\0");
        let left = size;
        while (left > 0) {
          const room = out.reserve(Math.min(left, BUF_SIZE));
          const got = fs.readSync(src, out.buf, out.pos, room, null);
          if (got === 0) throw new Error(`buildArtifact: ${rel} shrank while being archived`);
          h.update(out.buf.subarray(out.pos, out.pos + got));
          out.pos += got;
          left -= got;
        }
        checkDigest(rel, expected, h);
        out.pad();
      } finally {
        fs.closeSync(src);
      }
    }
    // End of archive: two zero blocks, then up to the 10240-byte record size.
    out.zeros(2 * BLOCK);
    const rem = (out.total + out.pos) % 10240;
    if (rem) out.zeros(10240 - rem);
    out.flush();
    fs.closeSync(fd);
    const sha = "sha256:" + out.hash.digest("hex");
    fs.renameSync(tmp, target);
    fs.writeFileSync(sidecar, sha + "\n");
    return { path: target, sha256: sha, bytes: out.total, files: paths.length, reused: false };
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
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

function hashFile(file: string): string {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  try {
    for (;;) {
      const got = fs.readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      h.update(buf.subarray(0, got));
    }
  } finally {
    fs.closeSync(fd);
  }
  return "sha256:" + h.digest("hex");
}

/** Buffered writer that also hashes everything it writes. */
class Writer {
  readonly buf = Buffer.allocUnsafe(BUF_SIZE);
  pos = 0;
  total = 0;
  readonly hash = createHash("sha256");
  constructor(private readonly fd: number) {}

  /** Makes room for up to `n` bytes at `pos`; returns how many fit (≥ 1). */
  reserve(n: number): number {
    if (this.pos >= this.buf.length) this.flush();
    return Math.min(n, this.buf.length - this.pos);
  }

  flush(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.hash.update(chunk);
    let off = 0;
    while (off < chunk.length) off += fs.writeSync(this.fd, chunk, off, chunk.length - off);
    this.total += this.pos;
    this.pos = 0;
  }

  write(data: Buffer): void {
    let off = 0;
    while (off < data.length) {
      const n = this.reserve(data.length - off);
      data.copy(this.buf, this.pos, off, off + n);
      this.pos += n;
      off += n;
    }
  }

  zeros(n: number): void {
    while (n > 0) {
      const k = this.reserve(n);
      this.buf.fill(0, this.pos, this.pos + k);
      this.pos += k;
      n -= k;
    }
  }

  /** Pads the current entry's data to a whole block. */
  pad(): void {
    const rem = (this.total + this.pos) % BLOCK;
    if (rem) this.zeros(BLOCK - rem);
  }
}

interface HeaderFields {
  path: string;
  mode: number;
  size: number;
  type: "0" | "2" | "5" | "x";
  linkpath: string;
}

const ASCII = /^[\x20-\x7e]*$/;

/** A name or link target the 100-byte ustar field cannot hold exactly. */
function needsPax(text: string): boolean {
  return Buffer.byteLength(text) > 100 || !ASCII.test(text);
}

function writeHeader(out: Writer, index: number, f: HeaderFields): void {
  const records: string[] = [];
  const paxPath = needsPax(f.path);
  const paxLink = f.linkpath !== "" && needsPax(f.linkpath);
  if (paxPath) records.push(paxRecord("path", f.path));
  if (paxLink) records.push(paxRecord("linkpath", f.linkpath));
  if (f.size > USTAR_MAX_SIZE) records.push(paxRecord("size", String(f.size)));
  if (records.length > 0) {
    const body = Buffer.from(records.join(""), "utf8");
    out.write(
      ustarHeader({
        path: `PaxHeader/${index}`,
        mode: 0o644,
        size: body.length,
        type: "x",
        linkpath: "",
      }),
    );
    out.write(body);
    out.pad();
  }
  out.write(
    ustarHeader({
      ...f,
      path: records.length > 0 ? asciiFallback(f.path) : f.path,
      linkpath: paxLink ? asciiFallback(f.linkpath) : f.linkpath,
      size: f.size > USTAR_MAX_SIZE ? 0 : f.size,
    }),
  );
}

/** `"<len> key=value\n"` where len counts the whole record in bytes, itself included. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restLen = Buffer.byteLength(rest);
  let len = restLen + 1;
  while (String(len).length + restLen !== len) len = String(len).length + restLen;
  return `${len}${rest}`;
}

/** Readable ASCII stand-in for the ustar name field when a pax record carries the real one. */
function asciiFallback(p: string): string {
  const ascii = p.replace(/[^\x20-\x7e]/g, "_");
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function ustarHeader(f: HeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(f.path, 0, 100, "utf8");
  h.write(octal(f.mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(f.size, 12), 124, "ascii");
  h.write(octal(ARTIFACT_MTIME, 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // checksum placeholder
  h.write(f.type, 156, "ascii");
  h.write(f.linkpath, 157, 100, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  // uname (265) and gname (297) stay empty.
  h.write(octal(0, 8), 329, "ascii"); // devmajor
  h.write(octal(0, 8), 337, "ascii"); // devminor
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}
