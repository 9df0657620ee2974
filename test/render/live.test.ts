import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { encodeSecretsForStdin, renderHookStep } from "../../render";
import type { AppTarget } from "../../render";
import { cleanupRoots, hook, tmpRoot, uploadRelease } from "./helpers";

/** Runs a command text; resolves with each stdout line and the ms at which it arrived. */
function timedLines(command: string, stdin: string): Promise<Array<[string, number]>> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "inherit"] });
    const lines: Array<[string, number]> = [];
    let buf = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push([buf.slice(0, i), Date.now() - t0]);
        buf = buf.slice(i + 1);
      }
    });
    child.on("error", reject);
    child.on("close", () => resolve(lines));
    child.stdin.end(stdin);
  });
}

describe("render: live, bounded, redacted hook output (real bash)", function () {
  this.timeout(30000);
  after(cleanupRoots);

  it("each line leaves the host while the hook runs, redacted", async () => {
    const target: AppTarget = { root: tmpRoot(), app: "web" };
    await uploadRelease(target, "r1");
    const step = renderHookStep({
      target,
      profile: "upsun",
      releaseId: "r1",
      hook: hook({ script: 'echo "first $TOKEN"\nsleep 3\necho "second $TOKEN"' }),
      secretNames: ["TOKEN"],
    });
    const lines = await timedLines(
      step.command,
      encodeSecretsForStdin({ TOKEN: "live-Secret-5521" }),
    );
    const first = lines.find(([l]) => l === "| first [redacted:TOKEN]");
    const second = lines.find(([l]) => l === "| second [redacted:TOKEN]");
    assert.ok(first && second, JSON.stringify(lines));
    assert.ok(second[1] - first[1] >= 2000, `${first[1]} ms / ${second[1]} ms`);
    assert.ok(!lines.some(([l]) => l.includes("live-Secret")));
  });
});
