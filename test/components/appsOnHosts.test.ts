/**
 * Two components of one program on the same app directory (same host, root and app name) would stop
 * each other's app: the second is refused before any step runs; another appName or root is fine,
 * and running the same program twice in one process claims nothing twice.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runProgram } from "../../testing";
import { claimAppPlace } from "../../components/appsOnHosts";

describe("components: one owner per app directory on a host", function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-apps-on-hosts-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(() => {
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "a.txt"), "a\n");
  });

  const program = (secondAppName: string, secondRoot: string) => async () => {
    const { UpsunApp } = await import("../../components");
    const common = {
      source: path.join(dir, "src"),
      artifactDir: path.join(dir, "artifacts"),
      hooks: { build: "echo b\n" },
    };
    const a = new UpsunApp("first", {
      ...common,
      appName: "shop",
      hosts: [{ name: "local", root: path.join(dir, "root") }],
    });
    const b = new UpsunApp("second", {
      ...common,
      appName: secondAppName,
      hosts: [{ name: "local", root: path.join(dir, secondRoot) }],
    });
    return { a: a.releaseId, b: b.releaseId };
  };

  it("refuses a second component on the same host, root and app name, naming both", async () => {
    const r = await runProgram(program("shop", "root"), {
      stateFile: path.join(dir, "same.json"),
      preview: true,
      stack: "same",
    });
    assert.equal(r.failed, true);
    assert.match(
      r.error ?? "",
      new RegExp(
        `app "shop" under ${path.join(dir, "root").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} on local is already deployed by component "first" of this program; give "second" another appName or root`,
      ),
    );
  });

  it("accepts another app name or another root, and the same program run twice", async () => {
    for (const [app, root, stack] of [
      ["shop-admin", "root", "other-app"],
      ["shop", "root2", "other-root"],
    ]) {
      for (let run = 0; run < 2; run++) {
        const r = await runProgram(program(app, root), {
          stateFile: path.join(dir, `${stack}.json`),
          preview: true,
          stack,
        });
        assert.equal(r.failed, false, r.error);
      }
    }
  });

  it("claimAppPlace: same component again is fine; another component is refused; programs are separate", () => {
    const place = { identity: "deploy@10.0.0.1:22", root: "/srv/deployhooks", app: "api" };
    claimAppPlace("p/s1", place, "api");
    claimAppPlace("p/s1", place, "api");
    claimAppPlace("p/s2", place, "other");
    assert.throws(
      () => claimAppPlace("p/s1", place, "other"),
      (e: Error) =>
        e.message ===
        `appName: app "api" under /srv/deployhooks on deploy@10.0.0.1:22 is already deployed by component "api" of this program; give "other" another appName or root (two components on one app directory stop each other's app)`,
    );
    claimAppPlace("p/s1", { ...place, app: "api2" }, "other");
  });
});
