/**
 * The warm run's lstat pass on two threads (fingerprint/parallelLstat.ts): the same numbers as one
 * thread, gone entries marked, and the worker thread used only once it is ready.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lstatEntries, lstatHelperState } from "../../fingerprint/parallelLstat";
import { NUMS_PER_ENTRY } from "../../fingerprint/statCache";

describe("fingerprint/parallelLstat", function () {
  this.timeout(30000);
  let root: string;
  const rels: string[] = [];
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dh-plstat-"));
    for (let d = 0; d < 50; d++) {
      fs.mkdirSync(path.join(root, `d${d}`));
      for (let f = 0; f < 100; f++) {
        const rel = `d${d}/f${f}${f % 7 === 0 ? ".sh" : ".txt"}`;
        fs.writeFileSync(path.join(root, rel), "x".repeat(f), {
          mode: f % 7 === 0 ? 0o755 : 0o644,
        });
        rels.push(rel);
      }
      fs.symlinkSync("f1.txt", path.join(root, `d${d}/link`));
      rels.push(`d${d}/link`);
    }
    rels.push("gone/missing.txt");
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  let byWorker = 0;
  const run = (parallel: boolean) => {
    const nums = new Float64Array(rels.length * NUMS_PER_ENTRY);
    byWorker += lstatEntries(root + "/", rels, nums, root, parallel);
    return nums;
  };

  it("gives one thread's numbers, with a gone entry marked NaN; its worker starts with the second call", async () => {
    const serial = run(false);
    assert.ok(Number.isNaN(serial[(rels.length - 1) * NUMS_PER_ENTRY]));
    const st = fs.lstatSync(path.join(root, "d3/f14.sh"));
    const o = rels.indexOf("d3/f14.sh") * NUMS_PER_ENTRY;
    assert.deepEqual(Array.from(serial.subarray(o, o + 5)), [
      st.size,
      st.mtimeMs,
      st.ctimeMs,
      st.ino,
      st.mode,
    ]);
    // The second parallel call starts the worker (unless an earlier test in this process already
    // made two large warm runs); calls made before it is ready use this thread.
    const fresh = lstatHelperState() === "none";
    assert.deepEqual(run(true), serial);
    if (fresh) assert.equal(lstatHelperState(), "none", "not started by a process's first call");
    assert.deepEqual(run(true), serial);
    assert.notEqual(lstatHelperState(), "none");
    for (let i = 0; i < 100 && lstatHelperState() === "starting"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(lstatHelperState(), "ready");
    byWorker = 0;
    for (let k = 0; k < 5; k++) assert.deepEqual(run(true), serial);
    assert.equal(lstatHelperState(), "ready");
    // The worker did part of them (chunks of the 5,100 entries are claimed by both threads).
    assert.ok(byWorker > 0 && byWorker < 5 * rels.length, `the worker did ${byWorker} entries`);
  });
});
