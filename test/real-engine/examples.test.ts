/**
 * Every TypeScript example under the real Pulumi engine (inline programs, the `command` double), and
 * the same scenarios under deployhooks/testing's emulation: preview, up, up again (all same), a
 * runtime-only change, a code change, a build-configuration change, destroy. CONFORMANCE: both give
 * the same operation to every command resource in every scenario.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { quickstart } from "../../examples/quickstart/program";
import { PROJECT, README, readmeWith } from "../../scripts/readmePreview";
import { startSshd, type SshdHandle } from "../../testing";
import { killProcessesUnder, processesUnder } from "../e2e/harness";
import { copyExample, edit, exampleProgram, readHistory } from "./examples";
import {
  EmulatedStack,
  EngineStack,
  commandOps,
  emulatedOps,
  engineOrSkip,
  freePort,
  listening,
  opDifferences,
  opsObject,
  type ConfigValue,
  type OpMap,
} from "./harness";

/** Where one side (emulation or engine) deploys. */
interface Side {
  root: string;
  port: number;
}

interface ExampleCase {
  example: string;
  /** Pulumi project name (the quickstart's is the repository's, as in the README). */
  project?: string;
  /** Component name = app directory under the root. */
  app: string;
  ssh?: boolean;
  program(dir: string): () => Record<string, unknown>;
  config(side: Side, sshd?: SshdHandle): Record<string, ConfigValue>;
  runtime: {
    change(dir: string, config: Record<string, ConfigValue>): void;
    /** Hook labels (history.jsonl, `step:*` left out) the README says run. */
    hooks: string[];
    /** Step resources (name suffix) the README names as replaced, when it names them. */
    steps?: string[];
  };
  code(dir: string): void;
  build(dir: string, config: Record<string, ConfigValue>): void;
}

const serverJs = (dir: string, sub = "app"): void =>
  fs.appendFileSync(path.join(dir, sub, "server.js"), "\n// code change\n");

const CASES: ExampleCase[] = [
  {
    example: "quickstart",
    project: PROJECT,
    app: "quickstart",
    program: (dir) => () => {
      const config = new pulumi.Config();
      return quickstart({
        source: path.join(dir, "app"),
        port: config.getNumber("port"),
        greeting: config.get("greeting"),
        root: config.get("root"),
        redeployToken: config.get("redeployToken"),
      });
    },
    config: (side) => ({ root: { value: side.root }, port: { value: String(side.port) } }),
    runtime: {
      change: (_dir, config) => (config.greeting = { value: "bonjour" }),
      hooks: ["postDeploy"],
      steps: ["activate", "hook-postDeploy", "outcome"],
    },
    code: (dir) => serverJs(dir),
    // The quickstart has no build setting in its config: its redeploy token reruns everything.
    build: (_dir, config) => (config.redeployToken = { value: "2" }),
  },
  {
    example: "upsun-migration",
    app: "api",
    program: exampleProgram,
    config: (side) => ({ root: { value: side.root }, port: { value: String(side.port) } }),
    runtime: {
      change: (dir) =>
        edit(dir, ".upsun/config.yaml", 'echo "warming caches"', 'echo "warming the caches"'),
      hooks: ["postDeploy"],
    },
    code: (dir) => serverJs(dir),
    build: (dir) => edit(dir, ".upsun/config.yaml", "NODE_ENV: production", "NODE_ENV: staging"),
  },
  {
    example: "clevercloud-migration",
    app: "cc",
    program: exampleProgram,
    config: (side) => ({ root: { value: side.root }, port: { value: String(side.port) } }),
    runtime: {
      change: (dir) => edit(dir, "clever.env", "GREETING=hello", "GREETING=bonjour"),
      hooks: ["preBuild", "preRun", "runSucceeded"],
    },
    code: (dir) => serverJs(dir),
    build: (dir) => edit(dir, "clever.env", "CC_NODE_VERSION=20", "CC_NODE_VERSION=22"),
  },
  {
    example: "vm",
    app: "web",
    ssh: true,
    program: exampleProgram,
    config: (side, sshd) => ({
      host: { value: "127.0.0.1" },
      sshPort: { value: String(sshd!.port) },
      user: { value: sshd!.user },
      privateKey: { value: sshd!.privateKey, secret: true },
      hostKey: { value: sshd!.hostKey },
      apiToken: { value: "t0ken-one", secret: true },
      root: { value: side.root },
      port: { value: String(side.port) },
    }),
    runtime: {
      change: (_dir, config) => (config.apiToken = { value: "t0ken-two", secret: true }),
      hooks: ["postDeploy"],
    },
    code: (dir) => serverJs(dir),
    build: (dir) => edit(dir, "index.ts", "date -u > public/build.txt", "date -u > public/b.txt"),
  },
];

/** Hook labels of history lines added since `before`, `step:*` left out. */
function newHooks(appDir: string, before: number): string[] {
  return readHistory(appDir)
    .slice(before)
    .map((h) => h.hook)
    .filter((h) => !h.startsWith("step:"));
}

/** Step names (after `<app>-<host>-`) whose op is one of `which`. */
function stepsWith(ops: OpMap, app: string, which: string[]): string[] {
  const out: string[] = [];
  for (const [k, op] of ops) {
    if (!which.includes(op)) continue;
    const name = k.split("::")[1]!;
    out.push(name.replace(new RegExp(`^${app}-[^-]+-`), ""));
  }
  return out.sort();
}

for (const c of CASES) {
  describe(`real engine: examples/${c.example} (inline program) vs deployhooks/testing`, function () {
    this.timeout(300_000);
    let engine: string;
    let dir: string;
    let work: string;
    let sshd: SshdHandle | undefined;
    let emu: EmulatedStack;
    let real: EngineStack;
    let emuSide: Side;
    let realSide: Side;
    let emuConfig: Record<string, ConfigValue>;
    let realConfig: Record<string, ConfigValue>;

    before(async function () {
      engine = engineOrSkip(this);
      this.timeout(120_000);
      dir = copyExample(c.example);
      work = fs.mkdtempSync(path.join(os.tmpdir(), `dh-real-${c.example}-`));
      if (c.ssh) sshd = await startSshd();
      emuSide = { root: path.join(work, "emulated"), port: await freePort() };
      realSide = { root: path.join(work, "real"), port: await freePort() };
      emuConfig = c.config(emuSide, sshd);
      realConfig = c.config(realSide, sshd);
      const project = c.project ?? `dh-${c.example}`;
      emu = new EmulatedStack(c.program(dir), emuConfig, project);
      real = await EngineStack.create({
        engine,
        project,
        program: async () => c.program(dir)(),
        config: realConfig,
      });
    });

    after(async function () {
      this.timeout(120_000);
      if (work) killProcessesUnder(work);
      real?.dispose();
      emu?.dispose();
      await sshd?.stop();
      for (const d of [dir, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    /** Runs one `up` on both sides and asserts conformance; returns the engine's ops. */
    async function upBoth(): Promise<OpMap> {
      emu.config = emuConfig;
      const e = emulatedOps(await emu.run());
      await real.setConfig(realConfig);
      const r = commandOps((await real.up()).ops);
      assert.deepEqual(opDifferences(e, r), [], "operations differ");
      return r;
    }

    it("preview: every command resource is a create, on both sides", async () => {
      const e = emulatedOps(await emu.run(true));
      const r = commandOps((await real.preview()).ops);
      assert.deepEqual(opDifferences(e, r), []);
      assert.ok(r.size > 0);
      assert.deepEqual(new Set(r.values()), new Set(["create"]));
    });

    it("up: every command resource is created and the app answers", async () => {
      const r = await upBoth();
      assert.deepEqual(new Set(r.values()), new Set(["create"]));
      assert.equal(await listening(realSide.port), true, "the app listens");
    });

    it("up again: zero changes (every resource same)", async () => {
      const r = await upBoth();
      assert.deepEqual(new Set(r.values()), new Set(["same"]), JSON.stringify(opsObject(r)));
    });

    it("runtime-only change: only the steps and hooks the README names run", async () => {
      const appDir = path.join(realSide.root, c.app);
      const before = readHistory(appDir).length;
      c.runtime.change(dir, emuConfig);
      c.runtime.change(dir, realConfig);
      if (c.project === PROJECT) {
        // The README's preview blocks are this change's real preview (scripts/readmePreview.ts).
        await real.setConfig(realConfig);
        const plain = (await real.preview()).stdout;
        const diff = await real.previewDiff();
        const readme = fs.readFileSync(README, "utf8");
        assert.equal(
          readmeWith(readme, plain, diff),
          readme,
          "README preview blocks differ from the real CLI: node -r ts-node/register/transpile-only scripts/readmePreview.ts",
        );
      }
      const r = await upBoth();
      assert.deepEqual(newHooks(appDir, before), c.runtime.hooks);
      if (c.runtime.steps) assert.deepEqual(stepsWith(r, c.app, ["replace"]), c.runtime.steps);
    });

    // The code before the code change, and the release it was deployed as (for the revert).
    let beforeCode: { file: string; text: string; release: string } | undefined;

    it("code change: a new release is built and served", async () => {
      const appDir = path.join(realSide.root, c.app);
      const current = () => fs.readlinkSync(path.join(appDir, "current"));
      const old = current();
      const file = path.join(dir, "app", "server.js");
      beforeCode = { file, text: fs.readFileSync(file, "utf8"), release: old };
      c.code(dir);
      const r = await upBoth();
      assert.notEqual(current(), old);
      assert.ok(stepsWith(r, c.app, ["replace", "update"]).length > 0);
    });

    it("revert of the code change: the kept release is re-activated (no build hook runs), on both sides", async () => {
      assert.ok(beforeCode, "the code change ran");
      const appDir = path.join(realSide.root, c.app);
      const before = readHistory(appDir).length;
      fs.writeFileSync(beforeCode.file, beforeCode.text);
      await upBoth();
      assert.equal(fs.readlinkSync(path.join(appDir, "current")), beforeCode.release);
      const ran = newHooks(appDir, before);
      assert.deepEqual(
        ran.filter((h) => ["build", "preBuild", "postBuild"].includes(h)),
        [],
        `hooks run by the revert: ${ran.join(" ")}`,
      );
      assert.equal(await listening(realSide.port), true, "the app listens");
    });

    it("build-configuration change: both sides agree on what reruns", async () => {
      c.build(dir, emuConfig);
      c.build(dir, realConfig);
      const r = await upBoth();
      assert.ok(stepsWith(r, c.app, ["replace", "update"]).length > 0);
    });

    it("destroy: every command resource deleted, the app stopped, its port free", async () => {
      const e = emulatedOps(await emu.destroy());
      const r = commandOps((await real.destroy()).ops);
      assert.deepEqual(opDifferences(e, r), []);
      assert.deepEqual(new Set(r.values()), new Set(["delete"]));
      assert.equal(await listening(realSide.port), false, "port still in use");
      assert.deepEqual(processesUnder(realSide.root), []);
    });
  });
}
