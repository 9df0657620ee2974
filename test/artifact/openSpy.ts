/** Which files a piece of code opens: a spy on `fs.openSync` (the module object every import sees). */
import type * as fs from "node:fs";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, to spy on openSync
import nodeFs = require("node:fs");
import * as path from "node:path";

/**
 * Runs `f` and returns its value with the paths `fs.openSync` opened meanwhile, sorted; with
 * `under`, only those below that directory, relative to it.
 */
export async function openedDuring<T>(
  f: () => T | Promise<T>,
  under?: string,
): Promise<{ value: T; opened: string[] }> {
  const opened: string[] = [];
  const real = nodeFs.openSync;
  (nodeFs as { openSync: unknown }).openSync = (p: fs.PathLike, ...rest: unknown[]) => {
    const file = String(p);
    if (under === undefined) opened.push(file);
    else if (file.startsWith(under + "/")) opened.push(path.relative(under, file));
    return (real as (...a: unknown[]) => number)(p, ...rest);
  };
  try {
    return { value: await f(), opened: opened.sort() };
  } finally {
    (nodeFs as { openSync: unknown }).openSync = real;
  }
}
