/**
 * `deploy.rollback` (and `deploy.incremental`) of `npm run bench`: kept releases on the bench tree
 * (bench/tree.ts, 20,000 files) over the loopback sshd, baselines measured in the same run.
 *
 * - rollback: an UpsunApp whose source is the bench tree plus `server.js` and `version.txt`, with a
 *   build hook that sleeps 10 s. v1 is deployed, then v2 (`version.txt` changed: one file):
 *   `fullSeconds` = that v2 deployment (a full deployment of a one-file change: artifact, copy,
 *   unpack, build, activation). Then the revert to v1: `seconds` = that deployment, which finds v1
 *   kept on the host and re-activates it. ratio = seconds / fullSeconds (target ≤ 0.15). Medians
 *   of `runs`; `steps` = the revert's step durations (last run).
 *
 * - incremental: an Application (no hooks) whose source is the bench tree. Two deploying machines
 *   (two artifact directories) deploy v1, one to host A, one to host C; then `version.txt` changes
 *   (one file) and v2 goes from the first to host A (which keeps v1's tarball: a delta is sent)
 *   and, as the baseline, from the second to a fresh host B (the full artifact is sent). Both
 *   start from the same local state (v1's tarball, a warm stat cache), so each pays its own
 *   fingerprint and tarball (written for B, planned without writing for A). `seconds` and
 *   `fullSeconds` = each run's wall time minus its non-upload steps (fingerprint, tarball or
 *   delta, probe, copy, rebuild on the host, unpack). `bytesSent` = the delta file's size,
 *   `tarballBytes` the artifact's; ratio = seconds / fullSeconds (targets: bytesSent ≤ 1 % of the
 *   tarball, ratio ≤ 0.2).
 *   Before each timed deployment the bench waits for the standby copies the hosts unpack in the
 *   background after an upload (render/standby.ts), as a host idle between deployments has.
 *
 * The source is a hard-linked copy of the bench tree (`cp -al`); the two files the bench changes are
 * its own (written by replacement), so the generated tree is never modified.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Application, UpsunApp } from "../components";
import { awaitStandby, runProgram, type RunReport, type SshdHandle } from "../testing";
import type { BenchContext } from "./main";

const BUILD_SLEEP_SECONDS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

function check(r: RunReport, what: string): RunReport {
  if (r.failed) throw new Error(`bench releases: ${what} failed: ${(r.error ?? "").slice(-1500)}`);
  return r;
}

/** Writes `rel` in `dir` by replacement (a new inode: a hard-linked tree is never written into). */
function replaceFile(dir: string, rel: string, text: string): void {
  const file = path.join(dir, rel);
  fs.writeFileSync(file + ".tmp", text);
  fs.renameSync(file + ".tmp", file);
}

function rmrf(dir: string): void {
  awaitStandby(dir);
  spawnSync("chmod", ["-R", "u+w", dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A writable copy of the bench tree (hard links) plus a tiny node server. */
export function benchSource(ctx: BenchContext, dir: string): string {
  const src = path.join(dir, "src");
  const cp = spawnSync("cp", ["-al", ctx.root, src], { encoding: "utf8" });
  if (cp.status !== 0) throw new Error(`bench releases: cp -al failed: ${cp.stderr}`);
  replaceFile(
    src,
    "server.js",
    'require("http").createServer((q, r) => r.end(require("fs").readFileSync("version.txt"))).listen(+process.env.PORT, "127.0.0.1");\n',
  );
  replaceFile(src, "version.txt", "v1\n");
  return src;
}

export async function runRollbackBench(
  ctx: BenchContext,
  sshd: SshdHandle,
  work: string,
  stopApps: (root: string) => void,
): Promise<Record<string, unknown>> {
  const full: number[] = [];
  const rollback: number[] = [];
  let steps: Record<string, number> = {};
  for (let i = 0; i < ctx.runs; i++) {
    const dir = path.join(work, `rollback-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    const src = benchSource(ctx, dir);
    const root = path.join(dir, "root");
    fs.mkdirSync(root);
    const port = 20000 + ((process.pid + 11 + i * 7) % 20000);
    const program = () => {
      const app = new UpsunApp("rb", {
        source: src,
        artifactDir: path.join(dir, "artifacts"),
        hooks: { build: `sleep ${BUILD_SLEEP_SECONDS}\n`, deploy: "true\n", postDeploy: "true\n" },
        web: { commands: { start: "exec node server.js" } },
        port,
        hosts: [
          {
            name: "h1",
            root,
            connection: sshd.connection,
          },
        ],
      });
      return { releaseId: app.releaseId };
    };
    const opts = { stateFile: path.join(dir, "state.json"), project: "bench", stack: "rollback" };
    check(await runProgram(program, opts), "v1 deployment");
    replaceFile(src, "version.txt", "v2\n");
    spawnSync("sync");
    const v2 = check(await runProgram(program, opts), "v2 deployment");
    replaceFile(src, "version.txt", "v1\n");
    spawnSync("sync");
    const back = check(await runProgram(program, opts), "revert to v1");
    const reused = back.steps.some(
      (s) => s.name === "rb-h1-upload" && /status=reused/.test(s.stdout ?? ""),
    );
    if (!reused) throw new Error("bench releases: the revert did not re-activate the kept release");
    full.push(v2.durationMs / 1000);
    rollback.push(back.durationMs / 1000);
    steps = Object.fromEntries(
      back.steps
        .filter((s) => s.executed && s.durationMs !== undefined)
        .map((s) => [s.name.replace(/^rb-h1-/, ""), round(s.durationMs! / 1000)]),
    );
    ctx.log(
      `deploy: rollback run ${i + 1}/${ctx.runs}: one-file change ${(v2.durationMs / 1000).toFixed(2)} s, revert ${(back.durationMs / 1000).toFixed(2)} s`,
    );
    stopApps(root);
    rmrf(dir);
  }
  const fullSeconds = median(full);
  const seconds = median(rollback);
  return {
    buildSleepSeconds: BUILD_SLEEP_SECONDS,
    files: ctx.tree.files + 2,
    seconds: round(seconds),
    fullSeconds: round(fullSeconds),
    ratio: round(seconds / fullSeconds),
    steps,
  };
}

const UPLOAD_STEP = /-(probe|transfer|upload)$/;

/** Wall time of a run minus its steps that are not part of the upload. */
function uploadSeconds(r: RunReport): number {
  const other = r.steps
    .filter((s) => s.executed && !UPLOAD_STEP.test(s.name))
    .reduce((a, s) => a + (s.durationMs ?? 0), 0);
  return (r.durationMs - other) / 1000;
}

/** The upload steps' durations (s) and the rest of the run (`other`: fingerprint, tarball, delta). */
function stepSeconds(r: RunReport): Record<string, number> {
  const out: Record<string, number> = {};
  let inSteps = 0;
  for (const s of r.steps) {
    if (!s.executed || s.durationMs === undefined) continue;
    inSteps += s.durationMs;
    if (UPLOAD_STEP.test(s.name)) out[s.name.replace(/^inc-h1-/, "")] = round(s.durationMs / 1000);
  }
  out.outsideSteps = round((r.durationMs - inSteps) / 1000);
  return out;
}

export async function runIncrementalBench(
  ctx: BenchContext,
  sshd: SshdHandle,
  work: string,
): Promise<Record<string, unknown>> {
  const incremental: number[] = [];
  const full: number[] = [];
  let bytesSent = 0;
  let tarballBytes = 0;
  let steps: Record<string, Record<string, number>> = {};
  for (let i = 0; i < ctx.runs; i++) {
    const dir = path.join(work, `incremental-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    const src = benchSource(ctx, dir);
    // Two deploying machines in the same state (each has v1's tarball): A's deploys the change
    // to host A, which has v1 (a delta); B's to a fresh host B (the whole tarball).
    const artifactDirs: Record<string, string> = {
      a: path.join(dir, "artifacts-a"),
      b: path.join(dir, "artifacts-b"),
      c: path.join(dir, "artifacts-b"),
    };
    const deploy = (host: string) => {
      const artifactDir = artifactDirs[host]!;
      const root = path.join(dir, `root-${host}`);
      fs.mkdirSync(root, { recursive: true });
      return runProgram(
        () => {
          const app = new Application("inc", {
            profile: "upsun",
            source: src,
            artifactDir,
            hosts: [
              {
                name: "h1",
                root,
                connection: sshd.connection,
              },
            ],
          });
          return { releaseId: app.releaseId };
        },
        { stateFile: path.join(dir, `state-${host}.json`), project: "bench", stack: host },
      );
    };
    check(await deploy("a"), "v1 to host A");
    check(await deploy("c"), "v1 to host C (B's deploying machine gets v1's tarball)");
    replaceFile(src, "version.txt", "v2\n");
    awaitStandby(dir);
    spawnSync("sync");
    const f = check(await deploy("b"), "v2 to a fresh host B (full)");
    awaitStandby(dir);
    spawnSync("sync");
    const inc = check(await deploy("a"), "v2 to host A (incremental)");
    const transfer = inc.steps.find((s) => s.name === "inc-h1-transfer");
    if (!/\.delta$/.test(transfer?.command ?? "")) {
      throw new Error(`bench releases: no delta was sent: ${transfer?.command ?? "no transfer"}`);
    }
    const delta = fs.readdirSync(artifactDirs.a!).find((n) => /^delta-.*\.bin$/.test(n));
    bytesSent = delta ? fs.statSync(path.join(artifactDirs.a!, delta)).size : 0;
    const tar = fs.readdirSync(artifactDirs.b!).filter((n) => /^code-.*\.tar$/.test(n));
    tarballBytes = Math.max(...tar.map((n) => fs.statSync(path.join(artifactDirs.b!, n)).size));
    full.push(uploadSeconds(f));
    incremental.push(uploadSeconds(inc));
    steps = { full: stepSeconds(f), incremental: stepSeconds(inc) };
    ctx.log(
      `deploy: incremental run ${i + 1}/${ctx.runs}: full upload ${uploadSeconds(f).toFixed(2)} s, incremental ${uploadSeconds(inc).toFixed(2)} s, ${bytesSent} of ${tarballBytes} bytes sent`,
    );
    rmrf(dir);
  }
  const seconds = median(incremental);
  const fullSeconds = median(full);
  return {
    changedFiles: 1,
    bytesSent,
    tarballBytes,
    bytesRatio: round(bytesSent / tarballBytes, 5),
    seconds: round(seconds),
    fullSeconds: round(fullSeconds),
    ratio: round(seconds / fullSeconds),
    steps,
  };
}
