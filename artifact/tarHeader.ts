/**
 * The header bytes of one tar entry, as the artifact writes them (layout in `tarball.ts`): shared by
 * the writer and by the verification of an existing tarball, so both agree byte for byte.
 */

/** Fixed mtime of every entry: 2000-01-01T00:00:00Z. */
export const ARTIFACT_MTIME = 946684800;
export const BLOCK = 512;
/** Largest size the 12-byte octal ustar field holds; larger sizes go in a pax `size` record. */
export const USTAR_MAX_SIZE = 0o77777777777;

export interface HeaderFields {
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

/**
 * Every byte written for one entry's header: a pax extended header (padded to whole blocks) when
 * the entry needs one, then the ustar header block.
 */
export function headerBytes(index: number, f: HeaderFields): Buffer {
  const records: string[] = [];
  const paxPath = needsPax(f.path);
  const paxLink = f.linkpath !== "" && needsPax(f.linkpath);
  if (paxPath) records.push(paxRecord("path", f.path));
  if (paxLink) records.push(paxRecord("linkpath", f.linkpath));
  if (f.size > USTAR_MAX_SIZE) records.push(paxRecord("size", String(f.size)));
  const ustar = ustarHeader({
    ...f,
    path: records.length > 0 ? asciiFallback(f.path) : f.path,
    linkpath: paxLink ? asciiFallback(f.linkpath) : f.linkpath,
    size: f.size > USTAR_MAX_SIZE ? 0 : f.size,
  });
  if (records.length === 0) return ustar;
  const body = Buffer.from(records.join(""), "utf8");
  const pax = ustarHeader({
    path: `PaxHeader/${index}`,
    mode: 0o644,
    size: body.length,
    type: "x",
    linkpath: "",
  });
  const padded = Buffer.alloc(Math.ceil(body.length / BLOCK) * BLOCK);
  body.copy(padded);
  return Buffer.concat([pax, padded, ustar]);
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

/**
 * The parent directories of `rel` (POSIX, `a/b/c` → `a/`, `a/b/`) not yet in `seen`, outermost
 * first; each is added to `seen`. The archive writes each directory once, before its first entry.
 */
export function newParentDirs(rel: string, seen: Set<string>): string[] {
  const out: string[] = [];
  for (let slash = rel.indexOf("/"); slash >= 0; slash = rel.indexOf("/", slash + 1)) {
    const dir = rel.slice(0, slash + 1);
    if (!seen.has(dir)) {
      seen.add(dir);
      out.push(dir);
    }
  }
  return out;
}

/** The header of a directory entry (mode 0755, as every directory of an artifact). */
export function dirHeader(index: number, dir: string): Buffer {
  return headerBytes(index, { path: dir, mode: 0o755, size: 0, type: "5", linkpath: "" });
}
