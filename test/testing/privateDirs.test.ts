import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const CHILD = path.join(__dirname, "privateDirsChild.ts");

/** Runs the child; `signal`: sent once it printed its directory. */
function runChild(
  how: string,
  signal?: NodeJS.Signals,
): Promise<{ dir: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CHILD, how], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (signal && out.endsWith("\n")) {
        assert.ok(fs.existsSync(out.trim()), "the directory exists while the child runs");
        child.kill(signal);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, sig) => resolve({ dir: out.trim(), code, signal: sig }));
  });
}

describe("testing/privateDirs: temp dirs with key material are removed on every exit path", function () {
  this.timeout(60_000);
  const cases: Array<[string, NodeJS.Signals | undefined, number | null, NodeJS.Signals | null]> = [
    ["exit", undefined, 3, null],
    ["throw", undefined, 1, null],
    ["signal", "SIGTERM", null, "SIGTERM"],
    ["signal", "SIGINT", null, "SIGINT"],
    ["signal", "SIGHUP", null, "SIGHUP"],
  ];
  for (const [how, signal, code, died] of cases) {
    it(`${how}${signal ? ` (${signal})` : ""}: the directory is gone, the process ends as it would have`, async () => {
      const r = await runChild(how, signal);
      assert.match(r.dir, /deployhooks-ssh-/);
      assert.equal(fs.existsSync(r.dir), false, `${r.dir} left behind`);
      assert.deepEqual([r.code, r.signal], [code, died]);
    });
  }
});
