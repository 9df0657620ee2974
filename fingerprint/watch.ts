/**
 * Watch-scoped code fingerprints: a hook with `watch` globs depends only on the files that match
 * them, so e.g. a migrations hook reruns only when `migrations/**` changed.
 *
 * Globs are picomatch globs relative to the app's source root, matched against POSIX relative
 * paths, dot files included (`dot: true`). Several globs are a union.
 */
import picomatch from "picomatch";
import { digestValue } from "./digest";

/** Digest of the entries of `files` whose path matches one of `globs` (not empty). */
export function scopedFingerprint(files: Record<string, string>, globs: readonly string[]): string {
  if (globs.length === 0) throw new TypeError("scopedFingerprint needs at least one glob; use the whole-tree fingerprint");
  const match = picomatch([...globs], { dot: true });
  const selected: Record<string, string> = {};
  for (const [path, digest] of Object.entries(files)) if (match(path)) selected[path] = digest;
  return digestValue({ globs: [...globs], files: selected });
}
