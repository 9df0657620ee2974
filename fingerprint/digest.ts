/**
 * Canonical digests of plain data. Everything the diff engine compares is reduced to a
 * `sha256:<64 hex>` string through these functions, so two values that mean the same thing (same
 * keys in another order, `undefined` members) always give the same digest, and any other change
 * gives another one.
 */
import { createHash, scryptSync } from "node:crypto";

/** `sha256:<64 hex>` of a UTF-8 string or of raw bytes. */
export function sha256(data: string | Buffer): string {
  return "sha256:" + createHash("sha256").update(data).digest("hex");
}

/**
 * Canonical JSON: object keys sorted by code point (not by locale and not by UTF-16 unit), arrays in
 * order, `undefined` object members dropped (like `JSON.stringify`), no whitespace, numbers and
 * strings written as `JSON.stringify` writes them. Only plain data is accepted: `null`, booleans,
 * finite numbers, strings, arrays and plain objects (prototype `Object.prototype` or `null`).
 * Anything else — functions, symbols, BigInt, `undefined` at the top or inside an array, NaN and
 * ±Infinity, Dates, Maps, class instances, cycles — throws a TypeError instead of being silently
 * turned into something that would hide a change.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, "$", new Set());
  return out.join("");
}

function write(value: unknown, out: string[], path: string, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`canonicalJson: ${path} is not a finite number (${value})`);
      }
      out.push(JSON.stringify(value));
      return;
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, not plain data`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (seen.has(value)) throw new TypeError(`canonicalJson: ${path} is a cycle`);
  seen.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      const item: unknown = value[i];
      if (item === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
      write(item, out, `${path}[${i}]`, seen);
    }
    out.push("]");
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw new TypeError(`canonicalJson: ${path} is a ${name}, not a plain object`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new TypeError(`canonicalJson: ${path} has symbol keys`);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort(compareCodePoints);
    out.push("{");
    keys.forEach((k, i) => {
      if (i > 0) out.push(",");
      out.push(JSON.stringify(k), ":");
      write(record[k], out, `${path}.${k}`, seen);
    });
    out.push("}");
  }
  seen.delete(value);
}

/**
 * Orders strings by Unicode code point. JavaScript's default sort compares UTF-16 code units, which
 * puts astral characters (surrogate pairs, U+D800…) before U+E000…U+FFFF; code-point order is what
 * every other language's byte-wise UTF-8 sort gives, so digests can be recomputed elsewhere.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only when one side is a surrogate can code-unit order differ from code-point order.
    if (x >= 0xd800 && y >= 0xd800) {
      const cx = a.codePointAt(i) as number;
      const cy = b.codePointAt(i) as number;
      return cx < cy ? -1 : cx > cy ? 1 : 0;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** `sha256(canonicalJson(value))`: the digest of a configuration value. */
export function digestValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

/**
 * Digest of a secret, for triggers and snapshots: `kdf:<64 hex>` from scrypt (N=2^14, r=8, p=1,
 * 32 bytes) with the salt `deployhooks:<scope>`.
 *
 * Why a slow KDF and not sha256: triggers are stored in plain text in the Pulumi state and shown by
 * `pulumi preview --diff`, which many more people (and CI logs) see than the secret store. A fast
 * hash of a weak secret (a short password, a 6-digit PIN, a dictionary word) can be brute-forced
 * from such a digest in seconds; scrypt makes each guess cost ~50 ms and ~16 MiB of memory. The
 * scope (e.g. `<app>/<variable name>`) salts it, so the same secret in two places gives two digests
 * and precomputed tables do not apply. The digest still changes whenever the secret changes, which
 * is all the diff engine needs.
 */
export function secretDigest(scope: string, value: string): string {
  const key = scryptSync(value, "deployhooks:" + scope, 32, { N: 2 ** 14, r: 8, p: 1 });
  return "kdf:" + key.toString("hex");
}
