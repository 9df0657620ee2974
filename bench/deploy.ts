/**
 * `deploy` section of `npm run bench`: deployments measured through deployhooks/testing's runner
 * against a loopback OpenSSH server (startSshd), in the same run as their baselines.
 *
 * - fullSeconds: first deployment (fresh host root and state) of an UpsunApp whose build hook sleeps
 *   ~10 s (plus trivial deploy/postDeploy hooks and a node app); median of `runs`.
 * - runtimeOnlySeconds: a runtime-only change of that app (a runtime variable): activate, outcome and
 *   postDeploy only; median of `runs` (each after its own full deployment).
 * - redeployRatio = runtimeOnlySeconds / fullSeconds (target ≤ 0.15).
 * - perStepOverheadSeconds: median duration of a hook step whose body is `true` (the postDeploy step
 *   of the runtime-only runs, as the runner reports it) minus the median of a bare `ssh HOST true`
 *   measured in the same run, with the key exchange the runner and the provider use (target ≤ 0.05). `perStep` breaks it down: the runner's own ssh
 *   invocation of `true` (temp key + known_hosts files, `-F /dev/null`), and a hook step program run
 *   over one ssh with `bash` directly (the wrapper's cost on the host).
 * - upload: the bench tree (bench/tree.ts, 20,000 files) as the source of an Application without
 *   hooks: `seconds` = the run's wall time minus its build and activate steps, i.e. fingerprint +
 *   tarball creation + CopyToRemote (scp) + unpack (sha256 check, tar -x) + runner overhead, with a
 *   fresh artifact dir, host root and state each time; `baselineSeconds` = `tar -C TREE -cf - . | ssh
 *   HOST 'tar -C DIR -xf -'` (fresh DIR); ratio = seconds / baselineSeconds (target ≤ 1.5). `sync`
 *   runs before each of them, so neither pays for the other's writeback.
 * - rollback (bench/releases.ts): revert of a one-file change of the bench tree whose build hook
 *   sleeps 10 s, versus the deployment of that change.
 * - incremental (bench/releases.ts): upload of a one-file change to a host that keeps the previous
 *   tarball (a delta) versus the full upload of the same change to a fresh host.
 * `DEPLOYHOOKS_BENCH_DEPLOY=rollback` (comma list of core, rollback, incremental) runs only those.
 * - hostShell: the bench's sshd runs each session's shell without the ssh user's `~/.bashrc`, as a
 *   deploy user's stock Debian/Ubuntu `~/.bashrc` does for a command (see SKIP_BASHRC); the
 *   bare `ssh HOST true` with and without that, measured on two fresh sshds before the rest.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Application, UpsunApp } from "../components";
import {
  runProgram,
  sshOptions,
  startSshd,
  SshdUnavailable,
  type RunReport,
  type SshdHandle,
  awaitStandby,
} from "../testing";
import { providerKexOption, runRemote } from "../testing/exec";
import type { BenchContext } from "./main";
import { runIncrementalBench, runRollbackBench } from "./releases";

/**
 * Parts of the deploy section to run: `DEPLOYHOOKS_BENCH_DEPLOY=core,rollback,incremental`
 * (default: all). `core` = full / runtime-only / per-step / upload.
 */
/**
 * The bench host's shell: each SSH session's `bash -c` starts without the ssh user's `~/.bashrc`
 * (sshd's `SetEnv SHLVL=1`: bash reads `~/.bashrc` for a command from sshd only at shell level 1).
 * A deploy user on a stock Debian/Ubuntu host pays nothing there (its `~/.bashrc` returns at once
 * when not interactive), while this machine's root runs `pyenv init` in it: about 0.12 s per
 * session, which would make the bench measure this machine's shell set-up, not deployhooks. The
 * JSON reports both costs (`hostShell`). `DEPLOYHOOKS_BENCH_HOST_SHELL=startup-files` measures with
 * the startup files instead.
 */
const SKIP_BASHRC = "SetEnv SHLVL=1";
const benchHostShell = (): string[] =>
  process.env.DEPLOYHOOKS_BENCH_HOST_SHELL === "startup-files" ? [] : [SKIP_BASHRC];

/** Seconds of one bare `ssh … true` (`args`: the ssh options and destination). */
function bareSsh(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync("ssh", [...args, "true"]);
  if (r.status !== 0) throw new Error(`bench deploy: ssh true failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Median bare `ssh HOST true` without the ssh user's `~/.bashrc`, and with it (fresh sshds). */
async function sshSessionCost(): Promise<{ seconds: number; withStartupFilesSeconds: number }> {
  const kex = providerKexOption();
  const measure = async (extraConfig: string[]): Promise<number> => {
    const h = await startSshd({ extraConfig });
    try {
      const args = [...sshOptions(h), ...(kex ? ["-o", kex] : []), `${h.user}@127.0.0.1`];
      return round(median(Array.from({ length: 10 }, () => bareSsh(args))));
    } finally {
      await h.stop();
    }
  };
  return {
    seconds: await measure([SKIP_BASHRC]),
    withStartupFilesSeconds: await measure([]),
  };
}

function deployParts(): Set<string> {
  const v = process.env.DEPLOYHOOKS_BENCH_DEPLOY;
  return new Set((v && v.trim() !== "" ? v : "core,rollback,incremental").split(","));
}

const BUILD_SLEEP_SECONDS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

function stopApps(root: string): void {
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${e}/cwd`);
      if (cwd.startsWith(root + "/")) process.kill(Number(e), "SIGKILL");
    } catch {
      // gone
    }
  }
}

function rmrf(dir: string): void {
  awaitStandby(dir);
  spawnSync("chmod", ["-R", "u+w", dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

function connectionOf(sshd: SshdHandle) {
  return {
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    privateKey: sshd.privateKey,
    hostKey: sshd.hostKey,
  };
}

function check(r: RunReport, what: string): RunReport {
  if (r.failed) throw new Error(`bench deploy: ${what} failed: ${(r.error ?? "").slice(-1500)}`);
  return r;
}

const stepMs = (r: RunReport, suffix: string): number =>
  r.steps
    .filter((s) => s.name.endsWith(suffix) && s.executed && s.op !== "delete" && s.op !== "update")
    .reduce((a, s) => a + (s.durationMs ?? 0), 0);

export async function runDeployBench(
  ctx: BenchContext,
): Promise<{ deploy: Record<string, unknown> }> {
  let sshd: SshdHandle;
  let sessionCost: { seconds: number; withStartupFilesSeconds: number } | undefined;
  try {
    sessionCost = await sshSessionCost();
    sshd = await startSshd({ extraConfig: benchHostShell() });
  } catch (e) {
    if (e instanceof SshdUnavailable) {
      ctx.log(`deploy: skipped (${e.message})`);
      return { deploy: { skipped: e.message } };
    }
    throw e;
  }
  const work = fs.mkdtempSync(path.join(ctx.workDir, "deploy-"));
  const dest = `${sshd.user}@127.0.0.1`;
  // The baselines' ssh negotiates the key exchange the runner (like the provider) uses: OpenSSH's
  // default sntrup761x25519 costs about 0.1 s more per connection, which would flatter the runner.
  const kex = providerKexOption();
  const baselineSsh = [...sshOptions(sshd), ...(kex ? ["-o", kex] : [])];
  try {
    // Kept releases (bench/releases.ts): deploy.rollback, deploy.incremental.
    const parts = deployParts();
    const releases: Record<string, unknown> = {};
    if (parts.has("rollback")) {
      releases.rollback = await runRollbackBench(ctx, sshd, work, stopApps);
      ctx.log(`deploy: rollback ${JSON.stringify(releases.rollback)}`);
    }
    if (parts.has("incremental")) {
      releases.incremental = await runIncrementalBench(ctx, sshd, work);
      ctx.log(`deploy: incremental ${JSON.stringify(releases.incremental)}`);
    }
    const hostShell = {
      sshdConfig: benchHostShell().join("\n") || "(none: the ssh user's shell startup files run)",
      bareSshSeconds: sessionCost?.seconds,
      bareSshWithStartupFilesSeconds: sessionCost?.withStartupFilesSeconds,
    };
    ctx.log(`deploy: host shell ${JSON.stringify(hostShell)}`);
    if (!parts.has("core")) return { deploy: { hostShell, ...releases } };

    // The app of the full / runtime-only measurements.
    const src = path.join(work, "app-src");
    fs.mkdirSync(src);
    fs.writeFileSync(
      path.join(src, "server.js"),
      'require("http").createServer((q, r) => r.end(process.env.GREETING + "\\n")).listen(+process.env.PORT, "127.0.0.1");\n',
    );
    const appProgram =
      (root: string, artifactDir: string, port: number, greeting: string) => () => {
        const app = new UpsunApp("bench", {
          source: src,
          artifactDir,
          hooks: {
            build: `sleep ${BUILD_SLEEP_SECONDS}\n`,
            deploy: "true\n",
            postDeploy: "true\n",
          },
          runtimeVariables: { GREETING: greeting },
          web: { commands: { start: "exec node server.js" } },
          port,
          hosts: [{ name: "h1", root, connection: connectionOf(sshd) }],
        });
        return { releaseId: app.releaseId };
      };

    const full: number[] = [];
    const runtime: number[] = [];
    const hookStep: number[] = [];
    const breakdown: Record<string, number[]> = {};
    for (let i = 0; i < ctx.runs; i++) {
      const dir = path.join(work, `app-${i}`);
      const root = path.join(dir, "root");
      fs.mkdirSync(root, { recursive: true });
      const port = 20000 + ((process.pid + i * 7) % 20000);
      const opts = { stateFile: path.join(dir, "state.json"), project: "bench", stack: "deploy" };
      const f = check(
        await runProgram(appProgram(root, path.join(dir, "artifacts"), port, "hello"), opts),
        "full deployment",
      );
      const rt = check(
        await runProgram(appProgram(root, path.join(dir, "artifacts"), port, "bonjour"), opts),
        "runtime-only deployment",
      );
      full.push(f.durationMs / 1000);
      runtime.push(rt.durationMs / 1000);
      hookStep.push(stepMs(rt, "-hook-postDeploy") / 1000);
      for (const s of [...f.steps, ...rt.steps]) {
        if (!s.executed || s.durationMs === undefined) continue;
        const key = `${f.steps.includes(s) ? "full" : "runtime"}:${s.name.replace(/^bench-h1-/, "")}${s.op === "delete" ? ":delete" : s.op === "update" ? ":update" : ""}`;
        (breakdown[key] ??= []).push(s.durationMs / 1000);
      }
      ctx.log(
        `deploy: run ${i + 1}/${ctx.runs}: full ${(f.durationMs / 1000).toFixed(2)} s, runtime-only ${(rt.durationMs / 1000).toFixed(2)} s`,
      );
      stopApps(root);
      rmrf(dir);
    }

    // Bare ssh versus the runner's ssh versus a no-op hook step program over one ssh.
    const samples = Math.max(10, ctx.runs * 3);
    const bare: number[] = [];
    const runnerSsh: number[] = [];
    for (let i = 0; i < samples; i++) {
      bare.push(bareSsh([...baselineSsh, dest]));
      const rr = await runRemote({ connection: connectionOf(sshd), command: "true" });
      if (rr.exitCode !== 0) throw new Error(`bench deploy: runner ssh true failed: ${rr.stderr}`);
      runnerSsh.push(rr.durationMs / 1000);
    }
    const bareMedian = median(bare);
    const hookMedian = median(hookStep);

    // Upload of the bench tree, and its baseline.
    const upload: number[] = [];
    const baseline: number[] = [];
    let uploadBytes = 0;
    for (let i = 0; i < ctx.runs; i++) {
      const dir = path.join(work, `upload-${i}`);
      const root = path.join(dir, "root");
      fs.mkdirSync(root, { recursive: true });
      // Flush dirty pages of the previous run first: both measurements start from the same state.
      spawnSync("sync");
      const r = check(
        await runProgram(
          () => {
            const app = new Application("tree", {
              profile: "upsun",
              source: ctx.root,
              artifactDir: path.join(dir, "artifacts"),
              hosts: [{ name: "h1", root, connection: connectionOf(sshd) }],
            });
            return { releaseId: app.releaseId };
          },
          { stateFile: path.join(dir, "state.json"), project: "bench", stack: "upload" },
        ),
        "upload deployment",
      );
      const other = r.steps
        .filter((s) => s.executed && !/-(transfer|upload)$/.test(s.name))
        .reduce((a, s) => a + (s.durationMs ?? 0), 0);
      upload.push((r.durationMs - other) / 1000);
      const tars = fs.readdirSync(path.join(dir, "artifacts")).filter((f) => f.endsWith(".tar"));
      uploadBytes = tars.length ? fs.statSync(path.join(dir, "artifacts", tars[0]!)).size : 0;
      ctx.log(
        `deploy: upload run ${i + 1}/${ctx.runs}: ${((r.durationMs - other) / 1000).toFixed(2)} s (transfer ${(stepMs(r, "-transfer") / 1000).toFixed(2)} s, unpack ${(stepMs(r, "-upload") / 1000).toFixed(2)} s)`,
      );
      (breakdown["upload:transfer"] ??= []).push(stepMs(r, "-transfer") / 1000);
      (breakdown["upload:unpack"] ??= []).push(stepMs(r, "-upload") / 1000);
      (breakdown["upload:fingerprint+tarball+runner"] ??= []).push(
        (r.durationMs - other - stepMs(r, "-transfer") - stepMs(r, "-upload")) / 1000,
      );
      rmrf(dir);

      const target = path.join(work, `baseline-${i}`);
      spawnSync("sync");
      const t = process.hrtime.bigint();
      const b = spawnSync(
        "bash",
        [
          "-c",
          `tar -C "$1" -cf - . | ssh ${baselineSsh
            .map((a) => `'${a}'`)
            .join(" ")} ${dest} "mkdir -p '$2' && tar -C '$2' -xf -"`,
          "baseline",
          ctx.root,
          target,
        ],
        { encoding: "utf8" },
      );
      if (b.status !== 0) throw new Error(`bench deploy: baseline failed: ${b.stderr}`);
      baseline.push(Number(process.hrtime.bigint() - t) / 1e9);
      ctx.log(`deploy: baseline run ${i + 1}/${ctx.runs}: ${baseline.at(-1)!.toFixed(2)} s`);
    }

    const fullSeconds = median(full);
    const runtimeOnlySeconds = median(runtime);
    const up = median(upload);
    const base = median(baseline);
    const deploy = {
      runs: ctx.runs,
      buildSleepSeconds: BUILD_SLEEP_SECONDS,
      fullSeconds: round(fullSeconds),
      runtimeOnlySeconds: round(runtimeOnlySeconds),
      redeployRatio: round(runtimeOnlySeconds / fullSeconds),
      perStepOverheadSeconds: round(hookMedian - bareMedian),
      perStep: {
        samples,
        bareSshSeconds: round(bareMedian),
        runnerSshSeconds: round(median(runnerSsh)),
        noopHookStepSeconds: round(hookMedian),
      },
      upload: {
        files: ctx.tree.files,
        bytes: ctx.tree.bytes,
        tarballBytes: uploadBytes,
        seconds: round(up),
        baselineSeconds: round(base),
        ratio: round(up / base),
      },
      hostShell,
      ...releases,
      stepMedians: Object.fromEntries(
        Object.entries(breakdown).map(([k, v]) => [k, round(median(v))]),
      ),
    };
    ctx.log(
      `deploy: full ${deploy.fullSeconds} s, runtime-only ${deploy.runtimeOnlySeconds} s (ratio ${deploy.redeployRatio}), step overhead ${deploy.perStepOverheadSeconds} s, upload ${deploy.upload.seconds} s vs ${deploy.upload.baselineSeconds} s (ratio ${deploy.upload.ratio}); medians of ${ctx.runs}`,
    );
    return { deploy };
  } finally {
    stopApps(work);
    rmrf(work);
    await sshd.stop();
  }
}
