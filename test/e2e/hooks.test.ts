/**
 * Hook semantics on a real host over SSH, for each profile: timeout (process group killed,
 * "timed out after N s"), last-command versus `set -e`, a `watch`-scoped hook, an app that starts
 * but never answers its health check.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SshdHandle } from "../../testing";
import {
  alive,
  assertFailedWith,
  executed,
  hooksOf,
  PROFILES,
  Scenario,
  sshdOrSkip,
  summary,
} from "./harness";

for (const profile of PROFILES) {
  describe(`e2e ${profile}: hook semantics over SSH`, function () {
    this.timeout(120_000);
    let sshd: SshdHandle | undefined;
    const scenarios: Scenario[] = [];
    const scenario = async (): Promise<Scenario> => {
      const s = new Scenario(profile);
      scenarios.push(s);
      await s.addHost("h1", sshd);
      return s;
    };
    /** An aborting build-phase hook of the profile. */
    const abortHook = profile === "upsun" ? "build" : "preBuild";
    /** A warn hook of the profile. */
    const warnHook = profile === "upsun" ? "postDeploy" : "runSucceeded";
    /** Hooks of a new release whose app does not come up: no postDeploy; runFailed, not runSucceeded. */
    const failedStartHooks =
      profile === "upsun"
        ? ["build", "deploy"]
        : ["preBuild", "step:build", "postBuild", "preRun", "runFailed"];

    before(async function () {
      sshd = await sshdOrSkip(this);
    });
    after(async () => {
      for (const s of scenarios) s.cleanup();
      await sshd?.stop();
    });

    it(`hook timeout: ${abortHook} is killed with its children and reported "timed out after 2 s"`, async () => {
      const s = await scenario();
      s.config.scripts[abortHook] =
        'echo $$ > "$APP_CACHE_DIR/hook.pid"\nsleep 60 &\necho $! > "$APP_CACHE_DIR/child.pid"\nwait\necho never\n';
      s.config.hookOptions[abortHook] = { timeoutSeconds: 2 };
      const t0 = Date.now();
      const r = await s.deploy();
      const elapsed = (Date.now() - t0) / 1000;
      assert.equal(r.failed, true, summary(r));
      assertFailedWith(r, new RegExp(`hook ${abortHook} timed out after 2 s`));
      assert.ok(elapsed < 30, `took ${elapsed} s`);
      const e = s.newHistory().find((x) => x.hook === abortHook)!;
      assert.equal(e.outcome, "timedOut");
      assert.equal(e.exitCode, 124);
      const cache = path.join(s.appDir(), "cache");
      const pids = ["hook.pid", "child.pid"].map((f) =>
        Number(fs.readFileSync(path.join(cache, f), "utf8")),
      );
      for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running`);
      assert.equal(s.current(), "", "nothing was activated");
      assert.ok(!executed(r, "app", "h1").includes("activate"));
    });

    it("a hook fails only if its last command fails; with set -e the first failure stops it", async () => {
      const s = await scenario();
      const original = s.config.scripts[abortHook]!;
      s.config.scripts[abortHook] = `false\necho "after false"\n${original}`;
      s.config.scripts[warnHook] = 'echo "last command fails"\nfalse\n';
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      const byHook = new Map(s.newHistory().map((e) => [e.hook, e]));
      assert.equal(byHook.get(abortHook)?.exitCode, 0);
      assert.match(
        fs.readFileSync(path.join(s.appDir(), "logs", `${s.current()}-${abortHook}.log`), "utf8"),
        /after false/,
      );
      assert.deepEqual(
        [byHook.get(warnHook)?.exitCode, byHook.get(warnHook)?.outcome],
        [1, "warned"],
      );
      assert.ok(
        r.warnings.some((w) => w.includes(`hook ${warnHook}`)),
        r.warnings.join("\n"),
      );

      s.config.scripts[abortHook] = `set -e\nfalse\necho "never printed"\n${original}`;
      const r2 = await s.deploy();
      assert.equal(r2.failed, true, summary(r2));
      const e = s.newHistory().find((x) => x.hook === abortHook)!;
      assert.deepEqual([e.exitCode, e.outcome], [1, "failed"]);
      const log = fs.readFileSync(
        path.join(s.appDir(), "logs", `${e.release}-${abortHook}.log`),
        "utf8",
      );
      assert.doesNotMatch(log, /never printed/);
      assertFailedWith(r2, new RegExp(`hook ${abortHook} exited with status 1`));
    });

    const watched = profile === "upsun" ? "deploy" : "preRun";
    it(`a watch-scoped ${watched} hook reruns only when its paths change`, async () => {
      const s = await scenario();
      s.write("migrations/001.sql", "create table t (id int);\n");
      s.config.scripts[watched] = 'echo "migrating: $(ls migrations | tr "\\n" " ")"\n';
      s.config.hookOptions[watched] = {
        watch: ["migrations/**"],
        ...(profile === "cleverCloud" ? { rerunOn: ["code"] } : {}),
      };
      const r1 = await s.deploy();
      assert.equal(r1.failed, false, summary(r1));
      assert.ok(hooksOf(s.newHistory()).includes(watched));

      s.write("version.txt", "v2\n");
      const r2 = await s.deploy();
      assert.equal(r2.failed, false, summary(r2));
      assert.notEqual(s.current(), r1.outputs.releaseId, "a new release went live");
      assert.ok(!hooksOf(s.newHistory()).includes(watched), hooksOf(s.newHistory()).join(" "));
      assert.ok(!executed(r2, "app", "h1").includes(`hook-${watched}`));
      assert.match(await s.http(), /^build=v2\//);

      s.write("migrations/002.sql", "alter table t add column n int;\n");
      const r3 = await s.deploy();
      assert.equal(r3.failed, false, summary(r3));
      assert.ok(hooksOf(s.newHistory()).includes(watched), hooksOf(s.newHistory()).join(" "));
      const e = s.newHistory().find((x) => x.hook === watched)!;
      assert.match(
        fs.readFileSync(path.join(s.appDir(), "logs", `${e.release}-${watched}.log`), "utf8"),
        /001.sql 002.sql/,
      );
    });

    it(
      profile === "cleverCloud"
        ? "an app that exits at once: runFailed runs, the previous release is restored and answers, the deployment fails"
        : "an app that exits at once: the deployment fails, the previous release is restored and answers",
      async () => {
        const s = await scenario();
        const good = await s.deploy();
        assert.equal(good.failed, false, summary(good));
        const before = s.current();
        const answer = await s.http();
        // A new release (build change) whose start command dies immediately.
        s.config.buildVar = "broken-release";
        s.config.start = "echo 'cannot bind' >&2; exit 3";
        const r = await s.deploy();
        assert.equal(r.failed, true, summary(r));
        assertFailedWith(r, /the app failed to start/);
        assert.deepEqual(hooksOf(s.newHistory()), failedStartHooks);
        // Rolled back: `current` is the previous release again and its app answers as before.
        assert.equal(s.current(), before);
        // The restarted app needs a moment to listen again.
        let again = "";
        for (let i = 0; i < 50 && again === ""; i++) {
          again = await s.http().catch(() => "");
          if (again === "") await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(again, answer);
      },
    );

    it(
      profile === "cleverCloud"
        ? "an app that starts but never answers: runFailed runs (not runSucceeded), the deployment fails"
        : "an app that starts but never answers: the health check fails the deployment, postDeploy does not run",
      async () => {
        const s = await scenario();
        s.config.start = "exec sleep 300";
        s.config.healthCheckTimeoutSeconds = 2;
        const r = await s.deploy();
        assert.equal(r.failed, true, summary(r));
        assertFailedWith(
          r,
          /(health check of|did not answer) http:\/\/127\.0\.0\.1:\d+\/ (failed for|within) 2 s/,
        );
        assert.deepEqual(hooksOf(s.newHistory()), failedStartHooks);
      },
    );
  });
}
