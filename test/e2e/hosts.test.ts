/**
 * Hosts and transport, for each profile: two deployments of the same app at once (serialized by
 * the app's lock), a secret that never lands in state, command texts or logs, a host that does not
 * answer, the SSH connection dropped in the middle of a hook, a second host added.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startSshd, type RunReport, type SshdHandle } from "../../testing";
import {
  assertFailedWith,
  executed,
  freePort,
  HISTORY,
  hooksOf,
  processesUnder,
  PROFILES,
  Scenario,
  sleep,
  waitForAnswer,
  sshdOrSkip,
  STEPS,
  summary,
} from "./harness";

const CHILD = path.resolve(__dirname, "..", "fixtures", "e2e", "deployChild.ts");

/** Runs one deployment in a child process (its own runProgram, its own state file). */
function deployInChild(s: Scenario, stack: string): Promise<RunReport> {
  const input = path.join(s.dir, `child-${stack}.json`);
  fs.writeFileSync(
    input,
    JSON.stringify({ spec: s.spec(), stateFile: path.join(s.dir, `state-${stack}.json`), stack }),
    { mode: 0o600 },
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CHILD, input], {
      cwd: path.resolve(__dirname, "..", ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) {
        reject(new Error(`child ${stack} exited ${code}: ${err.slice(-2000)}`));
      } else resolve(JSON.parse(line) as RunReport);
    });
  });
}

/** Every file under `dir` (recursively, symlinks not followed). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** SIGKILLs the per-connection processes of an sshd (its listener's children): drops every session. */
function dropSessions(sshd: SshdHandle): number {
  const listener = Number(fs.readFileSync(path.join(sshd.dir, "sshd.pid"), "utf8").trim());
  let killed = 0;
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === listener) {
        process.kill(Number(e), "SIGKILL");
        killed++;
      }
    } catch {
      // gone
    }
  }
  return killed;
}

for (const profile of PROFILES) {
  describe(`e2e ${profile}: hosts and transport`, function () {
    this.timeout(120_000);
    let sshd: SshdHandle | undefined;
    const scenarios: Scenario[] = [];
    const extraSshds: SshdHandle[] = [];
    const scenario = async (): Promise<Scenario> => {
      const s = new Scenario(profile);
      scenarios.push(s);
      await s.addHost("h1", sshd);
      return s;
    };

    before(async function () {
      sshd = await sshdOrSkip(this);
    });
    after(async () => {
      for (const s of scenarios) s.cleanup();
      for (const x of extraSshds) await x.stop();
      await sshd?.stop();
    });

    it("two deployments of the same app at once: serialized by the lock, both complete, the host is consistent", async () => {
      const s = await scenario();
      const slow = profile === "upsun" ? "build" : "preBuild";
      s.config.scripts[slow] = `sleep 1\n${s.config.scripts[slow] ?? ""}`;
      s.config.greeting = "from-a";
      const a = deployInChild(s, "a");
      s.config.greeting = "from-b";
      const b = deployInChild(s, "b");
      const [ra, rb] = await Promise.all([a, b]);
      assert.equal(ra.failed, false, summary(ra));
      assert.equal(rb.failed, false, summary(rb));
      const h = s.history();
      // Both deploy the same release: the one that builds it second finds it built and unchanged
      // and reuses it (its build-phase steps report `reused release`), unless the two interleaved
      // before the first build completed; the activation hooks always run twice.
      const full = HISTORY[profile].full.length;
      const activation = { upsun: 2, cleverCloud: 2 }[profile];
      assert.ok(
        h.length >= full + activation && h.length <= 2 * full,
        `history: ${h.map((e) => e.hook).join(",")}`,
      );
      // Hook runs hold the app's lock: no two of them overlap in time.
      const spans = h
        .map((e) => [Date.parse(e.start), Date.parse(e.end)] as const)
        .sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) {
        assert.ok(spans[i]![0] >= spans[i - 1]![1], `hook runs overlap: ${JSON.stringify(h)}`);
      }
      const release = s.current();
      assert.equal(release, ra.outputs.releaseId);
      assert.ok(fs.existsSync(path.join(s.appDir(), ".deployhooks", "releases", `${release}.ok`)));
      assert.deepEqual(
        fs.readdirSync(path.join(s.appDir(), "releases")),
        [release],
        "no half-unpacked release left",
      );
      assert.match(await s.http(), /greeting=from-[ab] /);
      // Exactly one app process group runs: the second activate stopped the first one's app.
      const apps = processesUnder(s.appDir()).filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("server.js");
        } catch {
          return false;
        }
      });
      assert.equal(apps.length, 1, `app processes: ${apps.join(" ")}`);
    });

    it("a secret never appears in the state file, the command texts, the report or the host's files; the app gets it", async () => {
      const s = await scenario();
      const secret = `sk-e2e-${crypto.randomBytes(12).toString("hex")}`;
      s.config.secrets = { API_KEY: secret };
      const user = profile === "upsun" ? "postDeploy" : "runSucceeded";
      s.config.scripts[user] =
        'test -n "$API_KEY" && echo "key digest $(printf %s "$API_KEY" | sha256sum | cut -c1-16)"\n';
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      const digest = crypto.createHash("sha256").update(secret).digest("hex").slice(0, 16);
      assert.match(await s.http(), new RegExp(`secret=${digest}`));
      const e = s.newHistory().find((x) => x.hook === user)!;
      assert.equal(e.exitCode, 0);
      assert.match(
        fs.readFileSync(path.join(s.appDir(), "logs", `${e.release}-${user}.log`), "utf8"),
        new RegExp(`key digest ${digest}`),
      );
      assert.ok(!fs.readFileSync(s.stateFile, "utf8").includes(secret), "state file");
      assert.ok(!JSON.stringify(r).includes(secret), "report (command texts, outputs, errors)");
      for (const st of r.steps) assert.ok(!(st.command ?? "").includes(secret), st.name);
      for (const f of [...filesUnder(s.host().root), ...filesUnder(s.artifactDir)]) {
        assert.ok(!fs.readFileSync(f).includes(secret), `secret found in ${f}`);
      }
      // A runtime-only change of the secret reruns the runtime steps with the new value.
      const next = `${secret}-rotated`;
      s.config.secrets = { API_KEY: next };
      const r2 = await s.deploy();
      assert.equal(r2.failed, false, summary(r2));
      assert.deepEqual(executed(r2, "app", "h1"), STEPS[profile].runtime);
      assert.match(
        await s.http(),
        new RegExp(`secret=${crypto.createHash("sha256").update(next).digest("hex").slice(0, 16)}`),
      );
      assert.ok(!fs.readFileSync(s.stateFile, "utf8").includes(next));
    });

    it("a host that does not answer: a clear ssh error within a bounded time, nothing recorded", async () => {
      const s = new Scenario(profile);
      scenarios.push(s);
      const closed = await freePort();
      await s.addHost("h1", sshd, {
        connection: {
          host: "127.0.0.1",
          port: closed,
          user: sshd!.user,
          privateKey: sshd!.privateKey,
          hostKey: sshd!.hostKey,
        },
      });
      const t0 = Date.now();
      const r = await s.deploy();
      const seconds = (Date.now() - t0) / 1000;
      assertFailedWith(
        r,
        new RegExp(`ssh: connect to host 127\\.0\\.0\\.1 port ${closed}: Connection refused`),
      );
      // The provider's default dialErrorLimit (10) retries, ~1 s apart: bounded, not hanging.
      assert.ok(seconds < 20, `took ${seconds} s`);
      assert.deepEqual(executed(r, "app", "h1"), ["library"]);
      const state = JSON.parse(fs.readFileSync(s.stateFile, "utf8")) as {
        resources: { name: string; inputs: { create?: string } }[];
      };
      // Only the app-process resource, which has nothing to create (its delete stops the app), is
      // recorded; no step that runs on the host is.
      assert.deepEqual(
        state.resources.map((x) => [x.name, x.inputs.create]),
        [["app-h1-app", undefined]],
      );
    });

    it("the SSH connection dropped in the middle of a hook: the run fails, the next run converges", async () => {
      const s = await scenario();
      const r1 = await s.deploy();
      assert.equal(r1.failed, false, summary(r1));
      const v1 = s.current();
      const hook = profile === "upsun" ? "deploy" : "preRun";
      // Upsun holds requests during deploy; the abandoned hold ends after the hold limit (5 s here).
      s.config.traffic = { holdSeconds: 5, listenAddress: "127.0.0.1" };
      const marker = path.join(s.dir, "hook-started");
      s.config.scripts[hook] = `touch ${marker}\nsleep 2\necho "${hook} done"\n`;
      s.write("version.txt", "v2\n");
      const run = s.deploy();
      let dropped = 0;
      for (let i = 0; i < 300 && !fs.existsSync(marker); i++) await sleep(50);
      assert.ok(fs.existsSync(marker), "the hook started");
      dropped = dropSessions(sshd!);
      assert.ok(dropped > 0);
      const r2 = await run;
      assert.equal(r2.failed, true, summary(r2));
      assert.ok(!executed(r2, "app", "h1").includes("activate"));
      assert.equal(s.current(), v1, "the previous release stays current");
      if (profile === "upsun") await waitForAnswer(s, 30_000);
      assert.match(await s.http(), /^build=v1\//);

      fs.rmSync(marker, { force: true });
      const r3 = await s.deploy();
      assert.equal(r3.failed, false, summary(r3));
      assert.ok(executed(r3, "app", "h1").includes(`hook-${hook}`));
      assert.equal(s.current(), r3.outputs.releaseId);
      assert.notEqual(s.current(), v1);
      assert.match(await s.http(), /^build=v2\//);
      const runs = s.history().filter((e) => e.hook === hook && e.release === s.current());
      assert.equal(runs.at(-1)?.outcome, "ok");
      assert.deepEqual(
        fs.readdirSync(path.join(s.appDir(), "releases")).filter((d) => d.includes(".tmp-")),
        [],
      );
      // Converged: one more run does nothing.
      const r4 = await s.deploy();
      assert.equal(r4.failed, false, summary(r4));
      assert.deepEqual(executed(r4, "app", "h1"), []);
    });

    it("a second host added: it gets a full first deployment, the first host nothing", async () => {
      const s = await scenario();
      const r1 = await s.deploy();
      assert.equal(r1.failed, false, summary(r1));
      const second = await startSshd(); // the suite's before() already proved sshd runs here
      extraSshds.push(second);
      const h2 = await s.addHost("h2", second);
      const r2 = await s.deploy();
      assert.equal(r2.failed, false, summary(r2));
      assert.deepEqual(executed(r2, "app", "h1"), []);
      assert.deepEqual(s.newHistory(s.host("h1")), []);
      const expected =
        profile === "upsun"
          ? [
              "library",
              "probe",
              "transfer",
              "upload",
              "build",
              "hook-build",
              "hold-deploy",
              "activate",
              "outcome",
            ] // deploy/postDeploy: once, on the leader h1; every web host holds
          : STEPS[profile].first;
      assert.deepEqual(executed(r2, "app", "h2"), expected);
      assert.deepEqual(
        hooksOf(s.newHistory(h2)),
        profile === "upsun" ? ["build"] : HISTORY[profile].full,
      );
      assert.equal(s.current(h2), s.current(s.host("h1")));
      // h1 ran nothing in this deployment: its health is unknown, not a stale "ok".
      assert.deepEqual(r2.outputs.health, { h1: "unknown", h2: "ok" });
      const [b1, b2] = [await s.http(s.host("h1")), await s.http(h2)];
      assert.equal(b1, b2);
      assert.match(b2, /^build=v1\/b1 /);
    });
  });
}
