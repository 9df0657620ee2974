/**
 * One app's life over SSH, for each profile: first deployment, no-op, code change, build-variable
 * change, runtime-only change, redeploy token, hook script change, failing build (the previous
 * release keeps serving), failing warn hooks, start failure. The tests of one profile build on each
 * other (one sshd, one host, one state file), like successive `pulumi up`s.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SshdHandle } from "../../testing";
import {
  assertFailedWith,
  executed,
  HISTORY,
  hooksOf,
  PROFILES,
  Scenario,
  sshdOrSkip,
  STEPS,
  summary,
} from "./harness";

for (const profile of PROFILES) {
  describe(`e2e ${profile}: an app's lifecycle over SSH`, function () {
    this.timeout(120_000);
    let sshd: SshdHandle | undefined;
    let s: Scenario;
    const steps = STEPS[profile];
    const hist = HISTORY[profile];
    const name = "app";
    const runOf = (r: Awaited<ReturnType<Scenario["deploy"]>>) => executed(r, name, "h1");

    before(async function () {
      sshd = await sshdOrSkip(this);
      s = new Scenario(profile, name);
      await s.addHost("h1", sshd);
    });
    after(async () => {
      s?.cleanup();
      await sshd?.stop();
    });

    it("first deployment: every step runs, the app answers with the build output", async () => {
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.deepEqual(runOf(r), steps.first);
      assert.deepEqual(hooksOf(s.newHistory()), hist.full);
      assert.ok(s.newHistory().every((e) => e.exitCode === 0 && e.outcome === "ok"));
      const release = r.outputs.releaseId as string;
      assert.equal(s.current(), release);
      assert.deepEqual(r.outputs.health, { h1: "ok" });
      assert.equal(
        fs.readFileSync(path.join(s.appDir(), "releases", release, "public", "build.txt"), "utf8"),
        "v1/b1",
      );
      assert.ok(fs.existsSync(path.join(s.appDir(), ".deployhooks", "releases", `${release}.ok`)));
      const body = await s.http();
      assert.match(body, /^build=v1\/b1 /);
      assert.match(body, /greeting=hello/);
      assert.match(body, new RegExp(`release=${release}`));
      if (profile === "cleverCloud") assert.match(body, /post=postBuild/);
      // Every hook run has its log on the host.
      for (const e of s.newHistory()) {
        assert.ok(fs.existsSync(path.join(s.appDir(), "logs", `${release}-${e.hook}.log`)), e.hook);
      }
    });

    it("unchanged program: nothing runs, nothing is written to the history", async () => {
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.deepEqual(runOf(r), []);
      assert.deepEqual(s.newHistory(), []);
    });

    it("code change: everything reruns in a new release", async () => {
      const before = s.current();
      s.write("version.txt", "v2\n");
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.deepEqual(runOf(r), steps.code);
      assert.deepEqual(hooksOf(s.newHistory()), hist.full);
      assert.notEqual(s.current(), before);
      assert.equal(s.current(), r.outputs.releaseId);
      assert.match(await s.http(), /^build=v2\/b1 .*greeting=hello/);
    });

    it("build-variable change: a new build (no new upload of the code), every hook reruns", async () => {
      const before = s.current();
      s.config.buildVar = "b2";
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.deepEqual(runOf(r), steps.build);
      assert.deepEqual(hooksOf(s.newHistory()), hist.full);
      assert.notEqual(s.current(), before);
      assert.match(await s.http(), /^build=v2\/b2 /);
    });

    it(
      profile === "upsun"
        ? "runtime-only change: only postDeploy and the restart run"
        : "runtime-only change: a deployment from cache (preBuild, preRun, restart, runSucceeded; no build, no postBuild)",
      async () => {
        const before = s.current();
        s.config.greeting = "bonjour";
        const r = await s.deploy();
        assert.equal(r.failed, false, summary(r));
        assert.deepEqual(runOf(r), steps.runtime);
        assert.deepEqual(hooksOf(s.newHistory()), hist.runtime);
        assert.equal(s.current(), before, "same release");
        const body = await s.http();
        assert.match(body, /^build=v2\/b2 .*greeting=bonjour/);
        const hookLog = fs.readFileSync(
          path.join(
            s.appDir(),
            "logs",
            `${before}-${profile === "upsun" ? "postDeploy" : "preRun"}.log`,
          ),
          "utf8",
        );
        assert.match(hookLog, /greeting=bonjour/);
      },
    );

    it("redeploy token: the same steps as a runtime-only change, nothing else", async () => {
      const before = s.current();
      s.config.redeployToken = "2024-01-01";
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.deepEqual(runOf(r), steps.runtime);
      assert.deepEqual(hooksOf(s.newHistory()), hist.runtime);
      assert.equal(s.current(), before);
      assert.match(await s.http(), /greeting=bonjour/);
    });

    it("hook script change: that hook reruns, the build does not", async () => {
      const before = s.current();
      const hook = profile === "upsun" ? "deploy" : "preRun";
      s.config.scripts[hook] = `echo "${hook} v2 greeting=$GREETING"\n`;
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      const ran = runOf(r);
      assert.ok(ran.includes(`hook-${hook}`), ran.join(" "));
      assert.ok(!ran.includes("build") && !ran.includes("upload"), ran.join(" "));
      // A deploy-phase script is a runtime input: the restart and the every-deployment hooks follow.
      assert.deepEqual(
        hooksOf(s.newHistory()),
        profile === "upsun" ? ["deploy", "postDeploy"] : hist.runtime,
      );
      assert.equal(s.current(), before);
      const log = fs.readFileSync(path.join(s.appDir(), "logs", `${before}-${hook}.log`), "utf8");
      assert.match(log, new RegExp(`${hook} v2 greeting=bonjour`));
    });

    it("failing build: the deployment stops, the previous release stays current and keeps answering", async () => {
      const before = s.current();
      const bodyBefore = await s.http();
      const pidBefore = fs.readFileSync(path.join(s.appDir(), ".deployhooks", "app.pid"), "utf8");
      s.write("version.txt", "v3\n");
      const buildHook = profile === "upsun" ? "build" : "buildCommand";
      const good = s.config.scripts[buildHook];
      s.config.scripts[buildHook] = 'echo "compiling"\necho "error: syntax" >&2\nexit 3\n';
      const r = await s.deploy();
      assert.equal(r.failed, true, summary(r));
      const failedStep = r.steps.find((st) => st.error && st.exitCode !== undefined);
      assert.equal(failedStep?.name, `${name}-h1-${profile === "upsun" ? "hook-build" : "build"}`);
      assert.equal(failedStep?.exitCode, 3);
      assertFailedWith(
        r,
        /exited with status 3; failure policy abort: the deployment stops; the current release keeps serving/,
      );
      assert.ok(!runOf(r).includes("activate"));
      const label = profile === "upsun" ? "build" : "step:build";
      const last = s.newHistory().at(-1)!;
      assert.deepEqual([last.hook, last.exitCode, last.outcome], [label, 3, "failed"]);
      assert.equal(s.current(), before);
      assert.equal(await s.http(), bodyBefore);
      assert.equal(
        fs.readFileSync(path.join(s.appDir(), ".deployhooks", "app.pid"), "utf8"),
        pidBefore,
        "not restarted",
      );
      // Fixing the build converges: the new release goes live.
      s.config.scripts[buildHook] = good;
      const r2 = await s.deploy();
      assert.equal(r2.failed, false, summary(r2));
      assert.match(await s.http(), /^build=v3\/b2 /);
      assert.equal(s.current(), r2.outputs.releaseId);
    });

    if (profile === "upsun") {
      it("failing deploy and postDeploy: the deployment completes with a warning naming each hook and exit code", async () => {
        s.write("version.txt", "v4\n");
        s.config.scripts.deploy = "echo migrating\nexit 4\n";
        s.config.scripts.postDeploy = "echo warming\nexit 5\n";
        const r = await s.deploy();
        assert.equal(r.failed, false, summary(r));
        assert.ok(
          r.warnings.some((w) => /hook deploy (exited with status|failed .*exit code) 4\b/.test(w)),
          r.warnings.join("\n"),
        );
        assert.ok(
          r.warnings.some((w) =>
            /hook postDeploy (exited with status|failed .*exit code) 5\b/.test(w),
          ),
          r.warnings.join("\n"),
        );
        const h = s.newHistory();
        assert.deepEqual(
          h.map((e) => [e.hook, e.exitCode, e.outcome]),
          [
            ["build", 0, "ok"],
            ["deploy", 4, "warned"],
            ["postDeploy", 5, "warned"],
          ],
        );
        assert.equal(s.current(), r.outputs.releaseId);
        assert.match(await s.http(), /^build=v4\/b2 /);
        s.config.scripts.deploy = 'echo "deploy release=$APP_RELEASE_ID"\n';
        s.config.scripts.postDeploy = 'echo "postDeploy greeting=$GREETING"\n';
      });

      it("start failure: the outcome step finds the app dead and fails the deployment with its log", async () => {
        s.config.start = 'echo "cannot bind" >&2; exit 1';
        const r = await s.deploy();
        assert.equal(r.failed, true, summary(r));
        // Behind the front proxy the new app starts beside the old one and never gets traffic.
        assertFailedWith(
          r,
          /did not start or failed its health check.*the previous instance keeps serving/,
        );
        assertFailedWith(r, /cannot bind/);
        assert.ok(!runOf(r).includes("hook-postDeploy"));
      });
    } else {
      it("failing runSucceeded (warn): the deployment completes with a warning naming the hook and exit code", async () => {
        s.config.scripts.runSucceeded = "echo notifying\nexit 6\n";
        const r = await s.deploy();
        assert.equal(r.failed, false, summary(r));
        assert.ok(
          r.warnings.some((w) =>
            /hook runSucceeded (exited with status|failed .*exit code) 6\b/.test(w),
          ),
          r.warnings.join("\n"),
        );
        const last = s.newHistory().at(-1)!;
        assert.deepEqual([last.hook, last.exitCode, last.outcome], ["runSucceeded", 6, "warned"]);
        assert.match(await s.http(), /^build=v3\/b2 /);
        s.config.scripts.runSucceeded = "echo runSucceeded\n";
      });
    }

    if (profile === "upsun") {
      // The broken activation was recorded (its failure is judged by the outcome step), so
      // restoring the start command is a runtime change: a new activation, which converges.
      it("restoring the start command converges: the app answers again", async () => {
        s.config.start = "exec node server.js";
        const r = await s.deploy();
        assert.equal(r.failed, false, summary(r));
        assert.deepEqual(runOf(r), steps.runtime);
        assert.match(await s.http(), /greeting=bonjour/);
      });
    }
  });
}
