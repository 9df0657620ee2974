/**
 * `deployhooks explain` lists workers, crons, the platform's build steps and the variables each
 * hook sees, platform variables included (issue 9 "Done when") — in the readable report and with
 * `--json --details`, while plain `--json` keeps exactly the normative shape of SPEC §7.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../../cli/main";

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-explain-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false });
  return { code, out, err };
}

const UPSUN = `name: app
type: nodejs:20
dependencies:
  nodejs:
    pm2: "^5"
variables:
  env:
    NODE_ENV: production
hooks:
  build: npm run build
  post_deploy: echo done
web:
  commands:
    start: node server.js
workers:
  queue:
    commands:
      start: node worker.js
crons:
  report:
    spec: "*/5 * * * *"
    commands:
      start: node report.js
`;

const PLATFORM_BUILD = [
  "APP_DIR",
  "APP_CACHE_DIR",
  "APP_RELEASE_ID",
  "PLATFORM_APP_DIR",
  "PLATFORM_CACHE_DIR",
  "PLATFORM_TREE_ID",
  "PLATFORM_APPLICATION_NAME",
  "PLATFORM_PROJECT",
  "PLATFORM_VARIABLES",
];
const PLATFORM_RUNTIME_EXTRA = [
  "PLATFORM_BRANCH",
  "PLATFORM_ENVIRONMENT",
  "PLATFORM_ENVIRONMENT_TYPE",
  "PLATFORM_SMTP_HOST",
  "PLATFORM_ROUTES",
  "PLATFORM_DOCUMENT_ROOT",
  "PLATFORM_RELATIONSHIPS",
];

describe("cli: explain lists workers, crons, build steps and variables", () => {
  it("Upsun: --json keeps the normative shape; --json --details adds the details", async () => {
    const file = write("upsun/.platform.app.yaml", UPSUN);
    const plain = await cli("explain", file, "--json");
    assert.equal(plain.code, 0, plain.err);
    const report = JSON.parse(plain.out);
    assert.deepEqual(Object.keys(report.apps[0]), ["name", "profile", "hooks"]);

    const r = await cli("explain", file, "--json", "--details");
    assert.equal(r.code, 0, r.err);
    const app = JSON.parse(r.out).apps[0];
    assert.deepEqual(Object.keys(app), ["name", "profile", "hooks", "details"]);
    assert.deepEqual(app.hooks, report.apps[0].hooks);
    const d = app.details;
    assert.deepEqual(d.web, { command: "node server.js", key: "web.commands.start" });
    assert.deepEqual(d.workers, [
      { name: "queue", command: "node worker.js", key: "workers.queue.commands.start" },
    ]);
    assert.deepEqual(d.crons, [
      { name: "report", schedule: "*/5 * * * *", command: "node report.js", key: "crons.report" },
    ]);
    assert.deepEqual(
      d.buildSteps.map((s: { name: string }) => s.name),
      ["dependencies.nodejs", "build.flavor (nodejs)"],
    );
    assert.match(d.buildSteps[0].script, /npm install --global .*'pm2@\^5'/);
    const names = (hook: string) =>
      d.variables
        .find((v: { hook: string }) => v.hook === hook)
        .names.map((n: { name: string }) => n.name);
    assert.deepEqual(names("build"), ["NODE_ENV", ...PLATFORM_BUILD]);
    assert.deepEqual(names("postDeploy"), [
      "NODE_ENV",
      ...PLATFORM_BUILD,
      ...PLATFORM_RUNTIME_EXTRA,
    ]);
    assert.deepEqual(
      d.variables.map((v: { hook: string; phase: string }) => `${v.hook}:${v.phase}`),
      ["build:build", "postDeploy:runtime"],
    );
  });

  it("Upsun: the readable report has the sections", async () => {
    const r = await cli("explain", write("text/.platform.app.yaml", UPSUN));
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split("\n");
    for (const line of [
      "  platform build steps (before the build command)",
      "  web",
      "    node server.js  web.commands.start",
      "  workers",
      "    queue   node worker.js  workers.queue.commands.start",
      "  crons (UTC, on the leader host)",
      "    report  */5 * * * *  node report.js",
      "  variables each hook sees (platform variables win over yours)",
    ]) {
      assert.ok(lines.includes(line), `missing ${JSON.stringify(line)} in\n${r.out}`);
    }
    assert.match(r.out, /\n {4}build {7}NODE_ENV, APP_DIR, APP_CACHE_DIR, APP_RELEASE_ID,/);
  });

  it("Clever Cloud: CC_WORKER_COMMAND workers, clevercloud/cron.json, Clever variables", async () => {
    const env = write(
      "clever/app.env",
      "CC_PRE_RUN_HOOK=npm run migrate\nCC_WORKER_COMMAND=node worker.js\nAPI_URL=https://x\n",
    );
    write("clever/clevercloud/cron.json", '["0 3 * * * $ROOT/bin/nightly.sh"]');
    const r = await cli("explain", env, "--json", "--details");
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out).apps[0].details;
    assert.equal(d.web, undefined, "no CC_RUN_COMMAND and no application type: no web process");
    assert.deepEqual(d.workers, [
      { name: "CC_WORKER_COMMAND", command: "node worker.js", key: "CC_WORKER_COMMAND" },
    ]);
    assert.deepEqual(d.crons, [
      {
        name: "cron-0",
        schedule: "0 3 * * *",
        command: "$ROOT/bin/nightly.sh",
        key: "clevercloud/cron.json[0]",
      },
    ]);
    assert.deepEqual(d.buildSteps, []);
    assert.deepEqual(
      d.variables[0].names.map((n: { name: string }) => n.name),
      [
        "CC_WORKER_COMMAND",
        "API_URL",
        "APP_DIR",
        "APP_CACHE_DIR",
        "APP_RELEASE_ID",
        "APP_HOME",
        "INSTANCE_NUMBER",
        "INSTANCE_TYPE",
        "CC_DEPLOYMENT_ID",
        "CC_COMMIT_ID",
      ],
    );
  });

  it("Upsun PHP without web.commands.start: the web process is PHP's built-in server on web.locations", async () => {
    const file = path.resolve(__dirname, "../fixtures/apps/upsun-php/.platform.app.yaml");
    const r = await cli("explain", file, "--json", "--details");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).apps[0].details.web, {
      command:
        "php -S 127.0.0.1:$PORT -t web (passthru /index.php; PHP's built-in server for the platform's nginx + PHP-FPM)",
      key: 'web.locations["/"] (type php, no web.commands.start)',
    });
    const text = await cli("explain", file);
    assert.match(text.out, /\n {2}web\n {4}COMMAND +FROM\n {4}php -S 127\.0\.0\.1:\$PORT -t web /);
    const clever = await cli(
      "explain",
      write("clever-run/app.env", "CC_RUN_COMMAND=node server.js --port $PORT\n"),
      "--json",
      "--details",
    );
    assert.deepEqual(JSON.parse(clever.out).apps[0].details.web, {
      command: "node server.js --port $PORT",
      key: "CC_RUN_COMMAND",
    });
  });

  it("a part the deployment would refuse is a problem in the details, never a failed explain", async () => {
    const file = write(
      "badcron/.platform.app.yaml",
      'name: app\ntype: nodejs:20\nhooks:\n  build: x\ncrons:\n  "bad name!":\n    spec: "*/5 * * * *"\n    cmd: x\n',
    );
    const plain = await cli("explain", file, "--json");
    assert.equal(plain.code, 0, plain.err);
    const r = await cli("explain", file, "--json", "--details");
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out).apps[0].details;
    assert.deepEqual(d.crons, []);
    assert.deepEqual(d.problems, [
      "crons: crons.bad name!: a cron name must be letters, digits, '.', '_' or '-'",
    ]);
    const text = await cli("explain", file);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /\n {2}cannot tell crons: crons\.bad name!: a cron name must be/);
  });

  it("--details without --json is a usage error", async () => {
    const r = await cli("explain", write("u/.platform.app.yaml", UPSUN), "--details");
    assert.equal(r.code, 2);
    assert.match(r.err, /--details only applies to --json/);
  });
});
