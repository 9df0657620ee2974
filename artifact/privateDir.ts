/**
 * The deploying user's private local directory for artifacts and stat caches.
 *
 * A tarball in this directory is shipped to the hosts and unpacked there as the code that runs, and
 * a stat cache there decides which files are read again; so nobody but the deploying user may be
 * able to create, replace or rename anything in it. A directory is accepted only when:
 * - it is a real directory (`lstat`: a symbolic link is refused, even to a good directory);
 * - it is owned by the current user, and neither group- nor world-writable;
 * - every parent directory (after resolving symbolic links) is owned by the current user or root
 *   and is not group/world-writable unless it is sticky (`/tmp`), so nobody else can rename it away
 *   and put another one in its place.
 * Directories it creates get mode 0700.
 *
 * The default directory (`defaultArtifactDir()`) is `$XDG_CACHE_HOME/deployhooks/artifacts`
 * (`~/.cache/deployhooks/artifacts` when `XDG_CACHE_HOME` is unset or relative). When it cannot be
 * used (no writable home, owned by someone else...), `<tmpdir>/deployhooks-<uid>/artifacts` is
 * tried, then a fresh `mkdtemp` directory (a new path each run, so local-host steps that name the
 * tarball then rerun; a warning says why). An explicit `artifactDir` is never replaced: an unsafe
 * one is an error naming the directory and the reason.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Default directory of release tarballs and stat caches (see the module documentation). */
export function defaultArtifactDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
  return path.join(base, "deployhooks", "artifacts");
}

/** Current uid, or undefined where the platform has none (then no ownership check is possible). */
function currentUid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/**
 * Why `dir` (which must exist) is not a private directory of the current user, or undefined when
 * it is. `tighten`: a directory the user owns but that is group/world-accessible is chmod-ed to
 * 0700 instead of being refused.
 */
export function privateDirProblem(dir: string, tighten = false): string | undefined {
  const uid = currentUid();
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    return `cannot be examined (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (st.isSymbolicLink()) return "is a symbolic link";
  if (!st.isDirectory()) return "is not a directory";
  if (uid === undefined) return undefined;
  if (st.uid !== uid) return `is owned by uid ${st.uid}, not by the deploying user (uid ${uid})`;
  if (st.mode & 0o022) {
    if (!tighten) {
      return `is writable by its group or by others (mode ${(st.mode & 0o7777).toString(8)})`;
    }
    fs.chmodSync(dir, 0o700);
  } else if (tighten && st.mode & 0o077) {
    fs.chmodSync(dir, 0o700);
  }
  return parentProblem(dir, uid);
}

/** A parent that someone else owns or may write (without the sticky bit) makes `dir` replaceable. */
function parentProblem(dir: string, uid: number): string | undefined {
  let p: string;
  try {
    p = fs.realpathSync(path.dirname(path.resolve(dir)));
  } catch (e) {
    return `has a parent that cannot be resolved (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  for (;;) {
    const st = fs.statSync(p);
    if (st.uid !== uid && st.uid !== 0) {
      return `is inside ${p}, owned by uid ${st.uid} (neither the deploying user nor root)`;
    }
    if (st.mode & 0o022 && !(st.mode & 0o1000)) {
      return `is inside ${p}, writable by others without the sticky bit (mode ${(st.mode & 0o7777).toString(8)})`;
    }
    const up = path.dirname(p);
    if (up === p) return undefined;
    p = up;
  }
}

/** Creates `dir` (missing components with mode 0700) and checks it; the problem, if any. */
function ensure(dir: string, tighten: boolean): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EEXIST: something that is not a directory is in the way (privateDirProblem says what).
    if (code !== "EEXIST") return `cannot be created (${code ?? String(e)})`;
  }
  return privateDirProblem(dir, tighten);
}

/**
 * Makes `dir` usable as the private artifact directory and returns the directory to use: `dir`
 * itself, or, when `dir` is the default directory and cannot be used, a fallback (module
 * documentation). Throws when an explicit directory is unsafe.
 */
export function resolveArtifactDir(
  dir: string,
  warn: (message: string) => void = () => {},
): string {
  const abs = path.resolve(dir);
  if (abs !== path.resolve(defaultArtifactDir())) {
    const problem = ensure(abs, false);
    if (problem) {
      throw new Error(
        `deployhooks: artifactDir ${abs} ${problem}; use a directory only you can write`,
      );
    }
    return abs;
  }
  const problems: string[] = [];
  const uidPart = currentUid() ?? os.userInfo().username;
  for (const candidate of [abs, path.join(os.tmpdir(), `deployhooks-${uidPart}`, "artifacts")]) {
    const problem = ensure(candidate, true);
    if (!problem) return candidate;
    problems.push(`${candidate} ${problem}`);
  }
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), "deployhooks-artifacts-"));
  fs.chmodSync(fresh, 0o700);
  warn(
    `deployhooks: using the fresh private directory ${fresh} for artifacts: ${problems.join("; ")}`,
  );
  return fresh;
}
