/**
 * Every Upsun / Platform.sh app of the shared corpus (../shared/corpus and its realworld set): its
 * build flavor steps, cron jobs and provided variables are derived without error, except the one
 * legacy flavor we do not emulate (Berdir's php:5.6 `drupal` flavor).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadConfig } from "../../loaders";
import { upsunBuildFlavorSteps } from "../../profiles/buildFlavor";
import { upsunCronJobs } from "../../profiles/crons";
import { upsunEnvironment } from "../../profiles/upsunEnvironment";

const CORPUS = path.resolve(__dirname, "../../../shared/corpus");

/** Upsun inputs: `.platform.app.yaml`, `.platform/applications.yaml`, `.upsun/` directories. */
function inputs(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === ".upsun") out.push(p);
      else inputs(p, out);
    } else if (
      e.name === ".platform.app.yaml" ||
      (e.name === "applications.yaml" && path.basename(dir) === ".platform")
    ) {
      out.push(p);
    }
  }
  return out;
}

describe("profiles: platform build steps, crons and variables of every corpus app", () => {
  it("derive without error (only the legacy drupal flavor is refused, naming build.flavor)", function () {
    if (!fs.existsSync(CORPUS)) {
      console.log(`    skipped: corpus not found at ${CORPUS} (CI keeps shared/ beside the clone)`);
      this.skip();
    }
    const errors: string[] = [];
    let apps = 0;
    let flavorSteps = 0;
    let crons = 0;
    for (const file of [
      ...inputs(path.join(CORPUS, "repos")),
      ...inputs(path.join(CORPUS, "realworld", "repos")),
    ]) {
      let loaded;
      try {
        loaded = loadConfig(file, { profile: "upsun" });
      } catch {
        continue; // configurations the loaders refuse are the loaders' tests' business
      }
      for (const app of loaded.apps) {
        apps++;
        const where = `${path.relative(CORPUS, file)} ${app.name}`;
        try {
          flavorSteps += upsunBuildFlavorSteps(app.config).length;
        } catch (e) {
          errors.push(`${where}: ${(e as Error).message}`);
        }
        try {
          crons += upsunCronJobs(app.config, app.name).length;
        } catch (e) {
          errors.push(`${where}: ${(e as Error).message}`);
        }
        upsunEnvironment({ appName: app.name, config: app.config });
      }
    }
    assert.deepEqual(errors, [
      "repos/Berdir__platformsh-examples/.platform.app.yaml php: build.flavor: build flavor 'drupal' is not emulated for type 'php:5.6' (supported: none; default for nodejs and php; composer for php)",
    ]);
    assert.deepEqual({ apps, flavorSteps, crons }, { apps: 99, flavorSteps: 74, crons: 48 });
  });
});
