/**
 * The activation survives the loss of its SSH channel (issue 8 item 6): the SSH sessions are killed
 * while the activation is starting the new app; the activation finishes on the host, finds its step
 * gone and rolls back by itself, so the previous release keeps serving (0 failed requests); the next
 * run converges; and a cancelled deployment followed by a revert of the configuration does not leave
 * the cancelled release serving. Skipped (with the reason printed) without sshd or caddy.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SshdHandle } from "../../testing";
import { Scenario, sleep, sshdOrSkip, summary } from "./harness";
import { caddyOrSkip, describeFailures, failures, startLoad } from "./trafficLoad";

/** Kills every session process of the sshd fixture (the children of its listener). */
function dropSessions(sshd: SshdHandle): number {
  const listener = Number(fs.readFileSync(path.join(sshd.dir, "sshd.pid"), "utf8").trim());
  let killed = 0;
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === listener) {
        process.kill(Number(e), "SIGKILL");
        killed++;
      }
    } catch {
      // gone
    }
  }
  return killed;
}

describe("e2e traffic over SSH: the channel dropped during activate", function () {
  this.timeout(300_000);
  let sshd: SshdHandle | undefined;
  let s: Scenario;
  const state = () => path.join(s.appDir(), ".deployhooks");

  /** Deploys the current config and kills the SSH sessions once the new app is starting. */
  async function deployAndDrop(): Promise<Awaited<ReturnType<Scenario["deploy"]>>> {
    const out = path.join(state(), "activation.out");
    fs.rmSync(out, { force: true });
    const run = s.deploy();
    for (let i = 0; i < 1200; i++) {
      if (fs.existsSync(out) && /::deployhooks::started /.test(fs.readFileSync(out, "utf8"))) break;
      await sleep(50);
    }
    assert.match(fs.readFileSync(out, "utf8"), /::deployhooks::started /);
    assert.ok(dropSessions(sshd!) > 0);
    const r = await run;
    // The detached activation ends (rolled back) and releases the app's lock.
    execFileSync("flock", ["-w", "60", path.join(state(), "lock"), "true"]);
    return r;
  }

  before(async function () {
    caddyOrSkip(this);
    sshd = await sshdOrSkip(this);
    s = new Scenario("cleverCloud", "app");
    s.config.start = "sleep 2; exec node server.js"; // slow enough to drop the channel meanwhile
    s.config.traffic = { listenAddress: "127.0.0.1" };
    await s.addHost("h1", sshd);
    const r = await s.deploy();
    assert.equal(r.failed, false, summary(r));
  });
  after(async () => {
    s?.cleanup();
    await sshd?.stop();
  });

  it("the run fails, the activation rolls back by itself: the previous release keeps serving, 0 failed requests", async () => {
    const v1 = s.current();
    s.write("version.txt", "v2\n");
    const load = startLoad(`http://127.0.0.1:${s.host().httpPort}/`);
    const r = await deployAndDrop();
    await sleep(300);
    const samples = await load.stop();
    assert.equal(r.failed, true, summary(r));
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    assert.match(
      fs.readFileSync(path.join(state(), "activation.out"), "utf8"),
      /the step's channel was lost before it read the result: back to the previous app/,
    );
    assert.equal(s.current(), v1);
    assert.match(await s.http(), /^build=v1\//);
  });

  it("the next run converges: the new release serves", async () => {
    const r = await s.deploy();
    assert.equal(r.failed, false, summary(r));
    assert.equal(s.current(), r.outputs.releaseId);
    assert.match(await s.http(), /^build=v2\//);
  });

  it("a cancelled deployment followed by a revert: the host serves the reverted (recorded) configuration", async () => {
    const v2 = s.current();
    s.write("version.txt", "v3\n");
    const r = await deployAndDrop();
    assert.equal(r.failed, true, summary(r));
    // The cancelled release is not serving: the host is back on what Pulumi recorded.
    assert.equal(s.current(), v2);
    assert.match(await s.http(), /^build=v2\//);
    s.write("version.txt", "v2\n");
    const back = await s.deploy();
    // The revert either runs (nothing to change) or is refused by the deployment claim (a
    // superseded deployment rerun too soon); in both cases the recorded release serves.
    if (back.failed) assert.match(back.error ?? "", /superseded by deployment/);
    assert.equal(s.current(), v2);
    assert.match(await s.http(), /^build=v2\//);
  });
});
