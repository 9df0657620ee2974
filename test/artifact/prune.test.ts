import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARTIFACT_KEEP, ARTIFACT_MAX_AGE_DAYS, pruneArtifacts } from "../../artifact/prune";

const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const DAY = 24 * 3600;
const name = (i: number) => `code-${i.toString(16).padStart(64, "0")}.tar`;

describe("artifact/prune", () => {
  it("keeps the current tarball and the most recent ones, deletes old and excess ones", () => {
    assert.equal(ARTIFACT_KEEP, 5);
    assert.equal(ARTIFACT_MAX_AGE_DAYS, 7);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-prune-"));
    made.push(dir);
    const now = 2_000_000_000;
    const put = (file: string, ageSeconds: number) => {
      fs.writeFileSync(path.join(dir, file), "x");
      fs.utimesSync(path.join(dir, file), now - ageSeconds, now - ageSeconds);
    };
    // 8 tarballs used 1..8 hours ago, one 8 days ago; the current one is the OLDEST (30 days).
    for (let i = 1; i <= 8; i++) put(name(i), i * 3600);
    put(name(9), 8 * DAY);
    put(name(10), 30 * DAY);
    put(name(1) + ".sha256", 10);
    put(name(2) + ".123.456.tmp", 2 * DAY);
    put(name(3) + ".123.457.tmp", 3600);
    put("stat-cache-0123456789abcdef.bin", 100 * DAY);
    put("notes.txt", 100 * DAY);
    const removed = pruneArtifacts(dir, name(10), now * 1000).sort();
    assert.deepEqual(
      removed,
      [
        name(5),
        name(6),
        name(7),
        name(8),
        name(9),
        name(1) + ".sha256",
        name(2) + ".123.456.tmp",
      ].sort(),
    );
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      [
        name(1),
        name(2),
        name(3),
        name(4),
        name(10),
        name(3) + ".123.457.tmp",
        "notes.txt",
        "stat-cache-0123456789abcdef.bin",
      ].sort(),
    );
  });

  it("a missing directory prunes nothing", () => {
    assert.deepEqual(pruneArtifacts(path.join(os.tmpdir(), "dh-prune-missing-xyz"), name(1)), []);
  });
});
