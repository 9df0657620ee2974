/**
 * Zero-downtime activations on the local target (issue 7, "Done when"): `UpsunApp` and
 * `CleverCloudApp` with default arguments — a port, a start command, the local machine — except the
 * proxy's bind address (127.0.0.1, the tests' rule), deploying an app that boots in 1 s while 4
 * keep-alive request loops hit its URL. Needs caddy (`apt-get install caddy`): skipped with a
 * printed reason without it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CleverCloudApp, UpsunApp } from "../../components";
import { awaitStandby, runProgram, type RunReport } from "../../testing";
import { freePort, killProcessesUnder, summary } from "./harness";
import {
  caddyOrSkip,
  describeFailures,
  failures,
  maxLatency,
  startLoad,
  type Sample,
} from "./trafficLoad";

export const TRAFFIC_APP = path.resolve(__dirname, "..", "fixtures", "traffic", "app");

/** One app deployed to the local machine, in a temp dir. */
class LocalTraffic {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-traffic-"));
  readonly src = path.join(this.dir, "src");
  readonly marks = path.join(this.dir, "marks");
  port = 0;
  greeting = "hello";
  constructor(readonly profile: "upsun" | "cleverCloud") {
    fs.cpSync(TRAFFIC_APP, this.src, { recursive: true });
    fs.writeFileSync(path.join(this.src, "version.txt"), "v1\n");
    fs.mkdirSync(this.marks);
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }
  program(): () => Record<string, unknown> {
    const common = {
      source: this.src,
      port: this.port,
      hosts: [{ name: "local", root: path.join(this.dir, "root") }],
      traffic: { listenAddress: "127.0.0.1" },
    };
    const marks = this.marks;
    const greeting = this.greeting;
    if (this.profile === "upsun") {
      return () => {
        const app = new UpsunApp("web", {
          ...common,
          web: { commands: { start: "exec node server.js" } },
          runtimeVariables: { GREETING: greeting, MARKS: marks },
          hooks: {
            deploy: [
              'date +%s%3N > "$MARKS/deploy-start-$APP_RELEASE_ID"',
              "sleep 2",
              'date +%s%3N > "$MARKS/deploy-end-$APP_RELEASE_ID"',
            ].join("\n"),
            postDeploy: 'echo "postDeploy greeting=$GREETING"',
          },
        });
        return { releaseId: app.releaseId, health: app.health };
      };
    }
    return () => {
      const app = new CleverCloudApp("web", {
        ...common,
        CC_RUN_COMMAND: "exec node server.js",
        CC_PRE_RUN_HOOK: "echo preRun",
        CC_RUN_SUCCEEDED_HOOK: "echo runSucceeded",
        CC_RUN_FAILED_HOOK: "echo runFailed",
        environment: { GREETING: greeting },
      });
      return { releaseId: app.releaseId, health: app.health };
    };
  }
  deploy(): Promise<RunReport> {
    return runProgram(this.program(), {
      stateFile: path.join(this.dir, "state.json"),
      project: "traffic",
      stack: this.profile,
    });
  }
  /** Deploys while 4 request loops run; returns the report and every sample. */
  async deployUnderLoad(): Promise<{ report: RunReport; samples: Sample[] }> {
    const load = startLoad(this.url);
    await new Promise((r) => setTimeout(r, 300));
    const report = await this.deploy();
    await new Promise((r) => setTimeout(r, 300));
    return { report, samples: await load.stop() };
  }
  /** A code change (version.txt) deployed under load: it succeeds, 0 failed requests, the new release answers. */
  async codeChangeUnderLoad(): Promise<void> {
    fs.writeFileSync(path.join(this.src, "version.txt"), "v2\n");
    const { report, samples } = await this.deployUnderLoad();
    assert.equal(report.failed, false, summary(report));
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    const next = report.outputs.releaseId as string;
    assert.match(await (await fetch(this.url)).text(), new RegExp(`release=${next} `));
  }
  mark(kind: "start" | "end", release: string): number {
    return Number(fs.readFileSync(path.join(this.marks, `deploy-${kind}-${release}`), "utf8"));
  }
  cleanup(): void {
    awaitStandby(this.dir);
    killProcessesUnder(this.dir);
    try {
      execFileSync("chmod", ["-R", "u+w", this.dir], { stdio: "ignore" });
    } catch {
      // nothing to do
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const served = (samples: Sample[]) => samples.filter((s) => s.status === 200);
const releasesOf = (samples: Sample[]) => [
  ...new Set(served(samples).map((s) => s.fields.release)),
];

describe("e2e traffic: Upsun on the local machine, 4 request loops, an app that boots in 1 s", function () {
  this.timeout(180_000);
  let t: LocalTraffic;
  before(async function () {
    caddyOrSkip(this);
    t = new LocalTraffic("upsun");
    t.port = await freePort();
    const r = await t.deploy();
    assert.equal(r.failed, false, summary(r));
  });
  after(() => t?.cleanup());

  it("code change: 0 failed requests; no old-release answer after the deploy hook began, no new-release answer before it ended", async () => {
    const before = (await (await fetch(t.url)).text()).trim();
    fs.writeFileSync(path.join(t.src, "version.txt"), "v2\n");
    const { report, samples } = await t.deployUnderLoad();
    assert.equal(report.failed, false, summary(report));
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    const next = report.outputs.releaseId as string;
    const old = /release=(\S+)/.exec(before)?.[1] as string;
    assert.notEqual(next, old);
    assert.deepEqual(releasesOf(samples).sort(), [old, next].sort());
    const began = t.mark("start", next);
    const ended = t.mark("end", next);
    const lateOld = served(samples).filter(
      (s) => s.fields.release === old && Number(s.fields.now) >= began,
    );
    const earlyNew = served(samples).filter(
      (s) => s.fields.release === next && Number(s.fields.now) <= ended,
    );
    assert.deepEqual([lateOld.length, earlyNew.length], [0, 0]);
    // A request held across the deploy hook (2 s) + the app's boot (1 s) was served late, not dropped.
    assert.ok(maxLatency(samples) >= ended - began, `max latency ${maxLatency(samples)} ms`);
  });

  it("runtime-only change: 0 failed requests, the new configuration answers afterwards", async () => {
    t.greeting = "hi";
    const { report, samples } = await t.deployUnderLoad();
    assert.equal(report.failed, false, summary(report));
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    assert.match(await (await fetch(t.url)).text(), /greeting=hi /);
  });
});

describe("e2e traffic: Clever Cloud on the local machine, blue/green under 4 request loops", function () {
  this.timeout(180_000);
  let t: LocalTraffic;
  before(async function () {
    caddyOrSkip(this);
    t = new LocalTraffic("cleverCloud");
    t.port = await freePort();
    const r = await t.deploy();
    assert.equal(r.failed, false, summary(r));
  });
  after(() => t?.cleanup());

  it("code change: 0 failed requests, the new release answers afterwards", async () => {
    await t.codeChangeUnderLoad();
  });

  it("runtime-only change: 0 failed requests, the new configuration answers afterwards", async () => {
    t.greeting = "hi";
    const { report, samples } = await t.deployUnderLoad();
    assert.equal(report.failed, false, summary(report));
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    assert.match(await (await fetch(t.url)).text(), /greeting=hi /);
  });

  it("runtime change whose instance exits at start: the deployment fails, runFailed runs, the old instance keeps answering with the old configuration", async () => {
    t.greeting = "crash";
    const { report, samples } = await t.deployUnderLoad();
    assert.equal(report.failed, true, summary(report));
    assert.match(
      report.error ?? "",
      /traffic was never switched: the previous instance keeps serving; the deployment fails/,
    );
    assert.match(report.error ?? "", /runFailed/);
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    assert.deepEqual([...new Set(served(samples).map((s) => s.fields.greeting))], ["hi"]);
    assert.match(await (await fetch(t.url)).text(), /greeting=hi /);
  });

  it("the next good change deploys normally", async () => {
    t.greeting = "bonjour";
    const { report, samples } = await t.deployUnderLoad();
    assert.equal(report.failed, false, summary(report));
    assert.equal(failures(samples).length, 0, describeFailures(samples));
    assert.match(await (await fetch(t.url)).text(), /greeting=bonjour /);
  });
});

describe("e2e traffic: Upsun app whose .environment takes 1.5 s before the app's process starts", function () {
  this.timeout(180_000);
  let t: LocalTraffic;
  before(function () {
    caddyOrSkip(this);
    t = new LocalTraffic("upsun");
    // Sourced by the app's shell before `exec node server.js`: the app process forms its own
    // process group 1.5 s after it was forked. The new app must not be taken for a dead one.
    fs.writeFileSync(path.join(t.src, ".environment"), "sleep 1.5\nexport SLOW_ENV=1\n");
  });
  after(() => t?.cleanup());

  it("first deployment and a code change under load: both succeed, 0 failed requests, the new release answers", async () => {
    t.port = await freePort();
    const first = await t.deploy();
    assert.equal(first.failed, false, summary(first));
    await t.codeChangeUnderLoad();
  });
});
