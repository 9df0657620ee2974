import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cleverCloudModel, upsunModel } from "../../components/deploymentModel";
import { structureInputs } from "../../components/deployment";
import { planDeployment } from "../../components/stepPlan";

const crons = { report: { spec: "0 3 * * *", commands: { start: "echo report" } } };
const hosts = [
  { name: "w1", connection: { host: "10.0.0.1" } },
  { name: "w2", leader: true, connection: { host: "10.0.0.2" } },
  { name: "jobs", roles: ["worker" as const], connection: { host: "10.0.0.3" } },
];

describe("components/cronPlan: the cron resource", () => {
  it("Upsun crons: one cron resource on the leader, after its activation and health check, with an install and a removal", () => {
    const plan = planDeployment(
      structureInputs(upsunModel("shop", { config: { crons }, hosts, port: 8080 })),
    );
    const cron = plan.steps.filter((s) => s.kind === "cron");
    assert.deepEqual(
      cron.map((s) => [s.name, s.host, s.dependsOn, s.update]),
      [["shop-w2-cron", "w2", ["shop-w2-outcome"], "true"]],
    );
    const activate = plan.steps.find((s) => s.name === "shop-w2-activate")!;
    assert.deepEqual(cron[0].triggers.slice(0, -1), activate.triggers);
    assert.match(cron[0].triggers.at(-1)!, /^crons=sha256:[0-9a-f]{64}$/);
    assert.match(cron[0].create!, /::deployhooks::cron installed=1/);
    assert.match(cron[0].delete!, /::deployhooks::cron removed id=/);
  });

  it("no crons, no cron resource; a changed cron replaces it, and the old removal names its own generation", () => {
    assert.equal(
      planDeployment(structureInputs(upsunModel("shop", { hosts }))).steps.some(
        (s) => s.kind === "cron",
      ),
      false,
    );
    const a = planDeployment(structureInputs(upsunModel("shop", { config: { crons }, hosts })));
    const b = planDeployment(
      structureInputs(
        upsunModel("shop", {
          config: { crons: { report: { ...crons.report, spec: "0 4 * * *" } } },
          hosts,
        }),
      ),
    );
    const cronA = a.steps.find((s) => s.kind === "cron")!;
    const cronB = b.steps.find((s) => s.kind === "cron")!;
    assert.notDeepEqual(cronA.triggers, cronB.triggers);
    // The removal of the old generation names its own id: it cannot remove the new one.
    assert.notEqual(cronA.delete, cronB.delete);
  });

  it("Clever Cloud: clevercloud/cron.json of the source tree", () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), "dhcron-"));
    try {
      fs.mkdirSync(path.join(src, "clevercloud"));
      fs.writeFileSync(path.join(src, "clevercloud/cron.json"), '["*/5 * * * * $ROOT/tick.sh"]');
      const plan = planDeployment(
        structureInputs(
          cleverCloudModel("api", {
            source: src,
            hosts: [{ name: "vm1", root: "/srv/apps", connection: { host: "10.0.0.9" } }],
          }),
        ),
      );
      const cron = plan.steps.find((s) => s.kind === "cron")!;
      assert.equal(cron.name, "api-vm1-cron");
      assert.match(cron.create!, /\/srv\/apps\/api\/current\/tick\.sh/);
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });
});
