import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../testing";
import { tempDir } from "./helpers";

/**
 * What the SDK does under mocks, verified rather than assumed: a dependent's registration awaits the
 * URNs of its dependencies, and a URN resolves only when the mock's `newResource` promise resolves
 * (here: when the real command finished). Timestamps come from the commands themselves.
 */
describe("testing/runProgram: dependsOn ordering under mocks", function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const stamp = (name: string, what: "start" | "end") =>
    `echo ${name}-${what} $(date +%s%N) >> ${dir}/times`;
  const times = (): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const line of fs.readFileSync(path.join(dir, "times"), "utf8").trim().split("\n")) {
      const [k, v] = line.split(" ");
      out[k!] = Number(v) / 1e6;
    }
    return out;
  };
  const slow = (name: string, opts?: pulumi.CustomResourceOptions) =>
    new command.local.Command(
      name,
      { create: `${stamp(name, "start")}; sleep 0.4; ${stamp(name, "end")}` },
      opts,
    );

  it("a dependsOn dependent starts after its dependency finished; an independent one runs concurrently", async () => {
    const r = await runProgram(
      () => {
        const a = slow("a");
        slow("b", { dependsOn: [a] });
        slow("free");
      },
      { stateFile: path.join(dir, "state.json") },
    );
    assert.equal(r.failed, false, r.error);
    const t = times();
    assert.ok(
      t["b-start"]! >= t["a-end"]!,
      `b started ${t["b-start"]! - t["a-end"]!} ms after a ended`,
    );
    assert.ok(t["free-start"]! < t["a-end"]!, "an independent resource is not serialized behind a");
    assert.deepEqual(
      r.steps.map((s) => s.name).indexOf("b") > r.steps.map((s) => s.name).indexOf("a"),
      true,
    );
  });

  it("dependsOn a component waits for the children it created in its constructor", async () => {
    class Group extends pulumi.ComponentResource {
      constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:index:Group", name, {}, opts);
        slow(`${name}-child1`, { parent: this });
        slow(`${name}-child2`, { parent: this });
        this.registerOutputs({});
      }
    }
    const r = await runProgram(
      () => {
        const g = new Group("g");
        slow("after", { dependsOn: [g] });
      },
      { stateFile: path.join(dir, "state.json") },
    );
    assert.equal(r.failed, false, r.error);
    const t = times();
    assert.ok(t["after-start"]! >= Math.max(t["g-child1-end"]!, t["g-child2-end"]!));
    const child = r.steps.find((s) => s.name === "g-child1")!;
    assert.match(child.urn, /::test:index:Group\$command:local:Command::g-child1$/);
  });

  it("an output used as input orders like dependsOn (implicit dependency)", async () => {
    const r = await runProgram(
      () => {
        const a = new command.local.Command("a", {
          create: `sleep 0.3; ${stamp("a", "end")}; echo A`,
        });
        new command.local.Command("b", {
          create: pulumi.interpolate`${stamp("b", "start")}; echo ${a.stdout}`,
        });
      },
      { stateFile: path.join(dir, "state.json") },
    );
    assert.equal(r.failed, false, r.error);
    const t = times();
    assert.ok(t["b-start"]! >= t["a-end"]!);
  });

  it("a long chain runs strictly in order", async () => {
    const r = await runProgram(
      () => {
        let prev: command.local.Command | undefined;
        for (let i = 0; i < 6; i++) {
          prev = new command.local.Command(
            `s${i}`,
            { create: `echo s${i} >> ${dir}/chain` },
            prev ? { dependsOn: [prev] } : undefined,
          );
        }
      },
      { stateFile: path.join(dir, "state.json") },
    );
    assert.equal(r.failed, false, r.error);
    assert.equal(fs.readFileSync(path.join(dir, "chain"), "utf8"), "s0\ns1\ns2\ns3\ns4\ns5\n");
    assert.deepEqual(
      r.steps.map((s) => s.name),
      ["s0", "s1", "s2", "s3", "s4", "s5"],
    );
  });
});
