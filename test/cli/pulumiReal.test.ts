/**
 * The quickstart through the real Pulumi CLI (`pulumi preview` / `pulumi up` with a local file
 * backend). The CLI and its plugins cannot be downloaded on our build machines, so this suite runs
 * wherever `pulumi` is on PATH and otherwise reports itself skipped, with the reason.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const REPO = path.resolve(__dirname, "../..");

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe("real Pulumi CLI: the quickstart with a local file backend", function () {
  this.timeout(15 * 60 * 1000);
  const pulumi = onPath("pulumi");
  let work: string;
  let env: NodeJS.ProcessEnv;
  let configFile: string;
  let port: number;

  const run = (...args: string[]): SpawnSyncReturns<string> => {
    const r = spawnSync(
      pulumi as string,
      [...args, "--stack", "e2e", "--config-file", configFile, "--non-interactive"],
      {
        cwd: REPO,
        env,
        encoding: "utf8",
      },
    );
    return r;
  };
  const ok = (r: SpawnSyncReturns<string>) => assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);

  before(async function () {
    if (!pulumi) {
      console.log(
        "      skipped: the `pulumi` CLI is not on PATH (it cannot be downloaded on this machine); the runner-based end-to-end tests cover the same deployment",
      );
      this.skip();
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), "deployhooks-pulumi-"));
    configFile = path.join(work, "Pulumi.e2e.yaml");
    port = await freePort();
    env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${work}/backend`,
      PULUMI_CONFIG_PASSPHRASE: "deployhooks-e2e",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    fs.mkdirSync(path.join(work, "backend"));
    ok(
      spawnSync(pulumi as string, ["stack", "init", "e2e", "--non-interactive"], {
        cwd: REPO,
        env,
        encoding: "utf8",
      }),
    );
    for (const [k, v] of [
      ["port", String(port)],
      ["root", path.join(work, "host")],
      ["greeting", "hello"],
    ]) {
      ok(run("config", "set", k, v));
    }
  });

  after(function () {
    if (!pulumi || !work) return;
    run("destroy", "--yes");
    spawnSync(pulumi, ["stack", "rm", "e2e", "--yes", "--force", "--non-interactive"], {
      cwd: REPO,
      env,
      encoding: "utf8",
    });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("preview shows every step to create; up deploys and the app answers", async () => {
    const preview = run("preview", "--diff");
    ok(preview);
    assert.match(preview.stdout, /\+ .*command:local:Command.*quickstart-local-hook-build/);
    ok(run("up", "--yes", "--skip-preview"));
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 200);
  });

  it("an unchanged program changes nothing", () => {
    const preview = run("preview", "--expect-no-changes");
    ok(preview);
  });

  it("a runtime-only change replaces only the postDeploy, activate and outcome steps", () => {
    ok(run("config", "set", "greeting", "bonjour"));
    const preview = run("preview", "--diff");
    ok(preview);
    const replaced = [...preview.stdout.matchAll(/\+-\s+command:local:Command\s+(\S+)/g)]
      .map((m) => m[1])
      .sort();
    assert.ok(replaced.includes("quickstart-local-hook-postDeploy"), preview.stdout);
    assert.ok(
      !replaced.includes("quickstart-local-hook-build") &&
        !replaced.includes("quickstart-local-hook-deploy"),
      preview.stdout,
    );
    assert.match(preview.stdout, /runtime:\S*GREETING=[0-9a-f]{16}/);
    ok(run("up", "--yes", "--skip-preview"));
  });
});
