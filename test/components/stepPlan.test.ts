import * as assert from "node:assert/strict";
import { applicationModel, cleverCloudModel, upsunModel } from "../../components/deploymentModel";
import { planDeployment } from "../../components/stepPlan";
import {
  healthOf,
  hookWarnings,
  stepCommandInputs,
  structureInputs,
} from "../../components/deployment";

describe("components/plan (pure)", () => {
  it("parses warn markers and the health marker of a step's stdout", () => {
    const out =
      "::deployhooks::step name=outcome release=r1 at=2000\nx\n::deployhooks::run hook=postDeploy exit=3 outcome=warned seconds=0 log=/l\n::deployhooks::warn hook=postDeploy exit=3\n::deployhooks::health status=ok code=200 url=http://127.0.0.1:8080/\n";
    assert.equal(hookWarnings(out).length, 1);
    assert.match(hookWarnings(out)[0], /postDeploy.*3/);
    assert.deepEqual(
      hookWarnings("::deployhooks::run hook=build exit=0 outcome=ok seconds=0 log=/l\n"),
      [],
    );
    assert.equal(healthOf(out, 2000), "ok");
    // An output kept from an earlier deployment (started before this one) says nothing about it.
    assert.equal(healthOf(out, 2001), "unknown");
    assert.equal(
      healthOf(
        "::deployhooks::step name=outcome release=r1 at=5\n::deployhooks::health status=failed code=000 url=u attempts=3\n",
      ),
      "failed",
    );
    assert.equal(
      healthOf("::deployhooks::health status=ok code=200 url=u attempts=1\n"),
      "unknown",
    );
    assert.equal(healthOf(undefined), "unknown");
  });

  it("every command step: no-op update, no previous output in env; secret steps stream too (redacted on the host)", () => {
    const plan = planDeployment(
      structureInputs(
        upsunModel("a", {
          hooks: { build: "b", postDeploy: "p" },
          secrets: { S: "v" },
          hosts: [{ name: "h", connection: { host: "x" } }],
        }),
      ),
    );
    for (const s of plan.steps) {
      if (s.type === "command:remote:CopyToRemote") {
        assert.equal(s.create, undefined);
        continue;
      }
      assert.equal(s.update, "true");
      assert.deepEqual(stepCommandInputs(s), { addPreviousOutputInEnv: false });
    }
  });

  it("the generic Application with profile upsun plans the same steps as UpsunApp", () => {
    const names = (p: ReturnType<typeof planDeployment>) =>
      p.steps.map((s) => `${s.type} ${s.name} <- ${s.dependsOn.join(",")}`);
    const a = planDeployment(
      structureInputs(
        applicationModel("x", {
          profile: "upsun",
          hooks: [
            { name: "build", script: "b" },
            { name: "postDeploy", script: "p" },
          ],
          port: 80,
        }),
      ),
    );
    const b = planDeployment(
      structureInputs(upsunModel("x", { hooks: { build: "b", postDeploy: "p" }, port: 80 })),
    );
    assert.deepEqual(names(a), names(b));
  });

  it("Clever Cloud: PORT defaults to 8080 and the health check to /", () => {
    const m = cleverCloudModel("c", { CC_RUN_COMMAND: "node ." });
    assert.equal(m.port, 8080);
    assert.equal(m.healthCheckPath, "/");
    assert.deepEqual(planDeployment(structureInputs(m)).urls, { local: "http://127.0.0.1:8080/" });
  });

  it("workers get no outcome step without a URL; dependents wait for what it waited for", () => {
    const plan = planDeployment(
      structureInputs(
        upsunModel("a", {
          hooks: { postDeploy: "p" },
          port: 80,
          hosts: [{ name: "web" }, { name: "wk", roles: ["worker"] }],
        }),
      ),
    );
    assert.ok(!plan.steps.some((s) => s.name === "a-wk-outcome"));
    assert.deepEqual(plan.steps.find((s) => s.name === "a-web-hook-postDeploy")!.dependsOn, [
      "a-web-library",
      "a-web-outcome",
      "a-wk-activate",
    ]);
  });
});
