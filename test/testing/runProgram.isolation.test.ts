import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../testing";
import { ops, tempDir } from "./helpers";

/**
 * Each run gets a fresh SDK store (AsyncLocalStorage, the Automation API's inline-program mechanism),
 * so consecutive runs in one process do not share the stack resource, settings, config or dry-run flag.
 */
describe("testing/runProgram: isolation between runs in one process", function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const prog = (create: string, trigger: string) => () => {
    const c = new command.local.Command("c", { create, triggers: [trigger] });
    return {
      out: c.stdout,
      project: pulumi.getProject(),
      stack: pulumi.getStack(),
      dry: pulumi.runtime.isDryRun(),
    };
  };

  it("consecutive runs compute create, same, update, replace correctly", async () => {
    const stateFile = path.join(dir, "state.json");
    const seq: Array<[string, string, string]> = [
      ["echo 1", "t1", "create"],
      ["echo 1", "t1", "same"],
      ["echo 2", "t1", "update"],
      ["echo 2", "t1", "same"],
      ["echo 2", "t2", "replace"],
      ["echo 2", "t2", "same"],
    ];
    for (const [create, trigger, op] of seq) {
      const r = await runProgram(prog(create, trigger), { stateFile });
      assert.equal(r.failed, false, r.error);
      assert.deepEqual(ops(r)[0], ["c", op], `${create}/${trigger}`);
    }
  });

  it("project, stack, preview flag and config do not leak from one run to the next", async () => {
    const a = await runProgram(prog("echo a", "t"), {
      stateFile: path.join(dir, "a.json"),
      project: "pa",
      stack: "sa",
      preview: true,
    });
    const b = await runProgram(
      () => ({ ...prog("echo b", "t")(), cfg: new pulumi.Config().get("k") ?? "unset" }),
      { stateFile: path.join(dir, "b.json"), project: "pb", stack: "sb" },
    );
    const c = await runProgram(() => ({ cfg: new pulumi.Config("pa").get("k") ?? "unset" }), {
      stateFile: path.join(dir, "c.json"),
      project: "pa",
      config: { k: "v" },
    });
    const d = await runProgram(() => ({ cfg: new pulumi.Config("pa").get("k") ?? "unset" }), {
      stateFile: path.join(dir, "d.json"),
      project: "pa",
    });
    assert.deepEqual(a.outputs, { out: undefined, project: "pa", stack: "sa", dry: true });
    assert.deepEqual(b.outputs, { out: "b", project: "pb", stack: "sb", dry: false, cfg: "unset" });
    assert.deepEqual(c.outputs, { cfg: "v" });
    assert.deepEqual(d.outputs, { cfg: "unset" });
    assert.match(b.steps[0]!.urn, /^urn:pulumi:sb::pb::/);
  });

  it("a failed run does not poison the next one; concurrent calls are serialized", async () => {
    const stateFile = path.join(dir, "state.json");
    const bad = await runProgram(prog("exit 1", "t"), { stateFile });
    assert.equal(bad.failed, true);
    const [x, y] = await Promise.all([
      runProgram(prog("echo x", "t"), { stateFile }),
      runProgram(prog("echo x", "t"), { stateFile }),
    ]);
    assert.deepEqual(ops(x), [["c", "create"]]);
    assert.deepEqual(ops(y), [["c", "same"]]);
    assert.equal(x.outputs.out, "x");
    assert.equal(y.outputs.out, "x");
  });
});
