/**
 * Incremental upload (real bash): a delta from the host's kept tarball rebuilds the new artifact on
 * the host, and the release is exactly the full artifact unpacked; a changed base is never used.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildArtifact } from "../../artifact/tarball";
import { buildDelta, fileSha256 } from "../../artifact/delta";
import { fingerprintTree } from "../../fingerprint/tree";
import { parseStepOutput, renderUploadStep, uploadPath } from "../../render";
import type { AppTarget } from "../../render";
import { probeResult, renderProbeStep } from "../../render/probe";
import { transferSource } from "../../components/transfer";
import { awaitStandby, cleanupRoots, runStep, tmpRoot } from "./helpers";

/** Every file and link below `dir` → its mode (x/-/l) and content (or target). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, r);
      if (e.isDirectory()) walk(r);
      else if (e.isSymbolicLink()) out[r] = `l ${fs.readlinkSync(abs)}`;
      else out[r] = `${fs.statSync(abs).mode & 0o100 ? "x" : "-"} ${fs.readFileSync(abs, "utf8")}`;
    }
  };
  walk("");
  return out;
}

/** Every entry below `dir` (directories too): type, mode, size, mtime and link target. */
function metadata(dir: string): string {
  return execFileSync("find", [dir, "-mindepth", "1", "-printf", "%P %y %m %s %T@ %l\\n"], {
    encoding: "utf8",
  })
    .split("\n")
    .sort()
    .join("\n");
}

describe("render: incremental upload (real bash)", function () {
  this.timeout(60000);
  let target: AppTarget;
  let app: string;
  let work: string;
  beforeEach(() => {
    target = { root: tmpRoot(), app: "shop" };
    app = path.join(target.root, "shop");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "dh-delta-"));
    fs.chmodSync(work, 0o700);
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));
  after(cleanupRoots);

  /** A source tree of `files` (names ending in .sh are executable; `->x` values are links). */
  async function artifact(name: string, files: Record<string, string>) {
    const src = path.join(work, name);
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(src, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (content.startsWith("->")) fs.symlinkSync(content.slice(2), p);
      else fs.writeFileSync(p, content, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
    }
    const tree = await fingerprintTree(src);
    return buildArtifact(src, tree, path.join(work, "artifacts"));
  }

  const many: Record<string, string> = {};
  for (let i = 0; i < 300; i++) {
    many[`lib/m${String(i).padStart(3, "0")}.js`] = `module ${i}\n`.repeat(20);
  }
  const V1 = {
    ...many,
    "index.txt": "v1\n",
    "gone.txt": "bye\n",
    "run.sh": "echo\n",
    link: "->index.txt",
  };
  const V2 = {
    ...many,
    "index.txt": "v2\n",
    "new/added.txt": "hi\n",
    "run.sh": "echo\n",
    link: "->new/added.txt",
    "lib/m150.js": "changed\n",
  };

  async function uploadVia(name: string, releaseId: string, sha256: string, from: string) {
    fs.mkdirSync(path.join(app, ".deployhooks/uploads"), { recursive: true });
    fs.copyFileSync(from, uploadPath(target, name));
    return runStep(
      renderUploadStep({
        target,
        releaseId,
        tarball: uploadPath(target, `${name.replace(/\.(delta|tar)$/, "")}.tar`),
        sha256,
      }),
    );
  }

  type Built = Awaited<ReturnType<typeof artifact>>;

  /** Uploads the delta file `delta` as artifact `a`'s (`<name>.delta`), for release `releaseId`. */
  function uploadDelta(a: Built, releaseId: string, delta: string) {
    return uploadVia(path.basename(a.path).replace(/\.tar$/, ".delta"), releaseId, a.sha256, delta);
  }

  /** Probes for `releaseId`, makes the delta the transfer would send, and uploads it. */
  async function sendDelta(a: Built, releaseId: string, env?: NodeJS.ProcessEnv) {
    const probe = await runStep(renderProbeStep({ target, releaseId }));
    const src = transferSource(a.path, releaseId, probe.stdout);
    assert.ok("delta" in src, `${releaseId}: ${JSON.stringify(src)}`);
    fs.copyFileSync(
      src.delta,
      uploadPath(target, path.basename(a.path).replace(/\.tar$/, ".delta")),
    );
    const step = renderUploadStep({
      target,
      releaseId,
      tarball: uploadPath(target, path.basename(a.path)),
      sha256: a.sha256,
    });
    const r = await runStep(step, "", env);
    assert.equal(r.status, 0, r.stdout);
    return { probe, delta: src.delta, upload: r };
  }

  /** The release directory `a` gives when unpacked in full on a fresh host. */
  async function fullRelease(a: Built): Promise<string> {
    const full = { root: tmpRoot(), app: "shop" };
    const r = await runStep(
      renderUploadStep({ target: full, releaseId: "full", tarball: a.path, sha256: a.sha256 }),
    );
    assert.equal(r.status, 0, r.stdout);
    return path.join(full.root, "shop/releases/full");
  }

  it("a delta from the kept tarball gives exactly the full artifact's release, shipping only what changed", async () => {
    const a1 = await artifact("v1", V1);
    const a2 = await artifact("v2", V2);
    const r1 = await uploadVia(path.basename(a1.path), "rel-1", a1.sha256, a1.path);
    assert.equal(r1.status, 0, r1.stdout);

    const probe = await runStep(renderProbeStep({ target, releaseId: "rel-2" }));
    const found = probeResult(probe.stdout);
    assert.deepEqual(found, {
      status: "missing",
      base: { name: path.basename(a1.path), sha256: a1.sha256.slice(7) },
    });

    const src = transferSource(a2.path, "rel-2", probe.stdout);
    assert.ok("delta" in src, JSON.stringify(src));
    const delta = buildDelta(a1.path, a1.sha256.slice(7), a2.path, path.join(work, "artifacts"))!;
    assert.equal(delta.path, src.delta);
    assert.ok(delta.bytes < a2.bytes / 10, `delta ${delta.bytes} of ${a2.bytes}`);
    // index.txt, link, lib/m150.js, new/ and new/added.txt; gone.txt is simply not copied.
    assert.equal(delta.shippedEntries, 5);
    const r2 = await uploadDelta(a2, "rel-2", delta.path);
    assert.equal(r2.status, 0, r2.stdout);
    assert.match(r2.stdout, /^::deployhooks::delta applied=code-[0-9a-f]{64}\.delta$/m);
    // The standby copy of v1 (unpacked in the background after the first upload) became the
    // release: the base's entries not copied (index.txt, gone.txt, link, lib/m150.js) removed.
    assert.match(r2.stdout, /^::deployhooks::standby release=rel-2 removed=4$/m);
    assert.equal(parseStepOutput(r2.stdout).upload, "unpacked");

    // The same artifact unpacked in full elsewhere: identical trees.
    const full = { root: tmpRoot(), app: "shop" };
    const rf = await runStep(
      renderUploadStep({ target: full, releaseId: "rel-2", tarball: a2.path, sha256: a2.sha256 }),
    );
    assert.equal(rf.status, 0, rf.stdout);
    assert.deepEqual(
      snapshot(path.join(app, "releases/rel-2")),
      snapshot(path.join(full.root, "shop/releases/rel-2")),
    );
    assert.equal(
      metadata(path.join(app, "releases/rel-2")),
      metadata(path.join(full.root, "shop/releases/rel-2")),
    );
    assert.equal(fs.existsSync(path.join(app, "releases/rel-2/gone.txt")), false);
    // v2 becomes the next standby copy, in the background.
    awaitStandby(target.root);
    assert.equal(
      fs.readFileSync(path.join(app, ".deployhooks/standby.state"), "utf8").split(" ")[0],
      a2.sha256.slice(7),
    );
    assert.equal(
      metadata(path.join(app, ".deployhooks/standby")),
      metadata(path.join(full.root, "shop/releases/rel-2")),
    );
    // The rebuilt tarball is the new base; the delta is gone.
    assert.deepEqual(fs.readdirSync(path.join(app, ".deployhooks/uploads")), [
      path.basename(a2.path),
    ]);
    assert.equal(fileSha256(uploadPath(target, path.basename(a2.path))), a2.sha256.slice(7));
  });

  for (const [what, spoil] of [
    ["a file's content", (sb: string) => fs.appendFileSync(path.join(sb, "lib/m001.js"), "x")],
    [
      "a file's mode, with its mtime put back",
      (sb: string) => {
        const f = path.join(sb, "index.txt");
        const st = fs.statSync(f);
        fs.chmodSync(f, 0o755);
        fs.utimesSync(f, st.atime, st.mtime);
      },
    ],
    ["an added file", (sb: string) => fs.writeFileSync(path.join(sb, "lib/planted.js"), "x")],
    ["a removed file", (sb: string) => fs.rmSync(path.join(sb, "run.sh"))],
  ] as const) {
    it(`a standby copy of the base changed on the host (${what}) is not used: the rebuilt tarball is unpacked`, async () => {
      const a1 = await artifact("v1", V1);
      const a2 = await artifact("v2", V2);
      assert.equal(
        (await uploadVia(path.basename(a1.path), "rel-1", a1.sha256, a1.path)).status,
        0,
      );
      awaitStandby(target.root);
      spoil(path.join(app, ".deployhooks/standby"));
      const { upload: r } = await sendDelta(a2, "rel-2");
      assert.match(
        r.stdout,
        /the standby copy of the base changed on this host since it was unpacked: it is not used; unpacking the whole artifact/,
      );
      assert.doesNotMatch(r.stdout, /::deployhooks::standby/);
      const full = await fullRelease(a2);
      assert.equal(metadata(path.join(app, "releases/rel-2")), metadata(full));
      assert.deepEqual(snapshot(path.join(app, "releases/rel-2")), snapshot(full));
      // The spoiled copy is gone; v2's is made instead.
      awaitStandby(target.root);
      assert.equal(
        fs.readFileSync(path.join(app, ".deployhooks/standby.state"), "utf8").split(" ")[0],
        a2.sha256.slice(7),
      );
    });
  }

  it("a standby copy unpacked before the host restarted is not used (its bytes were never fsync-ed)", async () => {
    const a1 = await artifact("v1", V1);
    const a2 = await artifact("v2", V2);
    assert.equal((await uploadVia(path.basename(a1.path), "rel-1", a1.sha256, a1.path)).status, 0);
    awaitStandby(target.root);
    const state = path.join(app, ".deployhooks/standby.state");
    const [sha, st, boot] = fs.readFileSync(state, "utf8").trim().split(" ");
    assert.equal(boot, fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    fs.writeFileSync(state, `${sha} ${st} ${"0".repeat(8)}${boot!.slice(8)}\n`);
    const { upload: r } = await sendDelta(a2, "rel-2");
    assert.match(
      r.stdout,
      /the standby copy of the base was unpacked before this host restarted: it is not used/,
    );
    assert.doesNotMatch(r.stdout, /::deployhooks::standby/);
  });

  it("successive incremental uploads each take the standby copy made after the previous one", async () => {
    const versions = [V1, V2, { ...V2, "index.txt": "v3\n", "deep/a/b/c.txt": "c\n" }, V1];
    const built = [];
    for (const [i, v] of versions.entries()) built.push(await artifact(`s${i}`, v));
    assert.equal(
      (await uploadVia(path.basename(built[0]!.path), "s-0", built[0]!.sha256, built[0]!.path))
        .status,
      0,
    );
    for (let i = 1; i < built.length; i++) {
      const { upload: r } = await sendDelta(built[i]!, `s-${i}`);
      assert.match(
        r.stdout,
        new RegExp(`^::deployhooks::standby release=s-${i} removed=\\d+$`, "m"),
      );
      assert.equal(
        metadata(path.join(app, `releases/s-${i}`)),
        metadata(await fullRelease(built[i]!)),
        `release s-${i}`,
      );
    }
    // The last release (back to v1's content) has no deep/ and no new/ left over.
    assert.equal(fs.existsSync(path.join(app, "releases/s-3/deep")), false);
    assert.equal(fs.existsSync(path.join(app, "releases/s-3/new")), false);
  });

  it("the next probe waits for the previous upload's background job, so it reports the new base", async () => {
    const a1 = await artifact("v1", V1);
    const a2 = await artifact("v2", V2);
    assert.equal((await uploadVia(path.basename(a1.path), "rel-1", a1.sha256, a1.path)).status, 0);
    awaitStandby(target.root);
    // Slow checksums: the background job (writing v2's tarball and checking it before it becomes
    // the base, then unpacking the next standby copy) takes at least a second after the upload
    // step returned, and until then base.state still names v1.
    const shims = fs.mkdtempSync(path.join(work, "shims-"));
    for (const tool of ["openssl", "sha256sum"]) {
      const real = execFileSync("bash", ["-c", `command -v ${tool} || true`], { encoding: "utf8" });
      if (!real.trim()) continue;
      fs.writeFileSync(path.join(shims, tool), `#!/bin/bash\nsleep 1\nexec ${real.trim()} "$@"\n`, {
        mode: 0o755,
      });
    }
    const slow = { ...process.env, PATH: `${shims}:${process.env.PATH}` };
    await sendDelta(a2, "rel-2", slow);
    const started = Date.now();
    const probe3 = await runStep(renderProbeStep({ target, releaseId: "rel-3" }));
    const waited = Date.now() - started;
    assert.deepEqual(probeResult(probe3.stdout), {
      status: "missing",
      base: { name: path.basename(a2.path), sha256: a2.sha256.slice(7) },
    });
    assert.ok(waited >= 500, `the probe waited ${waited} ms`);
    assert.match(probe3.stdout, /waiting for the previous upload's background job on this host/);
    // The job's work is done: v2's tarball is the base, v1's and the delta are gone.
    assert.deepEqual(fs.readdirSync(path.join(app, ".deployhooks/uploads")), [
      path.basename(a2.path),
    ]);
    assert.equal(
      fs.readFileSync(path.join(app, ".deployhooks/standby.state"), "utf8").split(" ")[0],
      a2.sha256.slice(7),
    );
  });

  it("a base changed on the host is not used: the probe reports no base, so the full artifact is sent", async () => {
    const a1 = await artifact("v1", V1);
    const a2 = await artifact("v2", V2);
    assert.equal((await uploadVia(path.basename(a1.path), "rel-1", a1.sha256, a1.path)).status, 0);
    awaitStandby(target.root);
    const kept = uploadPath(target, path.basename(a1.path));
    const fd = fs.openSync(kept, "r+");
    fs.writeSync(fd, Buffer.from("X"), 0, 1, 2000);
    fs.closeSync(fd);
    const probe = await runStep(renderProbeStep({ target, releaseId: "rel-2" }));
    assert.deepEqual(probeResult(probe.stdout), { status: "missing" });
    assert.match(
      probe.stdout,
      /the kept tarball .* changed on this host \(checksum mismatch\): it is not used as the base of an incremental upload/,
    );
    assert.deepEqual(transferSource(a2.path, "rel-2", probe.stdout), {
      artifact: a2.path,
    });
    // A delta that reaches the host anyway (a race) fails clearly instead of unpacking garbage.
    const delta = buildDelta(a1.path, a1.sha256.slice(7), a2.path, path.join(work, "artifacts"))!;
    const r = await uploadDelta(a2, "rel-2", delta.path);
    assert.equal(r.status, 66, r.stdout);
    assert.match(
      r.stdout,
      /the base of the incremental upload .* is no longer on this host or changed; run pulumi up --replace on this host's probe step/,
    );
    assert.equal(fs.existsSync(path.join(app, "releases/rel-2")), false);
  });

  /** The delta `a2` would get from the host's base, with `edit` applied (its checksum kept or made again). */
  async function editedDelta(
    a2: Built,
    edit: (bytes: Buffer, headerLength: number) => void,
    resum: boolean,
  ): Promise<string> {
    const probe = await runStep(renderProbeStep({ target, releaseId: "rel-2" }));
    const src = transferSource(a2.path, "rel-2", probe.stdout);
    assert.ok("delta" in src);
    const bytes = fs.readFileSync(src.delta);
    const first = bytes.indexOf(0x0a) + 1;
    const headerLength = Number(bytes.toString("latin1", 20, 32));
    edit(bytes, headerLength);
    if (resum) {
      const sum = createHash("sha256").update(bytes.subarray(first)).digest("hex");
      bytes.write(sum, first - 65, "latin1");
    }
    const out = path.join(work, "edited.delta");
    fs.writeFileSync(out, bytes);
    return out;
  }

  /** v1 uploaded in full and its standby copy made; the probe then reports v1's base. */
  async function v1Kept() {
    const a1 = await artifact("v1", V1);
    const a2 = await artifact("v2", V2);
    assert.equal((await uploadVia(path.basename(a1.path), "rel-1", a1.sha256, a1.path)).status, 0);
    awaitStandby(target.root);
    return { a1, a2, standby: metadata(path.join(app, ".deployhooks/standby")) };
  }

  it("a delta damaged on the host (one byte of a shipped entry) is refused before anything is written", async () => {
    const { a2, standby } = await v1Kept();
    const damaged = await editedDelta(a2, (b, h) => (b[h + 600] ^= 1), false);
    const r = await uploadDelta(a2, "rel-2", damaged);
    assert.equal(r.status, 65, r.stdout);
    assert.match(
      r.stdout,
      /\.delta is damaged \(its content has sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} it was made with\)/,
    );
    assert.equal(fs.existsSync(path.join(app, "releases/rel-2")), false);
    assert.equal(metadata(path.join(app, ".deployhooks/standby")), standby, "standby untouched");
  });

  it("a delta made for another artifact than the one the upload step names is refused", async () => {
    const { a2 } = await v1Kept();
    const a3 = await artifact("v3", { ...V2, "index.txt": "v3\n" });
    const delta = await editedDelta(a2, () => undefined, false);
    // The upload step of a third artifact gets v2's delta.
    const r = await uploadDelta(a3, "rel-3", delta);
    assert.equal(r.status, 65, r.stdout);
    assert.match(
      r.stdout,
      new RegExp(
        `makes the tarball ${path.basename(a2.path)}, not this artifact \\(${path.basename(a3.path)}\\)`,
      ),
    );
    assert.equal(fs.existsSync(path.join(app, "releases/rel-3")), false);
  });

  it("a consistent delta that does not make the artifact (a wrong shipped byte, checksum made again): its release is not kept and no base is", async () => {
    const { a2 } = await v1Kept();
    const wrong = await editedDelta(a2, (b, h) => (b[h + 600] ^= 1), true);
    const r = await uploadDelta(a2, "rel-2", wrong);
    // The standby copy became the release (only the background job rebuilds the whole tarball) ...
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /^::deployhooks::standby release=rel-2 /m);
    // ... whose check of that tarball against the artifact's sha256 then drops the release's marker
    // and the base: the next deployment of rel-2 does not take it as kept, and sends everything.
    awaitStandby(target.root);
    const log = fs.readFileSync(path.join(app, ".deployhooks/standby.log"), "utf8");
    assert.match(
      log,
      /does not have the artifact's sha256:[0-9a-f]{64}: release rel-2 is not kept/,
    );
    assert.equal(fs.existsSync(path.join(app, ".deployhooks/releases/rel-2.ok")), false);
    assert.equal(fs.existsSync(path.join(app, ".deployhooks/base.state")), false);
    const probe = probeResult(
      (await runStep(renderProbeStep({ target, releaseId: "rel-2" }))).stdout,
    );
    assert.ok(probe && !["reused", "present"].includes(probe.status), JSON.stringify(probe));
    assert.equal(probe?.base, undefined, "no base: the full artifact is sent");
  });

  it("is shellcheck-clean", () => {
    for (const step of [
      renderProbeStep({ target, releaseId: "r" }),
      renderUploadStep({ target, releaseId: "r", tarball: "/x/y.tar", sha256: "0".repeat(64) }),
    ]) {
      execFileSync("shellcheck", ["-s", "bash", "-S", "warning", "-e", "SC2034,SC2317", "-"], {
        input: step.program,
      });
    }
  });
});
