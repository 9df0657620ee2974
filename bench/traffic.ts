/**
 * `traffic` section: a code deployment under load. An `UpsunApp` (default arguments: a port, a start
 * command, the local machine; the proxy bound to 127.0.0.1) whose app boots in 1 s and whose
 * `deploy` hook takes 1 s is deployed once, then a code change is deployed while 4 keep-alive
 * request loops hit its URL.
 *
 * - `requests`: requests completed during the code deployment; `failed`: refused, reset or non-2xx.
 * - `outageSeconds`: total time covered by failed requests (0 when none failed).
 * - `maxHoldSeconds`: the longest a successful request took (a held request waits for the deploy
 *   hook and the new app's boot).
 * - `proxy`: whether caddy was there (without it the activation falls back to stop-then-start).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UpsunApp } from "../components";
import { runProgram } from "../testing";
import { failures, startLoad, type Sample } from "../test/e2e/trafficLoad";
import { freePort } from "../test/e2e/harness";
import type { BenchContext } from "./main";

const APP = path.resolve(__dirname, "..", "test", "fixtures", "traffic", "app");

/** Seconds covered by the union of the failed requests' [start, end] intervals. */
export function outageSeconds(samples: readonly Sample[]): number {
  const spans = failures(samples)
    .map((s) => [s.start, s.end] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [a, b] of spans) {
    if (cur && a <= cur[1]) cur[1] = Math.max(cur[1], b);
    else {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    }
  }
  if (cur) total += cur[1] - cur[0];
  return total / 1000;
}

function hasCaddy(): boolean {
  try {
    execFileSync("/bin/sh", ["-c", "command -v caddy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function runTrafficBench(ctx: BenchContext): Promise<{
  traffic: {
    requests: number;
    failed: number;
    outageSeconds: number;
    maxHoldSeconds: number;
    proxy: boolean;
  };
}> {
  const dir = fs.mkdtempSync(path.join(ctx.workDir, "traffic-"));
  const src = path.join(dir, "src");
  fs.cpSync(APP, src, { recursive: true });
  fs.writeFileSync(path.join(src, "version.txt"), "v1\n");
  const port = await freePort();
  const root = path.join(dir, "root");
  const program = () => () => {
    const app = new UpsunApp("bench", {
      source: src,
      port,
      web: { commands: { start: "exec node server.js" } },
      hooks: { deploy: "sleep 1" },
      hosts: [{ name: "local", root }],
      artifactDir: path.join(dir, "artifacts"),
      traffic: { listenAddress: "127.0.0.1" },
    });
    return { health: app.health };
  };
  const deploy = () => runProgram(program(), { stateFile: path.join(dir, "state.json") });
  try {
    const first = await deploy();
    if (first.failed) throw new Error(`traffic bench: first deployment failed: ${first.error}`);
    fs.writeFileSync(path.join(src, "version.txt"), "v2\n");
    const load = startLoad(`http://127.0.0.1:${port}/`);
    await new Promise((r) => setTimeout(r, 300));
    const second = await deploy();
    await new Promise((r) => setTimeout(r, 300));
    const samples = await load.stop();
    if (second.failed) throw new Error(`traffic bench: code deployment failed: ${second.error}`);
    const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
    const traffic = {
      requests: samples.length,
      failed: failures(samples).length,
      outageSeconds: outageSeconds(samples),
      maxHoldSeconds: ok.reduce((m, s) => Math.max(m, s.end - s.start), 0) / 1000,
      proxy: hasCaddy(),
    };
    ctx.log(
      `traffic: ${traffic.requests} requests during a code deployment, ${traffic.failed} failed, outage ${traffic.outageSeconds} s, longest hold ${traffic.maxHoldSeconds} s (proxy: ${traffic.proxy ? "caddy" : "none: stop-then-start"})`,
    );
    return { traffic };
  } finally {
    for (const file of ["proxy/caddy.pid", "app.pid"]) {
      try {
        const pid = Number(
          fs.readFileSync(path.join(root, "bench", ".deployhooks", file), "utf8").split(" ")[0],
        );
        if (pid > 0) process.kill(file === "app.pid" ? -pid : pid, "SIGTERM");
      } catch {
        // not running
      }
    }
  }
}
