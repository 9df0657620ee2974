/**
 * Load: 20 apps deploying concurrently to ONE host through the loopback sshd fixture with sshd's
 * default `MaxStartups 10:30:100` (unauthenticated connections beyond 10 are dropped at random
 * before the banner). The runner dials again on those handshake failures within `dialErrorLimit`
 * (the provider's default, 10), so every deployment succeeds.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UpsunApp } from "../../components";
import { runProgram, type SshdHandle } from "../../testing";
import { sshdOrSkip } from "../testing/helpers";
import { freePort, killProcessesUnder } from "./harness";

const APPS = 20;
const SOURCE = path.resolve(__dirname, "..", "..", "examples", "quickstart", "app");

describe("testing/runProgram under load: 20 apps on one host (sshd MaxStartups default)", function () {
  this.timeout(900_000);
  let sshd: SshdHandle;
  let work: string;

  before(async function () {
    sshd = await sshdOrSkip(this);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "dh-load-"));
  });
  after(async () => {
    if (work) {
      killProcessesUnder(work);
      fs.rmSync(work, { recursive: true, force: true });
    }
    await sshd?.stop();
  });

  it("every app deploys: release current, build and postDeploy hooks ran", async () => {
    const ports: number[] = [];
    for (let i = 0; i < APPS; i++) ports.push(await freePort());
    const root = path.join(work, "host");
    const report = await runProgram(
      () => {
        for (let i = 0; i < APPS; i++) {
          new UpsunApp(`load${i}`, {
            source: SOURCE,
            type: "nodejs:20",
            hooks: { build: "mkdir -p public\n", postDeploy: 'echo "app ready"\n' },
            web: { commands: { start: "node server.js" } },
            port: ports[i],
            hosts: [
              {
                name: "vm",
                root,
                // The provider's default dial limit (the fixture's connection says 2).
                connection: { ...sshd.connection, dialErrorLimit: 10 },
              },
            ],
          });
        }
      },
      { stateFile: path.join(work, "state.json") },
    );
    assert.equal(report.failed, false, report.error);
    for (let i = 0; i < APPS; i++) {
      const app = path.join(root, `load${i}`);
      assert.ok(fs.existsSync(path.join(app, "current", "server.js")), `load${i} has no current`);
      const hooks = fs
        .readFileSync(path.join(app, ".deployhooks", "history.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { hook: string }).hook)
        .filter((h) => !h.startsWith("step:"));
      assert.deepEqual(hooks, ["build", "postDeploy"], `load${i}`);
    }
  });
});
