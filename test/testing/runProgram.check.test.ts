import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../testing";
import { tempDir } from "./helpers";

describe("testing/runProgram: what @pulumi/command 1.2.1's Check refuses", () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const program = (known: boolean) => () => {
    const made = new command.local.Command("made", { create: "echo hello" });
    new command.remote.CopyToRemote("copy", {
      connection: { host: "127.0.0.1", user: "nobody" },
      remotePath: "/tmp/x",
      source: known
        ? new pulumi.asset.StringAsset("hello")
        : made.stdout.apply((s) => new pulumi.asset.StringAsset(s)),
    });
  };

  it("a CopyToRemote source unknown at preview fails the preview (pulumi-command#1183)", async () => {
    const r = await runProgram(program(false), {
      stateFile: path.join(dir, "state.json"),
      preview: true,
    });
    assert.equal(r.failed, true);
    assert.equal(
      r.steps.find((s) => s.name === "copy")?.error,
      "property source: asset or archive must be known at preview (@pulumi/command 1.2.1)",
    );
  });

  it("a source known at preview previews as a create", async () => {
    const r = await runProgram(program(true), {
      stateFile: path.join(dir, "state.json"),
      preview: true,
    });
    assert.equal(r.failed, false, r.error);
    assert.deepEqual(
      r.steps.map((s) => [s.name, s.op]),
      [
        ["made", "create"],
        ["copy", "create"],
      ],
    );
  });
});
