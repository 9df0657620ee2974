/**
 * The `source` option checked at construction: a missing, non-directory or unreadable source is one
 * ConfigError naming the option and the resolved path, instead of an ENOENT from the fingerprint
 * walk deep inside the engine's serialization of a step's inputs.
 */
import * as fs from "node:fs";
import { ConfigError } from "../model/configError";

/** Throws a ConfigError (path `source`) unless `resolved` is a directory this process can read. */
export function assertSourceDirectory(resolved: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const detail = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`;
    throw new ConfigError(`directory ${resolved} ${detail}`, { path: "source" });
  }
  if (!stat.isDirectory()) {
    throw new ConfigError(`${resolved} is not a directory`, { path: "source" });
  }
  try {
    fs.accessSync(resolved, fs.constants.R_OK | fs.constants.X_OK);
    fs.readdirSync(resolved);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError(`directory ${resolved} cannot be read (${code})`, { path: "source" });
  }
}
