/**
 * Shell quoting and the validators every renderer uses before putting a value into bash text.
 * Everything that reaches a rendered program goes through `shellQuote` (values) or one of the
 * validators (names, ids, paths), so the program text never depends on a value being "nice".
 */
import { ConfigError } from "../model/configError";

/**
 * Quotes `value` for bash (and every POSIX shell) as one word: single quotes, with each `'`
 * written `'\''`. The result is inert: no expansion of `$`, backticks, `\`, `!` or globs.
 * NUL bytes cannot exist in a shell word or an environment variable, so they are rejected.
 */
export function shellQuote(value: string, what = "value"): string {
  assertShellSafeText(value, what);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A UTF-16 surrogate without its pair (such a string has no UTF-8 encoding). */
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws a ConfigError when `value` contains NUL or is not well-formed UTF-16 (lone surrogates). */
export function assertShellSafeText(value: string, what: string): void {
  if (value.includes("\0")) {
    throw new ConfigError(
      "contains a NUL byte, which a shell command or an environment variable cannot carry",
      {
        path: what,
      },
    );
  }
  if (LONE_SURROGATE.test(value)) {
    throw new ConfigError("contains a lone UTF-16 surrogate, which has no UTF-8 encoding", {
      path: what,
    });
  }
}

/** Names bash refuses to export or treats specially; a variable with one of them is an error. */
export const RESERVED_VARIABLE_NAMES: readonly string[] = [
  "BASHOPTS",
  "BASHPID",
  "BASH_ARGC",
  "BASH_ARGV",
  "BASH_LINENO",
  "BASH_SOURCE",
  "BASH_VERSINFO",
  "EUID",
  "FUNCNAME",
  "GROUPS",
  "PPID",
  "SHELLOPTS",
  "UID",
  "_",
];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `name` can be exported by bash (`[A-Za-z_][A-Za-z0-9_]*`, not reserved). */
export function isValidVariableName(name: string): boolean {
  return ENV_NAME.test(name) && !RESERVED_VARIABLE_NAMES.includes(name);
}

/** Throws a ConfigError naming `path` unless `name` is a valid, non-reserved variable name. */
export function assertVariableName(name: string, path: string): void {
  if (!ENV_NAME.test(name)) {
    throw new ConfigError(
      `${JSON.stringify(name)} is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)`,
      { path },
    );
  }
  if (RESERVED_VARIABLE_NAMES.includes(name)) {
    throw new ConfigError(`${name} is a bash special variable and cannot be set for a hook`, {
      path,
    });
  }
}

/**
 * Tokens that go into program text, file names, marker lines and history JSON unquoted-safe:
 * letters, digits and `. _ : = + @ -`, starting with a letter or digit. Restricting them is how
 * the history JSON stays valid without escaping in bash.
 */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:=+@-]*$/;

/** Throws a ConfigError unless `value` is a safe token (see TOKEN) of at most `max` characters. */
export function assertToken(value: string, path: string, max = 200): void {
  if (!TOKEN.test(value) || value.length > max || value.includes("..")) {
    throw new ConfigError(
      `${JSON.stringify(value)} must be 1-${max} characters of letters, digits and . _ : = + @ - (starting with a letter or digit, no "..")`,
      { path },
    );
  }
}

/** Like assertToken but allows the empty string and `/` (fingerprints such as `sha256:…`, base64). */
export function assertFingerprint(value: string, path: string): void {
  if (!/^[A-Za-z0-9._:=+@/-]*$/.test(value) || value.length > 400) {
    throw new ConfigError(
      `${JSON.stringify(value)} must be at most 400 characters of letters, digits and . _ : = + @ / -`,
      {
        path,
      },
    );
  }
}

/** Throws unless `n` is an integer in [min, max]. */
export function assertInteger(n: number, min: number, max: number, path: string): void {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`must be an integer between ${min} and ${max} (got ${String(n)})`, {
      path,
    });
  }
}
