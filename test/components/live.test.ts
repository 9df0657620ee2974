/**
 * Live, bounded, redacted output through runProgram (real bash, local host): a hook's first line
 * reaches onOutput while the hook still runs, no line carries the secret, and a hook printing
 * 100,000 lines leaves a bounded stdout in the state file.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../testing";

const SECRET = "live-Secret-77ab10";

describe("components: live, bounded, redacted hook output (runProgram)", function () {
  this.timeout(180000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-live-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(() => {
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "a.txt"), "a\n");
  });

  const run = async (name: string, postDeploy: string, onOutput?: (l: string) => void) => {
    const { UpsunApp } = await import("../../components");
    return runProgram(
      () => {
        const app = new UpsunApp(name, {
          source: path.join(dir, "src"),
          artifactDir: path.join(dir, "artifacts"),
          hooks: { postDeploy },
          secrets: { TOKEN: pulumi.secret(SECRET) },
          hosts: [{ name: "local", root: path.join(dir, "root") }],
        });
        return { summary: app.summary };
      },
      {
        stateFile: path.join(dir, `${name}.json`),
        ...(onOutput ? { onOutput: (l: string) => onOutput(l) } : {}),
      },
    );
  };

  it("a line, 3 s of sleep, a line: the first arrives at least 2 s before the second; the secret in neither", async () => {
    const seen: Array<[string, number]> = [];
    const r = await run("live", 'echo "one $TOKEN"\nsleep 3\necho "two $TOKEN"\n', (l) =>
      seen.push([l, Date.now()]),
    );
    assert.equal(r.failed, false, r.error);
    const one = seen.find(([l]) => l.includes("one [redacted:TOKEN]"));
    const two = seen.find(([l]) => l.includes("two [redacted:TOKEN]"));
    assert.ok(one && two, JSON.stringify(seen.map(([l]) => l)));
    assert.ok(two[1] - one[1] >= 2000, `${two[1] - one[1]} ms`);
    assert.ok(!seen.some(([l]) => l.includes(SECRET)));
  });

  it("a hook printing 100,000 lines: the state grows by the bounded output only; the full log stays on the host", async () => {
    // The same program whose hook prints one line: what the state holds anyway (the host library
    // on the library step's stdin, the commands, the triggers).
    const small = await run("sml", 'echo "line 1 of a long hook output"\n');
    assert.equal(small.failed, false, small.error);
    const smallState = fs.statSync(path.join(dir, "sml.json")).size;
    const smallOut = (small.steps.find((s) => s.name === "sml-local-hook-postDeploy")!.stdout ?? "")
      .length;
    const r = await run(
      "big",
      'for i in $(seq 1 100000); do echo "line $i of a long hook output, with some padding to make it realistic"; done\n',
    );
    assert.equal(r.failed, false, r.error);
    const state = fs.statSync(path.join(dir, "big.json")).size;
    const log = fs
      .readdirSync(path.join(dir, "root", "big", "logs"))
      .find((f) => f.endsWith("-postDeploy.log"))!;
    const logSize = fs.statSync(path.join(dir, "root", "big", "logs", log)).size;
    const post = r.steps.find((s) => s.name === "big-local-hook-postDeploy")!;
    const lines = (post.stdout ?? "").split("\n");
    assert.equal(lines.filter((l) => l.startsWith("| ")).length, 140);
    assert.ok(
      lines.includes(
        `deployhooks: [99860 lines of postDeploy left out here: the full log is ${path.join(dir, "root", "big", "logs", log)} on the host]`,
      ),
    );
    // 140 lines of at most 400 characters plus the markers, whatever the hook prints.
    assert.ok(
      (post.stdout ?? "").length < 140 * 402 + 2000,
      `stdout ${(post.stdout ?? "").length}`,
    );
    // 7 MB printed; the state holds the bounded stdout once, and nothing else grows (names are
    // the same length: "sml" and "big").
    const grown = state - smallState;
    const outGrown = (post.stdout ?? "").length - smallOut;
    assert.ok(grown <= outGrown + 1024, `state grew by ${grown} bytes, stdout by ${outGrown}`);
    assert.ok(logSize > 6_000_000, `log ${logSize} bytes`);
    console.log(
      `      measured: state file ${state} bytes (one-line hook: ${smallState}), stdout ${(post.stdout ?? "").length} bytes, host log ${logSize} bytes`,
    );
  });
});
