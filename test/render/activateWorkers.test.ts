/**
 * Supervised workers (Upsun `workers.*.commands.start`, Clever `CC_WORKER_COMMAND*`) through real
 * bash: started in `current` with the runtime variables, replaced on the next activation, stopped
 * by the stop program; which hosts run them (plan).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderActivateStep, renderStopStep } from "../../render";
import type { AppTarget } from "../../render";
import { workerCommandsOf } from "../../components/stepPlan";
import { upsunModel, cleverCloudModel } from "../../components/deploymentModel";
import { cleanupRoots, runStep, sleep, tmpRoot, uploadRelease } from "./helpers";
import { alive } from "../e2e/harness";

describe("render: supervised workers (real bash)", function () {
  this.timeout(30_000);
  let target: AppTarget;
  const pidOf = () =>
    Number(
      fs
        .readFileSync(path.join(target.root, "web/.deployhooks/worker-queue.pid"), "utf8")
        .split(" ")[0],
    );
  const activate = (greeting: string) =>
    runStep(
      renderActivateStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        variables: { GREETING: greeting },
        workers: [{ name: "queue", command: 'echo "worker $GREETING"; exec sleep 300' }],
      }),
    );
  const settle = () =>
    execFileSync("flock", [path.join(target.root, "web/.deployhooks/lock"), "true"]);

  before(async () => {
    target = { root: tmpRoot(), app: "web" };
    await uploadRelease(target, "r1");
  });
  after(async () => {
    if (target) await runStep(renderStopStep({ target }));
    cleanupRoots();
  });

  it("started with the runtime variables, replaced on the next activation, stopped by the stop program", async () => {
    const a = await activate("one");
    assert.equal(a.status, 0, a.stdout);
    assert.match(a.stdout, /^::deployhooks::worker name=queue pid=\d+$/m);
    settle();
    const first = pidOf();
    assert.equal(alive(first), true);
    const b = await activate("two");
    assert.equal(b.status, 0, b.stdout);
    settle();
    const second = pidOf();
    assert.notEqual(second, first);
    assert.equal(alive(first), false);
    assert.equal(alive(second), true);
    await sleep(200);
    assert.equal(
      fs.readFileSync(path.join(target.root, "web/logs/worker-queue.log"), "utf8"),
      "worker one\nworker two\n",
    );
    const stop = await runStep(renderStopStep({ target }));
    assert.equal(stop.status, 0, stop.stdout);
    assert.equal(alive(second), false);
  });

  it("the workers of an app: Upsun workers.*.commands.start, Clever CC_WORKER_COMMAND*", () => {
    const upsun = upsunModel<string>("u", {
      web: { commands: { start: "node web.js" } },
      config: { workers: { queue: { commands: { start: "node queue.js" } }, idle: {} } },
    });
    assert.deepEqual(workerCommandsOf(upsun), [{ name: "queue", command: "node queue.js" }]);
    const clever = cleverCloudModel<string>("c", {
      CC_RUN_COMMAND: "node web.js",
      environment: { CC_WORKER_COMMAND: "node a.js", CC_WORKER_COMMAND_2: "node b.js" },
    });
    assert.deepEqual(workerCommandsOf(clever), [
      { name: "CC_WORKER_COMMAND", command: "node a.js" },
      { name: "CC_WORKER_COMMAND_2", command: "node b.js" },
    ]);
  });
});
