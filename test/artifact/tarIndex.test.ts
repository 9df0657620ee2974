/**
 * Tarball indexes (artifact/tarIndex.ts): what they record, when they are trusted, and the two
 * things they make cheap: a new tarball built from the previous one (only changed files read) and
 * the delta between two tarballs (no tarball compared byte for byte).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildArtifact } from "../../artifact/tarball";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { readTarIndex, entryLength, tarIndexPath, writeTarIndex } from "../../artifact/tarIndex";
import { readArtifactSum, writeVirtualSum } from "../../artifact/artifactSum";
import { buildDelta, tarEntries } from "../../artifact/delta";
import { fingerprintTree } from "../../fingerprint/tree";
import { openedDuring } from "./openSpy";
import { removeTmpDirs, tmpDir, writeTree } from "./treeFixture";

after(removeTmpDirs);

const LONG = `deep/${"d".repeat(60)}/${"e".repeat(60)}/long-name.txt`;

const V1: Record<string, string | null> = {
  "a.txt": "a\n",
  "b/c.txt": "c\n".repeat(400),
  "b/run.sh": "echo run\n",
  "big.bin": "x".repeat(3 << 20),
  [LONG]: "long\n",
  link: "->a.txt",
  "z/last.txt": "z\n",
};

describe("artifact/tarIndex", () => {
  it("an index round-trips any entry names (quotes, backslashes, control characters, spaces, unicode)", () => {
    const out = tmpDir("dh-idx-names-");
    const hex = (i: number, salt: string) =>
      createHash("sha256").update(`${salt}${i}`).digest("hex");
    const name = fc
      .array(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 6 }),
          fc.constantFrom('"', "\\", "\n", "\u0001", " ", "\u007f", "é", "😀", "-", "/"),
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((parts) => parts.join(""))
      .filter((n) => n.length > 0);
    let run = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ name, size: fc.nat(5000), pax: fc.boolean(), dir: fc.boolean() }), {
          maxLength: 30,
        }),
        (specs) => {
          let end = 0;
          const entries = specs.map((e, i) => {
            const entry = {
              name: e.name,
              offset: end,
              headerLength: e.pax ? 1024 : 512,
              size: e.dir ? 0 : e.size,
              headerHash: hex(i, "h"),
              digest: e.dir ? "-" : hex(i, "d"),
            };
            end += entryLength(entry);
            return entry;
          });
          const tarball = path.join(out, `code-${hex(run++, "t")}.tar`);
          const sha256 = `sha256:${hex(run, "s")}`;
          const index = writeTarIndex(tarball, { sha256, bytes: end + 1024, entries })!;
          writeVirtualSum(tarball, { sha256, bytes: end + 1024, index });
          assert.deepEqual(readTarIndex(tarball, sha256, true)?.entries, entries);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("records every entry of the tarball: offsets, lengths and names as in the archive", async () => {
    const src = tmpDir("dh-idx-src-");
    writeTree(src, V1);
    const a = await buildArtifact(src, await fingerprintTree(src), tmpDir("dh-idx-out-"));
    const index = readTarIndex(a.path, a.sha256)!;
    assert.ok(index, "trusted right after the build");
    const fd = fs.openSync(a.path, "r");
    const read = tarEntries(fd, a.bytes);
    fs.closeSync(fd);
    assert.deepEqual(
      index.entries.map((e) => ({ name: e.name, offset: e.offset, length: entryLength(e) })),
      read,
    );
    assert.ok(
      index.entries.some((e) => e.name === LONG && e.headerLength > 512),
      "pax header",
    );
    assert.equal(index.entries.find((e) => e.name === "b/")?.digest, "-");
  });

  it("a new tarball copies unchanged entries from the previous one: byte-identical to a build from scratch, only changed files read", async () => {
    const src = tmpDir("dh-idx-src-");
    const out = tmpDir("dh-idx-out-");
    writeTree(src, V1);
    await buildArtifact(src, await fingerprintTree(src), out);
    // A new first entry shifts every pax header's index; a mode, a content, a link target change;
    // a file goes away.
    writeTree(src, {
      "0-first.txt": "new\n",
      "b/c.txt": "changed\n",
      "z/last.txt": null,
      link: "->b/c.txt",
    });
    fs.chmodSync(path.join(src, "a.txt"), 0o755);
    const tree = await fingerprintTree(src);
    const { value: v2, opened } = await openedDuring(() => buildArtifact(src, tree, out), src);
    assert.deepEqual(opened, ["0-first.txt", "a.txt", "b/c.txt"]);
    const scratch = await buildArtifact(src, tree, tmpDir("dh-idx-scratch-"));
    assert.equal(v2.sha256, scratch.sha256);
    assert.ok(fs.readFileSync(v2.path).equals(fs.readFileSync(scratch.path)));
    assert.ok(readTarIndex(v2.path, v2.sha256), "the new tarball has its own index");
  });

  const distrusted: [string, (tarball: string) => void][] = [
    [
      "the previous tarball changed after its sum (same size)",
      (t) => {
        const fd = fs.openSync(t, "r+");
        fs.writeSync(fd, Buffer.from("Q"), 0, 1, 700);
        fs.closeSync(fd);
      },
    ],
    [
      "its index edited",
      (t) => fs.appendFileSync(tarIndexPath(t), "0 512 0 " + "0".repeat(64) + ' - "x"\n'),
    ],
    ["its index removed", (t) => fs.rmSync(tarIndexPath(t))],
    [
      "a sum without the index digest (an earlier version's)",
      (t) =>
        fs.writeFileSync(`${t}.sum`, fs.readFileSync(`${t}.sum`, "utf8").replace(/ idx:\S+/, "")),
    ],
  ];
  for (const [what, spoil] of distrusted) {
    it(`not used when ${what}: every file is read again, the tarball is still exact`, async () => {
      const src = tmpDir("dh-idx-src-");
      const out = tmpDir("dh-idx-out-");
      writeTree(src, V1);
      const v1 = await buildArtifact(src, await fingerprintTree(src), out);
      spoil(v1.path);
      assert.equal(readTarIndex(v1.path), undefined);
      writeTree(src, { "a.txt": "a2\n" });
      const tree = await fingerprintTree(src);
      const { value: v2, opened } = await openedDuring(() => buildArtifact(src, tree, out), src);
      assert.ok(opened.includes("big.bin") && opened.includes("b/c.txt"), JSON.stringify(opened));
      const scratch = await buildArtifact(src, tree, tmpDir("dh-idx-scratch-"));
      assert.equal(v2.sha256, scratch.sha256);
    });
  }

  it("the delta from the two indexes is the delta from comparing both tarballs byte for byte", async () => {
    const src = tmpDir("dh-idx-src-");
    const out = tmpDir("dh-idx-out-");
    writeTree(src, V1);
    const v1 = await buildArtifact(src, await fingerprintTree(src), out);
    writeTree(src, { "0-first.txt": "new\n", "b/c.txt": "changed\n", "z/last.txt": null });
    const v2 = await buildArtifact(src, await fingerprintTree(src), out);
    const hex = (s: string) => s.slice(7);
    const withIndex = buildDelta(v1.path, hex(v1.sha256), v2.path, tmpDir("dh-d1-"))!;
    // The same tarballs without indexes.
    const bare = tmpDir("dh-bare-");
    for (const a of [v1, v2]) fs.copyFileSync(a.path, path.join(bare, path.basename(a.path)));
    const at = (a: { path: string }) => path.join(bare, path.basename(a.path));
    assert.equal(readTarIndex(at(v1)), undefined);
    const byBytes = buildDelta(at(v1), hex(v1.sha256), at(v2), tmpDir("dh-d2-"))!;
    assert.ok(fs.readFileSync(withIndex.path).equals(fs.readFileSync(byBytes.path)));
    // 0-first.txt, b/c.txt, and the two entries with pax headers (whose index moved): the long
    // file and its parent directory (127 bytes).
    assert.equal(withIndex.shippedEntries, 4);
    assert.equal(readArtifactSum(v1.path)?.unchanged, true);
  });
});
