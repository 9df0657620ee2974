/**
 * The deployment summary (through real bash, runProgram on the local host): the `summary` output and
 * the per-host info line list exactly the hook runs of this deployment, with their reason; `health`
 * says `unknown` when the outcome step did not run in this deployment.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runProgram } from "../../testing";
import type { HookRunSummary } from "../../components";

describe("components: the deployment summary (runProgram, real bash)", function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-summary-"));
  const stateFile = path.join(dir, "state.json");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(() => {
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "a.txt"), "a\n");
  });

  const run = async (greeting: string, lines: string[] = []) => {
    const { UpsunApp } = await import("../../components");
    return runProgram(
      () => {
        const app = new UpsunApp("sum", {
          source: path.join(dir, "src"),
          artifactDir: path.join(dir, "artifacts"),
          hooks: { build: "echo b\n", deploy: "echo d\n", postDeploy: 'echo "p $GREETING"\n' },
          runtimeVariables: { GREETING: greeting },
          hosts: [{ name: "local", root: path.join(dir, "root") }],
        });
        return { summary: app.summary, health: app.health };
      },
      { stateFile, onOutput: (line) => lines.push(line) },
    );
  };
  const brief = (s: unknown) =>
    (s as HookRunSummary[]).map((r) => [r.host, r.step, r.hook, r.exitCode, r.outcome, r.reason]);

  it("a code deployment: every hook, reason first; then nothing; then a runtime-only change: postDeploy only", async () => {
    const r1 = await run("hello");
    assert.equal(r1.failed, false, r1.error);
    assert.deepEqual(brief(r1.outputs.summary), [
      ["local", "sum-local-hook-build", "build", 0, "ok", "first"],
      ["local", "sum-local-hook-deploy", "deploy", 0, "ok", "first"],
      ["local", "sum-local-hook-postDeploy", "postDeploy", 0, "ok", "first"],
    ]);
    for (const s of r1.outputs.summary as HookRunSummary[]) {
      assert.equal(typeof s.seconds, "number");
    }
    assert.ok(r1.warnings.length >= 0 && true);

    const r2 = await run("hello");
    assert.equal(r2.failed, false, r2.error);
    assert.deepEqual(r2.outputs.summary, []);

    const lines: string[] = [];
    const r3 = await run("bonjour", lines);
    assert.equal(r3.failed, false, r3.error);
    assert.deepEqual(brief(r3.outputs.summary), [
      [
        "local",
        "sum-local-hook-postDeploy",
        "postDeploy",
        0,
        "ok",
        "runtime:runtimeVariables.GREETING",
      ],
    ]);
  });
  it("a warn hook's failure is warned in the deployment where it ran, not again in later ones", async () => {
    const { UpsunApp } = await import("../../components");
    const prog = () => {
      const app = new UpsunApp("warn", {
        source: path.join(dir, "src"),
        artifactDir: path.join(dir, "artifacts"),
        hooks: { postDeploy: "exit 3\n" },
        hosts: [{ name: "local", root: path.join(dir, "root") }],
      });
      return { summary: app.summary };
    };
    const file = path.join(dir, "warn.json");
    const r1 = await runProgram(prog, { stateFile: file });
    assert.equal(r1.failed, false, r1.error);
    assert.deepEqual(
      r1.warnings.filter((w) => w.includes("hook postDeploy")),
      [
        "hook postDeploy exited with status 3 on host local; the deployment continued (failure policy: warn)",
      ],
    );
    const r2 = await runProgram(prog, { stateFile: file });
    assert.equal(r2.failed, false, r2.error);
    assert.deepEqual(r2.warnings, []);
    assert.deepEqual(r2.outputs.summary, []);
  });
});
