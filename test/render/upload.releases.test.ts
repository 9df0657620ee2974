/**
 * Kept releases (real bash): a release built earlier and unchanged on the host is reused by the
 * upload, build and build-phase hook steps (`reused release <id>`); a changed one is detected on the
 * host and rebuilt; the probe step tells which; failed builds, leftovers and old releases are
 * pruned by the documented rules; a full disk is reported as such, with the path.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  parseStepOutput,
  renderActivateStep,
  renderBuildStep,
  renderHookStep,
  renderUploadStep,
  uploadPath,
} from "../../render";
import type { AppTarget } from "../../render";
import { renderProbeStep } from "../../render/probe";
import {
  awaitStandby,
  cleanupRoots,
  hook,
  makeTarball,
  readHistory,
  runStep,
  tmpRoot,
} from "./helpers";

describe("render: kept releases, reuse and pruning (real bash)", function () {
  this.timeout(60000);
  let target: AppTarget;
  let app: string;
  let counter: string;
  beforeEach(() => {
    target = { root: tmpRoot(), app: "shop" };
    app = path.join(target.root, "shop");
    counter = path.join(target.root, "builds.txt");
  });
  after(cleanupRoots);

  const FILES = { "index.txt": "hello v1\n", "bin/run.sh": "#!/bin/sh\necho run\n" };
  const upload = (releaseId: string, tb: { path: string; sha256: string }) =>
    runStep(renderUploadStep({ target, releaseId, tarball: tb.path, sha256: tb.sha256 }));
  const build = (releaseId: string, markBuilt = true, command?: string) =>
    runStep(
      renderBuildStep({
        target,
        profile: "upsun",
        releaseId,
        command: command ?? `echo "$APP_RELEASE_ID" >> ${counter}\necho built > out.txt\n`,
        buildPhase: { markBuilt },
      }),
    );
  const probe = async (releaseId: string) => {
    const r = await runStep(renderProbeStep({ target, releaseId }));
    assert.equal(r.status, 0, r.stdout);
    return parseStepOutput(r.stdout).probe;
  };
  const builds = () => (fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : "");
  const marker = (id: string, kind: string) =>
    path.join(app, ".deployhooks/releases", `${id}.${kind}`);

  async function builtRelease(id: string, files: Record<string, string> = FILES) {
    const tb = makeTarball(files);
    const u = await upload(id, tb);
    assert.equal(u.status, 0, u.stdout);
    const b = await build(id);
    assert.equal(b.status, 0, b.stdout);
    assert.match(b.stdout, new RegExp(`^::deployhooks::built release=${id}$`, "m"));
    return tb;
  }

  it("a built, unchanged release is reused: upload, build and build hooks do nothing and say so", async () => {
    assert.equal(await probe("rel-1"), "missing");
    const tb = await builtRelease("rel-1");
    assert.equal(builds(), "rel-1\n");
    assert.equal(await probe("rel-1"), "reused");

    fs.rmSync(tb.path); // a kept release needs no tarball
    const u = await upload("rel-1", tb);
    assert.equal(u.status, 0, u.stdout);
    assert.equal(parseStepOutput(u.stdout).upload, "reused");
    assert.match(
      u.stdout,
      /^deployhooks: reused release rel-1: release rel-1 is kept on this host, built and unchanged \(verified\); nothing to upload or unpack$/m,
    );
    const b = await build("rel-1");
    assert.equal(b.status, 0, b.stdout);
    assert.equal(parseStepOutput(b.stdout).reused, "rel-1");
    assert.match(
      b.stdout,
      /^deployhooks: reused release rel-1: it was built earlier and is unchanged on this host \(verified\), so build does not run again$/m,
    );
    const h = await runStep(
      renderHookStep({
        target,
        profile: "upsun",
        releaseId: "rel-1",
        hook: hook({ name: "build", stage: "afterBuild", variables: "build", script: "exit 9" }),
        buildPhase: { markBuilt: true },
      }),
    );
    assert.equal(h.status, 0, h.stdout);
    assert.equal(parseStepOutput(h.stdout).reused, "rel-1");
    assert.equal(builds(), "rel-1\n");
    assert.deepEqual(
      readHistory(target).map((l) => l.hook),
      ["step:build"],
    );
  });

  it("a file changed on the host is detected even with its mtime put back: rebuilt from the artifact", async () => {
    const tb = await builtRelease("rel-1");
    const file = path.join(app, "releases/rel-1/index.txt");
    const before = fs.statSync(file);
    fs.writeFileSync(file, "HACKED v1\n"); // same size
    fs.utimesSync(file, before.atime, before.mtime);
    assert.equal(await probe("rel-1"), "rebuild");

    const u = await upload("rel-1", tb);
    assert.equal(u.status, 0, u.stdout);
    assert.equal(parseStepOutput(u.stdout).upload, "rebuilt");
    assert.match(
      u.stdout,
      /^deployhooks: release rel-1 changed on this host since it was built \(verification failed\): rebuilding it from the artifact$/m,
    );
    assert.equal(fs.readFileSync(file, "utf8"), "hello v1\n");
    assert.equal(fs.existsSync(marker("rel-1", "built")), false);
    const b = await build("rel-1");
    assert.equal(b.status, 0, b.stdout);
    assert.equal(parseStepOutput(b.stdout).reused, undefined);
    assert.equal(builds(), "rel-1\nrel-1\n");
    assert.equal(await probe("rel-1"), "reused");
  });

  it("the upload and build-phase steps take the probe's verification (a receipt ≤ 30 s old naming the built state) instead of walking the tree again; a failed walk voids it", async () => {
    const tb = await builtRelease("rel-1");
    // A PATH whose `find` records each call: the tree walk of a verification.
    const bin = path.join(target.root, "bin");
    const calls = path.join(target.root, "find-calls");
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, "find"),
      `#!/bin/sh\necho call >> '${calls}'\nexec /usr/bin/find "$@"\n`,
      { mode: 0o755 },
    );
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const walks = () =>
      fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").split("\n").length - 1 : 0;
    const probeStep = async () => {
      const r = await runStep(renderProbeStep({ target, releaseId: "rel-1" }), "", env);
      return parseStepOutput(r.stdout).probe;
    };
    const uploadStep = async () => {
      const r = await runStep(
        renderUploadStep({ target, releaseId: "rel-1", tarball: tb.path, sha256: tb.sha256 }),
        "",
        env,
      );
      assert.equal(r.status, 0, r.stdout);
      return parseStepOutput(r.stdout).upload;
    };
    const buildStep = async () => {
      const r = await runStep(
        renderBuildStep({
          target,
          profile: "upsun",
          releaseId: "rel-1",
          command: `echo "$APP_RELEASE_ID" >> ${counter}\n`,
          buildPhase: { markBuilt: true },
        }),
        "",
        env,
      );
      assert.equal(r.status, 0, r.stdout);
      return r.stdout;
    };
    const receipt = marker("rel-1", "verified");
    const now = () => Math.floor(Date.now() / 1000);
    const [state] = fs.readFileSync(marker("rel-1", "built"), "utf8").split("\n");

    // The probe walks (once) and leaves its receipt; the upload and the build take it.
    assert.equal(await probeStep(), "reused");
    assert.equal(walks(), 1);
    assert.match(fs.readFileSync(receipt, "utf8"), /^[0-9a-f]{64} \d+ probe\n$/);
    assert.equal(await uploadStep(), "reused");
    assert.equal(parseStepOutput(await buildStep()).reused, "rel-1");
    assert.equal(walks(), 1);

    // A receipt older than 30 s is not taken: each step walks (and writes its own receipt).
    fs.writeFileSync(receipt, `${state} ${now() - 31} probe\n`);
    assert.equal(await uploadStep(), "reused");
    assert.equal(walks(), 2);
    // The upload takes only the probe's receipt (it always walks on a local host, which has no
    // probe); the build-phase steps take the upload's.
    assert.match(fs.readFileSync(receipt, "utf8"), / upload\n$/);
    assert.equal(await uploadStep(), "reused");
    assert.equal(walks(), 3);
    assert.equal(parseStepOutput(await buildStep()).reused, "rel-1");
    assert.equal(walks(), 3);

    // A receipt naming another state than the one recorded at the build is not taken.
    fs.writeFileSync(receipt, `${"0".repeat(64)} ${now()} probe\n`);
    assert.equal(parseStepOutput(await buildStep()).reused, "rel-1");
    assert.equal(walks(), 4);

    // The release changed on the host after a probe verified it: the next probe's walk fails and
    // voids the receipt, so the upload (even within 30 s) walks too and rebuilds it.
    assert.equal(await probeStep(), "reused");
    const file = path.join(app, "releases/rel-1/index.txt");
    fs.chmodSync(path.dirname(file), 0o755);
    fs.writeFileSync(file, "HACKED v1\n");
    assert.equal(await probeStep(), "rebuild");
    assert.equal(fs.existsSync(receipt), false);
    assert.equal(await uploadStep(), "rebuilt");
    assert.equal(fs.readFileSync(file, "utf8"), "hello v1\n");
    const b = await buildStep();
    assert.equal(parseStepOutput(b).reused, undefined, b);
    assert.equal(builds(), "rel-1\nrel-1\n");
  });

  it("an added file, a removed file or a chmod also fails the verification", async () => {
    for (const [i, tamper] of [
      (d: string) => fs.writeFileSync(path.join(d, "planted.js"), "evil()"),
      (d: string) => fs.rmSync(path.join(d, "index.txt")),
      (d: string) => fs.chmodSync(path.join(d, "index.txt"), 0o755),
    ].entries()) {
      const id = `rel-t${i}`;
      await builtRelease(id);
      tamper(path.join(app, "releases", id));
      assert.equal(await probe(id), "rebuild", `tamper ${i}`);
    }
  });

  it("the current release is never rebuilt: a changed current release is left as it is", async () => {
    const tb = await builtRelease("rel-1");
    fs.symlinkSync("releases/rel-1", path.join(app, "current"));
    fs.appendFileSync(path.join(app, "releases/rel-1/index.txt"), "changed by hand\n");
    assert.equal(await probe("rel-1"), "present");
    const u = await upload("rel-1", tb);
    assert.equal(parseStepOutput(u.stdout).upload, "present");
    assert.match(fs.readFileSync(path.join(app, "releases/rel-1/index.txt"), "utf8"), /by hand/);
  });

  it("a step that reruns on runtime changes (Clever preBuild) runs again on the current release; others reuse", async () => {
    await builtRelease("rel-1");
    fs.symlinkSync("releases/rel-1", path.join(app, "current"));
    const preBuild = (rerunWhenCurrent: boolean) =>
      runStep(
        renderHookStep({
          target,
          profile: "cleverCloud",
          releaseId: "rel-1",
          hook: hook({
            name: "preBuild",
            stage: "beforeBuild",
            variables: "build",
            script: "true",
          }),
          buildPhase: { rerunWhenCurrent },
        }),
      );
    const ran = await preBuild(true);
    assert.equal(ran.status, 0, ran.stdout);
    assert.equal(parseStepOutput(ran.stdout).reused, undefined);
    // It ran on a built release: the built state is recorded again, so the release stays reusable.
    assert.match(ran.stdout, /^::deployhooks::built release=rel-1$/m);
    const reused = await preBuild(false);
    assert.equal(parseStepOutput(reused.stdout).reused, "rel-1");
    assert.deepEqual(
      readHistory(target).map((l) => l.hook),
      ["step:build", "preBuild"],
    );
  });

  it("a failed build marks the release; the next upload prunes it (dir, markers, logs); re-deploying it rebuilds", async () => {
    const tb = makeTarball(FILES);
    assert.equal((await upload("bad", tb)).status, 0);
    const b = await build("bad", true, "exit 3");
    assert.equal(b.status, 3, b.stdout);
    assert.ok(fs.existsSync(marker("bad", "failed")));
    assert.ok(fs.existsSync(path.join(app, "logs/bad-step:build.log")));
    assert.equal(await probe("bad"), "rebuild");

    const good = await upload("good", makeTarball({ "a.txt": "A\n" }));
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^deployhooks: removed release bad: its build failed$/m);
    assert.deepEqual(fs.readdirSync(path.join(app, "releases")), ["good"]);
    assert.equal(fs.existsSync(marker("bad", "ok")), false);
    assert.equal(fs.existsSync(marker("bad", "failed")), false);
    assert.deepEqual(fs.readdirSync(path.join(app, "logs")), []);
  });

  it("uploads/ keeps only the last unpacked tarball; a placeholder (.kept) is removed", async () => {
    const one = makeTarball({ "a.txt": "1\n" });
    const two = makeTarball({ "a.txt": "2\n" });
    const put = (tb: { path: string }, name: string) => {
      fs.mkdirSync(path.join(app, ".deployhooks/uploads"), { recursive: true });
      fs.copyFileSync(tb.path, uploadPath(target, name));
    };
    put(one, "one.tar");
    const r1 = await runStep(
      renderUploadStep({
        target,
        releaseId: "r1",
        tarball: uploadPath(target, "one.tar"),
        sha256: one.sha256,
      }),
    );
    assert.equal(r1.status, 0, r1.stdout);
    put(two, "two.tar");
    const r2 = await runStep(
      renderUploadStep({
        target,
        releaseId: "r2",
        tarball: uploadPath(target, "two.tar"),
        sha256: two.sha256,
      }),
    );
    assert.equal(r2.status, 0, r2.stdout);
    assert.deepEqual(fs.readdirSync(path.join(app, ".deployhooks/uploads")), ["two.tar"]);
    fs.writeFileSync(uploadPath(target, "one.kept"), "placeholder\n");
    const again = await runStep(
      renderUploadStep({
        target,
        releaseId: "r1",
        tarball: uploadPath(target, "one.tar"),
        sha256: one.sha256,
      }),
    );
    assert.equal(parseStepOutput(again.stdout).upload, "present");
    assert.deepEqual(fs.readdirSync(path.join(app, ".deployhooks/uploads")), ["two.tar"]);
  });

  it("activate prunes beyond keepReleases but never current, the release it replaced, or the rollback target", async () => {
    const ids = ["r1", "r2", "r3", "r4"];
    for (const [i, id] of ids.entries()) {
      await builtRelease(id, { "a.txt": `${id}\n` });
      const t = new Date(Date.UTC(2030, 0, 1, 0, i));
      fs.utimesSync(marker(id, "ok"), t, t);
    }
    const activate = (releaseId: string, keepReleases: number) =>
      runStep(renderActivateStep({ target, profile: "upsun", releaseId, keepReleases }));
    // r1 becomes current and the last confirmed activation, then r4 replaces it with keep 1.
    assert.equal((await activate("r1", 0)).status, 0);
    const r = await activate("r4", 1);
    assert.equal(r.status, 0, r.stdout);
    // The activation prunes once its result is acknowledged (it may finish after the step).
    for (let i = 0; i < 50 && fs.readdirSync(path.join(app, "releases")).length > 2; i++) {
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.deepEqual(fs.readdirSync(path.join(app, "releases")).sort(), ["r1", "r4"]);
    assert.deepEqual(fs.readdirSync(path.join(app, "logs")).sort(), [
      "r1-step:build.log",
      "r4-step:build.log",
    ]);
  });

  describe("a small disk (tmpfs, needs root)", () => {
    let mnt: string | undefined;
    before(function () {
      if (process.getuid?.() !== 0) {
        console.log("    (skipped: mounting a tmpfs needs root)");
        this.skip();
      }
      mnt = fs.mkdtempSync(path.join(os.tmpdir(), "dh-small-disk-"));
      const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt]);
      if (m.status !== 0) {
        console.log(`    (skipped: cannot mount a tmpfs: ${String(m.stderr).trim()})`);
        fs.rmdirSync(mnt);
        mnt = undefined;
        this.skip();
      }
    });
    after(() => {
      if (mnt) {
        spawnSync("umount", [mnt]);
        fs.rmdirSync(mnt);
      }
    });

    const big = (seed: string) => {
      // 4 MiB of incompressible-looking data (tar does not compress anyway).
      const buf = Buffer.alloc(4 << 20);
      for (let i = 0; i < buf.length; i += 64) buf.write(`${seed}${i}`.padEnd(64, "x"), i);
      return { "blob.bin": buf.toString("latin1") };
    };

    it("no standby copy is made without room for three times the tarball (it would take the app's space)", async () => {
      target = { root: mnt!, app: "shop0" };
      const tb = makeTarball(big("s"));
      const name = path.basename(tb.path);
      fs.mkdirSync(path.join(mnt!, "shop0/.deployhooks/uploads"), { recursive: true });
      fs.copyFileSync(tb.path, uploadPath(target, name));
      const u = await runStep(
        renderUploadStep({
          target,
          releaseId: "s",
          tarball: uploadPath(target, name),
          sha256: tb.sha256,
        }),
      );
      assert.equal(u.status, 0, u.stdout);
      awaitStandby(mnt!);
      assert.match(
        fs.readFileSync(path.join(mnt!, "shop0/.deployhooks/standby.log"), "utf8"),
        /^deployhooks: no standby copy of .*: \d+ MiB free, less than 3 times its 4 MiB; the next upload unpacks the whole artifact$/m,
      );
      assert.equal(fs.existsSync(path.join(mnt!, "shop0/.deployhooks/standby")), false);
      assert.deepEqual(
        fs
          .readdirSync(path.join(mnt!, "shop0/.deployhooks"))
          .filter((f) => f.startsWith("standby.tmp")),
        [],
      );
      execFileSync("rm", ["-rf", path.join(mnt!, "shop0")]);
    });

    it("two failed 4 MB builds on a 12 MB disk do not stop the next good deployment", async () => {
      target = { root: mnt!, app: "shop" };
      app = path.join(mnt!, "shop");
      for (const id of ["fail-1", "fail-2"]) {
        const u = await upload(id, makeTarball(big(id)));
        assert.equal(u.status, 0, u.stdout);
        assert.equal((await build(id, true, "exit 1")).status, 1);
      }
      const u = await upload("good", makeTarball(big("good")));
      assert.equal(u.status, 0, u.stdout);
      assert.equal(parseStepOutput(u.stdout).upload, "unpacked");
      assert.deepEqual(fs.readdirSync(path.join(app, "releases")), ["good"]);
    });

    it("a tarball larger than the free space fails with 'no space left on device' and the path", async () => {
      target = { root: mnt!, app: "shop2" };
      const tb = makeTarball({
        ...big("a"),
        "b.bin": big("b")["blob.bin"],
        "c.bin": big("c")["blob.bin"],
      });
      const u = await upload("huge", tb);
      assert.equal(u.status, 73, u.stdout);
      assert.match(
        u.stdout,
        new RegExp(
          `^deployhooks: no space left on device: unpacking release huge \\(${tb.path.replace(/[.]/g, "\\.")}, 12 MiB\\) into ${mnt}/shop2/releases needs about 12 MiB, only \\d+ MiB are free$`,
          "m",
        ),
      );
      assert.deepEqual(fs.readdirSync(path.join(mnt!, "shop2/releases")), []);
    });
  });

  it("is shellcheck-clean", () => {
    for (const step of [
      renderProbeStep({ target, releaseId: "r" }),
      renderHookStep({
        target,
        profile: "upsun",
        releaseId: "r",
        hook: hook({ stage: "afterBuild", variables: "build" }),
        buildPhase: { rerunWhenCurrent: true },
      }),
      renderUploadStep({ target, releaseId: "r", tarball: "/x/y.tar", sha256: "0".repeat(64) }),
      renderBuildStep({
        target,
        profile: "upsun",
        releaseId: "r",
        command: "true",
        buildPhase: { markBuilt: true },
      }),
    ]) {
      // SC2034/SC2317: the shared header's variables and library functions a step does not use.
      execFileSync("shellcheck", ["-s", "bash", "-S", "warning", "-e", "SC2034,SC2317", "-"], {
        input: step.program,
      });
    }
  });
});
