/**
 * `deployhooks diff --program` (issue 10 item 4): a Pulumi program's previous and next component
 * args give the same report as two configuration files; two `steps` outputs (or stack exports)
 * give one row per step, run iff its triggers differ, with the changed entries as reasons.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../../cli/main";
import { snapshotApp } from "../../engine/snapshot";
import { deploymentSteps } from "../../engine/steps";
import { upsunApp, withConfig } from "../helpers/apps";

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-program-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function json(value: unknown): string {
  const file = path.join(dir, `f${n++}.json`);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false });
  return { code, out, err: err.split(dir + path.sep).join("") };
}

const upsun = (greeting: string, extra: Record<string, unknown> = {}) => ({
  component: "UpsunApp",
  name: "api",
  args: {
    type: "nodejs:20",
    hooks: { build: "npm ci", deploy: "npm run migrate", postDeploy: "echo hi" },
    variables: { NODE_ENV: "production" },
    runtimeVariables: { GREETING: greeting },
    web: { commands: { start: "node server.js" } },
    hosts: [{ name: "local" }],
    ...extra,
  },
});
const clever = (tool: string) => ({
  component: "CleverCloudApp",
  name: "shop",
  args: {
    CC_PRE_RUN_HOOK: "npm run migrate",
    CC_POST_BUILD_HOOK: "npm run build",
    environment: { CC_NODE_BUILD_TOOL: tool },
    hosts: [{ name: "local" }],
  },
});

describe("cli: diff --program with component args", () => {
  it("a runtime-only change: the same report as for two configuration files", async () => {
    const r = await cli(
      "diff",
      "--program",
      json(upsun("hello")),
      json(upsun("bonjour")),
      "--json",
    );
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      apps: [
        {
          name: "api",
          profile: "upsun",
          changed: ["runtime"],
          hooks: [
            { name: "build", run: false, reasons: [] },
            { name: "deploy", run: false, reasons: [] },
            {
              name: "postDeploy",
              run: true,
              reasons: ["runtime changed: runtimeVariables.GREETING"],
            },
          ],
        },
      ],
    });
  });

  it("several components in a list, --app and --code-changed", async () => {
    const prev = json([upsun("hello"), clever("npm")]);
    const next = json([upsun("hello"), clever("pnpm")]);
    const all = await cli("diff", "--program", prev, next, "--json");
    assert.equal(all.code, 0, all.err);
    const report = JSON.parse(all.out);
    assert.deepEqual(
      report.apps.map((a: { name: string; changed: string[] }) => [a.name, a.changed]),
      [
        ["api", []],
        ["shop", ["build"]],
      ],
    );
    assert.deepEqual(report.apps[1].hooks, [
      {
        name: "postBuild",
        run: true,
        reasons: ["build changed: CC_NODE_BUILD_TOOL"],
      },
      {
        name: "preRun",
        run: true,
        reasons: ["build changed: CC_NODE_BUILD_TOOL"],
      },
    ]);
    const code = await cli("diff", "--program", prev, prev, "--app", "api", "--code-changed");
    assert.equal(code.code, 0, code.err);
    assert.equal(
      code.out,
      [
        "api (upsun) — changed: code",
        "  HOOK        RUN  WHY",
        "  build       run  code changed: source tree",
        "  deploy      run  code changed: source tree",
        "  postDeploy  run  code changed: source tree",
        "",
        "",
      ].join("\n"),
    );
  });
});

describe("cli: diff --program with steps outputs", () => {
  const hosts = [{ name: "web1", roles: ["web" as const], leader: true, identity: "local" }];
  const stepsOf = (app = upsunApp(), files: Record<string, string> = { "server.js": "a" }) =>
    Object.fromEntries(
      deploymentSteps(snapshotApp(app, { fingerprint: "x", files }), hosts).map((s) => [
        `api-web1-${s.id}`,
        s.triggers,
      ]),
    );

  it("a file change: every step that reruns names the top-level path", async () => {
    const prev = json(stepsOf());
    const next = json({
      steps: stepsOf(upsunApp(), { "server.js": "a", "migrations/1.sql": "m" }),
    });
    const r = await cli("diff", "--program", prev, next, "--json");
    assert.equal(r.code, 0, r.err);
    const app = JSON.parse(r.out).apps[0];
    assert.equal(app.name, "api-web1");
    assert.deepEqual(app.changed, ["code"]);
    assert.deepEqual(
      app.hooks.filter((h: { run: boolean }) => h.run),
      ["upload", "build", "hook-build", "hook-deploy", "activate", "hook-postDeploy"].map((id) => ({
        name: `api-web1-${id}`,
        run: true,
        reasons: ["code changed: migrations/"],
      })),
    );
  });

  it("a stack export: one app per deployhooks component, named by its URN", async () => {
    const exportOf = (steps: Record<string, string[]>) => ({
      version: 3,
      deployment: {
        resources: [
          { urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", type: "pulumi:pulumi:Stack" },
          {
            urn: "urn:pulumi:dev::p::deployhooks:index:UpsunApp::api",
            type: "deployhooks:index:UpsunApp",
            outputs: { steps },
          },
        ],
      },
    });
    const changed = withConfig(upsunApp(), ["web", "commands", "start"], "node other.js");
    const r = await cli(
      "diff",
      "--program",
      json(exportOf(stepsOf())),
      json(exportOf(stepsOf(changed))),
      "--json",
    );
    assert.equal(r.code, 0, r.err);
    const app = JSON.parse(r.out).apps[0];
    assert.deepEqual([app.name, app.profile, app.changed], ["api", "upsun", ["runtime"]]);
    assert.deepEqual(
      app.hooks.filter((h: { run: boolean }) => h.run).map((h: { name: string }) => h.name),
      ["api-web1-activate", "api-web1-hook-postDeploy"],
    );
    assert.deepEqual(app.hooks.find((h: { run: boolean }) => h.run).reasons, [
      "runtime changed: web.commands.start",
    ]);
  });
});

describe("cli: diff --program refuses bad input with exit 2", () => {
  const table: [string, () => string[], RegExp][] = [
    ["invalid JSON", () => [json("{"), json("{")], /^deployhooks: f\d+\.json: JSON syntax error/],
    [
      "an unknown component",
      () => [json({ component: "Nope", name: "a", args: {} }), json(upsun("x"))],
      /^deployhooks: f\d+\.json: \[0\]\.component: component must be one of UpsunApp, CleverCloudApp, Application, got "Nope"/,
    ],
    [
      "invalid args",
      () => [json(upsun("x", { hooks: { nope: "x" } })), json(upsun("x"))],
      /^deployhooks: f\d+\.json: \[0\]\.args/,
    ],
    [
      "args against steps",
      () => [json(upsun("x")), json({ "a-b-build": ["code=x"] })],
      /the two files are of different kinds/,
    ],
    [
      "neither args nor steps",
      () => [json([1, 2]), json([1, 2])],
      /^deployhooks: f\d+\.json: expected component args/,
    ],
  ];
  for (const [what, files, message] of table) {
    it(what, async () => {
      const r = await cli("diff", "--program", ...files());
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
    });
  }
});
