/**
 * The `code` fingerprint of an application source tree (SPEC §3: files, modes, paths; ignored files
 * and the platform configuration files left out).
 *
 * Definition (stable: changing it reruns every code hook of every user):
 * - Entries are regular files and symbolic links. A symlink is recorded as itself (mode `l`, its
 *   target text) and never followed, so a link pointing outside the tree cannot pull foreign files
 *   into the fingerprint and a dangling link is fine. Sockets, FIFOs and devices are skipped;
 *   directories appear only through the paths of their entries (an empty directory is not part of
 *   the fingerprint, as in git).
 * - Paths are POSIX, relative to `root`, sorted by Unicode code point.
 * - Mode is `x` when the owner-executable bit (0o100) is set (git's rule), else `-`; `l` for links.
 * - The digest of an entry (`files[path]`) is `sha256:` + sha256(`<mode>\0<content>`) — content for
 *   files, link target for links — so it changes with the content and with the executable bit.
 * - `fingerprint` = `sha256:` + sha256 over the lines `<path>\0<mode>\0<digest>\n` in path order.
 *
 * Left out: anything matched by `.gitignore` or `.deployhooksignore` files at any level (git
 * semantics: patterns relative to the directory holding the file, deeper files take precedence,
 * `!negation`, a directory that is ignored is not entered, so nothing below it can be re-included;
 * `.deployhooksignore` patterns come after `.gitignore` ones of the same directory). Matching is
 * case-sensitive (git's default on Linux). Global excludes (`core.excludesFile`,
 * `.git/info/exclude`) are not read: the fingerprint must not depend on the machine. Always left
 * out, whatever the ignore files say: VCS folders (`.git`, `.hg`, `.svn`, at any level),
 * `.platform.app.yaml` at any level, `.platform/` and `.upsun/` at the root, `clevercloud/*.json`
 * at the root (the platform configuration, classified key by key as `build`/`runtime`), and the
 * stat cache file itself when it lies inside the tree. Extra globs: `options.exclude`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";
import { createHash } from "node:crypto";
import { compareCodePoints } from "./digest";
import { rawLstat, type RawStat } from "./fastLstat";
import { hashFiles, type EntryMode, type HashJob } from "./hashFiles";
import { StreamHasher, type StreamHashResult } from "./streamHash";
import { lstatEntries } from "./parallelLstat";
import {
  digestAt,
  isRacy,
  loadStatCache,
  NUMS_PER_ENTRY,
  listingAt,
  listingDigest,
  saveStatCache,
  type StatCacheData,
  type StatList,
} from "./statCache";

export type { EntryMode } from "./hashFiles";

export interface FingerprintTreeOptions {
  /**
   * Stat cache file (created if missing, rewritten atomically when anything changed). Entries whose
   * lstat (size, mtime, ctime, inode, st_mode) matches and whose mtime is not within 2 s of the
   * previous scan are not read again. Format: see `statCache.ts`.
   */
  cacheFile?: string;
  /**
   * Extra globs (picomatch, `dot: true`) matched against the relative POSIX path of every file,
   * link and directory; a matching directory is not entered. `node_modules` prunes only the root
   * one, `**\/node_modules` every one; `**\/*.log` every log file.
   */
  exclude?: string[];
  /** Threads used to hash (default: `os.availableParallelism()`). */
  threads?: number;
}

export interface TreeFingerprint {
  /** `sha256:<hex>` of the whole tree (definition above). */
  fingerprint: string;
  /** Relative POSIX path → entry digest `sha256:<hex>` (covers content and executable bit). */
  files: Record<string, string>;
  /** Relative POSIX path → `-` (regular), `x` (executable), `l` (symlink). */
  modes: Record<string, EntryMode>;
  /** Number of entries (files and symlinks). */
  fileCount: number;
  /** Total size of the entries in bytes (lstat sizes). */
  bytes: number;
  /** What this run did (not part of the fingerprint). */
  stats: {
    /** Entries read and hashed in this run. */
    hashed: number;
    hashedBytes: number;
    /** Entries taken from the stat cache. */
    cached: number;
    /** Entries whose stat matched the cache but were rehashed because they were racily clean. */
    racy: number;
    /**
     * Whether the directories were read (no usable cache, or a directory or ignore file changed
     * since the cache was written); false when the cached list of entries was revalidated.
     */
    walked: boolean;
    /** Whether the cache file was (re)written. */
    cacheWritten: boolean;
    seconds: number;
  };
}

const VCS_DIRS = new Set([".git", ".hg", ".svn"]);
const IGNORE_FILES = [".gitignore", ".deployhooksignore"];
const HAS_SURROGATE = /[\ud800-\udfff]/;

interface Level {
  base: string;
  test: RulesTest;
}

/** A growable list of `NUMS_PER_ENTRY` stat numbers per path (no object per entry). */
class StatListBuilder {
  paths: string[] = [];
  nums = new Float64Array(1024 * NUMS_PER_ENTRY);

  push(rel: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number) {
    const o = this.paths.length * NUMS_PER_ENTRY;
    if (o + NUMS_PER_ENTRY > this.nums.length) {
      const bigger = new Float64Array(this.nums.length * 2);
      bigger.set(this.nums);
      this.nums = bigger;
    }
    this.nums[o] = size;
    this.nums[o + 1] = mtimeMs;
    this.nums[o + 2] = ctimeMs;
    this.nums[o + 3] = ino;
    this.nums[o + 4] = mode;
    this.paths.push(rel);
  }

  done(): StatList {
    return { paths: this.paths, nums: this.nums.subarray(0, this.paths.length * NUMS_PER_ENTRY) };
  }
}

/** The entries of the tree, as parallel arrays (no object per entry: 20,000 cost GC time). */
interface Walked {
  rels: string[];
  modes: EntryMode[];
  /** `NUMS_PER_ENTRY` numbers per entry: size, mtimeMs, ctimeMs, ino, st_mode. */
  nums: Float64Array;
  /** Directories walked (`""` = the root), with their lstat, taken before they were read. */
  dirs: StatList;
  /** Their listing digests (`listingDigest`), in the same order. */
  dirListings: string[];
  /** Ignore files read, with their stat (following links; all -1 when it failed). */
  ignores: StatList;
}

/** Fingerprint of the source tree at `root` (see the module documentation). */
export async function fingerprintTree(
  root: string,
  options: FingerprintTreeOptions = {},
): Promise<TreeFingerprint> {
  const started = process.hrtime.bigint();
  const scanStart = Date.now();
  const absRoot = path.resolve(root);
  const rootStat = fs.statSync(absRoot);
  if (!rootStat.isDirectory()) throw new Error(`fingerprintTree: ${absRoot} is not a directory`);

  const cacheFile = options.cacheFile ? path.resolve(options.cacheFile) : undefined;
  let cacheRel: string | undefined;
  if (cacheFile) {
    const r = path.relative(absRoot, cacheFile);
    if (r && !r.startsWith("..") && !path.isAbsolute(r)) cacheRel = r.split(path.sep).join("/");
  }
  const exclude = options.exclude ?? [];
  const excluded = exclude.length > 0 ? picomatch(exclude, { dot: true }) : undefined;
  const key = JSON.stringify({ cacheRel: cacheRel ?? null, exclude });

  const cache = cacheFile ? loadStatCache(cacheFile, absRoot, key) : undefined;
  // With a cache whose directories and ignore files are all unchanged, the set of entries is the
  // cached one: only the entries themselves are lstat-ed (no readdir, no ignore rules, no sort).
  // (Not when the cache file lies inside the tree: writing it changes its own directory.)
  const useDirs = cacheRel === undefined;
  if (cache && cacheFile && useDirs) {
    const warm = await warmRun(absRoot, cache, cacheFile, options, scanStart, started);
    if (warm) return warm;
  }
  // No usable cache: every entry is hashed, starting while the tree is still being walked (on a
  // worker when a cache file is asked for, i.e. a tree that is fingerprinted again and again).
  let w: Walked;
  let streamed: string[] | undefined;
  if (!cache) {
    const threads = Math.max(1, options.threads ?? os.availableParallelism());
    const sink = new StreamHasher(absRoot, cacheFile !== undefined && threads > 1);
    try {
      w = walk(absRoot, cacheRel, excluded, sink);
    } catch (e) {
      sink.close();
      throw e;
    }
    streamed = collect(w, await sink.finish());
  } else {
    w = walk(absRoot, cacheRel, excluded);
  }
  const { rels, modes: modeList, nums } = w;
  const n = rels.length;

  // Match against the cache.
  const digests: string[] = new Array<string>(n);
  const jobs: HashJob[] = [];
  const jobIndex: number[] = [];
  let racy = 0;
  let bytes = 0;
  let hashedBytes = 0;
  let cacheIndex: Map<string, number> | undefined;
  // Every entry at the same index as in the cache, with the cached digest, and no other entry.
  let sameEntries = cache !== undefined && cache.paths.length === n;
  for (let i = 0; i < n; i++) {
    const o = i * NUMS_PER_ENTRY;
    const size = nums[o];
    bytes += size;
    if (streamed) {
      digests[i] = streamed[i];
      hashedBytes += size;
      continue;
    }
    if (cache) {
      // Fast path: same position in both sorted lists; else a map lookup (built on first need).
      let ci: number | undefined = i;
      if (cache.paths[i] !== rels[i]) {
        sameEntries = false;
        if (!cacheIndex) {
          cacheIndex = new Map();
          for (let k = 0; k < cache.paths.length; k++) cacheIndex.set(cache.paths[k], k);
        }
        ci = cacheIndex.get(rels[i]);
      }
      if (ci !== undefined) {
        const c = ci * NUMS_PER_ENTRY;
        const cn = cache.nums;
        if (
          cn[c] === size &&
          cn[c + 1] === nums[o + 1] &&
          cn[c + 2] === nums[o + 2] &&
          cn[c + 3] === nums[o + 3] &&
          cn[c + 4] === nums[o + 4]
        ) {
          if (!isRacy(nums[o + 1], cache.writtenAt)) {
            digests[i] = digestAt(cache, ci);
            continue;
          }
          racy++;
        }
      }
    }
    sameEntries = false;
    jobs.push({ abs: absRoot + "/" + rels[i], mode: modeList[i], size });
    jobIndex.push(i);
    hashedBytes += size;
  }

  if (jobs.length > 0) {
    const raw = await hashFiles(jobs, { threads: options.threads });
    for (let k = 0; k < jobs.length; k++) {
      digests[jobIndex[k]] = "sha256:" + raw.toString("hex", k * 32, k * 32 + 32);
    }
  }

  // Result and tree digest (the cached one when the entries and their digests are the cached ones).
  const fingerprint = sameEntries ? cache!.fingerprint : treeDigest(rels, modeList, digests);

  // Rewritten when an entry changed, or (cache outside the tree) to record the directories' new
  // lstat, so that the next run is a warm one.
  let cacheWritten = false;
  if (cacheFile && (!sameEntries || useDirs)) {
    const data: StatCacheData = {
      root: absRoot,
      key,
      writtenAt: scanStart,
      fingerprint,
      paths: rels,
      nums: nums.subarray(0, n * NUMS_PER_ENTRY),
      digests: digests.join(""),
      dirs: w.dirs,
      dirListings: w.dirListings.join(""),
      ignores: w.ignores,
    };
    saveStatCache(cacheFile, data);
    cacheWritten = true;
  }

  const hashed = streamed ? n : jobs.length;
  return withRecords(rels, (i) => digests[i], modeList, {
    fingerprint,
    fileCount: n,
    bytes,
    stats: {
      hashed,
      hashedBytes,
      cached: n - hashed,
      racy,
      walked: true,
      cacheWritten,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    },
  });
}

/**
 * The result with its `files` and `modes` records. They are plain objects, built on first access
 * (then an ordinary data property): inserting 20,000 keys into an object costs about as much as the
 * warm run's 20,000 lstat calls, and a caller that needs only the fingerprint should not pay it.
 * Reading, spreading, `JSON.stringify` or `structuredClone` of the result all see them as usual.
 */
function withRecords(
  rels: string[],
  digestOf: (i: number) => string,
  modeList: EntryMode[],
  rest: Omit<TreeFingerprint, "files" | "modes">,
): TreeFingerprint {
  const result = rest as TreeFingerprint;
  const define = (key: "files" | "modes", build: () => Record<string, string>) => {
    const settle = (value: unknown) =>
      Object.defineProperty(result, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    Object.defineProperty(result, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = build();
        settle(value);
        return value;
      },
      set: settle,
    });
  };
  define("files", () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < rels.length; i++) files[rels[i]] = digestOf(i);
    return files;
  });
  define("modes", () => {
    const modes: Record<string, EntryMode> = {};
    for (let i = 0; i < rels.length; i++) modes[rels[i]] = modeList[i];
    return modes;
  });
  return result;
}

/**
 * Fills a walk made with a `StreamHasher` sink with the hashing threads' results (entries that
 * vanished or changed type during the scan dropped); returns the digests, in entry order.
 */
function collect(w: Walked, r: StreamHashResult): string[] {
  const rels: string[] = [];
  const modes: EntryMode[] = [];
  const digests: string[] = [];
  const nums = new Float64Array(w.rels.length * NUMS_PER_ENTRY);
  const hex = Buffer.from(r.digests.buffer, r.digests.byteOffset, r.digests.length);
  let k = 0;
  for (let i = 0; i < w.rels.length; i++) {
    const s = r.state[i];
    if (s === 4) continue;
    rels.push(w.rels[i]);
    modes.push(s === 3 ? "l" : s === 2 ? "x" : "-");
    digests.push("sha256:" + hex.toString("hex", i * 32, i * 32 + 32));
    nums.set(r.nums.subarray(i * NUMS_PER_ENTRY, (i + 1) * NUMS_PER_ENTRY), k * NUMS_PER_ENTRY);
    k++;
  }
  w.rels = rels;
  w.modes = modes;
  w.nums = nums.subarray(0, k * NUMS_PER_ENTRY);
  return digests;
}

/** `sha256:` + sha256 over the lines `<path>\0<mode>\0<digest>\n` in path order. */
function treeDigest(rels: string[], modes: EntryMode[], digests: string[]): string {
  const h = createHash("sha256");
  const n = rels.length;
  // Hashed in batches of joined lines: one update per line would cost more than the hashing.
  const BATCH = 4096;
  for (let start = 0; start < n; start += BATCH) {
    const end = Math.min(n, start + BATCH);
    let text = "";
    for (let i = start; i < end; i++) text += rels[i] + "\0" + modes[i] + "\0" + digests[i] + "\n";
    h.update(text, "utf8");
  }
  return "sha256:" + h.digest("hex");
}

function modeOf(stMode: number): EntryMode | undefined {
  const type = stMode & 0o170000;
  if (type === 0o120000) return "l";
  if (type === 0o100000) return stMode & 0o100 ? "x" : "-";
  return undefined;
}

/** stat (following links) of an ignore file, as the walk records it. */
function statIgnoreFile(abs: string, list: StatListBuilder | undefined, rel: string): number[] {
  let v = [-1, -1, -1, -1, -1];
  try {
    const s = fs.statSync(abs);
    v = [s.size, s.mtimeMs, s.ctimeMs, s.ino, s.mode];
  } catch {
    // missing or dangling: recorded as -1s, so its appearance is noticed
  }
  list?.push(rel, v[0], v[1], v[2], v[3], v[4]);
  return v;
}

/**
 * The cached directories' lstat as it is now, when every directory still has its cached listing
 * and every ignore file is unchanged; undefined as soon as anything says the set of entries or the
 * ignore rules may differ. A directory whose lstat is the cached one (and was not modified within
 * the racy window of the cache's scan) has the cached listing: its mtime changes whenever an entry
 * is added, removed or renamed in it. Any other is read again and its listing digest compared
 * with the cached one: a file replaced by a rename (editors, `git checkout`) changes its
 * directory's mtime, not its listing. `changed`: some directory's lstat differs from the cache's.
 */
function currentListings(
  absRoot: string,
  cache: StatCacheData,
): { nums: Float64Array; changed: boolean } | undefined {
  const st: RawStat = { mode: 0, ino: 0, size: 0, mtimeMs: 0, ctimeMs: 0 };
  const { dirs, ignores } = cache;
  if (dirs.paths.length === 0) return undefined;
  for (let k = 0; k < ignores.paths.length; k++) {
    const v = statIgnoreFile(absRoot + "/" + ignores.paths[k], undefined, "");
    const o = k * NUMS_PER_ENTRY;
    for (let j = 0; j < NUMS_PER_ENTRY; j++) if (ignores.nums[o + j] !== v[j]) return undefined;
    if (isRacy(v[1], cache.writtenAt)) return undefined;
  }
  let nums = dirs.nums;
  let changed = false;
  for (let k = 0; k < dirs.paths.length; k++) {
    const rel = dirs.paths[k];
    const abs = rel === "" ? absRoot : absRoot + "/" + rel;
    if (!rawLstat(abs, st, absRoot)) return undefined;
    const o = k * NUMS_PER_ENTRY;
    const c = dirs.nums;
    const same =
      c[o] === st.size &&
      c[o + 1] === st.mtimeMs &&
      c[o + 2] === st.ctimeMs &&
      c[o + 3] === st.ino &&
      c[o + 4] === st.mode;
    if (same && !isRacy(st.mtimeMs, cache.writtenAt)) continue;
    // Read again (after its lstat, as the walk does): the same names and kinds, or walk.
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return undefined;
    }
    if (sortedListing(dirents).digest !== listingAt(cache, k)) return undefined;
    if (same) continue;
    if (!changed) {
      nums = new Float64Array(dirs.nums);
      changed = true;
    }
    nums[o] = st.size;
    nums[o + 1] = st.mtimeMs;
    nums[o + 2] = st.ctimeMs;
    nums[o + 3] = st.ino;
    nums[o + 4] = st.mode;
  }
  return { nums, changed };
}

/**
 * The warm run: when every cached directory still has its cached listing and every ignore file is
 * unchanged (`currentListings`: only directories whose lstat changed are read again), the set of
 * entries is the cached one, though a file's content may have changed, hence each entry's own
 * lstat. No walk, no ignore rules, no sort, one pass that lstat-s each entry and fills the result
 * records from the cache; entries whose lstat differs (or is racy) are hashed again. Undefined as
 * soon as anything says the set of entries or the ignore rules may differ: the caller then walks
 * the tree.
 */
async function warmRun(
  absRoot: string,
  cache: StatCacheData,
  cacheFile: string,
  options: FingerprintTreeOptions,
  scanStart: number,
  started: bigint,
): Promise<TreeFingerprint | undefined> {
  const rels = cache.paths;
  const n = rels.length;
  const cn = cache.nums;
  const listing = currentListings(absRoot, cache);
  if (!listing) return undefined;
  const modeList: EntryMode[] = new Array<EntryMode>(n);
  const nums = new Float64Array(n * NUMS_PER_ENTRY);
  // On this thread and, once started, a worker thread (parallelLstat.ts).
  lstatEntries(absRoot + "/", rels, nums, absRoot, options.threads !== 1);
  for (let i = 0; i < n; i++) {
    const o = i * NUMS_PER_ENTRY;
    if (Number.isNaN(nums[o])) return undefined; // gone: walk instead
    const m = cn[o + 4] & 0o170000;
    modeList[i] = m === 0o120000 ? "l" : cn[o + 4] & 0o100 ? "x" : "-";
  }

  const jobs: HashJob[] = [];
  const jobIndex: number[] = [];
  let racy = 0;
  let bytes = 0;
  let hashedBytes = 0;
  for (let i = 0; i < n; i++) {
    const o = i * NUMS_PER_ENTRY;
    const size = nums[o];
    bytes += size;
    if (
      cn[o] === size &&
      cn[o + 1] === nums[o + 1] &&
      cn[o + 2] === nums[o + 2] &&
      cn[o + 3] === nums[o + 3] &&
      cn[o + 4] === nums[o + 4]
    ) {
      if (!isRacy(nums[o + 1], cache.writtenAt)) continue;
      racy++;
    }
    const mode = modeOf(nums[o + 4]);
    // Gone or no longer a file or link: only a change of its directory does that; walk instead.
    if (mode === undefined) return undefined;
    modeList[i] = mode;
    jobs.push({ abs: absRoot + "/" + rels[i], mode, size });
    jobIndex.push(i);
    hashedBytes += size;
  }

  let fingerprint = cache.fingerprint;
  let cacheWritten = false;
  let digestOf = (i: number) => digestAt(cache, i);
  let allDigests = cache.digests;
  if (jobs.length > 0) {
    const raw = await hashFiles(jobs, { threads: options.threads });
    const digests: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) digests[i] = digestAt(cache, i);
    for (let k = 0; k < jobs.length; k++) {
      digests[jobIndex[k]] = "sha256:" + raw.toString("hex", k * 32, k * 32 + 32);
    }
    digestOf = (i) => digests[i];
    fingerprint = treeDigest(rels, modeList, digests);
    allDigests = digests.join("");
  }
  // Rewritten when an entry or a directory's lstat changed, so that the next run is a warm one
  // without reading any directory again.
  if (jobs.length > 0 || listing.changed) {
    saveStatCache(cacheFile, {
      ...cache,
      writtenAt: scanStart,
      fingerprint,
      nums: nums.slice(0, n * NUMS_PER_ENTRY),
      digests: allDigests,
      dirs: { paths: cache.dirs.paths, nums: listing.nums },
    });
    cacheWritten = true;
  }
  return withRecords(rels, digestOf, modeList, {
    fingerprint,
    fileCount: n,
    bytes,
    stats: {
      hashed: jobs.length,
      hashedBytes,
      cached: n - jobs.length,
      racy,
      walked: false,
      cacheWritten,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    },
  });
}

/** Walks the tree synchronously; entries come out already in code-point order of their paths. */
function walk(
  absRoot: string,
  cacheRel: string | undefined,
  excluded: ((p: string) => boolean) | undefined,
  sink?: StreamHasher,
): Walked {
  const entries = new StatListBuilder();
  const modes: EntryMode[] = [];
  const dirs = new StatListBuilder();
  const dirListings: string[] = [];
  const ignores = new StatListBuilder();
  const st: RawStat = { mode: 0, ino: 0, size: 0, mtimeMs: 0, ctimeMs: 0 };
  const levels: Level[] = [];

  const visit = (absDir: string, prefix: string): void => {
    // The directory's lstat BEFORE reading it: a change after this point shows next time.
    if (!rawLstat(absDir, st, absRoot)) return; // vanished during the walk
    dirs.push(
      prefix === "" ? "" : prefix.slice(0, -1),
      st.size,
      st.mtimeMs,
      st.ctimeMs,
      st.ino,
      st.mode,
    );
    const dirents = fs.readdirSync(absDir, { withFileTypes: true });
    const pushed = dirents.some((d) => IGNORE_FILES.includes(d.name) && !d.isDirectory());
    if (pushed) {
      const ig = ignore({ ignorecase: false });
      for (const name of IGNORE_FILES) {
        if (!dirents.some((d) => d.name === name && !d.isDirectory())) continue;
        statIgnoreFile(path.join(absDir, name), ignores, prefix + name);
        try {
          ig.add(fs.readFileSync(path.join(absDir, name), "utf8"));
        } catch {
          // e.g. a dangling symlink named .gitignore
        }
      }
      levels.push({ base: prefix, test: ruleTester(ig) });
    }

    const { order, digest } = sortedListing(dirents);
    dirListings.push(digest);

    for (const idx of order) {
      const d = dirents[idx];
      const name = d.name;
      const isDir = d.isDirectory();
      if (VCS_DIRS.has(name) || name === ".platform.app.yaml") continue;
      if (prefix === "") {
        if (name === ".platform" || name === ".upsun") continue;
      } else if (prefix === "clevercloud/" && !isDir && name.endsWith(".json")) {
        continue;
      }
      const rel = prefix + name;
      if (cacheRel !== undefined && (rel === cacheRel || rel.startsWith(cacheRel + "."))) continue;
      if (excluded && excluded(rel)) continue;
      if (levels.length > 0 && isIgnored(levels, rel, isDir)) continue;
      const abs = absDir + "/" + name;
      if (isDir) {
        visit(abs, rel + "/");
        continue;
      }
      if (!d.isFile() && !d.isSymbolicLink()) continue;
      if (sink) {
        // Stat and content come from the hashing threads (`collect`).
        sink.add(abs, d.isSymbolicLink());
        entries.paths.push(rel);
        continue;
      }
      if (!rawLstat(abs, st, absRoot)) continue; // vanished during the walk
      const mode = modeOf(st.mode);
      if (mode === undefined) continue;
      entries.push(rel, st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode);
      modes.push(mode);
    }
    if (pushed) levels.pop();
  };

  visit(absRoot, "");
  const e = entries.done();
  return {
    rels: e.paths,
    modes,
    nums: e.nums,
    dirs: dirs.done(),
    dirListings,
    ignores: ignores.done(),
  };
}

/**
 * A directory's entries in walk order, by name with "/" appended to directories (this makes the
 * depth-first walk produce the global code-point order of full paths: "a-b" < "a/c" because
 * "-" < "/"), and the digest of that listing (ignored entries included; statCache.ts).
 */
function sortedListing(dirents: fs.Dirent[]): { order: number[]; digest: string } {
  const m = dirents.length;
  const keys: string[] = new Array<string>(m);
  let surrogates = false;
  for (let i = 0; i < m; i++) {
    const d = dirents[i];
    keys[i] = d.isDirectory() ? d.name + "/" : d.name;
    if (!surrogates && HAS_SURROGATE.test(keys[i])) surrogates = true;
  }
  const order = keys.map((_, i) => i);
  if (surrogates) order.sort((a, b) => compareCodePoints(keys[a], keys[b]));
  else order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  let kinds = "";
  for (const i of order) {
    const d = dirents[i];
    kinds += d.isDirectory() ? "d" : d.isFile() ? "f" : d.isSymbolicLink() ? "l" : "o";
  }
  return {
    order,
    digest: listingDigest(
      order.map((i) => keys[i]),
      kinds,
    ),
  };
}

interface TestResult {
  ignored: boolean;
  unignored: boolean;
}
type RulesTest = (p: string) => TestResult;

/**
 * What the rules of ONE ignore file say about one path, without re-checking its parent
 * directories. Git checks each path against the patterns only; whether a parent directory is
 * excluded is settled by the walk (an excluded directory is never entered). The public
 * `Ignore.test` also re-tests every parent against the same file, which is both slower (a cache
 * entry per path) and wrong when a deeper file re-includes a directory that a shallower file
 * excludes. `ignore` 7 keeps the rule-only test as `_rules.test(path, "regex")`; it is used after
 * a probe shows it behaves as expected, else the public `test`.
 */
function ruleTester(ig: Ignore): RulesTest {
  if (rulesOnlyWorks === undefined) rulesOnlyWorks = probeRulesOnly();
  const rules = (ig as unknown as { _rules?: { test?: (p: string, mode: string) => TestResult } })
    ._rules;
  if (rulesOnlyWorks && rules && typeof rules.test === "function") {
    const t = rules.test.bind(rules);
    return (p) => t(p, "regex");
  }
  return (p) => ig.test(p);
}

let rulesOnlyWorks: boolean | undefined;
function probeRulesOnly(): boolean {
  try {
    const ig = ignore({ ignorecase: false }).add(["*.x", "!keep.x", "d/", "/anchored"]);
    const rules = (ig as unknown as { _rules?: { test?: (p: string, mode: string) => TestResult } })
      ._rules;
    if (!rules || typeof rules.test !== "function") return false;
    const t = (p: string) => rules.test!.call(rules, p, "regex");
    return (
      t("a/b.x").ignored &&
      t("keep.x").unignored &&
      !t("keep.x").ignored &&
      t("q/d/").ignored &&
      !t("q/d").ignored &&
      t("anchored").ignored &&
      !t("q/anchored").ignored &&
      !t("B.X").ignored &&
      !t("other").ignored &&
      !t("other").unignored
    );
  } catch {
    return false;
  }
}

/** Deepest ignore file with an opinion decides (git precedence); within a file the last match wins. */
function isIgnored(levels: Level[], rel: string, isDir: boolean): boolean {
  for (let k = levels.length - 1; k >= 0; k--) {
    const lv = levels[k];
    const r = lv.test(rel.slice(lv.base.length) + (isDir ? "/" : ""));
    if (r.ignored) return true;
    if (r.unignored) return false;
  }
  return false;
}
