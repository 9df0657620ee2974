/**
 * Secrets through real bash (deployhooks/testing runProgram, local host): a secret Output given as
 * an ordinary variable, an app that prints its secret at start and then crashes, and a Clever Cloud
 * env-file secret appear nowhere in the run report, the state file, the command texts, the shipped
 * tarball or release, nor in the host's state files — only in the app's own log (mode 0600).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../testing";
import type { RunReport } from "../../testing";
import { freePort } from "../render/helpers";

const TOKEN = "tok-Secret-31f9e2";
const DB = "db-Secret-7c55a0";

/** Files under `dir` whose bytes contain `needle`, relative. */
function filesContaining(dir: string, needle: string): string[] {
  if (!fs.existsSync(dir)) return [];
  try {
    return execFileSync("grep", ["-rlaF", "--", needle, dir])
      .toString()
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((f) => path.relative(dir, f))
      .sort();
  } catch {
    return [];
  }
}

/** Every place the secret must not be: report, state, command texts, artifacts, releases, host state. */
function assertNowhere(r: RunReport, dir: string, secret: string, appDir: string): void {
  for (const v of [secret, Buffer.from(secret).toString("base64")]) {
    assert.ok(!JSON.stringify(r).includes(v), "the run report");
    for (const s of r.steps) assert.ok(!(s.command ?? "").includes(v), s.name);
  }
  assert.deepEqual(filesContaining(path.join(dir, "state"), secret), []);
  assert.deepEqual(filesContaining(path.join(dir, "artifacts"), secret), []);
  assert.deepEqual(filesContaining(path.join(appDir, "releases"), secret), []);
  assert.deepEqual(filesContaining(path.join(appDir, ".deployhooks"), secret), []);
}

function stopApp(appDir: string): void {
  try {
    const pid = Number(
      fs.readFileSync(path.join(appDir, ".deployhooks/app.pid"), "utf8").split(" ")[0],
    );
    if (pid > 0) process.kill(-pid, "SIGKILL");
  } catch {
    // not running
  }
}

describe("components: secrets through real bash (runProgram, local host)", function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-secrets-run-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("UpsunApp: a secret Output as an ordinary runtime variable", () => {
    const appDir = path.join(dir, "root", "sec");
    const stateFile = path.join(dir, "state", "state.json");
    let port: number;
    before(async () => {
      port = await freePort();
      fs.mkdirSync(path.join(dir, "state"), { recursive: true });
      fs.mkdirSync(path.join(dir, "src"), { recursive: true });
      fs.writeFileSync(
        path.join(dir, "src", "server.js"),
        'console.log("starting with token " + process.env.API_TOKEN);\nrequire("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");\n',
      );
    });
    after(() => stopApp(appDir));

    const run = async (start: string) => {
      const { UpsunApp } = await import("../../components");
      return runProgram(
        () => {
          const app = new UpsunApp("sec", {
            source: path.join(dir, "src"),
            artifactDir: path.join(dir, "artifacts"),
            hooks: { postDeploy: 'echo "post-deploy sees token=$API_TOKEN"\n' },
            runtimeVariables: { API_TOKEN: pulumi.secret(TOKEN), GREETING: "hello" },
            web: { commands: { start } },
            port,
            hosts: [{ name: "local", root: path.join(dir, "root") }],
          });
          return { health: app.health, steps: app.steps };
        },
        { stateFile },
      );
    };

    it("a good deployment: the hook and the app print it; it is redacted everywhere Pulumi sees", async () => {
      const r = await run("node server.js");
      assert.equal(r.failed, false, r.error);
      assert.deepEqual(r.outputs.health, { local: "ok" });
      const post = r.steps.find((s) => s.name === "sec-local-hook-postDeploy")!;
      assert.ok(
        (post.stdout ?? "").includes("| post-deploy sees token=[redacted:API_TOKEN]\n"),
        post.stdout,
      );
      assertNowhere(r, dir, TOKEN, appDir);
      // Only the app's own log (0600) has it: the app printed it.
      assert.deepEqual(
        filesContaining(path.join(appDir, "logs"), TOKEN),
        [
          "app.log",
          `${fs.readlinkSync(path.join(appDir, "current")).slice("releases/".length)}-postDeploy.log`,
        ].sort(),
      );
      assert.equal(fs.statSync(path.join(appDir, "logs")).mode & 0o777, 0o700);
    });

    it("an app that prints its secret and crashes: the tail in the error is redacted, the previous app keeps serving", async () => {
      fs.writeFileSync(path.join(dir, "src", "v2.txt"), "a new release\n");
      const r = await run('echo "crashing with token $API_TOKEN"; exit 3');
      assert.equal(r.failed, true);
      assert.match(r.error ?? "", /\| crashing with token \[redacted:API_TOKEN\]/);
      // Behind the front proxy (caddy installed) the new app never got traffic; without it, the
      // previous app is restarted by the rollback.
      assert.match(
        (r.error ?? "").slice(-1500),
        /::deployhooks::rollback status=restarted|traffic was never switched: the previous instance keeps serving/,
      );
      assertNowhere(r, dir, TOKEN, appDir);
    });
  });

  describe("CleverCloudApp from an env file with a secret", () => {
    it("the env file is not shipped; the secret reaches the hook and is redacted", async () => {
      const root = path.join(dir, "cc");
      fs.mkdirSync(path.join(root, "app"), { recursive: true });
      const port = await freePort();
      fs.writeFileSync(
        path.join(root, "app", "server.js"),
        'require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");\n',
      );
      fs.writeFileSync(
        path.join(root, "clever.env"),
        `APP_FOLDER=app\nCC_RUN_COMMAND="node server.js"\nCC_PRE_RUN_HOOK="echo db=$DB_PASSWORD"\nDB_PASSWORD=${DB}\n`,
      );
      const stateFile = path.join(dir, "state", "cc.json");
      const { CleverCloudApp, cleverCloudAppArgsFromEnvFile } = await import("../../components");
      const r = await runProgram(
        () => {
          const app = new CleverCloudApp(
            "cc",
            cleverCloudAppArgsFromEnvFile(path.join(root, "clever.env"), {
              secretNames: ["DB_PASSWORD"],
              port,
              artifactDir: path.join(dir, "artifacts"),
              hosts: [{ name: "local", root: path.join(dir, "root") }],
            }),
          );
          return { steps: app.steps };
        },
        { stateFile },
      );
      assert.equal(r.failed, false, r.error);
      const pre = r.steps.find((s) => s.name === "cc-local-hook-preRun")!;
      assert.ok((pre.stdout ?? "").includes("| db=[redacted:DB_PASSWORD]\n"), pre.stdout);
      const appDir = path.join(dir, "root", "cc");
      assertNowhere(r, dir, DB, appDir);
      const release = fs.readlinkSync(path.join(appDir, "current"));
      assert.deepEqual(fs.readdirSync(path.join(appDir, release)), ["server.js"]);
      stopApp(appDir);
    });
  });
});
