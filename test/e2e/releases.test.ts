/**
 * Instant rollback, for each profile, over SSH and on the local machine: v1 → v2 → revert to v1
 * re-activates the kept v1 release (no build, no build-phase hook, nothing of the artifact sent; the
 * deploy / preRun hooks run again and v1 is served); a kept release changed on the host is detected
 * and rebuilt; two hosts where only one still keeps v1 each do what their own state allows.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runProgram } from "../../testing";
import type { RunReport, SshdHandle } from "../../testing";
import { parseStepOutput } from "../../render";
import {
  executed,
  hooksOf,
  PROFILES,
  Scenario,
  sshdOrSkip,
  summary,
  type Profile,
} from "./harness";
import { awaitStandby } from "../render/helpers";

/** Hooks (history labels) a re-activation runs: the activation phase of the profile only. */
const REACTIVATION_HISTORY: Record<Profile, string[]> = {
  upsun: ["deploy", "postDeploy"],
  cleverCloud: ["preRun", "runSucceeded"],
};
/** Build-phase steps: they run (their triggers changed) and report `reused release <id>`. */
const BUILD_PHASE: Record<Profile, string[]> = {
  upsun: ["build", "hook-build"],
  cleverCloud: ["hook-preBuild", "build", "hook-postBuild"],
};

function stepOut(r: RunReport, host: string, step: string): string {
  const s = r.steps.find((x) => x.name === `app-${host}-${step}` && x.executed);
  assert.ok(s, `step ${step} on ${host} did not run: ${summary(r)}`);
  return s.stdout ?? "";
}

/** The local tarball of the oldest code (v1) in the scenario's artifact directory. */
function v1Tarball(s: Scenario): string {
  const tars = fs
    .readdirSync(s.artifactDir)
    .filter((f) => /^code-[0-9a-f]{64}\.tar$/.test(f))
    .map((f) => path.join(s.artifactDir, f));
  // v2's tarball is written for a local host; for SSH hosts with v1 it was planned without being
  // written (artifact/virtualArtifact.ts: its index and a virtual sum only).
  const planned = fs
    .readdirSync(s.artifactDir)
    .filter(
      (f) => f.endsWith(".tar.sum") && !tars.includes(path.join(s.artifactDir, f.slice(0, -4))),
    )
    .filter((f) => / virtual idx:/.test(fs.readFileSync(path.join(s.artifactDir, f), "utf8")));
  assert.equal(tars.length + planned.length, 2, [...tars, ...planned].join(","));
  // Every tarball has a sum file (written when built): the deployment plans with it.
  for (const t of tars) assert.ok(fs.existsSync(t + ".sum"), t);
  return tars.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs)[0]!;
}

/** `b` with its middle byte changed. */
function flipped(b: Buffer): Buffer {
  const c = Buffer.from(b);
  const i = Math.floor(c.length / 2);
  c[i] = c[i]! ^ 0xff;
  return c;
}

function removeRelease(s: Scenario, host: Scenario["hosts"][number], id: string): void {
  const dir = s.appDir(host);
  fs.rmSync(path.join(dir, "releases", id), { recursive: true, force: true });
  for (const m of ["ok", "built", "sealed"]) {
    fs.rmSync(path.join(dir, ".deployhooks/releases", `${id}.${m}`), { force: true });
  }
}

for (const profile of PROFILES) {
  for (const mode of ["sshd", "local"] as const) {
    describe(`e2e ${profile} (${mode}): a revert re-activates the kept release`, function () {
      this.timeout(180_000);
      let sshd: SshdHandle | undefined;
      let s: Scenario;
      let v1 = "";
      let v2 = "";

      before(async function () {
        if (mode === "sshd") sshd = await sshdOrSkip(this);
        s = new Scenario(profile);
        await s.addHost("h1", sshd, mode === "local" ? { local: true } : {});
      });
      after(async () => {
        s?.cleanup();
        await sshd?.stop();
      });

      it("v1 → v2 → revert: v1 comes back without build or upload; the activation hooks run again", async () => {
        const r1 = await s.deploy();
        assert.equal(r1.failed, false, summary(r1));
        v1 = r1.outputs.releaseId as string;
        s.write("version.txt", "v2\n");
        const r2 = await s.deploy();
        assert.equal(r2.failed, false, summary(r2));
        v2 = r2.outputs.releaseId as string;
        assert.match(await s.http(), /^build=v2\//);

        // v1's tarball on this machine, one byte changed (same size, same sum file): over SSH a
        // re-activation sends none of it, so it is not even read; a local host's upload reads it,
        // so it is verified first and rebuilt.
        const tarball = v1Tarball(s);
        const honest = fs.readFileSync(tarball);
        fs.writeFileSync(tarball, flipped(honest));

        s.write("version.txt", "v1\n");
        const r3 = await s.deploy();
        assert.equal(r3.failed, false, summary(r3));
        assert.equal(r3.outputs.releaseId, v1);
        assert.equal(fs.readFileSync(tarball).equals(honest), mode === "local");
        assert.equal(s.current(), v1);
        assert.deepEqual(hooksOf(s.newHistory()), REACTIVATION_HISTORY[profile]);
        assert.match(await s.http(), new RegExp(`^build=v1/b1 .*release=${v1}`));

        // The steps whose triggers changed ran, and said why they did nothing.
        assert.equal(parseStepOutput(stepOut(r3, "h1", "upload")).upload, "reused");
        for (const step of BUILD_PHASE[profile]) {
          assert.equal(parseStepOutput(stepOut(r3, "h1", step)).reused, v1, step);
          assert.match(
            stepOut(r3, "h1", step),
            new RegExp(`reused release ${v1}: it was built earlier`),
          );
        }
        if (mode === "sshd") {
          assert.equal(parseStepOutput(stepOut(r3, "h1", "probe")).probe, "reused");
          // Nothing of the artifact was sent: the transfer copied the placeholder only.
          const transfer = r3.steps.find((x) => x.name === "app-h1-transfer");
          assert.ok(transfer?.executed, summary(r3));
          assert.match(transfer.command ?? "", /\.kept$/);
          assert.deepEqual(
            fs
              .readdirSync(path.join(s.appDir(), ".deployhooks/uploads"))
              .filter((f) => f.endsWith(".kept")),
            [],
          );
        }
        // Up again: nothing runs.
        const again = await s.deploy();
        assert.equal(again.failed, false, summary(again));
        assert.deepEqual(executed(again, "app", "h1"), []);
      });

      it("a kept release changed on the host is detected and rebuilt", async () => {
        const file = path.join(s.appDir(), "releases", v2, "version.txt");
        fs.chmodSync(path.dirname(file), 0o755); // a sealed (read-only) release: root writes anyway
        fs.writeFileSync(file, "XX\n");
        s.write("version.txt", "v2\n");
        const r = await s.deploy();
        assert.equal(r.failed, false, summary(r));
        assert.equal(s.current(), v2);
        const upload = stepOut(r, "h1", "upload");
        assert.equal(parseStepOutput(upload).upload, "rebuilt");
        assert.match(
          upload,
          new RegExp(
            `release ${v2} changed on this host since it was built \\(verification failed\\): rebuilding it from the artifact`,
          ),
        );
        if (mode === "sshd") {
          assert.equal(parseStepOutput(stepOut(r, "h1", "probe")).probe, "rebuild");
        }
        assert.ok(
          r.warnings.some((w) =>
            w.includes(`host h1: release ${v2} changed on this host since it was built`),
          ),
          r.warnings.join("\n"),
        );
        const built = profile === "upsun" ? "build" : "step:build";
        assert.ok(hooksOf(s.newHistory()).includes(built), hooksOf(s.newHistory()).join(","));
        assert.match(await s.http(), /^build=v2\//);
        assert.equal(fs.readFileSync(file, "utf8"), "v2\n");
      });
    });
  }

  describe(`e2e ${profile}: two hosts, only one still keeps v1`, function () {
    this.timeout(180_000);
    let sshd: SshdHandle | undefined;
    let s: Scenario;

    before(async function () {
      sshd = await sshdOrSkip(this);
      s = new Scenario(profile);
      await s.addHost("h1", sshd);
      await s.addHost("h2", sshd);
    });
    after(async () => {
      s?.cleanup();
      await sshd?.stop();
    });

    it("h1 re-activates v1; h2, where v1 was pruned, rebuilds it (from a delta against its kept v2 tarball); both serve v1", async () => {
      const r1 = await s.deploy();
      assert.equal(r1.failed, false, summary(r1));
      const v1 = r1.outputs.releaseId as string;
      s.write("version.txt", "v2\n");
      assert.equal((await s.deploy()).failed, false);
      removeRelease(s, s.host("h2"), v1);
      // v1's tarball here, one byte changed: h2 needs it (a delta is made from it), so it is
      // verified before anything is made from it, and rebuilt.
      const tarball = v1Tarball(s);
      const honest = fs.readFileSync(tarball);
      fs.writeFileSync(tarball, flipped(honest));

      s.write("version.txt", "v1\n");
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.ok(fs.readFileSync(tarball).equals(honest), "the changed tarball was rebuilt");
      const h1 = s.host("h1");
      const h2 = s.host("h2");
      assert.equal(parseStepOutput(stepOut(r, "h1", "probe")).probe, "reused");
      assert.equal(parseStepOutput(stepOut(r, "h2", "probe")).probe, "missing");
      assert.equal(parseStepOutput(stepOut(r, "h1", "upload")).upload, "reused");
      assert.equal(parseStepOutput(stepOut(r, "h2", "upload")).upload, "unpacked");
      assert.match(r.steps.find((x) => x.name === "app-h1-transfer")?.command ?? "", /\.kept$/);
      assert.match(r.steps.find((x) => x.name === "app-h2-transfer")?.command ?? "", /\.delta$/);
      const built = profile === "upsun" ? "build" : "step:build";
      assert.equal(hooksOf(s.newHistory(h1)).includes(built), false);
      assert.equal(hooksOf(s.newHistory(h2)).includes(built), true);
      assert.equal(s.current(h1), v1);
      assert.equal(s.current(h2), v1);
      assert.match(await s.http(h1), /^build=v1\/b1 /);
      assert.match(await s.http(h2), /^build=v1\/b1 /);
    });
  });
}

/** Every file and link below `dir` → its mode (x/-/l) and content (or link target). */
function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, r);
      if (e.isDirectory()) walk(r);
      else if (e.isSymbolicLink()) out[r] = `l ${fs.readlinkSync(abs)}`;
      else {
        out[r] = `${fs.statSync(abs).mode & 0o100 ? "x" : "-"} ${fs.readFileSync(abs, "latin1")}`;
      }
    }
  };
  walk("");
  return out;
}

for (const profile of PROFILES) {
  describe(`e2e ${profile}: incremental upload over SSH`, function () {
    this.timeout(180_000);
    let sshd: SshdHandle | undefined;
    let s: Scenario;
    let fresh: Scenario;

    before(async function () {
      sshd = await sshdOrSkip(this);
      s = new Scenario(profile);
      await s.addHost("h1", sshd);
      fresh = new Scenario(profile);
      await fresh.addHost("h1", sshd);
    });
    after(async () => {
      s?.cleanup();
      fresh?.cleanup();
      await sshd?.stop();
    });

    it("a one-file change ships a delta; the release is identical to a full upload of the same code", async () => {
      assert.equal((await s.deploy()).failed, false);
      s.write("version.txt", "v2\n");
      s.write("extra/new.txt", "added\n");
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      const v2 = r.outputs.releaseId as string;
      assert.match(r.steps.find((x) => x.name === "app-h1-transfer")?.command ?? "", /\.delta$/);
      assert.match(
        stepOut(r, "h1", "upload"),
        /^::deployhooks::delta applied=code-[0-9a-f]{64}\.delta$/m,
      );
      // The standby copy of v1 became the release: only version.txt was removed and replaced.
      assert.match(
        stepOut(r, "h1", "upload"),
        new RegExp(`^::deployhooks::standby release=${v2} removed=1$`, "m"),
      );
      assert.equal(parseStepOutput(stepOut(r, "h1", "upload")).upload, "unpacked");
      assert.match(await s.http(), /^build=v2\//);

      // The same code deployed in full to a fresh host.
      fs.rmSync(fresh.src, { recursive: true, force: true });
      fs.cpSync(s.src, fresh.src, { recursive: true });
      const f = await fresh.deploy();
      assert.equal(f.failed, false, summary(f));
      assert.equal(f.outputs.releaseId, v2);
      assert.match(f.steps.find((x) => x.name === "app-h1-transfer")?.command ?? "", /\.tar$/);
      assert.deepEqual(
        treeOf(path.join(s.appDir(), "releases", v2)),
        treeOf(path.join(fresh.appDir(), "releases", v2)),
      );
    });

    it("a corrupted standby copy of the base (a file changed on the host) is not used: the full artifact is unpacked, identical; the previous release is never the base", async () => {
      awaitStandby(path.dirname(s.appDir()));
      const standby = path.join(s.appDir(), ".deployhooks/standby");
      const victim = fs.readdirSync(standby).find((n) => n.endsWith(".js") || n.endsWith(".txt"))!;
      const st = fs.statSync(path.join(standby, victim));
      fs.appendFileSync(path.join(standby, victim), "planted\n");
      fs.utimesSync(path.join(standby, victim), st.atime, st.mtime);
      // A file of the previous (current) release changed too: it is not what the next one is made from.
      const current = fs.readlinkSync(path.join(s.appDir(), "current"));
      fs.chmodSync(path.join(s.appDir(), current), 0o755);
      fs.chmodSync(path.join(s.appDir(), current, "version.txt"), 0o644);
      fs.appendFileSync(path.join(s.appDir(), current, "version.txt"), "planted\n");
      s.write("version.txt", "v2b\n");
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      const id = r.outputs.releaseId as string;
      assert.match(r.steps.find((x) => x.name === "app-h1-transfer")?.command ?? "", /\.delta$/);
      assert.match(
        stepOut(r, "h1", "upload"),
        /the standby copy of the base changed on this host since it was unpacked: it is not used; unpacking the whole artifact/,
      );
      assert.doesNotMatch(stepOut(r, "h1", "upload"), /::deployhooks::standby/);
      fs.rmSync(fresh.src, { recursive: true, force: true });
      fs.cpSync(s.src, fresh.src, { recursive: true });
      const f = await fresh.deploy();
      assert.equal(f.failed, false, summary(f));
      assert.equal(f.outputs.releaseId, id);
      assert.deepEqual(
        treeOf(path.join(s.appDir(), "releases", id)),
        treeOf(path.join(fresh.appDir(), "releases", id)),
      );
      assert.doesNotMatch(
        fs.readFileSync(path.join(s.appDir(), "releases", id, victim), "latin1"),
        /planted/,
      );
      assert.match(await s.http(), /^build=v2b\//);
    });

    it("a corrupted base (the kept tarball changed on the host) falls back to the full artifact", async () => {
      awaitStandby(path.dirname(s.appDir()));
      const uploads = path.join(s.appDir(), ".deployhooks/uploads");
      const [kept] = fs.readdirSync(uploads);
      assert.ok(kept?.endsWith(".tar"), String(kept));
      const fd = fs.openSync(path.join(uploads, kept), "r+");
      fs.writeSync(fd, Buffer.from("X"), 0, 1, 700);
      fs.closeSync(fd);
      s.write("version.txt", "v3\n");
      const r = await s.deploy();
      assert.equal(r.failed, false, summary(r));
      assert.match(
        stepOut(r, "h1", "probe"),
        /changed on this host \(checksum mismatch\): it is not used as the base/,
      );
      assert.match(r.steps.find((x) => x.name === "app-h1-transfer")?.command ?? "", /\.tar$/);
      assert.match(await s.http(), /^build=v3\//);
    });
  });
}

describe("e2e: preview with the probe (the transfer's source stays known)", function () {
  this.timeout(180_000);
  let sshd: SshdHandle | undefined;
  let s: Scenario;
  before(async function () {
    sshd = await sshdOrSkip(this);
    s = new Scenario("upsun");
    await s.addHost("h1", sshd);
  });
  after(async () => {
    s?.cleanup();
    await sshd?.stop();
  });

  const preview = () =>
    runProgram(s.program(), {
      stateFile: s.stateFile,
      project: "e2e",
      stack: "upsun",
      preview: true,
    });

  it("first deployment, unchanged program and code change: the preview succeeds; unchanged = no change", async () => {
    const first = await preview();
    assert.equal(first.failed, false, summary(first));
    assert.equal((await s.deploy()).failed, false);
    const same = await preview();
    assert.equal(same.failed, false, summary(same));
    assert.deepEqual(
      same.steps.filter((x) => x.op !== "same").map((x) => `${x.name}:${x.op}`),
      [],
    );
    s.write("version.txt", "v2\n");
    const changed = await preview();
    assert.equal(changed.failed, false, summary(changed));
    assert.equal(changed.steps.find((x) => x.name === "app-h1-transfer")?.op, "replace");
  });
});
