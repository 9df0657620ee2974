/**
 * Deterministic benchmark source tree: a seeded generator of a project-like tree (mostly small,
 * compressible source-like text files in nested directories, some executable scripts, and a few
 * large incompressible binaries). Generated once under `os.tmpdir()` and reused while the seed and
 * parameters stay the same (a `params.json` next to the tree is written last, as a completion mark).
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface BenchTreeOptions {
  /** Number of files (default 20,000). */
  files?: number;
  /** Total size in MiB (default 200). */
  mb?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Parent directory (default `os.tmpdir()/deployhooks-bench`). */
  baseDir?: string;
}

export interface BenchTree {
  /** Root of the generated tree. */
  root: string;
  /** Directory holding the tree and its `params.json` (remove it to regenerate). */
  dir: string;
  files: number;
  bytes: number;
  /** True when an existing tree was reused. */
  reused: boolean;
}

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "const let function return if else for while import export from class extends new this await async " +
  "true false null undefined string number boolean interface type public private readonly static value " +
  "config deploy hook build release current cache shared mount host app server request response error " +
  "user session token query result items index length push map filter reduce console log warn"
).split(" ");
const EXTS = [".ts", ".js", ".php", ".py", ".json", ".md", ".css", ".html", ".yaml", ".txt"];

/** Generate (or reuse) the tree for these parameters. */
export function ensureBenchTree(options: BenchTreeOptions = {}): BenchTree {
  const files = options.files ?? 20_000;
  const mb = options.mb ?? 200;
  const seed = options.seed ?? 1;
  const baseDir = options.baseDir ?? path.join(os.tmpdir(), "deployhooks-bench");
  const params = { version: 2, files, mb, seed };
  const key = createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 12);
  const dir = path.join(baseDir, `tree-${key}`);
  const root = path.join(dir, "tree");
  const marker = path.join(dir, "params.json");
  if (fs.existsSync(marker)) {
    const stored = JSON.parse(fs.readFileSync(marker, "utf8")) as { files: number; bytes: number };
    return { root, dir, files: stored.files, bytes: stored.bytes, reused: true };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });

  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const totalBytes = mb * 1024 * 1024;
  // ~45% of the bytes in a few large binaries, the rest spread over the text files.
  const binaries = Math.max(1, Math.min(8, Math.floor(files / 1000)));
  const textFiles = files - binaries;
  const binaryBytes = Math.floor(totalBytes * 0.45);
  const textBytes = totalBytes - binaryBytes;
  const avgText = textBytes / textFiles;

  // Directory skeleton: ~40 files per directory, nested up to 4 levels.
  const dirs: string[] = [""];
  const dirCount = Math.max(1, Math.ceil(textFiles / 40));
  while (dirs.length < dirCount) {
    const parent = dirs[int(dirs.length)];
    if (parent.split("/").length >= 4) continue;
    const name = `${WORDS[int(WORDS.length)]}${dirs.length}`;
    dirs.push(parent ? `${parent}/${name}` : name);
  }
  for (const d of dirs) if (d) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, ".gitignore"), "node_modules/\n*.log\n/dist/\n.env\n");

  let bytes = 0;
  let count = 1;
  bytes += fs.statSync(path.join(root, ".gitignore")).size;
  const line = () => {
    const n = 3 + int(9);
    let s = "  ".repeat(int(4));
    for (let i = 0; i < n; i++) s += (i ? " " : "") + WORDS[int(WORDS.length)];
    return s + (rand() < 0.3 ? ";\n" : "\n");
  };
  for (let i = 0; i < textFiles - 1; i++) {
    // Sizes: exponential-ish around the average, at least a few bytes.
    const target = Math.max(16, Math.floor(-Math.log(1 - rand() * 0.999) * avgText));
    const parts: string[] = [];
    let size = 0;
    while (size < target) {
      const l = line();
      parts.push(l);
      size += l.length;
    }
    const exec = i % 97 === 0;
    const name = `${WORDS[int(WORDS.length)]}_${i}${exec ? ".sh" : EXTS[int(EXTS.length)]}`;
    const rel = path.join(dirs[int(dirs.length)], name);
    const content = (exec ? "#!/bin/sh\n" : "") + parts.join("");
    fs.writeFileSync(path.join(root, rel), content, { mode: exec ? 0o755 : 0o644 });
    bytes += Buffer.byteLength(content);
    count++;
  }
  // Large binaries: AES-CTR keystream of the seed (deterministic, incompressible, fast).
  const key32 = createHash("sha256").update(`bench-seed-${seed}`).digest();
  const remaining = Math.max(binaryBytes, totalBytes - bytes);
  const each = Math.floor(remaining / binaries);
  fs.mkdirSync(path.join(root, "assets", "bin"), { recursive: true });
  for (let b = 0; b < binaries; b++) {
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(b, 12);
    const cipher = createCipheriv("aes-256-ctr", key32, iv);
    const fd = fs.openSync(path.join(root, "assets", "bin", `blob${b}.bin`), "w");
    const zero = Buffer.alloc(1 << 20);
    for (let written = 0; written < each; written += zero.length) {
      const n = Math.min(zero.length, each - written);
      fs.writeSync(fd, cipher.update(zero.subarray(0, n)));
    }
    fs.closeSync(fd);
    bytes += each;
    count++;
  }
  fs.writeFileSync(marker, JSON.stringify({ ...params, files: count, bytes }) + "\n");
  return { root, dir, files: count, bytes, reused: false };
}

/**
 * A committed git copy of the bench tree (`<dir>/git/`: the same files, `git add -A && git commit`),
 * made once and reused like the tree: the baseline for warm re-fingerprinting is
 * `git status --porcelain` there, which answers the same question (did anything change?) from the
 * same kind of stat data.
 */
export function ensureGitCopy(tree: BenchTree): string {
  const copy = path.join(tree.dir, "git");
  const marker = path.join(tree.dir, "git.done");
  // No automatic gc: a background repack would load the machine while the bench measures.
  const noGc = () => execFileSync("git", ["config", "gc.auto", "0"], { cwd: copy });
  if (fs.existsSync(marker)) {
    noGc();
    return copy;
  }
  fs.rmSync(copy, { recursive: true, force: true });
  execFileSync("cp", ["-a", tree.root, copy]);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@localhost", ...args], {
      cwd: copy,
      stdio: ["ignore", "ignore", "inherit"],
    });
  git("init", "-q");
  noGc();
  git("add", "-A");
  git("commit", "-q", "-m", "bench tree");
  fs.writeFileSync(marker, "");
  return copy;
}
