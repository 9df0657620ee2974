/**
 * Tarballs planned without being written (artifact/virtualArtifact.ts): the planned sha256 and
 * bytes are exactly those of the tarball `buildArtifact` writes; a delta made from the plan is the
 * delta made from the written tarball; the index outlives the plan as the next delta's base.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { buildArtifact } from "../../artifact/tarball";
import { planVirtualArtifact } from "../../artifact/virtualArtifact";
import { planArtifact } from "../../artifact/plannedArtifact";
import { readTarIndex } from "../../artifact/tarIndex";
import { readVirtualSum } from "../../artifact/artifactSum";
import { buildDelta, buildDeltaFromIndex } from "../../artifact/delta";
import { pruneArtifacts } from "../../artifact/prune";
import { fingerprintTree } from "../../fingerprint/tree";
import { openedDuring } from "./openSpy";
import { removeTmpDirs, tmpDir, writeTree } from "./treeFixture";

after(removeTmpDirs);

const V1: Record<string, string> = {
  "a.txt": "a\n",
  "b/c.txt": "c\n".repeat(700),
  "b/run.sh": "echo run\n",
  "big.bin": "x".repeat(1 << 20),
  [`deep/${"d".repeat(80)}/long.txt`]: "long\n",
};

/** A tree at v1 with its tarball built, then changed to v2 (`change`). */
async function scenario(
  change: Record<string, string | null> = { "0-new.txt": "new\n", "b/c.txt": "changed\n" },
) {
  const src = tmpDir("dh-virt-src-");
  const out = tmpDir("dh-virt-out-");
  writeTree(src, V1);
  const v1 = await buildArtifact(src, await fingerprintTree(src), out);
  writeTree(src, change);
  const tree = await fingerprintTree(src);
  return { src, out, v1, tree };
}

describe("artifact/virtualArtifact", () => {
  it("plans the exact sha256 and bytes of the tarball, reading only the changed files and writing no tarball", async () => {
    const { src, out, tree } = await scenario();
    const { value: v, opened } = await openedDuring(() => planVirtualArtifact(src, tree, out), src);
    assert.ok(v);
    assert.deepEqual(opened, ["0-new.txt", "b/c.txt"]);
    assert.equal(fs.existsSync(v.path), false, "no tarball written");
    const written = await buildArtifact(src, tree, tmpDir("dh-virt-scratch-"));
    assert.equal(`sha256:${await v.sha256}`, written.sha256);
    assert.equal(v.bytes, written.bytes);
    const bytes = fs.readFileSync(written.path);
    assert.ok(v.read(0, v.bytes).equals(bytes), "every byte");
    // Any range reads as the written tarball's.
    fc.assert(
      fc.property(fc.nat(v.bytes - 1), fc.nat(40000), (at, n) => {
        const len = Math.min(n, v.bytes - at);
        return v.read(at, len).equals(bytes.subarray(at, at + len));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps its index and a virtual sum (the next delta's base), which pruning keeps as a tarball", async () => {
    const { src, out, tree } = await scenario();
    const v = planVirtualArtifact(src, tree, out)!;
    const sha = await v.sha256;
    await v.indexed;
    assert.deepEqual(readVirtualSum(v.path)?.sha256, `sha256:${sha}`);
    assert.equal(readTarIndex(v.path, sha), undefined, "not a tarball to copy from");
    assert.deepEqual(readTarIndex(v.path, sha, true)?.entries, v.entries);
    assert.deepEqual(pruneArtifacts(out, "code-" + "f".repeat(64) + ".tar"), []);
    assert.ok(fs.existsSync(v.path + ".idx") && fs.existsSync(v.path + ".sum"));
  });

  it("the delta from the plan is the delta from the written tarball", async () => {
    const { src, out, v1, tree } = await scenario();
    const v = planVirtualArtifact(src, tree, out)!;
    const base = readTarIndex(v1.path, v1.sha256)!;
    const fromPlan = buildDeltaFromIndex(base, v, tmpDir("dh-virt-d1-"))!;
    const written = await buildArtifact(src, tree, out);
    assert.equal(written.sha256, `sha256:${await v.sha256}`);
    const fromFile = buildDelta(v1.path, v1.sha256.slice(7), written.path, tmpDir("dh-virt-d2-"))!;
    assert.ok(fs.readFileSync(fromPlan.path).equals(fs.readFileSync(fromFile.path)));
  });

  it("planArtifact plans virtually; ready() writes the tarball, which must hash as planned", async () => {
    const { src, out, tree } = await scenario();
    const a = await planArtifact(src, tree, out);
    assert.ok(a.virtual);
    assert.equal(fs.existsSync(a.path), false);
    const r = await a.ready();
    assert.equal(r.sha256, await a.sha256);
    assert.equal(a.ready(), a.ready(), "written once");
    // Planned again now that it is written: from its sum, not virtually.
    assert.equal((await planArtifact(src, tree, out)).virtual, undefined);
  });

  it("a tarball that can no longer be written as planned (a file changed meanwhile) fails ready(): nothing to send", async () => {
    const { src, out, tree } = await scenario();
    const a = await planArtifact(src, tree, out);
    assert.ok(a.virtual);
    fs.writeFileSync(path.join(src, "b/c.txt"), "changed again\n");
    await assert.rejects(a.ready(), /b\/c\.txt changed since the tree was fingerprinted/);
    assert.equal(fs.existsSync(a.path), false);
  });

  it("is not used without an earlier tarball, for a local host (lazy = false), or when too much changed", async () => {
    const src = tmpDir("dh-virt-src-");
    writeTree(src, V1);
    const tree = await fingerprintTree(src);
    assert.equal(planVirtualArtifact(src, tree, tmpDir("dh-virt-empty-")), undefined);
    const s = await scenario({ "big.bin": "y".repeat(1 << 20) });
    assert.equal((await planArtifact(s.src, s.tree, s.out, false)).virtual, undefined);
    assert.equal(planVirtualArtifact(s.src, s.tree, s.out, 1 << 20), undefined);
    assert.ok(planVirtualArtifact(s.src, s.tree, s.out, 2 << 20));
  });

  it("is hashed off the main thread: the plan returns first, and an earlier tarball replaced before it is read fails the plan", async () => {
    const { src, out, v1, tree } = await scenario();
    const v = planVirtualArtifact(src, tree, out)!;
    // The worker thread has not started yet (it starts on a later turn of the event loop).
    const copy = fs.readFileSync(v1.path);
    fs.rmSync(v1.path);
    fs.writeFileSync(v1.path, copy, { mode: 0o600 });
    await assert.rejects(v.sha256, /changed while this deployment was using it to plan/);
    await assert.rejects(v.indexed);
    assert.equal(readVirtualSum(v.path), undefined, "no sum for a plan that was not hashed");
    // Planned again: from the replaced file's bytes (its index is no longer trusted: no plan).
    assert.equal(planVirtualArtifact(src, tree, out), undefined);
  });

  it("a delta read after the earlier tarball was replaced fails instead of shipping other bytes", async () => {
    // A change in the middle of the tree, so that the delta reads a copied range after it.
    const { src, out, v1, tree } = await scenario({
      [`deep/${"d".repeat(80)}/long.txt`]: "changed\n",
    });
    const v = planVirtualArtifact(src, tree, out)!;
    const copy = fs.readFileSync(v1.path);
    fs.rmSync(v1.path);
    fs.writeFileSync(v1.path, copy, { mode: 0o600 });
    assert.throws(() => v.read(0, v.bytes), /changed while this deployment was using it/);
  });
});
