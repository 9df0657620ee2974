import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderHookStep } from "../../render";
import type { AppTarget } from "../../render";
import { spawn } from "node:child_process";
import { cleanupRoots, hook, runStep, sleep, tmpRoot, uploadRelease } from "./helpers";

/** The claim rules of render/README.md §3a, through real bash, one row per rule. */
describe("render: the deployment claim (real bash)", function () {
  this.timeout(20000);
  after(cleanupRoots);
  const now = () => Math.floor(Date.now() / 1000);

  const cases: Array<{
    title: string;
    claim: (t: number) => string | undefined;
    status: number;
    /** Another step holds the app's lock for 1 s when this one starts (evidence of concurrency). */
    holdLock?: boolean;
    marker?: string;
    after: (t: number) => RegExp;
  }> = [
    {
      title: "no claim: the step takes it",
      claim: () => undefined,
      status: 0,
      after: () => /^r1 \d+ - 0\n$/,
    },
    {
      title: "its own claim: continues",
      claim: (t) => `r1 ${t - 500} - 0\n`,
      status: 0,
      after: () => /^r1 \d+ - 0\n$/,
    },
    {
      title: "another deployment in progress (its step held the lock): superseded by this one",
      claim: (t) => `r0 ${t - 5} - 0\n`,
      holdLock: true,
      status: 0,
      marker: "::deployhooks::supersede deployment=r1 previous=r0",
      after: () => /^r1 \d+ r0 \d+\n$/,
    },
    {
      title:
        "another deployment that ran moments ago but holds nothing (finished, or a revert): taken without superseding",
      claim: (t) => `r0 ${t - 2} - 0\n`,
      status: 0,
      after: () => /^r1 \d+ - 0\n$/,
    },
    {
      title: "this deployment was superseded moments ago: exit 76, nothing runs",
      claim: (t) => `r2 ${t - 1} r1 ${t - 3}\n`,
      status: 76,
      marker: "::deployhooks::superseded deployment=r1 by=r2",
      after: (t) => new RegExp(`^r2 ${t - 1} r1 ${t - 3}\\n$`),
    },
    {
      title: "superseded long ago (a new run of an earlier configuration): taken again",
      claim: (t) => `r2 ${t - 500} r1 ${t - 500}\n`,
      status: 0,
      after: () => /^r1 \d+ - 0\n$/,
    },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      const target: AppTarget = { root: tmpRoot(), app: "web" };
      await uploadRelease(target, "r1");
      const file = path.join(target.root, "web", ".deployhooks", "deployment");
      const t = now();
      const claim = c.claim(t);
      if (claim !== undefined) fs.writeFileSync(file, claim);
      const step = renderHookStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        hook: hook({ script: "echo ran" }),
        deployment: "r1",
      });
      const holder = c.holdLock
        ? spawn("flock", [path.join(target.root, "web", ".deployhooks", "lock"), "sleep", "1"])
        : undefined;
      if (holder) await sleep(200);
      const r = await runStep(step);
      holder?.kill();
      assert.equal(r.status, c.status, r.stdout);
      assert.equal(r.stdout.includes("| ran"), c.status === 0);
      if (c.marker) assert.ok(r.stdout.split("\n").includes(c.marker), r.stdout);
      else assert.ok(!r.stdout.includes("::deployhooks::supersede"), r.stdout);
      if (c.status === 76) {
        assert.match(
          r.stdout,
          /deployhooks: superseded by deployment r2: another deployment of app web started on this host [34] s ago, so this deployment \(r1\) stops before this step; the host runs deployment r2\./,
        );
      }
      assert.match(fs.readFileSync(file, "utf8"), c.after(t));
    });
  }
});
