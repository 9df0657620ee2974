/**
 * The quickstart program run for real on this machine through deployhooks/testing (mocks +
 * real execution of the command resources with @pulumi/command 1.2.1's rules): a first
 * deployment runs every step, an unchanged program runs nothing, a runtime-only change reruns
 * only the steps the engine names (restart, health check, postDeploy).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runProgram } from "../../testing";
import type { RunReport } from "../../testing";

describe("examples/quickstart under deployhooks/testing (real local execution)", function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-quickstart-"));
  const stateFile = path.join(dir, "state.json");
  const port = 20000 + (process.pid % 20000);
  const run = (greeting: string): Promise<RunReport> =>
    runProgram(
      async () => {
        const { quickstart } = await import("../../examples/quickstart/program");
        return quickstart({
          root: path.join(dir, "root"),
          port,
          greeting,
          artifactDir: path.join(dir, "artifacts"),
        });
      },
      { stateFile },
    );
  const executed = (r: RunReport) =>
    r.steps.filter((s) => s.executed && s.op !== "update").map((s) => `${s.op} ${s.name}`);

  after(() => {
    // The app (its own process group) and, when caddy is installed, the front proxy.
    for (const [file, group] of [
      ["app.pid", true],
      ["proxy/caddy.pid", false],
    ] as const) {
      try {
        const pid = Number(
          fs
            .readFileSync(path.join(dir, "root/quickstart/.deployhooks", file), "utf8")
            .split(" ")[0],
        );
        if (pid > 0) process.kill(group ? -pid : pid, "SIGTERM");
      } catch {
        // not started
      }
    }
  });

  it("first deployment: every step runs and the app answers its health check", async () => {
    const r = await run("hello");
    assert.equal(r.failed, false, r.error);
    assert.deepEqual(executed(r), [
      "create quickstart-local-library",
      "create quickstart-local-upload",
      "create quickstart-local-build",
      "create quickstart-local-hook-build",
      "create quickstart-local-hold-deploy",
      "create quickstart-local-hook-deploy",
      "create quickstart-local-activate",
      "create quickstart-local-outcome",
      "create quickstart-local-hook-postDeploy",
    ]);
    assert.deepEqual(r.outputs.health, { local: "ok" });
    assert.ok(fs.readlinkSync(path.join(dir, "root/quickstart/current")).startsWith("releases/"));
  });

  it("unchanged program: nothing runs", async () => {
    const r = await run("hello");
    assert.equal(r.failed, false, r.error);
    assert.deepEqual(executed(r), []);
  });

  it("runtime-only change: only the restart, the health check and postDeploy run", async () => {
    const r = await run("bonjour");
    assert.equal(r.failed, false, r.error);
    assert.deepEqual(executed(r).sort(), [
      "replace quickstart-local-activate",
      "replace quickstart-local-hook-postDeploy",
      "replace quickstart-local-outcome",
    ]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /bonjour/);
    const log = fs.readFileSync(
      path.join(dir, "root/quickstart/shared/data/post-deploy.log"),
      "utf8",
    );
    assert.match(log, /bonjour/);
  });

  it("destroy (a program without the app): the app resource's delete stops the app", async () => {
    const pid = Number(
      fs.readFileSync(path.join(dir, "root/quickstart/.deployhooks/app.pid"), "utf8").split(" ")[0],
    );
    const r = await runProgram(() => {}, { stateFile });
    assert.equal(r.failed, false, r.error);
    assert.ok(r.steps.every((s) => s.op === "delete"));
    assert.ok(
      r.steps.some((s) => s.name === "quickstart-local-app" && s.executed && s.exitCode === 0),
    );
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
    // Gone, or a zombie nobody reaps (PID 1 of some containers does not): not running either way.
    const stat = fs.existsSync(`/proc/${pid}/stat`)
      ? fs.readFileSync(`/proc/${pid}/stat`, "utf8")
      : "";
    assert.ok(stat === "" || stat.slice(stat.lastIndexOf(") ") + 2).startsWith("Z"), stat);
  });
});
