/** Shared helpers: run rendered steps for real with /bin/sh (as a login shell would) in temp roots. */
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as net from "node:net";
import type { AppTarget, RenderedStep, WrappedHook } from "../../render";
import { renderUploadStep } from "../../render";
import { awaitStandby as awaitStandbyJobs } from "../../testing/standby";

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command text through `/bin/sh -c` (dash here), with `stdin`, like the provider does;
 * `env` replaces the environment when given.
 */
export function runCommand(
  command: string,
  stdin = "",
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

/** Runs a rendered step. */
export function runStep(
  step: RenderedStep,
  stdin = "",
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return runCommand(step.command, stdin, env);
}

const roots: string[] = [];

/** A fresh temp dir used as the host's deployment root. */
export function tmpRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dhr-"));
  roots.push(dir);
  return dir;
}

export { awaitStandby } from "../../testing/standby";

/** Removes every temp root (chmod first: sealed releases are read-only). */
export function cleanupRoots(): void {
  for (const dir of roots.splice(0)) {
    awaitStandbyJobs(dir);
    try {
      execFileSync("chmod", ["-R", "u+w", dir], { stdio: "ignore" });
    } catch {
      /* ignore */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds a tarball of `files` (relative path → content; mode 0755 when the name ends with .sh). */
export function makeTarball(files: Record<string, string>): { path: string; sha256: string } {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), "dhsrc-"));
  roots.push(src);
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(src, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
  }
  const tar = path.join(src, "..", `${path.basename(src)}.tar`);
  execFileSync("tar", ["-cf", tar, "-C", src, "."]);
  roots.push(tar);
  const sha = execFileSync("sha256sum", [tar]).toString().split(" ")[0];
  return { path: tar, sha256: `sha256:${sha}` };
}

/** Uploads a release with `files` through the real upload step; asserts success. */
export async function uploadRelease(
  target: AppTarget,
  releaseId: string,
  files: Record<string, string> = { "index.txt": "hello\n" },
): Promise<void> {
  const tb = makeTarball(files);
  const r = await runStep(
    renderUploadStep({ target, releaseId, tarball: tb.path, sha256: tb.sha256 }),
  );
  if (r.status !== 0) throw new Error(`upload failed: ${r.stdout}${r.stderr}`);
}

/** A hook with defaults (deploy-like, abort, no timeout, before activation, runtime variables). */
export function hook(over: Partial<WrappedHook> = {}): WrappedHook {
  return {
    name: "deploy",
    script: "true",
    failure: "abort",
    timeoutSeconds: null,
    stage: "beforeActivate",
    variables: "runtime",
    ...over,
  };
}

/** Parsed lines of the history file. */
export function readHistory(target: AppTarget): Array<Record<string, unknown>> {
  const file = path.join(target.root, target.app, ".deployhooks", "history.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Pids of processes whose command line contains `needle` (excluding pgrep itself). */
export function pidsMatching(needle: string): number[] {
  try {
    return execFileSync("pgrep", ["-f", needle])
      .toString()
      .trim()
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
