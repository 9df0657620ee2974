/**
 * Configuration bytes → text, with the limits every loader applies before parsing:
 *
 * | limit | value | why |
 * |---|---|---|
 * | file size | `MAX_CONFIG_BYTES` (2 MiB) | the largest real configuration is a few KiB; a huge file must not exhaust memory or take minutes to parse (checked from `stat`, before reading) |
 * | encoding | UTF-8, a leading BOM (U+FEFF) is dropped | editors on Windows write BOMs; invalid UTF-8 (and UTF-8-encoded surrogates) would silently become U+FFFD |
 * | NUL | rejected | no shell word or environment variable can carry it |
 * | nesting | `MAX_NESTING` (100 levels) | deeper structures crash parsers and recursive walks; no configuration nests beyond ~10 |
 *
 * Every rejection is a ConfigError naming the file, the line and the limit.
 */
import * as fs from "fs";
import { ConfigError } from "../model/configError";

/** Largest configuration (or included) file read, in bytes. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

/** Deepest nesting of mappings/lists (JSON objects/arrays) accepted. */
export const MAX_NESTING = 100;

/** Deepest indentation (in columns) of a YAML line accepted before parsing. */
export const MAX_INDENT_COLUMNS = 1000;

const BOM = "\uFEFF";

/** 1-based line of byte `offset` in `bytes`. */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/**
 * Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates U+D800–U+DFFF, nothing above U+10FFFF), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f; // U+D800..U+DFFF (surrogates) are not characters
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < len; k++) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}

/** Checks the bytes of a configuration file and returns its text (BOM dropped). */
export function decodeConfigText(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(bytes.length, file);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    throw new ConfigError(
      `invalid UTF-8 at byte ${bad} (0x${bytes[bad].toString(16).padStart(2, "0")}); configuration files must be UTF-8 text`,
      { file, line: lineOfByte(bytes, bad) },
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new ConfigError(
      "contains a NUL byte (a binary file?); configuration files must be text",
      { file, line: lineOfByte(bytes, nul) },
    );
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
  return text.startsWith(BOM) ? text.slice(1) : text;
}

function tooLarge(bytes: number, file: string): ConfigError {
  return new ConfigError(
    `file is ${bytes} bytes, above the limit of ${MAX_CONFIG_BYTES} bytes (${MAX_CONFIG_BYTES / 1024 / 1024} MiB) for a configuration file`,
    { file },
  );
}

/** What a path is, for "not a regular file" messages. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Reads a configuration file from disk: `undefined` when it does not exist; a ConfigError naming
 * the real cause when it is not a regular file, too large, unreadable or not UTF-8 text.
 */
export function readConfigFile(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ConfigError(`cannot read: ${(e as Error).message}`, { file });
  }
  if (!st.isFile()) {
    throw new ConfigError(`is ${kindOf(st)}, not a regular file`, { file });
  }
  if (st.size > MAX_CONFIG_BYTES) throw tooLarge(st.size, file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(`cannot read: ${(e as Error).message}`, { file });
  }
  return decodeConfigText(bytes, file);
}

/** 1-based line of `offset` in `text`. */
function lineOfOffset(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function tooDeep(file: string, line: number): ConfigError {
  return new ConfigError(`nesting deeper than ${MAX_NESTING} levels (the limit)`, {
    file,
    line,
  });
}

/** Rejects JSON text nesting objects/arrays deeper than MAX_NESTING (strings skipped exactly). */
export function checkJsonNesting(text: string, file: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth > MAX_NESTING) throw tooDeep(file, lineOfOffset(text, i));
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
}

/**
 * A conservative guard run on YAML text before the parser sees it (the `yaml` package exhausts
 * memory on 100,000 nested compact lists): flow brackets and compact `- ` markers deeper than
 * MAX_NESTING, or indentation beyond MAX_INDENT_COLUMNS, are refused. It may over-count brackets
 * inside plain text, which is harmless with a limit this far above any real configuration.
 */
export function checkYamlNesting(text: string, file: string): void {
  let flow = 0;
  let line = 1;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let indent = 0;
    while (start + indent < end && text.charCodeAt(start + indent) === 32) indent++;
    if (indent > MAX_INDENT_COLUMNS && start + indent < end) {
      throw new ConfigError(
        `indentation deeper than ${MAX_INDENT_COLUMNS} columns (the limit for nesting)`,
        { file, line },
      );
    }
    const body = text.slice(start + indent, end);
    const compact = /^(?:[-?:][ \t]+)*/.exec(body)![0].replace(/[ \t]/g, "").length;
    if (compact > MAX_NESTING) throw tooDeep(file, line);
    for (let i = 0; i < body.length; i++) {
      const c = body.charCodeAt(i);
      if (c === 0x5b || c === 0x7b) {
        flow++;
        if (flow > MAX_NESTING) throw tooDeep(file, line);
      } else if (c === 0x5d || c === 0x7d) flow = Math.max(0, flow - 1);
    }
    line++;
    start = end + 1;
  }
}

/** The ConfigError for a structure found too deep while walking it. */
export function nestingError(file: string | undefined, line?: number): ConfigError {
  return new ConfigError(`nesting deeper than ${MAX_NESTING} levels (the limit)`, { file, line });
}
