import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  encodeSecretsForStdin,
  parseStepOutput,
  renderActivateStep,
  renderOutcomeStep,
  renderStopStep,
} from "../../render";
import type { AppTarget, StartOptions } from "../../render";
import {
  cleanupRoots,
  freePort,
  hook,
  readHistory,
  runStep,
  sleep,
  tmpRoot,
  uploadRelease,
} from "./helpers";

/** A live (non-zombie) process in process group `pid`: PID 1 here may not reap orphans. */
function groupAlive(pid: number): boolean {
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      if (fields[2] === String(pid) && fields[0] !== "Z") return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

describe("render: activate and outcome (real bash, real HTTP server)", function () {
  this.timeout(20000);
  let target: AppTarget;
  let app: string;
  let port: number;
  let start: StartOptions;
  const pidOf = (): number =>
    Number(fs.readFileSync(path.join(app, ".deployhooks/app.pid"), "utf8").split(" ")[0]);

  beforeEach(async () => {
    target = { root: tmpRoot(), app: "site" };
    app = path.join(target.root, "site");
    port = await freePort();
    start = {
      command: 'echo "secret=$APP_SECRET"; exec python3 -m http.server --bind 127.0.0.1 "$PORT"',
      port,
      stopGraceSeconds: 2,
    };
    await uploadRelease(target, "r1", { "index.txt": "one\n" });
    await uploadRelease(target, "r2", { "index.txt": "two\n" });
  });
  afterEach(() => {
    const pidFile = path.join(app, ".deployhooks/app.pid");
    if (fs.existsSync(pidFile)) {
      try {
        process.kill(-pidOf(), "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });
  after(cleanupRoots);

  it("the stop program with an activationId stops only the app of that activation", async () => {
    const act = (release: string, activationId: string) =>
      runStep(
        renderActivateStep({ target, profile: "upsun", releaseId: release, start, activationId }),
      );
    assert.equal((await act("r1", "sha256:aaa")).status, 0);
    const pid1 = pidOf();
    // Replace: the new activation starts first, then the old resource's delete runs.
    assert.equal((await act("r2", "sha256:bbb")).status, 0);
    const pid2 = pidOf();
    assert.ok(!groupAlive(pid1) && groupAlive(pid2));
    const stale = await runStep(
      renderStopStep({ target, activationId: "sha256:aaa", stopGraceSeconds: 2 }),
    );
    assert.equal(stale.status, 0, stale.stdout);
    assert.match(stale.stdout, /stop skipped: the running app belongs to another activation/);
    assert.ok(groupAlive(pid2), "a stale delete must not stop the new app");
    // Destroy: the current activation's delete stops the app.
    const destroy = await runStep(
      renderStopStep({ target, activationId: "sha256:bbb", stopGraceSeconds: 2 }),
    );
    assert.equal(destroy.status, 0, destroy.stdout);
    await sleep(200);
    assert.ok(!groupAlive(pid2), "destroy stops the app");
    assert.equal(fs.existsSync(path.join(app, ".deployhooks/app.pid")), false);
    // A host whose app directory is gone: nothing to do, and no layout is created.
    const gone = { root: path.join(target.root, "nowhere"), app: "site" };
    const none = await runStep(renderStopStep({ target: gone, activationId: "sha256:bbb" }));
    assert.equal(none.status, 0);
    assert.equal(fs.existsSync(gone.root), false);
  });

  it("the stop program without an activationId (the components' per-host app resource) stops any app", async () => {
    const a = await runStep(
      renderActivateStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        start,
        activationId: "sha256:ccc",
      }),
    );
    assert.equal(a.status, 0, a.stdout);
    const pid = pidOf();
    const stop = renderStopStep({ target, stopGraceSeconds: 2 });
    const stopped = await runStep(stop);
    assert.equal(stopped.status, 0, stopped.stdout);
    assert.match(stopped.stdout, new RegExp(`^::deployhooks::stopped pid=${pid}$`, "m"));
    await sleep(200);
    assert.equal(groupAlive(pid), false);
    assert.equal(fs.existsSync(path.join(app, ".deployhooks/app.pid")), false);
    // Nothing recorded any more: nothing to stop, and nothing said about another activation.
    const again = await runStep(stop);
    assert.equal(again.status, 0, again.stdout);
    assert.deepEqual(parseStepOutput(again.stdout).markers, []);
  });

  it("switches current atomically, starts the app detached, restarts it on the next release; health sees it", async () => {
    const a1 = renderActivateStep({
      target,
      profile: "upsun",
      releaseId: "r1",
      start,
      secretNames: ["APP_SECRET"],
    });
    const r1 = await runStep(a1, encodeSecretsForStdin({ APP_SECRET: "shh-123" }));
    assert.equal(r1.status, 0, r1.stdout);
    assert.ok(r1.ms < 5000, `activate took ${r1.ms} ms (the channel must close)`);
    assert.deepEqual(parseStepOutput(r1.stdout).activated, { release: "r1", previous: "" });
    assert.equal(fs.readlinkSync(path.join(app, "current")), "releases/r1");
    const pid1 = pidOf();
    assert.ok(groupAlive(pid1));

    const health = await runStep(
      renderOutcomeStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        health: { port, path: "/index.txt", timeoutSeconds: 10 },
      }),
    );
    assert.equal(health.status, 0, health.stdout);
    assert.deepEqual(parseStepOutput(health.stdout).health, {
      healthy: true,
      code: "200",
      url: `http://127.0.0.1:${port}/index.txt`,
      check: undefined,
    });
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/index.txt`)).text(), "one\n");

    const r2 = await runStep(
      renderActivateStep({
        target,
        profile: "upsun",
        releaseId: "r2",
        start,
        secretNames: ["APP_SECRET"],
      }),
      encodeSecretsForStdin({ APP_SECRET: "shh-123" }),
    );
    assert.equal(r2.status, 0, r2.stdout);
    assert.match(r2.stdout, new RegExp(`^::deployhooks::stopped pid=${pid1}$`, "m"));
    assert.equal(fs.readlinkSync(path.join(app, "current")), "releases/r2");
    assert.deepEqual(
      fs.readdirSync(app).filter((f) => f.startsWith(".current")),
      [],
      "no temporary symlink left",
    );
    assert.equal(groupAlive(pid1), false);
    assert.notEqual(pidOf(), pid1);
    const viaDevTcp = await runStep(
      renderOutcomeStep({
        target,
        profile: "upsun",
        releaseId: "r2",
        health: { port, path: "/index.txt", timeoutSeconds: 10, client: "devtcp" },
      }),
    );
    assert.equal(viaDevTcp.status, 0, viaDevTcp.stdout);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/index.txt`)).text(), "two\n");
    const appLog = fs.readFileSync(path.join(app, "logs/app.log"), "utf8");
    assert.ok(appLog.includes("secret=shh-123\n"), "runtime secrets reach the app");
    assert.ok(!r1.stdout.includes("shh-123") && !a1.command.includes("shh-123"));
  });

  it("Clever Cloud outcome: healthy → runSucceeded; unhealthy → runFailed, then the step fails", async () => {
    await runStep(renderActivateStep({ target, profile: "cleverCloud", releaseId: "r1", start }));
    const hooks = {
      succeeded: hook({
        name: "runSucceeded",
        script: 'echo ok > "$APP_CACHE_DIR/succeeded"',
        failure: "warn",
        stage: "afterActivate",
      }),
      failed: hook({
        name: "runFailed",
        script: 'echo "$INSTANCE_TYPE" > "$APP_CACHE_DIR/failed"; exit 9',
        failure: "warn",
        stage: "afterActivate",
      }),
    };
    const good = await runStep(
      renderOutcomeStep({
        target,
        profile: "cleverCloud",
        releaseId: "r1",
        health: { port, timeoutSeconds: 10 },
        ...hooks,
      }),
    );
    assert.equal(good.status, 0, good.stdout);
    assert.equal(fs.readFileSync(path.join(app, "cache/succeeded"), "utf8"), "ok\n");
    assert.equal(fs.existsSync(path.join(app, "cache/failed")), false);

    const otherPort = await freePort();
    const bad = await runStep(
      renderOutcomeStep({
        target,
        profile: "cleverCloud",
        releaseId: "r1",
        health: { port: otherPort, timeoutSeconds: 1 },
        ...hooks,
      }),
    );
    assert.equal(bad.status, 1, bad.stdout);
    assert.equal(fs.readFileSync(path.join(app, "cache/failed"), "utf8"), "production\n");
    const out = parseStepOutput(bad.stdout);
    assert.equal(out.health?.healthy, false);
    assert.equal(out.health?.code, "000");
    assert.deepEqual(out.warnings, [
      {
        hook: "runFailed",
        exitCode: 9,
        timedOut: false,
        message: "hook runFailed exited with status 9",
      },
    ]);
    assert.match(
      bad.stdout,
      /deployhooks: the app failed its start or health check; runFailed ran; the deployment fails\n$/,
    );
    assert.deepEqual(
      readHistory(target).map((h) => [h.hook, h.outcome]),
      [
        ["runSucceeded", "ok"],
        ["runFailed", "warned"],
      ],
    );
  });

  it("without a health check the outcome follows the supervised process", async () => {
    await runStep(renderActivateStep({ target, profile: "cleverCloud", releaseId: "r1", start }));
    const ok = await runStep(
      renderOutcomeStep({ target, profile: "cleverCloud", releaseId: "r1" }),
    );
    assert.equal(ok.status, 0, ok.stdout);
    process.kill(-pidOf(), "SIGKILL");
    await sleep(200);
    const dead = await runStep(
      renderOutcomeStep({ target, profile: "cleverCloud", releaseId: "r1" }),
    );
    assert.equal(dead.status, 1, dead.stdout);
    assert.equal(parseStepOutput(dead.stdout).health?.healthy, false);
  });

  it("an app that exits at once fails activation with the tail of app.log", async () => {
    const r = await runStep(
      renderActivateStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        start: { command: "echo boom; exit 3" },
      }),
    );
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /^\| boom$/m);
    assert.match(r.stdout, /the app exited within 1 s of its start; see .*\/logs\/app\.log/);
  });

  it("deferFailure: a start that exits at once → startFailed, exit 0; outcome fails fast, runs runFailed, rolls back and restarts the previous app", async () => {
    const secrets = encodeSecretsForStdin({ APP_SECRET: "shh-456" });
    const act = (releaseId: string, command: string) =>
      runStep(
        renderActivateStep({
          target,
          profile: "cleverCloud",
          releaseId,
          start: { ...start, command },
          secretNames: ["APP_SECRET"],
          deferFailure: true,
          keepReleases: 1,
        }),
        secrets,
      );
    const outcome = () =>
      runStep(
        renderOutcomeStep({
          target,
          profile: "cleverCloud",
          releaseId: "r2",
          health: { port, timeoutSeconds: 30 },
          secretNames: ["APP_SECRET"],
          failed: hook({
            name: "runFailed",
            script: 'echo "$APP_RELEASE_ID" > "$APP_CACHE_DIR/failed"',
            failure: "warn",
            stage: "afterActivate",
          }),
        }),
        secrets,
      );
    assert.equal((await act("r1", start.command)).status, 0);
    const ok1 = await runStep(
      renderOutcomeStep({ target, profile: "cleverCloud", releaseId: "r1", health: { port } }),
    );
    assert.equal(ok1.status, 0, ok1.stdout); // confirms r1: it becomes the rollback target
    const good = path.join(app, ".deployhooks/app.good.sh");
    assert.equal(fs.statSync(good).mode & 0o777, 0o600);
    assert.ok(!fs.readFileSync(good, "utf8").includes("shh-456"), "no secret value on disk");

    const a2 = await act("r2", "echo boom; exit 3");
    assert.equal(a2.status, 0, a2.stdout);
    const p2 = parseStepOutput(a2.stdout);
    assert.equal(p2.startFailed, true);
    assert.match(a2.stdout, /^::deployhooks::startFailed pid=\d+$/m);
    assert.match(a2.stdout, /^\| boom$/m);
    assert.equal(fs.readlinkSync(path.join(app, "current")), "releases/r2");
    assert.ok(fs.existsSync(path.join(app, "releases/r1")), "no pruning after a failed start");
    assert.doesNotMatch(a2.stdout, /No such file or directory/);

    const o2 = await outcome();
    assert.equal(o2.status, 1, o2.stdout);
    assert.ok(o2.ms < 8000, `outcome took ${o2.ms} ms: it must not wait for the health timeout`);
    assert.equal(fs.readFileSync(path.join(app, "cache/failed"), "utf8"), "r2\n");
    const out = parseStepOutput(o2.stdout);
    assert.equal(out.health?.healthy, false);
    assert.equal(out.health?.check, "process");
    assert.equal(out.rollback?.status, "restarted");
    assert.equal(out.rollback?.release, "r1");
    assert.equal(out.rollback?.from, "r2");
    assert.match(
      o2.stdout,
      /deployhooks: the app failed to start: its process group \d+ is not running \(see .*app\.log\); runFailed ran; the deployment fails\n$/,
    );
    assert.match(
      o2.stdout,
      /host state: current points back to releases\/r1 \(rolled back from r2\); its app is running again/,
    );
    assert.doesNotMatch(o2.stdout, /No such file or directory/);
    assert.equal(fs.readlinkSync(path.join(app, "current")), "releases/r1");
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/index.txt`)).text(), "one\n");
    const appLog = fs.readFileSync(path.join(app, "logs/app.log"), "utf8");
    assert.equal(
      appLog.split("secret=shh-456\n").length - 1,
      2,
      "the rollback restart gets the secrets",
    );
    // A rerun of the same outcome step must not report the old app as the new release's success.
    const rerun = await outcome();
    assert.equal(rerun.status, 1);
    assert.match(
      rerun.stdout,
      /deployhooks: release r2 failed to start and was rolled back: current points to releases\/r1; to retry, deploy a change or set a new redeployToken \(a new activation\)\n$/,
    );
  });

  it("a failed start without deferFailure rolls back in the activate step; with no earlier activation it says so", async () => {
    const act = (releaseId: string, command: string) =>
      runStep(
        renderActivateStep({ target, profile: "upsun", releaseId, start: { ...start, command } }),
      );
    const first = await act("r1", "echo early; exit 2");
    assert.equal(first.status, 1, first.stdout);
    assert.equal(parseStepOutput(first.stdout).rollback?.status, "none");
    assert.match(
      first.stdout,
      /host state: no earlier successful activation is recorded on this host, so nothing was rolled back; current still points to releases\/r1 and no app started by deployhooks is running/,
    );
    assert.equal((await act("r1", start.command)).status, 0);
    const bad = await act("r2", "echo boom; exit 3");
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stdout, /the app exited within 1 s of its start; see .*\/logs\/app\.log\n$/);
    assert.deepEqual(
      { ...parseStepOutput(bad.stdout).rollback, pid: undefined },
      { status: "restarted", release: "r1", from: "r2", restarted: true, pid: undefined },
    );
    assert.doesNotMatch(bad.stdout, /No such file or directory/);
    assert.equal(fs.readlinkSync(path.join(app, "current")), "releases/r1");
    assert.ok(groupAlive(pidOf()));
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/index.txt`)).text(), "one\n");
  });

  it("restartCommand runs in current with runtime variables, logged and in history; releases are pruned", async () => {
    await uploadRelease(target, "r3");
    const step = (id: string) =>
      renderActivateStep({
        target,
        profile: "upsun",
        releaseId: id,
        restartCommand: 'echo "$PWD $APP_RELEASE_ID $MODE" >> "$APP_CACHE_DIR/restarts"',
        variables: { MODE: "x y" },
        keepReleases: 2,
      });
    for (const id of ["r1", "r2", "r3"]) assert.equal((await runStep(step(id))).status, 0);
    assert.equal(
      fs.readFileSync(path.join(app, "cache/restarts"), "utf8"),
      [`${app}/current r1 x y`, `${app}/current r2 x y`, `${app}/current r3 x y`, ""].join("\n"),
    );
    assert.deepEqual(
      readHistory(target).map((h) => h.hook),
      ["step:restart", "step:restart", "step:restart"],
    );
    // Pruning runs once the step acknowledged the result, still under the app's lock.
    execFileSync("flock", [path.join(app, ".deployhooks/lock"), "true"]);
    assert.deepEqual(fs.readdirSync(path.join(app, "releases")).sort(), ["r2", "r3"]);
    assert.equal(fs.existsSync(path.join(app, ".deployhooks/releases/r1.ok")), false);
    const failing = await runStep(
      renderActivateStep({ target, profile: "upsun", releaseId: "r3", restartCommand: "exit 4" }),
    );
    assert.equal(failing.status, 4);
    assert.equal(parseStepOutput(failing.stdout).failures[0].hook, "step:restart");
  });
});
