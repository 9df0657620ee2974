import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import { runProgram } from "../../testing";
import { tempDir } from "./helpers";

describe("testing/runProgram: a failed run returns only when nothing of it is left running", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a step still running when another fails finishes first (like the engine); nothing escapes as an unhandled rejection", async () => {
    const escaped: unknown[] = [];
    const saved = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (r) => escaped.push(r));
    try {
      const report = await runProgram(
        () => {
          new command.local.Command("fails", { create: "exit 3" });
          const slow = new command.local.Command("slow", { create: "sleep 2; echo slow done" });
          new command.local.Command("after-slow", { create: "true" }, { dependsOn: slow });
        },
        { stateFile: path.join(dir, "state.json") },
      );
      assert.equal(report.failed, true);
      const slow = report.steps.find((s) => s.name === "slow");
      assert.deepEqual([slow?.exitCode, slow?.stdout], [0, "slow done"]);
      assert.equal(report.steps.find((s) => s.name === "after-slow")?.executed ?? false, false);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      process.removeAllListeners("unhandledRejection");
      for (const l of saved) process.on("unhandledRejection", l);
    }
    assert.deepEqual(
      escaped.map((e) => (e instanceof Error ? e.message : String(e))),
      [],
    );
  });
});
