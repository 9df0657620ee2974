import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha256 } from "../../fingerprint/digest";
import { StreamHasher } from "../../fingerprint/streamHash";

const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function hex(digests: Uint8Array, i: number): string {
  return "sha256:" + Buffer.from(digests.subarray(i * 32, i * 32 + 32)).toString("hex");
}

describe("fingerprint/streamHash", () => {
  for (const parallel of [false, true]) {
    it(`digests, modes and stat numbers of files and links; vanished or retyped entries dropped (${parallel ? "worker" : "main thread only"})`, async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "dh-stream-"));
      made.push(root);
      const big = Buffer.alloc((3 << 20) + 17, 7);
      fs.writeFileSync(path.join(root, "big.bin"), big);
      fs.writeFileSync(path.join(root, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
      fs.chmodSync(path.join(root, "run.sh"), 0o755);
      fs.writeFileSync(path.join(root, "empty"), "");
      fs.symlinkSync("run.sh", path.join(root, "link"));
      execFileSync("mkfifo", [path.join(root, "fifo")]);
      fs.writeFileSync(path.join(root, "was-file"), "x");
      const sink = new StreamHasher(root, parallel);
      const entries: [string, boolean][] = [
        ["big.bin", false],
        ["run.sh", false],
        ["empty", false],
        ["link", true],
        ["gone", false], // vanished since readdir
        ["fifo", false], // not a regular file any more: dropped, never blocks
        ["link", false], // a file when listed, a link now (O_NOFOLLOW)
        ["was-file", true], // a link when listed, a file now
      ];
      for (let k = 0; k < 300; k++) entries.push(["empty", false]); // more than one batch
      for (const [rel, link] of entries) sink.add(path.join(root, rel), link);
      const r = await sink.finish();
      assert.deepEqual([...r.state.subarray(0, 8)], [1, 2, 1, 3, 4, 4, 4, 4]);
      assert.equal(hex(r.digests, 0), sha256(Buffer.concat([Buffer.from("-\0"), big])));
      assert.equal(hex(r.digests, 1), sha256("x\0#!/bin/sh\n"));
      assert.equal(hex(r.digests, 2), sha256("-\0"));
      assert.equal(hex(r.digests, 3), sha256("l\0run.sh"));
      assert.equal(hex(r.digests, 307), sha256("-\0"));
      const st = fs.lstatSync(path.join(root, "big.bin"));
      assert.deepEqual(
        [...r.nums.subarray(0, 5)],
        [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode],
      );
      const lst = fs.lstatSync(path.join(root, "link"));
      assert.deepEqual(
        [...r.nums.subarray(15, 20)],
        [lst.size, lst.mtimeMs, lst.ctimeMs, lst.ino, lst.mode],
      );
    });
  }

  it("nothing added: an empty result, the worker stopped", async () => {
    const sink = new StreamHasher(os.tmpdir(), true);
    const r = await sink.finish();
    assert.equal(r.state.length, 0);
  });
});
