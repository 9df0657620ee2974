/**
 * Text every app carries must be deliverable to a host: no NUL (no shell word or environment
 * variable can hold it), no lone UTF-16 surrogate (no UTF-8 encoding; JSON and YAML escapes such
 * as `"\ud800"` can produce one), and a non-secret variable small enough to be inlined into a
 * step's command line. Checked once when an app is validated, so the error names the variable or
 * hook and its file:line instead of surfacing later as a failed step.
 */
import { ConfigError } from "./configError";
import { formatPath, PathSegment } from "./fieldPath";

/**
 * Largest non-secret variable value, in UTF-8 bytes. Non-secret values are inlined into the
 * step's command text, and Linux limits one argument to 128 KiB (the rendered step must stay under
 * 120,000 bytes in total); secrets travel on stdin and have no such limit.
 */
export const MAX_VARIABLE_BYTES = 64 * 1024;

/**
 * Most variables of one app. Real apps have tens to a few hundred; a million-line env file (10 MiB
 * of `Vn=1`) would otherwise take minutes and gigabytes to plan.
 */
export const MAX_VARIABLES = 10_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a text cannot be delivered, or undefined when it can. */
export function textProblem(value: string): string | undefined {
  if (value.includes("\0")) {
    return "contains a NUL character, which a shell command or an environment variable cannot carry";
  }
  if (LONE_SURROGATE.test(value)) {
    return "contains a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which has no UTF-8 encoding";
  }
  return undefined;
}

interface Where {
  file?: string;
  line?: number;
}

interface Located {
  name: string;
  value?: string;
  script?: string;
  secret?: boolean;
  origin?: { file?: string; line?: number; key?: string };
}

function fail(detail: string, where: Where, path: string): never {
  throw new ConfigError(detail, { file: where.file, line: where.line, path });
}

function checkTree(value: unknown, path: PathSegment[], where: Where, depth: number): void {
  if (typeof value === "string") {
    const p = textProblem(value);
    if (p) fail(p, where, formatPath(path));
    return;
  }
  if (value === null || typeof value !== "object" || depth > 200) return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = textProblem(k);
    if (p) fail(`key ${p}`, where, formatPath(path));
    checkTree(v, [...path, Array.isArray(value) ? Number(k) : k], where, depth + 1);
  }
}

/** Throws a ConfigError naming the hook, variable or key whose text cannot be delivered. */
export function checkAppText(app: {
  name: string;
  hooks: readonly Located[];
  variables: readonly Located[];
  config: Record<string, unknown>;
  origin?: Where;
}): void {
  const appWhere = { file: app.origin?.file, line: app.origin?.line };
  for (const h of app.hooks) {
    const p = textProblem(h.script ?? "");
    const where = { file: h.origin?.file ?? appWhere.file, line: h.origin?.line };
    if (p) fail(`the script of hook ${h.name} ${p}`, where, h.origin?.key ?? `hooks.${h.name}`);
  }
  for (const v of app.variables) {
    const where = { file: v.origin?.file ?? appWhere.file, line: v.origin?.line };
    const key = v.origin?.key ?? v.name;
    const p = textProblem(v.value ?? "");
    if (p) fail(`variable ${v.name} ${p}`, where, key);
    const bytes = Buffer.byteLength(v.value ?? "", "utf8");
    if (!v.secret && bytes > MAX_VARIABLE_BYTES) {
      fail(
        `variable ${v.name} is ${bytes} bytes, above the limit of ${MAX_VARIABLE_BYTES} bytes for a non-secret value (it is inlined into the step's command line; make it a secret, which travels on stdin, or keep it in a file of the repository)`,
        where,
        key,
      );
    }
  }
  checkTree(app.config, [], appWhere, 0);
}
