import assert from "node:assert/strict";
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import {
  appLayout,
  historyFile,
  logFile,
  parseStepOutput,
  renderHookStep,
  toCommand,
  uploadPath,
  MAX_PROGRAM_BYTES,
} from "../../render";
import { hook } from "./helpers";

describe("render: command text, layout and parseStepOutput", () => {
  it("toCommand is one single-quoted word for any POSIX login shell", () => {
    const cmd = toCommand('echo "it\'s" $0 "$1"');
    assert.equal(cmd, `exec bash --norc -c 'echo "it'\\''s" $0 "$1"' deployhooks`);
    for (const sh of ["/bin/sh", "bash"]) {
      const r: SpawnSyncReturns<string> = spawnSync(sh, ["-c", cmd], { encoding: "utf8" });
      assert.equal(r.stdout, "it's deployhooks \n");
    }
  });

  it("programs over the argument size limit are refused with a ConfigError", () => {
    assert.throws(() => toCommand("#".repeat(MAX_PROGRAM_BYTES + 1)), /limited to 128 KiB/);
    // An oversized script is named as the cause; oversized inlined variables are, when they are.
    const cases: [string, Record<string, string> | undefined, RegExp][] = [
      ["x".repeat(130_000), undefined, /^ConfigError: script: the rendered step is \d+ bytes/],
      [
        "echo hi",
        { A: "a'b".repeat(25_000), B: "y".repeat(50_000) },
        /^ConfigError: variables: the rendered step is \d+ bytes \(\d+ of them inlined variables\).*give large values as secrets/,
      ],
    ];
    for (const [script, variables, error] of cases) {
      assert.throws(
        () =>
          renderHookStep({
            target: { root: "/srv/dh", app: "web" },
            profile: "upsun",
            releaseId: "r",
            hook: hook({ script }),
            ...(variables ? { variables } : {}),
          }),
        error,
      );
    }
  });

  it("layout paths", () => {
    const t = { root: "/srv/dh/", app: "web" };
    const l = appLayout(t);
    assert.deepEqual(
      [l.appDir, l.current, l.lockFile, l.historyFile, l.pidFile, l.appLog, l.markersDir],
      [
        "/srv/dh/web",
        "/srv/dh/web/current",
        "/srv/dh/web/.deployhooks/lock",
        "/srv/dh/web/.deployhooks/history.jsonl",
        "/srv/dh/web/.deployhooks/app.pid",
        "/srv/dh/web/logs/app.log",
        "/srv/dh/web/.deployhooks/releases",
      ],
    );
    assert.equal(historyFile(t), "/srv/dh/web/.deployhooks/history.jsonl");
    assert.equal(uploadPath(t, "r1.tar"), "/srv/dh/web/.deployhooks/uploads/r1.tar");
    assert.equal(logFile(t, "r1", "postDeploy"), "/srv/dh/web/logs/r1-postDeploy.log");
    for (const root of ["srv", "/", "/srv/../etc", "/srv/my dir"]) {
      assert.throws(() => appLayout({ root, app: "web" }), /root/);
    }
  });

  it("parseStepOutput reads runs, warnings, failures, timeouts, errors, health and tail; ignores look-alikes in the tail", () => {
    const stdout = [
      "| ::deployhooks::warn hook=fake exit=1 timedOut=0",
      "| last line",
      "::deployhooks::run hook=deploy exit=127 outcome=warned seconds=2 log=/srv/a/logs/r1-deploy.log",
      "::deployhooks::warn hook=deploy exit=127 timedOut=0",
      "deployhooks: warning: …",
      "::deployhooks::run hook=postDeploy exit=124 outcome=timedOut seconds=5 log=/srv/a/logs/r1-postDeploy.log",
      "::deployhooks::timeout hook=postDeploy after=5",
      "::deployhooks::failed hook=postDeploy exit=124 timedOut=1",
      "::deployhooks::health status=failed code=000 url=http://127.0.0.1:80/ attempts=3",
      "::deployhooks::error step=outcome exit=1",
    ].join("\n");
    const out = parseStepOutput(stdout);
    assert.deepEqual(out.tail, ["::deployhooks::warn hook=fake exit=1 timedOut=0", "last line"]);
    assert.deepEqual(out.runs, [
      {
        hook: "deploy",
        exitCode: 127,
        outcome: "warned",
        seconds: 2,
        logFile: "/srv/a/logs/r1-deploy.log",
        reason: "-",
      },
      {
        hook: "postDeploy",
        exitCode: 124,
        outcome: "timedOut",
        seconds: 5,
        logFile: "/srv/a/logs/r1-postDeploy.log",
        reason: "-",
      },
    ]);
    assert.equal(out.warnings.length, 1);
    assert.equal(out.warnings[0].hook, "deploy");
    assert.match(
      out.warnings[0].message,
      /^hook deploy exited with status 127 \(hint: exit 127 means a command was not found/,
    );
    assert.deepEqual(out.failures, [
      {
        hook: "postDeploy",
        exitCode: 124,
        timedOut: true,
        message: "hook postDeploy timed out after 5 s",
      },
    ]);
    assert.deepEqual(out.timedOut, { hook: "postDeploy", seconds: 5 });
    assert.equal(out.logFile, "/srv/a/logs/r1-postDeploy.log");
    assert.deepEqual(out.health, {
      healthy: false,
      code: "000",
      url: "http://127.0.0.1:80/",
      check: undefined,
    });
    assert.deepEqual(out.error, { step: "outcome", exitCode: 1 });
    assert.deepEqual(parseStepOutput(""), {
      runs: [],
      warnings: [],
      failures: [],
      tail: [],
      markers: [],
    });
  });
});
