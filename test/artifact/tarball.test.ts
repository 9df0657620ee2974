import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildArtifact } from "../../artifact/tarball";
import { fingerprintTree } from "../../fingerprint/tree";

const made: string[] = [];
function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const LONG = "long-" + "x".repeat(70) + "/" + "y".repeat(80) + ".txt";
const FILES: [string, string, boolean][] = [
  ["README.md", "# hi\n", false],
  ["bin/start", "#!/bin/sh\necho start\n", true],
  ["src/app.js", "console.log('app')\n", false],
  [LONG, "long path\n", false],
  ["ünïcödé/😀.txt", "unicode\n", false],
  ["empty", "", false],
];

function writeTree(root: string, order: [string, string, boolean][], mtime: number): void {
  for (const [rel, content, exec] of order) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, { mode: exec ? 0o755 : 0o644 });
    fs.chmodSync(p, exec ? 0o755 : 0o644);
    fs.utimesSync(p, mtime, mtime);
  }
  fs.writeFileSync(path.join(root, ".gitignore"), "*.log\n");
  fs.writeFileSync(path.join(root, "ignored.log"), "not in the artifact");
  fs.mkdirSync(path.join(root, ".git"), { recursive: true });
  fs.writeFileSync(path.join(root, ".git/HEAD"), "ref");
}

describe("artifact/tarball", () => {
  it("same tree → byte-identical tarball regardless of creation order and mtimes", async () => {
    const a = tmp("dh-art-a-");
    const b = tmp("dh-art-b-");
    writeTree(a, FILES, 1_000_000);
    writeTree(b, [...FILES].reverse(), 2_000_000);
    const ta = await fingerprintTree(a);
    const tb = await fingerprintTree(b);
    assert.equal(ta.fingerprint, tb.fingerprint);
    const oa = await buildArtifact(a, ta, tmp("dh-out-a-"));
    const ob = await buildArtifact(b, tb, tmp("dh-out-b-"));
    assert.equal(oa.sha256, ob.sha256);
    assert.ok(fs.readFileSync(oa.path).equals(fs.readFileSync(ob.path)));
    assert.equal(path.basename(oa.path), `code-${ta.fingerprint.slice(7)}.tar`);
    assert.equal(oa.files, FILES.length + 1);
    assert.equal(oa.bytes % 10240, 0);
    assert.equal(oa.reused, false);
  });

  it("tar -tvf lists modes 0755/0644, uid/gid 0, fixed mtime, parents before children", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const art = await buildArtifact(root, await fingerprintTree(root), tmp("dh-out-"));
    const listing = execFileSync("tar", ["--numeric-owner", "--utc", "-tvf", art.path], {
      encoding: "utf8",
    })
      .trim()
      .split("\n");
    const byName = new Map(listing.map((l) => [l.split(/\s+/).slice(5).join(" "), l]));
    assert.match(byName.get("bin/start")!, /^-rwxr-xr-x 0\/0 +\d+ 2000-01-01 00:00 bin\/start$/);
    assert.match(byName.get("README.md")!, /^-rw-r--r-- 0\/0 +5 2000-01-01 00:00 README.md$/);
    assert.match(byName.get("bin/")!, /^drwxr-xr-x 0\/0 +0 2000-01-01 00:00 bin\/$/);
    assert.ok(!byName.has("ignored.log") && !byName.has(".git/HEAD"));
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(" "));
    assert.deepEqual(names, [
      ".gitignore",
      "README.md",
      "bin/",
      "bin/start",
      "empty",
      "long-" + "x".repeat(70) + "/",
      LONG,
      "src/",
      "src/app.js",
      "ünïcödé/",
      "ünïcödé/😀.txt",
    ]);
  });

  it("system tar reproduces contents, exec bits, long and unicode names, symlinks", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    fs.symlinkSync("../README.md", path.join(root, "src/readme-link"));
    const tree = await fingerprintTree(root);
    const art = await buildArtifact(root, tree, tmp("dh-out-"));
    const dest = tmp("dh-x-");
    execFileSync("tar", ["-C", dest, "-xf", art.path]);
    for (const [rel, content, exec] of FILES) {
      assert.equal(fs.readFileSync(path.join(dest, rel), "utf8"), content, rel);
      assert.equal((fs.statSync(path.join(dest, rel)).mode & 0o111) !== 0, exec, rel);
    }
    assert.equal(fs.readlinkSync(path.join(dest, "src/readme-link")), "../README.md");
    assert.ok(!fs.existsSync(path.join(dest, "ignored.log")));
    const again = await fingerprintTree(dest);
    assert.equal(again.fingerprint, tree.fingerprint);
  });

  it("reuses a verified existing tarball, rebuilds a corrupted one", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const out = tmp("dh-out-");
    const first = await buildArtifact(root, tree, out);
    const second = await buildArtifact(root, tree, out);
    assert.equal(second.reused, true);
    assert.equal(second.sha256, first.sha256);
    fs.appendFileSync(first.path, "x");
    const third = await buildArtifact(root, tree, out);
    assert.equal(third.reused, false);
    assert.equal(third.sha256, first.sha256);
    assert.deepEqual(fs.readdirSync(out).sort(), [
      path.basename(first.path),
      path.basename(first.path) + ".sha256",
    ]);
  });

  it("refuses to archive a file changed since it was fingerprinted", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    fs.writeFileSync(path.join(root, "src/app.js"), "changed\n");
    const out = tmp("dh-out-");
    await assert.rejects(
      buildArtifact(root, tree, out),
      /src\/app\.js changed since the tree was fingerprinted/,
    );
    assert.deepEqual(fs.readdirSync(out), []);
  });
});
