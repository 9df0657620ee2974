import assert from "node:assert/strict";
import { deploymentSteps } from "../../engine/steps";
import { snapshotApp } from "../../engine/snapshot";
import type { StepHost } from "../../engine/types";
import { cleverApp, upsunApp, withVariable } from "../helpers/apps";

const WEB1: StepHost = {
  name: "web1",
  roles: ["web"],
  leader: false,
  identity: "deploy@10.0.0.1:22",
};
const WEB2: StepHost = {
  name: "web2",
  roles: ["web"],
  leader: true,
  identity: "deploy@10.0.0.2:22",
};
const WORKER: StepHost = {
  name: "jobs",
  roles: ["worker"],
  leader: false,
  identity: "deploy@10.0.0.3:22",
};

const summary = (steps: ReturnType<typeof deploymentSteps>) =>
  steps.map((s) => `${s.host}/${s.id} <- ${s.dependsOn.join(",")}`);

describe("engine: deployment steps across hosts", () => {
  it("Upsun: builds everywhere → deploy once on the leader → switch host by host (rolling) → postDeploy once", () => {
    const steps = deploymentSteps(snapshotApp(upsunApp()), [WEB1, WEB2, WORKER], {
      transfer: () => true,
    });
    assert.deepEqual(summary(steps), [
      "web1/probe <- ",
      "web1/transfer <- web1/probe",
      "web1/upload <- web1/transfer",
      "web1/build <- web1/upload",
      "web1/hook-build <- web1/build",
      "web2/probe <- ",
      "web2/transfer <- web2/probe",
      "web2/upload <- web2/transfer",
      "web2/build <- web2/upload",
      "web2/hook-build <- web2/build",
      "jobs/probe <- ",
      "jobs/transfer <- jobs/probe",
      "jobs/upload <- jobs/transfer",
      "jobs/build <- jobs/upload",
      "jobs/hook-build <- jobs/build",
      "web2/hook-deploy <- web1/hook-build,web2/hook-build,jobs/hook-build",
      "web1/activate <- web2/hook-deploy",
      "web2/activate <- web1/activate",
      "jobs/activate <- web2/activate",
      "web2/hook-postDeploy <- web1/activate,web2/activate,jobs/activate",
    ]);
  });

  it("batchSize: hosts switch in batches of that size, each batch after the previous one's outcome", () => {
    const steps = deploymentSteps(snapshotApp(upsunApp()), [WEB1, WEB2, WORKER], {
      healthCheck: true,
      batchSize: 2,
    });
    assert.deepEqual(
      summary(steps).filter((l) => /activate|outcome|postDeploy/.test(l)),
      [
        "web1/activate <- web2/hook-deploy",
        "web1/outcome <- web1/activate",
        "web2/activate <- web2/hook-deploy",
        "web2/outcome <- web2/activate",
        "jobs/activate <- web1/outcome,web2/outcome",
        "jobs/outcome <- jobs/activate",
        "web2/hook-postDeploy <- web1/outcome,web2/outcome,jobs/outcome",
      ],
    );
  });

  it("holds: every web host holds requests before the request-blocking deploy hook, with the hook's triggers and its own host", () => {
    const snapshot = snapshotApp(upsunApp());
    const steps = deploymentSteps(snapshot, [WEB1, WEB2, WORKER], { holds: true });
    assert.deepEqual(
      summary(steps).filter((l) => /hold|deploy|web1\/activate/.test(l)),
      [
        "web1/hold-deploy <- web1/hook-build,web2/hook-build,jobs/hook-build",
        "web2/hold-deploy <- web1/hook-build,web2/hook-build,jobs/hook-build",
        "web2/hook-deploy <- web1/hold-deploy,web2/hold-deploy",
        "web1/activate <- web2/hook-deploy",
        "web2/activate <- web1/activate",
        "web2/hook-postDeploy <- web1/activate,web2/activate,jobs/activate",
      ],
    );
    const hold = steps.find((x) => x.host === "web1" && x.id === "hold-deploy");
    const deploy = steps.find((x) => x.id === "hook-deploy");
    assert.deepEqual(hold?.triggers.slice(0, -1), deploy?.triggers.slice(0, -1));
    assert.equal(hold?.triggers.at(-1), `host=${WEB1.identity}`);
    assert.equal(hold?.kind, "hold");
  });

  it("Clever Cloud: every hook on every host, preBuild before the build step, outcome after the switch", () => {
    const steps = deploymentSteps(snapshotApp(cleverApp()), [
      { name: "local", roles: ["web"], leader: true, identity: "local" },
    ]);
    assert.deepEqual(summary(steps), [
      "local/upload <- ",
      "local/hook-preBuild <- local/upload",
      "local/build <- local/hook-preBuild",
      "local/hook-postBuild <- local/build",
      "local/hook-preRun <- local/hook-postBuild",
      "local/activate <- local/hook-preRun",
      "local/outcome <- local/activate",
    ]);
  });

  it("triggers are readable class strings and include the host", () => {
    const snap = snapshotApp(upsunApp(), { fingerprint: "sha256:c0de" });
    const steps = deploymentSteps(snap, [WEB2]);
    const deploy = steps.find((s) => s.id === "hook-deploy")!;
    const build = [
      "build:build.flavor=2b55901f404d94e6",
      "build:dependencies.nodejs.yarn=cb0e129b013d7d64",
      "build:disk=c8a57773de8c4f88",
      "build:hooks.build=24c4a6d82fee5623",
      'build:mounts["/var"].source=5ee5a99347b4978c',
      "build:type=aab8a993379f2a84",
      "build:variables.env.NODE_ENV=c48c04378e97d496",
      'build:web.mounts["/uploads"].source=8de518e5aac1f245',
      'build:web.mounts["/uploads"].source_path=c0bf6e2540b6d184',
      'build:workers.queue.mounts["/tmp"].source=02a68dabdfa5c9cd',
    ];
    // No per-file digests here (a bare fingerprint): one `code=` entry for the whole tree.
    assert.deepEqual(deploy.triggers, [
      "code=sha256:c0de",
      ...build,
      `script=${snap.scripts.deploy}`,
      "host=deploy@10.0.0.2:22",
    ]);
    const activate = steps.find((s) => s.id === "activate")!;
    assert.deepEqual(activate.triggers.slice(0, build.length + 1), ["code=sha256:c0de", ...build]);
    assert.deepEqual(
      activate.triggers.slice(build.length + 1).map((t) => t.slice(0, t.indexOf("="))),
      [
        "runtime:access.ssh",
        "runtime:crons.report.commands.start",
        "runtime:crons.report.spec",
        "runtime:firewall.outbound",
        "runtime:hooks.deploy",
        "runtime:hooks.post_deploy",
        "runtime:relationships.database",
        "runtime:web.commands.start",
        "runtime:workers.queue.commands.start",
        "redeploy",
        "host",
      ],
    );
  });

  it("a runtime-only change reruns exactly activate, outcome and every-deployment hooks", () => {
    const hosts = [{ name: "local", roles: ["web" as const], leader: true, identity: "local" }];
    const before = deploymentSteps(snapshotApp(cleverApp()), hosts);
    const after = deploymentSteps(
      snapshotApp(withVariable(cleverApp(), "API_URL", "https://other")),
      hosts,
    );
    const changed = after
      .filter((s, i) => JSON.stringify(s.triggers) !== JSON.stringify(before[i].triggers))
      .map((s) => s.id);
    assert.deepEqual(changed, ["hook-preBuild", "hook-preRun", "activate", "outcome"]);
  });

  it("without a flagged leader the first web host runs the once hooks", () => {
    const steps = deploymentSteps(snapshotApp(upsunApp()), [
      WORKER,
      WEB1,
      { ...WEB2, leader: false },
    ]);
    assert.deepEqual(
      steps.filter((s) => s.kind === "hook" && s.hook?.scope === "once").map((s) => s.host),
      ["web1", "web1"],
    );
  });

  it("rejects two leaders, a worker leader, duplicate names and no web host, naming hosts", () => {
    const snap = snapshotApp(upsunApp());
    assert.throws(
      () => deploymentSteps(snap, [{ ...WEB1, leader: true }, WEB2]),
      /^ConfigError: hosts: only one host can be the leader \(web1, web2\)$/,
    );
    assert.throws(
      () => deploymentSteps(snap, [{ ...WORKER, leader: true }, WEB1]),
      /^ConfigError: hosts: the leader jobs must have the web role$/,
    );
    assert.throws(
      () => deploymentSteps(snap, [WEB1, WEB1]),
      /^ConfigError: hosts: host name 'web1' is used twice$/,
    );
    assert.throws(
      () => deploymentSteps(snap, []),
      /^ConfigError: hosts: an app needs at least one host$/,
    );
    assert.throws(
      () => deploymentSteps(snap, [WORKER]),
      /^ConfigError: hosts: at least one host must have the web role$/,
    );
  });
});
