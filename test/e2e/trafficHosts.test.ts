/**
 * Traffic over SSH with two web hosts and a worker (issue 7): hosts activate one at a time (each
 * gated on its health check), a request held across the Upsun `deploy` hook waits about as long as
 * the hook ran, a failing batch stops the rollout with the other host still serving the previous
 * configuration, and the worker host never runs the web start command. 4 request loops per web
 * host, 0 failed requests. Skipped (with the reason printed) without sshd or caddy.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SshdHandle } from "../../testing";
import { Scenario, sshdOrSkip, summary } from "./harness";
import {
  caddyOrSkip,
  describeFailures,
  failures,
  maxLatency,
  startLoad,
  type Sample,
} from "./trafficLoad";

/** When `current` last switched on a host (the rename's time). */
function switchedAt(s: Scenario, host: string): number {
  return fs.lstatSync(path.join(s.appDir(s.host(host)), "current")).mtimeMs;
}

async function underLoad(
  s: Scenario,
  hosts: string[],
): Promise<{ r: Awaited<ReturnType<Scenario["deploy"]>>; samples: Sample[] }> {
  const loads = hosts.map((h) => startLoad(`http://127.0.0.1:${s.host(h).httpPort}/`));
  await new Promise((res) => setTimeout(res, 300));
  const r = await s.deploy();
  await new Promise((res) => setTimeout(res, 300));
  const samples = (await Promise.all(loads.map((l) => l.stop()))).flat();
  return { r, samples };
}

for (const profile of ["upsun", "cleverCloud"] as const) {
  describe(`e2e traffic over SSH (${profile}): two web hosts and a worker, rolling`, function () {
    this.timeout(300_000);
    let sshd: SshdHandle | undefined;
    let s: Scenario;
    const hookSeconds = 3;

    before(async function () {
      caddyOrSkip(this);
      sshd = await sshdOrSkip(this);
      s = new Scenario(profile, "app");
      s.config.start = "sleep 1; exec node server.js"; // an app that boots in 1 s
      s.config.traffic = { listenAddress: "127.0.0.1" };
      if (profile === "upsun") s.config.scripts.deploy = `sleep ${hookSeconds}\necho deployed\n`;
      await s.addHost("web1", sshd, { leader: true });
      await s.addHost("web2", sshd);
      await s.addHost("jobs", sshd, { roles: ["worker"] });
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
    });
    after(async () => {
      s?.cleanup();
      await sshd?.stop();
    });

    it("a code change: 0 failed requests, web1 then web2 (web2 starts after web1 passed its health check), the worker runs no web process", async () => {
      s.write("version.txt", "v2\n");
      const { r, samples } = await underLoad(s, ["web1", "web2"]);
      assert.equal(r.failed, false, summary(r));
      assert.equal(failures(samples).length, 0, describeFailures(samples));
      const release = r.outputs.releaseId as string;
      assert.deepEqual([s.current(s.host("web1")), s.current(s.host("web2"))], [release, release]);
      // web2's new app (1 s boot) started only after web1 switched and passed its outcome step.
      assert.ok(
        switchedAt(s, "web2") - switchedAt(s, "web1") >= 1000,
        `web1 switched at ${switchedAt(s, "web1")}, web2 at ${switchedAt(s, "web2")}`,
      );
      const worker = path.join(s.appDir(s.host("jobs")), ".deployhooks");
      assert.equal(fs.existsSync(path.join(worker, "app.pid")), false, "no web app on the worker");
      assert.equal(fs.existsSync(path.join(worker, "proxy")), false, "no proxy on the worker");
      assert.equal(s.current(s.host("jobs")), release);
      if (profile === "upsun") {
        // Requests held from before the deploy hook until the new app answered: about the hook.
        const held = maxLatency(samples);
        assert.ok(held >= hookSeconds * 1000, `longest request ${held} ms`);
        assert.ok(held < (hookSeconds + 12) * 1000, `longest request ${held} ms`);
      }
    });

    it("a failing first batch stops the rollout: web2 is not touched and keeps its configuration, 0 failed requests", async () => {
      const before2 = await s.http(s.host("web2"));
      fs.writeFileSync(path.join(s.host("web1").root, "fail-start"), "");
      // The start command fails on web1 only (its root holds fail-start).
      s.config.start =
        'test -e ../../../fail-start && { echo "web1 refuses" >&2; exit 3; }; sleep 1; exec node server.js';
      s.config.greeting = "second";
      const { r, samples } = await underLoad(s, ["web1", "web2"]);
      assert.equal(r.failed, true, summary(r));
      assert.match(r.error ?? "", /the previous instance keeps serving/);
      assert.equal(failures(samples).length, 0, describeFailures(samples));
      assert.ok(!r.steps.some((x) => x.name === "app-web2-activate" && x.executed), summary(r));
      assert.equal(await s.http(s.host("web2")), before2);
      assert.doesNotMatch(await s.http(s.host("web1")), /greeting=second/);
    });
  });
}
