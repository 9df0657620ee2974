import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  journalPath,
  JOURNAL_LENGTH,
  reactivationNote,
  readJournal,
  recordRelease,
  uploadNote,
} from "../../components/releaseJournal";
import { placeholderPath, transferSource } from "../../components/transfer";
import { cleverCloudModel } from "../../components/deploymentModel";
import { planDeployment } from "../../components/stepPlan";
import { structureInputs } from "../../components/deployment";

describe("components: release journal, transfer source, upload notes", () => {
  it("remembers the last releases (moved to the end when seen again), private, bounded", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-journal-"));
    try {
      const file = journalPath(dir, "shop", "shop");
      assert.deepEqual(readJournal(file), []);
      for (const id of ["a", "b", "a"]) recordRelease(file, id);
      assert.deepEqual(readJournal(file), ["b", "a"]);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      for (let i = 0; i < 30; i++) recordRelease(file, `r${i}`);
      assert.equal(readJournal(file).length, JOURNAL_LENGTH);
      assert.equal(readJournal(file).at(-1), "r29");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a preview of a revert says it will re-activate the release if kept, else rebuild", () => {
    const table: [string, string[], boolean][] = [
      ["v1", [], false],
      ["v1", ["v1"], false],
      ["v1", ["v1", "v2"], true],
      ["v3", ["v1", "v2"], false],
    ];
    for (const [id, journal, says] of table) {
      assert.equal(reactivationNote(id, journal) !== undefined, says, `${id} ${journal.join(",")}`);
    }
    assert.equal(
      reactivationNote("v1", ["v1", "v2"]),
      "release v1 was deployed before: pulumi up will re-activate it on every host that still keeps it (verified there: no upload, no build; the activation hooks run again), else rebuild it",
    );
  });

  it("the transfer copies a placeholder only when the probe found the release kept", () => {
    const out = (status: string) => `::deployhooks::probe release=r1 status=${status}\n`;
    assert.deepEqual(transferSource("/a/code-x.tar", "r1", out("reused")), {
      placeholder:
        "deployhooks: release r1 is kept on this host (probe: reused); the artifact is not sent\n",
    });
    assert.ok("placeholder" in transferSource("/a/code-x.tar", "r1", out("present")));
    for (const s of ["missing", "rebuild"]) {
      assert.deepEqual(transferSource("/a/code-x.tar", "r1", out(s)), {
        artifact: "/a/code-x.tar",
      });
    }
    assert.deepEqual(transferSource("/a/code-x.tar", "r1", undefined), {
      artifact: "/a/code-x.tar",
    });
    assert.equal(
      placeholderPath("/srv/app/.deployhooks/uploads/code-x.tar"),
      "/srv/app/.deployhooks/uploads/code-x.kept",
    );
  });

  it("the upload step's outcome becomes an info (reused) or a warning (rebuilt) line", () => {
    assert.deepEqual(uploadNote("h1", "r1", "reused", ""), {
      level: "info",
      message:
        "host h1: re-activated release r1, kept on the host and verified there: no upload, no build",
    });
    const rebuilt =
      "deployhooks: release r1 changed on this host since it was built (verification failed): rebuilding it from the artifact\n::deployhooks::upload release=r1 status=rebuilt\n";
    assert.deepEqual(uploadNote("h2", "r1", "rebuilt", rebuilt), {
      level: "warn",
      message:
        "host h2: release r1 changed on this host since it was built (verification failed): rebuilding it from the artifact",
    });
    assert.equal(uploadNote("h1", "r1", "unpacked", ""), undefined);
  });
});

describe("components: keepReleases and build-phase reuse in the plan", () => {
  const plan = (args: Parameters<typeof cleverCloudModel>[1]) =>
    planDeployment(structureInputs(cleverCloudModel("shop", args)));

  it("keepReleases reaches the activate step (default 5); out of range is a field error", () => {
    const activate = (p: ReturnType<typeof plan>) =>
      p.steps.find((s) => s.stepId === "activate")!.create!;
    assert.match(activate(plan({ CC_RUN_COMMAND: "node s.js" })), /DH_KEEP=5\b|dh_prune 5\b/);
    assert.match(
      activate(plan({ CC_RUN_COMMAND: "node s.js", keepReleases: 2 })),
      /DH_KEEP=2\b|dh_prune 2\b/,
    );
    assert.throws(() => plan({ keepReleases: -1 }), /keepReleases/);
  });

  it("build-phase steps reuse a built release; preBuild (reruns on runtime changes) reruns on the current one; the last marks it built", () => {
    const p = plan({
      CC_PRE_BUILD_HOOK: "echo pre",
      CC_BUILD_COMMAND: "echo build",
      CC_POST_BUILD_HOOK: "echo post",
      CC_RUN_COMMAND: "node s.js",
    });
    const create = (id: string) => p.steps.find((s) => s.stepId === id)!.create!;
    assert.match(create("hook-preBuild"), /if dh_reuse 1; then exit 0; fi/);
    assert.match(create("build"), /if dh_reuse 0; then exit 0; fi/);
    assert.match(create("hook-postBuild"), /if dh_reuse 0; then exit 0; fi/);
    assert.doesNotMatch(create("build"), /else\n {2}dh_mark_built\n/);
    assert.match(create("hook-postBuild"), /else\n {2}dh_mark_built\n/);
    assert.doesNotMatch(create("activate"), /dh_reuse/);
  });
});
