/**
 * The one error type for bad input anywhere in deployhooks (configuration files, component args,
 * CLI flags). It names the file, the line (when there is one) and the field path, so the CLI can
 * print it and exit 2 without a stack trace, and components can rethrow it as a ResourceError.
 */
export class ConfigError extends Error {
  /** The configuration file the problem is in, when the input came from a file. */
  readonly file?: string;
  /** 1-based line in `file`, when known. */
  readonly line?: number;
  /** Field path such as `applications.app.hooks.build` or `hosts[1].connection.host`. */
  readonly path?: string;
  /** The problem itself, without location. */
  readonly detail: string;

  constructor(detail: string, where: { file?: string; line?: number; path?: string } = {}) {
    super(ConfigError.format(detail, where));
    this.name = "ConfigError";
    this.detail = detail;
    this.file = where.file;
    this.line = where.line;
    this.path = where.path;
  }

  /** `file:line: path: detail`, leaving out the parts that are unknown. */
  static format(detail: string, where: { file?: string; line?: number; path?: string }): string {
    const loc = where.file ? (where.line ? `${where.file}:${where.line}` : where.file) : undefined;
    return [loc, where.path, detail].filter((p) => p !== undefined && p !== "").join(": ");
  }
}

/** True for a ConfigError (also across module copies, by name). */
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (e instanceof Error && e.name === "ConfigError");
}
