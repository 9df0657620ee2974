/**
 * The activation behind the front proxy, through real bash and a real caddy (skipped with a printed
 * reason without caddy): blue/green switch, a new app that cannot start never gets traffic, the
 * activation survives the loss of its step's process (and rolls back by itself), the hold step,
 * the stop program; every program is shellcheck-clean.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  parseStepOutput,
  renderActivateStep,
  renderOutcomeStep,
  renderStopStep,
} from "../../render";
import type { AppTarget } from "../../render";
import type { ProxyOptions } from "../../render/proxy";
import { renderHoldStep } from "../../render/proxyHold";
import { activationReport } from "../../render/proxyReport";
import { cleanupRoots, freePort, runStep, sleep, tmpRoot, uploadRelease } from "./helpers";
import { alive } from "../e2e/harness";

const SERVER = [
  "const boot = Number(process.env.BOOT_MS || 0);",
  'setTimeout(() => require("http").createServer((q, s) => s.end(`${process.env.GREETING} ${process.env.APP_RELEASE_ID}\\n`)).listen(Number(process.env.PORT), "127.0.0.1"), boot);',
].join("\n");

function has(cmd: string): boolean {
  try {
    execFileSync("/bin/sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
  return `${res.status} ${(await res.text()).trim()}`;
}

function routePort(stdout: string): string | undefined {
  return parseStepOutput(stdout)
    .markers.filter((m) => m.kind === "route")
    .pop()?.fields.port;
}

describe("render: activation behind the front proxy (real bash, real caddy)", function () {
  this.timeout(60_000);
  let target: AppTarget;
  let proxy: ProxyOptions;
  const release = "r1";
  const activate = (greeting: string, over: Record<string, unknown> = {}) =>
    renderActivateStep({
      target,
      profile: "cleverCloud",
      releaseId: release,
      variables: { GREETING: greeting, BOOT_MS: "0" },
      start: { command: "exec node server.js", port: proxy.publicPort },
      proxy,
      activationId: `act-${greeting}`,
      ...over,
    });

  before(async function () {
    if (!has("caddy")) {
      console.log("    (skipped: caddy is not installed; apt-get install caddy)");
      this.skip();
    }
    target = { root: tmpRoot(), app: "web" };
    proxy = {
      publicPort: await freePort(),
      listenAddress: "127.0.0.1",
      mode: "blueGreen",
      holdSeconds: 10,
      drainSeconds: 2,
      healthTimeoutSeconds: 5,
    };
    await uploadRelease(target, release, { "server.js": SERVER });
  });
  after(async () => {
    if (target) await runStep(renderStopStep({ target }));
    cleanupRoots();
  });

  it("blue/green: the new app answers on the public port, the old one is stopped, the private port alternates", async () => {
    const first = await runStep(activate("a"));
    assert.equal(first.status, 0, first.stdout);
    assert.equal(await get(proxy.publicPort), `200 a ${release}`);
    const oldPid = Number(
      fs.readFileSync(path.join(target.root, "web/.deployhooks/app.pid"), "utf8").split(" ")[0],
    );
    const second = await runStep(activate("b"));
    assert.equal(second.status, 0, second.stdout);
    assert.equal(await get(proxy.publicPort), `200 b ${release}`);
    assert.notEqual(routePort(second.stdout), routePort(first.stdout));
    // Both private ports lie outside the kernel's ephemeral range (no outgoing connection can hold
    // one when the app binds it).
    const [lo, hi] = fs
      .readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = fs
      .readFileSync(path.join(target.root, "web/.deployhooks/proxy/ports"), "utf8")
      .trim()
      .split(" ")
      .map(Number);
    assert.deepEqual(
      ports.filter((p) => p >= lo! && p <= hi!),
      [],
      `ports ${ports.join(" ")} vs ephemeral ${lo}-${hi}`,
    );
    // The old app is drained and stopped after the step returned, still under the app's lock.
    execFileSync("flock", [path.join(target.root, "web/.deployhooks/lock"), "true"]);
    assert.equal(alive(oldPid), false);
  });

  it("a new app that exits at start never gets traffic: reported to the outcome step, which fails; the old app answers", async () => {
    const r = await runStep(
      activate("c", {
        start: { command: "echo 'cannot bind' >&2; exit 3", port: proxy.publicPort },
        deferFailure: true,
      }),
    );
    assert.equal(r.status, 0, r.stdout);
    assert.equal(parseStepOutput(r.stdout).startFailed, true);
    assert.match(r.stdout, /\| cannot bind/);
    assert.equal(await get(proxy.publicPort), `200 b ${release}`);
    const out = await runStep(
      renderOutcomeStep({
        target,
        profile: "cleverCloud",
        releaseId: release,
        health: { port: proxy.publicPort },
      }),
    );
    assert.equal(out.status, 1, out.stdout);
    assert.match(
      out.stdout,
      /traffic was never switched: the previous instance keeps serving; the deployment fails/,
    );
    assert.equal(await get(proxy.publicPort), `200 b ${release}`);
  });

  it("the step's process dies during the activation: it completes on the host, then rolls back by itself", async () => {
    const step = activate("d", { variables: { GREETING: "d", BOOT_MS: "1500" } });
    const child = spawn("/bin/sh", ["-c", step.command], { stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.end("");
    await sleep(500);
    child.kill("SIGKILL"); // /bin/sh exec'd bash: this is the step's own process
    const state = path.join(target.root, "web/.deployhooks");
    for (let i = 0; i < 100 && !fs.existsSync(path.join(state, "rolled-back")); i++) {
      await sleep(100);
    }
    const out = fs.readFileSync(path.join(state, "activation.out"), "utf8");
    assert.match(out, /channel was lost before it read the result: back to the previous app/);
    assert.equal(await get(proxy.publicPort), `200 b ${release}`);
  });

  it("hold: a request waits for the new app and is served by it", async () => {
    const hold = { ...proxy, mode: "hold" as const };
    const h = await runStep(renderHoldStep({ target, releaseId: release, proxy: hold }));
    assert.equal(h.status, 0, h.stdout);
    assert.match(h.stdout, /::deployhooks::hold release=r1 slot=\d port=\d+ status=held/);
    const started = Date.now();
    const held = get(proxy.publicPort);
    await sleep(1000);
    const a = await runStep(activate("e", { proxy: hold }));
    assert.equal(a.status, 0, a.stdout);
    assert.equal(await held, `200 e ${release}`);
    assert.ok(Date.now() - started >= 1000);
  });

  it("without caddy on the host: stop-then-start on the public port, and a warning naming the host and the install command", async () => {
    // A PATH with every command of this machine except caddy.
    const bin = path.join(tmpRoot(), "bin");
    fs.mkdirSync(bin);
    for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
      for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (name === "caddy" || fs.existsSync(path.join(bin, name))) continue;
        fs.symlinkSync(path.join(dir, name), path.join(bin, name));
      }
    }
    const bare = { target: { root: tmpRoot(), app: "web" }, port: await freePort() };
    await uploadRelease(bare.target, release, { "server.js": SERVER });
    const step = renderActivateStep({
      target: bare.target,
      profile: "upsun",
      releaseId: release,
      variables: { GREETING: "plain", BOOT_MS: "0" },
      start: { command: "exec node server.js", port: bare.port },
      proxy: { ...proxy, publicPort: bare.port },
    });
    try {
      const r = await runStep(step, "", { ...process.env, PATH: bin });
      assert.equal(r.status, 0, r.stdout);
      assert.match(
        r.stdout,
        /^::deployhooks::proxy status=missing install=apt-get install caddy$/m,
      );
      assert.equal(
        activationReport(r.stdout, "h1").warning,
        "host h1: the front proxy (caddy) is not installed, so the activation stopped the old app before starting the new one and requests were refused meanwhile; install it on the host with `apt-get install caddy` for zero-downtime activations",
      );
      for (let i = 0; i < 50; i++) {
        if ((await get(bare.port).catch(() => "")) !== "") break;
        await sleep(100);
      }
      assert.equal(await get(bare.port), `200 plain ${release}`);
    } finally {
      await runStep(renderStopStep({ target: bare.target }), "", { ...process.env, PATH: bin });
    }
  });

  it("every program is shellcheck-clean", function () {
    if (!has("shellcheck")) {
      console.log("      (skipped: shellcheck is not installed)");
      this.skip();
    }
    const programs = {
      activate: activate("x", { secretNames: ["API_KEY"], deferFailure: true }).program,
      hold: renderHoldStep({ target, releaseId: release, proxy: { ...proxy, mode: "hold" } })
        .program,
      stop: renderStopStep({ target }).program,
      outcome: renderOutcomeStep({
        target,
        profile: "upsun",
        releaseId: release,
        health: { port: 1 },
      }).program,
    };
    for (const [name, program] of Object.entries(programs)) {
      const file = path.join(target.root, `${name}.sh`);
      fs.writeFileSync(file, program);
      try {
        // SC2034: the header's constants are shared by every step; not every step reads them all.
        execFileSync("shellcheck", ["-s", "bash", "-S", "warning", "-e", "SC2034", file], {
          encoding: "utf8",
        });
      } catch (e) {
        assert.fail(`${name}: ${(e as { stdout?: string }).stdout}`);
      }
    }
  });
});
