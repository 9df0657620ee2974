/**
 * Watch-scoped code fingerprints: a hook with `watch: ["migrations/**"]` reruns on `code` only when
 * a matching entry changed.
 *
 * Glob semantics: picomatch with `dot: true`, matched against the POSIX path of each entry relative
 * to the app's source root (the keys of `TreeFingerprint.files`), never against absolute paths.
 * `migrations/**` = everything under `migrations/` at the root; `**\/*.sql` = every `.sql` file at
 * any depth; `*.php` = only root-level PHP files (`*` never crosses `/`); dot files match like any
 * other. A leading `./` is removed. Only files and links are entries, so a pattern must reach them
 * (`migrations` alone matches nothing: use `migrations/**`).
 *
 * The digest is sha256 over the sorted lines `<path>\0<digest>\n` of the matching entries, so it
 * changes when a matching entry is added, removed, renamed, edited or chmod'ed, and only then.
 * An empty match set has a stable digest of its own (sha256 of nothing).
 */
import picomatch from "picomatch";
import { compareCodePoints, sha256 } from "./digest";

/** The matcher of a hook's `watch` globs (semantics above); the plan names changed files with it. */
export function watchMatcher(globs: readonly string[]): (path: string) => boolean {
  return picomatch(
    globs.map((g) => (g.startsWith("./") ? g.slice(2) : g)),
    { dot: true },
  );
}

/** Digest of the entries of `files` that `globs` match (the module documentation above). */
export function scopedFingerprint(files: Record<string, string>, globs: readonly string[]): string {
  if (globs.length === 0) {
    throw new TypeError(
      "scopedFingerprint: globs must not be empty (use the whole-tree fingerprint)",
    );
  }
  const isMatch = watchMatcher(globs);
  const keys = Object.keys(files).filter((p) => isMatch(p));
  keys.sort(compareCodePoints);
  let text = "";
  for (const k of keys) text += `${k}\0${files[k]}\n`;
  return sha256(text);
}
