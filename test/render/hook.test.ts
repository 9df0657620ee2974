import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseStepOutput, renderBuildStep, renderHookStep, HINT_126, HINT_127 } from "../../render";
import type { AppTarget, HookStepInput } from "../../render";
import {
  cleanupRoots,
  hook,
  pidsMatching,
  readHistory,
  runStep,
  sleep,
  tmpRoot,
  uploadRelease,
} from "./helpers";

describe("render: hook wrapper (real bash)", function () {
  this.timeout(20000);
  let target: AppTarget;
  const base = (over: Partial<HookStepInput> = {}): HookStepInput => ({
    target,
    profile: "upsun",
    releaseId: "r1",
    hook: hook(),
    fingerprint: "sha256:abc",
    ...over,
  });

  beforeEach(async () => {
    target = { root: tmpRoot(), app: "web" };
    await uploadRelease(target, "r1");
  });
  after(cleanupRoots);

  const exitCases: Array<[string, string, "abort" | "warn", number, string]> = [
    ["false; true without set -e", "false\ntrue\n", "abort", 0, "ok"],
    ["false; true with set -e", "set -e\nfalse\ntrue\n", "abort", 1, "failed"],
    ["last command fails", "true\nexit 3\n", "abort", 3, "failed"],
    ["warn policy", "exit 3", "warn", 0, "warned"],
    ["set -e with warn", "set -e\nfalse\ntrue", "warn", 0, "warned"],
  ];
  for (const [title, script, failure, status, outcome] of exitCases) {
    it(`exit semantics: ${title} → status ${status}, outcome ${outcome}`, async () => {
      const r = await runStep(renderHookStep(base({ hook: hook({ script, failure }) })));
      assert.equal(r.status, status, r.stdout);
      const out = parseStepOutput(r.stdout);
      assert.equal(out.runs.length, 1);
      assert.equal(out.runs[0].outcome, outcome);
      assert.deepEqual(
        readHistory(target).map((h) => h.outcome),
        [outcome],
      );
    });
  }

  it("abort: non-zero exit, message names the hook and exit code; no warning", async () => {
    const r = await runStep(
      renderHookStep(base({ hook: hook({ script: "echo building\nexit 7" }) })),
    );
    assert.equal(r.status, 7);
    const out = parseStepOutput(r.stdout);
    assert.deepEqual(out.failures, [
      { hook: "deploy", exitCode: 7, timedOut: false, message: "hook deploy exited with status 7" },
    ]);
    assert.deepEqual(out.warnings, []);
    assert.match(
      r.stdout,
      /deployhooks: hook deploy exited with status 7; failure policy abort: the deployment stops; the current release keeps serving \(full log: .*\/logs\/r1-deploy\.log\)\n$/,
    );
    // Only the hook's own output (the log's header and trailer lines stay in the log).
    assert.deepEqual(out.tail, ["building"]);
  });

  it("warn: exit 0, a warn marker the parser turns into a warning naming hook and exit code", async () => {
    const r = await runStep(
      renderHookStep(base({ hook: hook({ script: "exit 3", failure: "warn" }) })),
    );
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^::deployhooks::warn hook=deploy exit=3 timedOut=0$/m);
    const out = parseStepOutput(r.stdout);
    assert.deepEqual(out.warnings, [
      { hook: "deploy", exitCode: 3, timedOut: false, message: "hook deploy exited with status 3" },
    ]);
    assert.equal(out.logFile, path.join(target.root, "web/logs/r1-deploy.log"));
  });

  it("exit 126 and 127 carry hints", async () => {
    const r126 = await runStep(
      renderHookStep(
        base({
          hook: hook({
            script: "touch ./noexec.sh\n./noexec.sh",
            failure: "warn",
            stage: "beforeActivate",
          }),
          releaseId: "r1",
        }),
      ),
    );
    assert.equal(r126.status, 0);
    const w126 = parseStepOutput(r126.stdout).warnings[0];
    assert.equal(w126.exitCode, 126);
    assert.equal(w126.message, `hook deploy exited with status 126 (${HINT_126})`);
    assert.ok(r126.stdout.includes(HINT_126));
    const r127 = await runStep(
      renderHookStep(base({ hook: hook({ script: "no-such-command-xyz" }) })),
    );
    assert.equal(r127.status, 127);
    assert.equal(
      parseStepOutput(r127.stdout).failures[0].message,
      `hook deploy exited with status 127 (${HINT_127})`,
    );
    assert.ok(r127.stdout.includes(HINT_127));
  });

  it("timeout: sleep 30 with timeoutSeconds 1 is killed within ~2 s, reported, no orphan left", async () => {
    const marker = "31.4159";
    const r = await runStep(
      renderHookStep(
        base({ hook: hook({ script: `sleep ${marker} &\nsleep ${marker}`, timeoutSeconds: 1 }) }),
      ),
    );
    assert.ok(r.ms < 2500, `took ${r.ms} ms`);
    assert.equal(r.status, 124);
    const out = parseStepOutput(r.stdout);
    assert.deepEqual(out.timedOut, { hook: "deploy", seconds: 1 });
    assert.equal(out.failures[0].message, "hook deploy timed out after 1 s");
    assert.match(r.stdout, /hook deploy timed out after 1 s; failure policy abort/);
    assert.equal(readHistory(target)[0].outcome, "timedOut");
    await sleep(100);
    assert.deepEqual(pidsMatching(`sleep ${marker}`), []);
  });

  it("timeout with warn policy: exit 0 and a timed-out warning", async () => {
    const r = await runStep(
      renderHookStep(
        base({ hook: hook({ script: "sleep 30", timeoutSeconds: 1, failure: "warn" }) }),
      ),
    );
    assert.equal(r.status, 0);
    assert.deepEqual(parseStepOutput(r.stdout).warnings, [
      { hook: "deploy", exitCode: 124, timedOut: true, message: "hook deploy timed out after 1 s" },
    ]);
  });

  it("a background child left by the hook does not block the step, nor the lock", async () => {
    const marker = "27.1828";
    const r = await runStep(
      renderHookStep(base({ hook: hook({ script: `sleep ${marker} &\necho started` }) })),
    );
    assert.equal(r.status, 0);
    assert.ok(r.ms < 3000, `took ${r.ms} ms`);
    assert.equal(pidsMatching(`sleep ${marker}`).length, 1);
    const again = await runStep(
      renderHookStep(base({ hook: hook({ script: "true" }), lockWaitSeconds: 1 })),
    );
    assert.equal(again.status, 0, again.stdout);
    for (const pid of pidsMatching(`sleep ${marker}`)) process.kill(pid);
  });

  it("history: one valid JSON line per run with the documented fields", async () => {
    await runStep(renderHookStep(base({ hook: hook({ script: "exit 0" }) })));
    await runStep(
      renderHookStep(
        base({
          hook: hook({ name: "postDeploy", script: "exit 2", failure: "warn" }),
          fingerprint: "",
        }),
      ),
    );
    const lines = fs
      .readFileSync(path.join(target.root, "web/.deployhooks/history.jsonl"), "utf8")
      .trimEnd()
      .split("\n");
    assert.equal(lines.length, 2);
    const h = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(Object.keys(h[0]), [
      "hook",
      "release",
      "fingerprint",
      "start",
      "end",
      "exitCode",
      "outcome",
    ]);
    assert.deepEqual(
      h.map((x) => [x.hook, x.release, x.fingerprint, x.exitCode, x.outcome]),
      [
        ["deploy", "r1", "sha256:abc", 0, "ok"],
        ["postDeploy", "r1", "", 2, "warned"],
      ],
    );
    for (const x of h) {
      assert.match(String(x.start), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(String(x.start) <= String(x.end));
    }
  });

  it("lock: two concurrent runs of the same step do not interleave", async () => {
    const step = renderHookStep(
      base({
        hook: hook({
          script: 'echo in >>"$APP_CACHE_DIR/trace"\nsleep 0.5\necho out >>"$APP_CACHE_DIR/trace"',
        }),
      }),
    );
    const [a, b] = await Promise.all([runStep(step), runStep(step)]);
    assert.equal(a.status, 0);
    assert.equal(b.status, 0);
    assert.equal(
      fs.readFileSync(path.join(target.root, "web/cache/trace"), "utf8"),
      "in\nout\nin\nout\n",
    );
    const h = readHistory(target);
    assert.equal(h.length, 2);
    assert.ok(String(h[0].end) <= String(h[1].start), JSON.stringify(h));
  });

  it("lock: a step waiting longer than lockWaitSeconds fails with a clear message", async () => {
    const slow = runStep(renderHookStep(base({ hook: hook({ script: "sleep 2" }) })));
    await sleep(300);
    const r = await runStep(
      renderHookStep(base({ hook: hook({ name: "postDeploy" }), lockWaitSeconds: 1 })),
    );
    assert.equal(r.status, 75);
    assert.match(
      r.stdout,
      /another step of app web still holds .*\/web\/\.deployhooks\/lock after 1 s/,
    );
    assert.equal((await slow).status, 0);
  });

  it("cwd, platform variables and TMPDIR: build-phase hook in the release, afterActivate in current", async () => {
    const dump =
      'printf "%s|" "$PWD" "$APP_DIR" "$APP_CACHE_DIR" "$APP_RELEASE_ID" "$PLATFORM_TREE_ID" "$PLATFORM_APPLICATION_NAME" "$TMPDIR" > "$APP_CACHE_DIR/env-$HOOK"; [ -d "$TMPDIR" ]';
    const app = path.join(target.root, "web");
    const r1 = await runStep(
      renderHookStep(
        base({ hook: hook({ name: "build", script: `HOOK=build; ${dump}`, variables: "build" }) }),
      ),
    );
    assert.equal(r1.status, 0, r1.stdout);
    const parts = fs.readFileSync(path.join(app, "cache/env-build"), "utf8").split("|");
    assert.deepEqual(parts.slice(0, 6), [
      `${app}/releases/r1`,
      `${app}/releases/r1`,
      `${app}/cache`,
      "r1",
      "r1",
      "web",
    ]);
    assert.match(parts[6], new RegExp(`^${app}/\\.deployhooks/tmp/r1-build\\.`));
    assert.equal(fs.existsSync(parts[6]), false, "TMPDIR removed afterwards");
    fs.symlinkSync("releases/r1", path.join(app, "current"));
    const r2 = await runStep(
      renderHookStep(
        base({
          hook: hook({ name: "postDeploy", script: `HOOK=post; ${dump}`, stage: "afterActivate" }),
        }),
      ),
    );
    assert.equal(r2.status, 0, r2.stdout);
    const p2 = fs.readFileSync(path.join(app, "cache/env-post"), "utf8").split("|");
    assert.deepEqual(p2.slice(0, 2), [`${app}/current`, `${app}/current`]);
  });

  it("Clever Cloud aliases: INSTANCE_TYPE build for build-phase hooks, production otherwise", async () => {
    const dump =
      'printf "%s|" "$APP_HOME" "$INSTANCE_NUMBER" "$INSTANCE_TYPE" "$CC_DEPLOYMENT_ID" "$CC_COMMIT_ID" "${PLATFORM_TREE_ID-unset}"';
    const app = path.join(target.root, "web");
    const common = {
      profile: "cleverCloud" as const,
      instanceNumber: 2,
      deploymentId: "deployment_1",
      commitId: "abc123",
    };
    const pre = await runStep(
      renderHookStep(
        base({
          ...common,
          hook: hook({
            name: "preBuild",
            script: `${dump} >"$APP_CACHE_DIR/a"`,
            variables: "build",
          }),
        }),
      ),
    );
    assert.equal(pre.status, 0, pre.stdout);
    assert.equal(
      fs.readFileSync(path.join(app, "cache/a"), "utf8"),
      `${app}/releases/r1|2|build|deployment_1|abc123|unset|`,
    );
    const run = await runStep(
      renderHookStep(
        base({ ...common, hook: hook({ name: "preRun", script: `${dump} >"$APP_CACHE_DIR/b"` }) }),
      ),
    );
    assert.equal(run.status, 0, run.stdout);
    assert.equal(
      fs.readFileSync(path.join(app, "cache/b"), "utf8"),
      `${app}/releases/r1|2|production|deployment_1|abc123|unset|`,
    );
  });

  it("rollback safety: a failing build or hook before activation never touches current", async () => {
    const app = path.join(target.root, "web");
    fs.symlinkSync("releases/r1", path.join(app, "current"));
    await uploadRelease(target, "r2");
    const b = await runStep(
      renderBuildStep({ target, profile: "upsun", releaseId: "r2", command: "exit 4" }),
    );
    assert.equal(b.status, 4);
    const h = await runStep(
      renderHookStep(
        base({
          releaseId: "r2",
          hook: hook({ name: "build", script: "exit 5", variables: "build" }),
        }),
      ),
    );
    assert.equal(h.status, 5);
    assert.equal(fs.readlinkSync(path.join(app, "current")), "releases/r1");
  });

  it("a hook on a release that was never uploaded fails clearly", async () => {
    const r = await runStep(renderHookStep(base({ releaseId: "nope" })));
    assert.equal(r.status, 66);
    assert.match(
      r.stdout,
      /release nope is not complete on this host .*; the upload step must run first/,
    );
    assert.deepEqual(parseStepOutput(r.stdout).error, { step: "hook:deploy", exitCode: 66 });
  });

  it("the full output goes to the log; stdout carries the first lines, a count of the rest, the last lines", async () => {
    const r = await runStep(
      renderHookStep(
        base({
          hook: hook({ script: "for i in $(seq 1 500); do echo line-$i; done" }),
          tailLines: 40,
          liveLines: 100,
        }),
      ),
    );
    assert.equal(r.status, 0);
    const out = parseStepOutput(r.stdout);
    const n = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}`);
    assert.deepEqual(out.tail, [...n(1, 100), ...n(461, 500)]);
    const logPath = path.join(target.root, "web/logs/r1-deploy.log");
    assert.ok(
      r.stdout.includes(
        `\n| line-100\ndeployhooks: [360 lines of deploy left out here: the full log is ${logPath} on the host]\n| line-461\n`,
      ),
      r.stdout,
    );
    const log = fs.readFileSync(path.join(target.root, "web/logs/r1-deploy.log"), "utf8");
    assert.ok(log.includes("line-1\n") && log.includes("line-500\n"));
  });

  it("hook bodies may contain the heredoc delimiter and any quoting", async () => {
    const script = "cat <<'X'\nDEPLOYHOOKS_BODY\nX\necho \"it's $((1+1))\" `echo tick` '\\'";
    const r = await runStep(renderHookStep(base({ hook: hook({ script }) })));
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(parseStepOutput(r.stdout).tail, ["DEPLOYHOOKS_BODY", "it's 2 tick \\"]);
    const body = fs.readFileSync(
      path.join(target.root, "web/.deployhooks/hooks/r1-deploy.sh"),
      "utf8",
    );
    assert.equal(body, `${script}\n`);
  });
});
