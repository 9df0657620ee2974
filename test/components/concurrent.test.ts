/**
 * One deployment at a time per app: two processes deploy DIFFERENT code to the same app on the same
 * host at once (two stacks, two state files). Every step claims the app for its release under the
 * lock; the deployment that was superseded stops with "superseded by deployment <id>" and no step of
 * either ever runs in the other's release.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunReport } from "../../testing";

function deployInChild(args: string[]): Promise<RunReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "fixtures", "deployOnce.ts"),
        ...args,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve(JSON.parse(out) as RunReport);
      } catch {
        reject(new Error(`child exited ${code}: ${err}${out}`));
      }
    });
  });
}

describe("components: one deployment at a time per app (two processes at once)", function () {
  this.timeout(180000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-concurrent-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the superseded deployment stops with a clear message; no step runs in the other's release", async () => {
    const root = path.join(dir, "root");
    const run = (name: string) => {
      const src = path.join(dir, `src-${name}`);
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, "version.txt"), `${name}\n`);
      return deployInChild([
        src,
        root,
        path.join(dir, `state-${name}.json`),
        path.join(dir, `artifacts-${name}`),
        path.join(dir, `marks-${name}`),
      ]);
    };
    const reports = await Promise.all([run("a"), run("b")]);
    const releases = reports.map((r) => {
      const upload = r.steps.find((s) => s.name === "shared-local-upload");
      return /release=([0-9a-f]+)/.exec(upload?.stdout ?? upload?.error ?? "")?.[1] ?? "";
    });
    assert.notEqual(releases[0], releases[1]);
    const failed = reports.map((r) => r.failed);
    assert.deepEqual(
      failed.filter(Boolean).length,
      1,
      `exactly one deployment loses: ${reports.map((r) => r.error ?? "ok").join("\n---\n")}`,
    );
    const loser = failed.indexOf(true);
    const winner = 1 - loser;
    assert.match(
      reports[loser].error ?? "",
      new RegExp(`superseded by deployment ${releases[winner]}: another deployment of app shared`),
    );
    assert.equal(reports[winner].outputs.releaseId, releases[winner]);
    // Where each hook ran: its own release, for every hook of both deployments.
    for (const [i, name] of ["a", "b"].entries()) {
      const file = path.join(dir, `marks-${name}`);
      const lines = fs.existsSync(file)
        ? fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean)
        : [];
      for (const l of lines) {
        const [hook, release, cwd] = l.split(" ");
        assert.equal(release, releases[i], l);
        assert.equal(
          cwd,
          path.join(fs.realpathSync(root), "shared", "releases", releases[i]),
          `${hook} of ${name}`,
        );
      }
      if (i === winner) {
        assert.deepEqual(
          lines.map((l) => l.split(" ")[0]),
          ["build", "deploy", "postDeploy"],
        );
      }
    }
    assert.equal(
      fs.readlinkSync(path.join(root, "shared", "current")),
      `releases/${releases[winner]}`,
    );
  });
});
