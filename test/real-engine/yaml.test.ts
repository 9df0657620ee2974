/**
 * examples/yaml through the real `pulumi` CLI and `pulumi-language-yaml`, unchanged but for the
 * package reference (`packages: deployhooks: ../..` needs pulumi-language-nodejs; here the
 * component provider is the `pulumi-resource-deployhooks` launcher on PATH) and with a free port:
 * preview, up (its relative `source: ./app` resolves against the program), up again with zero
 * changes, a runtime-only change, destroy.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { killProcessesUnder } from "../e2e/harness";
import { readHistory } from "./examples";
import { REPO, engineEnv, engineOrSkip, freePort, listening, resourceKey } from "./harness";

describe("real engine: examples/yaml through pulumi-language-yaml", function () {
  this.timeout(300_000);
  let engine: string;
  let work: string;
  let program: string;
  let home: string;
  let port: number;

  const pulumi = (...args: string[]): string =>
    execFileSync(path.join(engine, "pulumi"), [...args, "--non-interactive"], {
      cwd: program,
      encoding: "utf8",
      env: {
        ...process.env,
        ...engineEnv(engine),
        HOME: home, // the default deployment root (~/.deployhooks/apps) and artifact cache
        PULUMI_HOME: path.join(work, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });

  /** `pulumi preview --json` → `type::name` → op for the custom resources. */
  const previewOps = (): Record<string, string> => {
    const out = JSON.parse(pulumi("preview", "--json")) as {
      steps?: Array<{ op: string; urn: string }>;
    };
    const ops: Record<string, string> = {};
    for (const s of out.steps ?? []) {
      const key = resourceKey(s.urn);
      if (key.startsWith("command:")) ops[key] = s.op;
    }
    return ops;
  };
  const appDir = () => path.join(home, ".deployhooks", "apps", "app");

  before(async function () {
    engine = engineOrSkip(this);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "dh-real-yaml-"));
    program = path.join(work, "yaml");
    home = path.join(work, "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.mkdirSync(path.join(work, "backend"));
    fs.cpSync(path.join(REPO, "examples", "yaml"), program, { recursive: true });
    const yaml = fs.readFileSync(path.join(program, "Pulumi.yaml"), "utf8");
    const without = yaml.replace("packages:\n  deployhooks: ../..\n", "");
    assert.notEqual(without, yaml, "examples/yaml declares its package reference");
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), without);
    port = await freePort();
    pulumi("stack", "init", "dev");
    pulumi("config", "set", "port", String(port));
  });

  after(function () {
    if (work) {
      killProcessesUnder(work);
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("preview: every command resource is a create", () => {
    const ops = previewOps();
    assert.ok(Object.keys(ops).length > 0);
    assert.deepEqual(new Set(Object.values(ops)), new Set(["create"]));
  });

  it("up: deploys ./app (relative to the program) and the app answers", async () => {
    pulumi("up", "--yes", "--skip-preview");
    assert.ok(fs.existsSync(path.join(appDir(), "current", "server.js")));
    assert.equal(await listening(port), true);
  });

  it("up again: zero changes", () => {
    const out = JSON.parse(pulumi("preview", "--json")) as {
      changeSummary: Record<string, number>;
    };
    assert.deepEqual(Object.keys(out.changeSummary), ["same"], JSON.stringify(out.changeSummary));
  });

  it("runtime-only change (greeting): only the postDeploy hook runs", () => {
    const before = readHistory(appDir()).length;
    pulumi("config", "set", "greeting", "bonjour");
    pulumi("up", "--yes", "--skip-preview");
    const hooks = readHistory(appDir())
      .slice(before)
      .map((h) => h.hook)
      .filter((h) => !h.startsWith("step:"));
    assert.deepEqual(hooks, ["postDeploy"]);
  });

  it("destroy: the app stops and its port is free", async () => {
    pulumi("destroy", "--yes", "--skip-preview");
    assert.equal(await listening(port), false);
  });
});
