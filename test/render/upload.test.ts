import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  parseStepOutput,
  renderBuildStep,
  renderHookStep,
  renderUploadStep,
  uploadPath,
} from "../../render";
import type { AppTarget, UploadStepInput } from "../../render";
import { isConfigError } from "../../model/configError";
import {
  cleanupRoots,
  hook,
  makeTarball,
  readHistory,
  runStep,
  tmpRoot,
  uploadRelease,
} from "./helpers";

describe("render: upload and build steps (real bash)", function () {
  this.timeout(20000);
  let target: AppTarget;
  let app: string;
  beforeEach(() => {
    target = { root: tmpRoot(), app: "shop" };
    app = path.join(target.root, "shop");
  });
  after(cleanupRoots);

  it("creates the layout, verifies, unpacks; a second run is a no-op even without the tarball", async () => {
    const tb = makeTarball({
      "index.php": "<?php echo 1;\n",
      "bin/run.sh": "#!/bin/sh\necho run\n",
    });
    const step = renderUploadStep({
      target,
      releaseId: "rel-1",
      tarball: tb.path,
      sha256: tb.sha256,
    });
    const r = await runStep(step);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(parseStepOutput(r.stdout).upload, "unpacked");
    for (const d of ["releases", "cache", "shared", "logs", ".deployhooks"]) {
      assert.ok(fs.statSync(path.join(app, d)).isDirectory(), d);
    }
    assert.equal(
      fs.readFileSync(path.join(app, "releases/rel-1/index.php"), "utf8"),
      "<?php echo 1;\n",
    );
    assert.equal(fs.statSync(path.join(app, "releases/rel-1/bin/run.sh")).mode & 0o777, 0o755);
    assert.equal(
      fs.readFileSync(path.join(app, ".deployhooks/releases/rel-1.ok"), "utf8"),
      `${tb.sha256}\n`,
    );
    fs.writeFileSync(path.join(app, "releases/rel-1/build-output"), "kept");
    fs.rmSync(tb.path);
    const again = await runStep(step);
    assert.equal(again.status, 0, again.stdout);
    assert.equal(parseStepOutput(again.stdout).upload, "present");
    assert.equal(fs.readFileSync(path.join(app, "releases/rel-1/build-output"), "utf8"), "kept");
    assert.deepEqual(fs.readdirSync(path.join(app, "releases")), ["rel-1"]);
  });

  it("recovers from an interrupted run: partial release dir and tmp dirs are removed and redone", async () => {
    const tb = makeTarball({ "a.txt": "A\n" });
    await uploadRelease(target, "kept");
    fs.mkdirSync(path.join(app, "releases/rel-2/junk"), { recursive: true });
    fs.writeFileSync(path.join(app, "releases/rel-2/junk/half"), "x");
    fs.chmodSync(path.join(app, "releases/rel-2/junk"), 0o555);
    fs.mkdirSync(path.join(app, "releases/rel-2.tmp-abc123"), { recursive: true });
    fs.mkdirSync(path.join(app, "releases/other"), { recursive: true });
    const r = await runStep(
      renderUploadStep({ target, releaseId: "rel-2", tarball: tb.path, sha256: tb.sha256 }),
    );
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /removing leftover .*\/releases\/rel-2 of an interrupted upload/);
    // A release dir without its .ok marker is the leftover of another interrupted upload.
    assert.match(r.stdout, /^deployhooks: removed release other: its upload never completed$/m);
    assert.deepEqual(fs.readdirSync(path.join(app, "releases")).sort(), ["kept", "rel-2"]);
    assert.deepEqual(fs.readdirSync(path.join(app, "releases/rel-2")), ["a.txt"]);
  });

  it("a checksum mismatch or a missing tarball fails without creating the release", async () => {
    const tb = makeTarball({ "a.txt": "A\n" });
    const bad = await runStep(
      renderUploadStep({ target, releaseId: "r", tarball: tb.path, sha256: "0".repeat(64) }),
    );
    assert.equal(bad.status, 65);
    assert.match(
      bad.stdout,
      new RegExp(`checksum mismatch for ${tb.path}: expected sha256:0{64}, got ${tb.sha256}`),
    );
    const missing = await runStep(
      renderUploadStep({
        target,
        releaseId: "r",
        tarball: uploadPath(target, "r.tar"),
        sha256: tb.sha256,
      }),
    );
    assert.equal(missing.status, 66);
    assert.match(
      missing.stdout,
      /tarball .*\/shop\/\.deployhooks\/uploads\/r\.tar not found \(was it copied to the host\? /,
    );
    assert.deepEqual(fs.readdirSync(path.join(app, "releases")), []);
  });

  it("rejects unsafe input at render time, naming the field", () => {
    const ok = { target, releaseId: "r", tarball: "/tmp/a.tar", sha256: "0".repeat(64) };
    const cases: Array<[Partial<UploadStepInput>, string, RegExp]> = [
      [{ releaseId: "../x" }, "releaseId", /^"\.\.\/x" must be 1-128 characters/],
      [{ tarball: "rel/a.tar" }, "tarball", /^"rel\/a\.tar" must be an absolute path/],
      [{ tarball: "/tmp/../a.tar" }, "tarball", /^"\/tmp\/\.\.\/a\.tar" must be an absolute path/],
      [{ sha256: "abc" }, "sha256", /^"abc" is not a sha256 digest/],
      [{ target: { root: "relative", app: "x" } }, "root", /^"relative" must be an absolute path/],
      [{ target: { root: "/srv", app: "../x" } }, "app", /^"\.\.\/x" must start with a letter/],
    ];
    for (const [over, field, detail] of cases) {
      assert.throws(
        () => renderUploadStep({ ...ok, ...over }),
        (e: unknown) => isConfigError(e) && e.path === field && detail.test(e.detail),
        JSON.stringify(over),
      );
    }
  });

  it("build: runs in the release with build variables, APP_CACHE_DIR and a TMPDIR removed afterwards", async () => {
    await uploadRelease(target, "r1");
    const r = await runStep(
      renderBuildStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        command:
          'echo "$MODE" > built.txt; echo "$TMPDIR" > "$APP_CACHE_DIR/tmpdir"; touch "$TMPDIR/x"; false; true',
        variables: { MODE: "prod build" },
        fingerprint: "build=sha256:9",
      }),
    );
    assert.equal(r.status, 0, r.stdout);
    assert.equal(fs.readFileSync(path.join(app, "releases/r1/built.txt"), "utf8"), "prod build\n");
    const tmp = fs.readFileSync(path.join(app, "cache/tmpdir"), "utf8").trim();
    assert.ok(tmp.startsWith(path.join(app, ".deployhooks/tmp/r1-step:build.")), tmp);
    assert.equal(fs.existsSync(tmp), false);
    assert.deepEqual(
      readHistory(target).map((h) => [h.hook, h.fingerprint, h.outcome]),
      [["step:build", "build=sha256:9", "ok"]],
    );
  });

  it("build: an empty command is a no-op", async () => {
    await uploadRelease(target, "r1");
    const r = await runStep(
      renderBuildStep({ target, profile: "cleverCloud", releaseId: "r1", command: "  " }),
    );
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /^::deployhooks::skip step=build reason=no-build-command$/m);
    assert.deepEqual(readHistory(target), []);
  });

  it("Upsun seal: after the build hook mounts are symlinks to shared/, the rest read-only; deploy writes only mounts", async () => {
    await uploadRelease(target, "r1", { "web/index.html": "hi\n", "var/placeholder": "" });
    const build = await runStep(
      renderHookStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        hook: hook({
          name: "build",
          script: "mkdir -p web/uploads && echo built > web/built",
          variables: "build",
        }),
        seal: { mounts: ["/web/uploads", "var"] },
      }),
    );
    assert.equal(build.status, 0, build.stdout);
    assert.match(build.stdout, /^::deployhooks::sealed release=r1 mounts=2$/m);
    const rel = path.join(app, "releases/r1");
    assert.equal(fs.readlinkSync(path.join(rel, "web/uploads")), "../../../shared/web/uploads");
    assert.equal(fs.readlinkSync(path.join(rel, "var")), "../../shared/var");
    assert.equal(fs.statSync(path.join(rel, "web/built")).mode & 0o222, 0);
    assert.equal(fs.statSync(path.join(rel, "web")).mode & 0o222, 0);
    assert.equal(fs.statSync(path.join(app, "shared/var")).mode & 0o200, 0o200);
    const deploy = await runStep(
      renderHookStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        hook: hook({ script: "echo up > web/uploads/f && cat web/built" }),
      }),
    );
    assert.equal(deploy.status, 0, deploy.stdout);
    assert.equal(fs.readFileSync(path.join(app, "shared/web/uploads/f"), "utf8"), "up\n");
    const rebuild = await runStep(
      renderBuildStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        command: "echo again > web/built",
        seal: { mounts: ["web/uploads", "var"] },
      }),
    );
    assert.equal(rebuild.status, 0, rebuild.stdout);
    assert.equal(fs.readFileSync(path.join(rel, "web/built"), "utf8"), "again\n");
  });
});
