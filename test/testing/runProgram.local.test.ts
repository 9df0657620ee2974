import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, type StateFile } from "../../testing";
import { executed, ops, readLines, sortedOps, tempDir } from "./helpers";

describe("testing/runProgram: local commands", function () {
  this.timeout(20000);
  let dir: string;
  let stateFile: string;
  let log: string;
  beforeEach(() => {
    dir = tempDir();
    stateFile = path.join(dir, "state.json");
    log = path.join(dir, "log");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** One resource whose scripts append to `log`. */
  const one =
    (
      v: {
        create?: string;
        update?: string;
        del?: string;
        triggers?: unknown[];
        env?: string;
      } = {},
    ) =>
    () => {
      const c = new command.local.Command("hook", {
        create: `echo create-${v.create ?? "1"} >> ${log}; echo out-${v.create ?? "1"}`,
        ...(v.update ? { update: `echo update-${v.update} >> ${log}` } : {}),
        delete: `echo delete-${v.del ?? "1"}-$PULUMI_COMMAND_STDOUT >> ${log}`,
        ...(v.triggers ? { triggers: v.triggers } : {}),
        ...(v.env ? { environment: { X: v.env } } : {}),
      });
      return { stdout: c.stdout };
    };

  it("create, then same on rerun (nothing runs, stored outputs returned)", async () => {
    const r1 = await runProgram(one(), { stateFile });
    assert.equal(r1.failed, false, r1.error);
    assert.deepEqual(ops(r1), [["hook", "create"]]);
    assert.deepEqual(r1.outputs, { stdout: "out-1" });
    assert.equal(r1.steps[0]!.exitCode, 0);
    assert.equal(r1.steps[0]!.command, `echo create-1 >> ${log}; echo out-1`);
    const r2 = await runProgram(one(), { stateFile });
    assert.deepEqual(ops(r2), [["hook", "same"]]);
    assert.deepEqual(executed(r2), []);
    assert.deepEqual(r2.outputs, { stdout: "out-1" });
    assert.deepEqual(readLines(log), ["create-1"]);
  });

  it("create text change ⇒ update running create (no update script) or update (when set)", async () => {
    await runProgram(one(), { stateFile });
    const r2 = await runProgram(one({ create: "2" }), { stateFile });
    assert.deepEqual(ops(r2), [["hook", "update"]]);
    assert.deepEqual(r2.outputs, { stdout: "out-2" });
    const r3 = await runProgram(one({ create: "3", update: "u" }), { stateFile });
    assert.deepEqual(ops(r3), [["hook", "update"]]);
    assert.equal(r3.steps[0]!.command, `echo update-u >> ${log}`);
    assert.deepEqual(readLines(log), ["create-1", "create-2", "update-u"]);
  });

  it("delete text change ⇒ UPDATE re-running create (1.2.1 rule)", async () => {
    await runProgram(one(), { stateFile });
    const r2 = await runProgram(one({ del: "2" }), { stateFile });
    assert.deepEqual(ops(r2), [["hook", "update"]]);
    assert.deepEqual(readLines(log), ["create-1", "create-1"]);
  });

  it("environment change ⇒ update; triggers change ⇒ replace: new create, then the OLD stored delete", async () => {
    await runProgram(one({ triggers: ["a"] }), { stateFile });
    const r2 = await runProgram(one({ triggers: ["a"], env: "e" }), { stateFile });
    assert.deepEqual(ops(r2), [["hook", "update"]]);
    // Triggers change with an `update` script present and a new delete: still replace, runs create.
    const r3 = await runProgram(one({ triggers: ["b"], update: "u", del: "new", env: "e" }), {
      stateFile,
    });
    assert.deepEqual(ops(r3), [
      ["hook", "replace"],
      ["hook", "delete!"],
    ]);
    assert.equal(r3.steps[1]!.command, `echo delete-1-$PULUMI_COMMAND_STDOUT >> ${log}`);
    assert.deepEqual(readLines(log), ["create-1", "create-1", "create-1", "delete-1-out-1"]);
    // Deep compare: same triggers (new array, same content) ⇒ same.
    const r4 = await runProgram(one({ triggers: ["b"], update: "u", del: "new", env: "e" }), {
      stateFile,
    });
    assert.deepEqual(ops(r4), [["hook", "same"]]);
  });

  it("a resource no longer declared is deleted after the program, in reverse registration order", async () => {
    const prog = (names: string[]) => () => {
      let prev: command.local.Command | undefined;
      for (const n of names) {
        prev = new command.local.Command(
          n,
          { create: `echo c-${n} >> ${log}`, delete: `echo d-${n} >> ${log}` },
          prev ? { dependsOn: [prev] } : {},
        );
      }
    };
    await runProgram(prog(["a", "b", "c", "keep"]), { stateFile });
    const r2 = await runProgram(prog(["keep"]), { stateFile });
    assert.equal(r2.failed, false, r2.error);
    assert.deepEqual(ops(r2), [
      ["keep", "same"],
      ["c", "delete"],
      ["b", "delete"],
      ["a", "delete"],
    ]);
    assert.deepEqual(readLines(log), ["c-a", "c-b", "c-c", "c-keep", "d-c", "d-b", "d-a"]);
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as StateFile;
    assert.deepEqual(
      state.resources.map((r) => r.name),
      ["keep"],
    );
  });

  it("preview reports create/update/replace/same/delete and executes nothing, writes no state", async () => {
    const marker = path.join(dir, "ran");
    const prog = (v: string, withGone: boolean) => () => {
      new command.local.Command("same", { create: `touch ${marker}-same` });
      new command.local.Command("upd", { create: `touch ${marker}-upd; echo ${v}` });
      new command.local.Command("rep", { create: `touch ${marker}-rep`, triggers: [v] });
      if (withGone) {
        new command.local.Command("gone", { create: "true", delete: `touch ${marker}-gone` });
      }
      if (!withGone) new command.local.Command("new", { create: `touch ${marker}-new` });
    };
    const p0 = await runProgram(prog("1", true), { stateFile, preview: true });
    assert.deepEqual(sortedOps(p0), [
      ["gone", "create"],
      ["rep", "create"],
      ["same", "create"],
      ["upd", "create"],
    ]);
    assert.equal(fs.existsSync(stateFile), false);
    assert.deepEqual(fs.readdirSync(dir), []);
    await runProgram(prog("1", true), { stateFile });
    for (const f of fs.readdirSync(dir)) if (f.startsWith("ran")) fs.rmSync(path.join(dir, f));
    const before = fs.readFileSync(stateFile, "utf8");
    const p1 = await runProgram(prog("2", false), { stateFile, preview: true });
    assert.equal(p1.failed, false, p1.error);
    assert.deepEqual(sortedOps(p1), [
      ["gone", "delete"],
      ["new", "create"],
      ["rep", "replace"],
      ["same", "same"],
      ["upd", "update"],
    ]);
    assert.deepEqual(p1.steps.at(-1)!.name, "gone"); // deletes come after the program
    assert.deepEqual(executed(p1), []);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith("ran")),
      [],
    );
    assert.equal(fs.readFileSync(stateFile, "utf8"), before);
  });

  it("preview: an input computed from a changing resource's output counts as changed (unknown)", async () => {
    const prog = (v: string) => () => {
      const a = new command.local.Command("a", { create: `echo ${v}` });
      new command.local.Command("b", { create: pulumi.interpolate`echo from ${a.stdout}` });
      new command.local.Command("c", { create: "true", triggers: [a.stdout] });
    };
    await runProgram(prog("1"), { stateFile });
    const p = await runProgram(prog("2"), { stateFile, preview: true });
    assert.deepEqual(sortedOps(p), [
      ["a", "update"],
      ["b", "update"],
      ["c", "replace"],
    ]);
    const same = await runProgram(prog("1"), { stateFile, preview: true });
    assert.deepEqual(sortedOps(same), [
      ["a", "same"],
      ["b", "same"],
      ["c", "same"],
    ]);
  });

  it("honours stdin, environment (appended to process.env), dir and interpreter", async () => {
    const sub = path.join(dir, "sub");
    fs.mkdirSync(sub);
    const r = await runProgram(
      () => {
        const a = new command.local.Command("stdin", { create: "cat", stdin: "from-stdin" });
        const b = new command.local.Command("env", {
          create: 'printf "%s|%s" "$GREETING" "${PATH:+has-path}"',
          environment: { GREETING: "hi there" },
        });
        const c = new command.local.Command("dir", { create: "pwd", dir: sub });
        const d = new command.local.Command("interp", {
          create: "process.stdout.write(String(6*7))",
          interpreter: ["/usr/bin/env", "node", "-e"],
        });
        return { a: a.stdout, b: b.stdout, c: c.stdout, d: d.stdout };
      },
      { stateFile },
    );
    assert.equal(r.failed, false, r.error);
    assert.deepEqual(r.outputs, { a: "from-stdin", b: "hi there|has-path", c: sub, d: "42" });
  });

  it("update sees PULUMI_COMMAND_STDOUT of the previous run unless addPreviousOutputInEnv is false", async () => {
    const prog = (v: string, add?: boolean) => () => {
      const c = new command.local.Command("c", {
        create: `echo "${v}:[$PULUMI_COMMAND_STDOUT]"`,
        ...(add === undefined ? {} : { addPreviousOutputInEnv: add }),
      });
      return { out: c.stdout };
    };
    assert.deepEqual((await runProgram(prog("1"), { stateFile })).outputs, { out: "1:[]" });
    assert.deepEqual((await runProgram(prog("2"), { stateFile })).outputs, { out: "2:[1:[]]" });
    assert.deepEqual((await runProgram(prog("3", false), { stateFile })).outputs, { out: "3:[]" });
  });

  it("a failing command fails the run with the provider's error text; dependents do not run; nothing recorded", async () => {
    const marker = path.join(dir, "dependent-ran");
    const prog = (code: number) => () => {
      const a = new command.local.Command("a", {
        create: `echo partial; echo oops >&2; exit ${code}`,
      });
      const b = new command.local.Command("b", { create: `touch ${marker}` }, { dependsOn: [a] });
      new command.local.Command("c", { create: pulumi.interpolate`echo ${a.stdout}` });
      return { b: b.stdout };
    };
    const r = await runProgram(prog(7), { stateFile });
    assert.equal(r.failed, true);
    assert.deepEqual(ops(r), [["a", "create"]]);
    const step = r.steps[0]!;
    assert.equal(step.exitCode, 7);
    assert.equal(step.stdout, "partial");
    assert.equal(step.stderr, "oops");
    assert.match(step.error!, /^exit status 7: running "echo partial; echo oops >&2; exit 7":\n/);
    assert.match(r.error!, /command:local:Command::a: exit status 7/);
    assert.equal(fs.existsSync(marker), false);
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as StateFile;
    assert.deepEqual(state.resources, []);
    // Failed create recorded nothing: the next run creates again.
    const r2 = await runProgram(prog(0), { stateFile });
    assert.equal(r2.failed, false, r2.error);
    assert.deepEqual(ops(r2), [
      ["a", "create"],
      ["b", "create"],
      ["c", "create"],
    ]);
  });

  it("a failed update keeps the old state (next run updates again)", async () => {
    const prog = (script: string) => () => {
      new command.local.Command("u", { create: script });
    };
    await runProgram(prog("echo v1"), { stateFile });
    const r = await runProgram(prog("echo v2; exit 1"), { stateFile });
    assert.equal(r.failed, true);
    assert.deepEqual(ops(r), [["u", "update"]]);
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as StateFile;
    assert.equal(state.resources[0]!.inputs.create, "echo v1");
    assert.equal(state.resources[0]!.outputs.stdout, "v1");
    const r2 = await runProgram(prog("echo v2; exit 1"), { stateFile });
    assert.deepEqual(ops(r2), [["u", "update"]]);
  });

  it("a failed create of a replacement keeps the old resource and skips its delete", async () => {
    const prog = (t: string, fail: boolean) => () => {
      new command.local.Command("r", {
        create: fail ? "exit 2" : `echo ${t}`,
        delete: `echo deleted >> ${log}`,
        triggers: [t],
      });
    };
    await runProgram(prog("1", false), { stateFile });
    const r = await runProgram(prog("2", true), { stateFile });
    assert.equal(r.failed, true);
    assert.deepEqual(ops(r), [["r", "replace"]]);
    assert.deepEqual(readLines(log), []);
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as StateFile;
    assert.deepEqual(state.resources[0]!.inputs.triggers, ["1"]);
  });

  it("captures pulumi.log.warn messages and reports program errors", async () => {
    const r = await runProgram(
      () => {
        pulumi.log.warn("careful: hook X is deprecated");
        return { a: 1 };
      },
      { stateFile },
    );
    assert.deepEqual(r.warnings, ["careful: hook X is deprecated"]);
    assert.deepEqual(r.outputs, { a: 1 });
    const bad = await runProgram(
      async () => {
        throw new Error("bad program input");
      },
      { stateFile },
    );
    assert.equal(bad.failed, true);
    assert.match(bad.error!, /bad program input/);
  });

  it("passes project, stack and config (secret keys stay secret outputs)", async () => {
    const r = await runProgram(
      () => {
        const cfg = new pulumi.Config();
        const token = cfg.requireSecret("token");
        const c = new command.local.Command("cfg", {
          create: pulumi.interpolate`echo ${pulumi.getProject()}/${pulumi.getStack()}/${cfg.require("region")}`,
        });
        return { out: c.stdout, secretIsSecret: pulumi.isSecret(token), token };
      },
      {
        stateFile,
        project: "shop",
        stack: "prod",
        config: { region: "eu", token: "t0k" },
        secretConfigKeys: ["token"],
      },
    );
    assert.equal(r.failed, false, r.error);
    assert.equal(r.outputs.out, "shop/prod/eu");
    assert.equal(r.outputs.token, "t0k");
    assert.match(r.steps[0]!.urn, /^urn:pulumi:prod::shop::/);
  });
});
