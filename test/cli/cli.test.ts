/**
 * The CLI contract (SPEC §7) on configuration pairs written from the seed tables: every rule-table
 * row, every Upsun runtime-only key, every Clever Cloud class, added and removed hooks, several apps,
 * and the error contract (exit 2 naming file, line and field; never a stack trace).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../../cli/main";

const REPO = path.resolve(__dirname, "../..");
let dir: string;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Runs the CLI in-process. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false });
  return { code, out, err };
}

async function diffJson(
  oldText: string,
  newText: string,
  name = ".platform.app.yaml",
  ...flags: string[]
) {
  const a = write(`old/${name}`, oldText);
  const b = write(`new/${name}`, newText);
  const r = await cli("diff", a, b, "--json", ...flags);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}

/** `{hook: reasons}` of the hooks that run, for one-app diffs. */
async function ran(oldText: string, newText: string, name?: string, ...flags: string[]) {
  const report = await diffJson(oldText, newText, name, ...flags);
  const app = report.apps[0];
  return {
    changed: app.changed,
    run: Object.fromEntries(
      app.hooks
        .filter((h: { run: boolean }) => h.run)
        .map((h: { name: string; reasons: string[] }) => [h.name, h.reasons]),
    ),
  };
}

const UPSUN = `name: app
type: 'nodejs:20'
build:
  flavor: none
dependencies:
  nodejs:
    yarn: '^1'
variables:
  env:
    NODE_ENV: production
hooks:
  build: |
    set -e
    npm ci
  deploy: |
    npm run migrate
  post_deploy: |
    curl -X BAN localhost
web:
  commands:
    start: node server.js
  locations:
    /:
      root: public
workers:
  queue:
    commands:
      start: node worker.js
relationships:
  database: 'db:postgresql'
access:
  ssh: contributor
firewall:
  outbound:
    - ips: ['0.0.0.0/0']
crons:
  report:
    spec: '0 * * * *'
    commands:
      start: node report.js
mounts:
  /uploads:
    source: storage
    source_path: uploads
disk: 512
`;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "deployhooks-cli-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("cli: explain --json (SPEC §7 shape)", () => {
  it("lists the defined hooks in lifecycle order with every rule", async () => {
    const r = await cli("explain", write("explain/.platform.app.yaml", UPSUN), "--json");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      apps: [
        {
          name: "app",
          profile: "upsun",
          hooks: [
            {
              name: "build",
              script: "set -e\nnpm ci\n",
              failure: "abort",
              timeoutSeconds: 3600,
              scope: "everyHost",
              roles: ["web", "worker"],
              rerunOn: ["code", "build"],
            },
            {
              name: "deploy",
              script: "npm run migrate\n",
              failure: "warn",
              timeoutSeconds: null,
              scope: "once",
              roles: ["web"],
              rerunOn: ["code", "build"],
            },
            {
              name: "postDeploy",
              script: "curl -X BAN localhost\n",
              failure: "warn",
              timeoutSeconds: null,
              scope: "once",
              roles: ["web"],
              rerunOn: ["code", "build", "runtime", "redeploy"],
            },
          ],
        },
      ],
    });
  });

  it("Clever Cloud env file: the five hooks with their rules", async () => {
    const env = write(
      "explain/app.env",
      'CC_RUN_FAILED_HOOK=./notify.sh failed\nCC_PRE_BUILD_HOOK="npm i -g pnpm"\nCC_POST_BUILD_HOOK=npm run build\nCC_PRE_RUN_HOOK=npm run migrate\nCC_RUN_SUCCEEDED_HOOK=./notify.sh ok\n',
    );
    const r = await cli("explain", env, "--json");
    assert.equal(r.code, 0, r.err);
    const every = ["code", "build", "runtime", "redeploy"];
    assert.deepEqual(
      JSON.parse(r.out).apps[0].hooks.map((h: Record<string, unknown>) => [
        h.name,
        h.failure,
        h.rerunOn,
        h.scope,
      ]),
      [
        ["preBuild", "abort", every, "everyHost"],
        ["postBuild", "abort", ["code", "build"], "everyHost"],
        ["preRun", "abort", every, "everyHost"],
        ["runSucceeded", "warn", every, "everyHost"],
        ["runFailed", "warn", every, "everyHost"],
      ],
    );
    assert.equal(JSON.parse(r.out).apps[0].profile, "cleverCloud");
  });

  it("only the hooks the configuration defines", async () => {
    const r = await cli(
      "explain",
      write(
        "only/.platform.app.yaml",
        "name: app\ntype: 'php:8.2'\nhooks:\n  post_deploy: drush cr\n",
      ),
      "--json",
    );
    assert.deepEqual(
      JSON.parse(r.out).apps[0].hooks.map((h: { name: string }) => h.name),
      ["postDeploy"],
    );
  });
});

describe("cli: diff --json, Upsun", () => {
  it("the SPEC §7 example: a post_deploy change runs only postDeploy", async () => {
    const report = await diffJson(
      UPSUN,
      UPSUN.replace("curl -X BAN localhost", "curl -X PURGE localhost"),
    );
    assert.deepEqual(report, {
      apps: [
        {
          name: "app",
          profile: "upsun",
          changed: ["runtime"],
          hooks: [
            { name: "build", run: false, reasons: [] },
            { name: "deploy", run: false, reasons: [] },
            { name: "postDeploy", run: true, reasons: ["runtime changed: hooks.post_deploy"] },
          ],
        },
      ],
    });
  });

  it("identical configurations: nothing changed, nothing runs", async () => {
    assert.deepEqual(await ran(UPSUN, UPSUN), { changed: [], run: {} });
  });

  it("formatting-only edits (comments, key order, quoting, flow style) change nothing", async () => {
    const reformatted = `# reformatted
type: "nodejs:20"   # same value, other quotes
name: app
disk: 512
dependencies: { nodejs: { yarn: "^1" } }
build: { flavor: none }
variables: { env: { NODE_ENV: "production" } }
hooks:
  post_deploy: |
    curl -X BAN localhost
  deploy: |
    npm run migrate
  build: |
    set -e
    npm ci
crons: { report: { commands: { start: node report.js }, spec: "0 * * * *" } }
web:
  locations: { "/": { root: public } }
  commands: { start: node server.js }
workers: { queue: { commands: { start: node worker.js } } }
relationships: { database: "db:postgresql" }
access: { ssh: contributor }
firewall: { outbound: [ { ips: [ "0.0.0.0/0" ] } ] }
mounts: { /uploads: { source_path: uploads, source: storage } }
`;
    assert.deepEqual(await ran(UPSUN, reformatted), { changed: [], run: {} });
  });

  const runtimeOnly: [string, string, string][] = [
    ["access.ssh", "ssh: contributor", "ssh: admin"],
    ["relationships.database", "database: 'db:postgresql'", "database: 'db2:postgresql'"],
    // Lists are values: the key is the list's own path.
    ["firewall.outbound", "- ips: ['0.0.0.0/0']", "- ips: ['10.0.0.0/8']"],
    ["crons.report.spec", "spec: '0 * * * *'", "spec: '*/5 * * * *'"],
    ["web.commands.start", "start: node server.js", "start: node --enable-source-maps server.js"],
    ['web.locations["/"].root', "root: public", "root: dist"],
    [
      "workers.queue.commands.start",
      "start: node worker.js",
      "start: node worker.js --concurrency 4",
    ],
    ["hooks.post_deploy", "curl -X BAN localhost", "curl -X BAN 127.0.0.1"],
  ];
  for (const [key, from, to] of runtimeOnly) {
    it(`runtime-only key ${key}: only postDeploy`, async () => {
      const r = await ran(UPSUN, UPSUN.replace(from, to));
      assert.deepEqual(r.changed, ["runtime"]);
      assert.deepEqual(Object.keys(r.run), ["postDeploy"]);
      assert.deepEqual(r.run.postDeploy, [`runtime changed: ${key}`]);
    });
  }

  it("hooks.deploy: deploy (its own script) and postDeploy, not build", async () => {
    assert.deepEqual(
      await ran(UPSUN, UPSUN.replace("npm run migrate", "npm run migrate -- --force")),
      {
        changed: ["runtime"],
        run: {
          deploy: ["runtime changed: hooks.deploy"],
          postDeploy: ["runtime changed: hooks.deploy"],
        },
      },
    );
  });

  const buildKeys: [string, string, string][] = [
    ["type", "type: 'nodejs:20'", "type: 'nodejs:22'"],
    ["build.flavor", "flavor: none", "flavor: default"],
    ["dependencies.nodejs.yarn", "yarn: '^1'", "yarn: '^2'"],
    ["variables.env.NODE_ENV", "NODE_ENV: production", "NODE_ENV: staging"],
    ["hooks.build", "npm ci", "npm ci --ignore-scripts"],
    ['mounts["/uploads"].source_path', "source_path: uploads", "source_path: files"],
    ["disk", "disk: 512", "disk: 1024"],
  ];
  for (const [key, from, to] of buildKeys) {
    it(`build key ${key}: build, deploy and postDeploy rerun`, async () => {
      const reason = `build changed: ${key}`;
      assert.deepEqual(await ran(UPSUN, UPSUN.replace(from, to)), {
        changed: ["build"],
        run: { build: [reason], deploy: [reason], postDeploy: [reason] },
      });
    });
  }

  it("web.mounts is build, unlike the rest of web", async () => {
    const withMount = UPSUN.replace(
      "web:\n",
      "web:\n  mounts:\n    /cache: { source: local, source_path: cache }\n",
    );
    const r = await ran(withMount, withMount.replace("source_path: cache", "source_path: cache2"));
    assert.deepEqual(r.changed, ["build"]);
    assert.deepEqual(Object.keys(r.run), ["build", "deploy", "postDeploy"]);
  });

  it("--code-changed: everything reruns, and code is listed", async () => {
    assert.deepEqual(await ran(UPSUN, UPSUN, ".platform.app.yaml", "--code-changed"), {
      changed: ["code"],
      run: {
        build: ["code changed: source tree"],
        deploy: ["code changed: source tree"],
        postDeploy: ["code changed: source tree"],
      },
    });
  });

  it("an added hook runs, saying it was added; a removed one is not listed", async () => {
    const noPost = UPSUN.replace("  post_deploy: |\n    curl -X BAN localhost\n", "");
    const added = await diffJson(noPost, UPSUN);
    assert.deepEqual(added.apps[0].hooks[2], {
      name: "postDeploy",
      run: true,
      reasons: ["runtime changed: hooks.post_deploy (hook added)"],
    });
    const removed = await diffJson(UPSUN, noPost);
    assert.deepEqual(
      removed.apps[0].hooks.map((h: { name: string }) => h.name),
      ["build", "deploy"],
    );
    assert.deepEqual(removed.apps[0].changed, ["runtime"]);
  });

  it("several apps: listed in configuration order, --app selects one", async () => {
    const multi = (api: string) =>
      `api:\n  type: 'php:8.2'\n  hooks:\n    deploy: ${api}\nadmin:\n  type: 'nodejs:20'\n  hooks:\n    build: yarn build\n`;
    const report = await diffJson(
      multi("php bin/console d:m:m"),
      multi("php bin/console d:m:m -n"),
      ".platform/applications.yaml",
    );
    assert.deepEqual(
      report.apps.map((a: { name: string; changed: string[] }) => [a.name, a.changed]),
      [
        ["api", ["runtime"]],
        ["admin", []],
      ],
    );
    const only = await diffJson(
      multi("a"),
      multi("b"),
      ".platform/applications.yaml",
      "--app",
      "admin",
    );
    assert.deepEqual(
      only.apps.map((a: { name: string }) => a.name),
      ["admin"],
    );
  });
});

describe("cli: diff --json, Clever Cloud", () => {
  const ENV = `CC_PRE_BUILD_HOOK=npm install -g pnpm
CC_POST_BUILD_HOOK=npm run build
CC_PRE_RUN_HOOK=npm run migrate:check
CC_RUN_SUCCEEDED_HOOK=./notify.sh ok
CC_RUN_FAILED_HOOK=./notify.sh failed
CC_NODE_BUILD_TOOL=npm
CC_RUN_COMMAND=node server.js
API_URL=https://api.example
`;
  const EVERY = ["preBuild", "preRun", "runSucceeded", "runFailed"];
  const cases: [string, string, string, string[], string][] = [
    [
      "a runtime variable: deployment from cache",
      "API_URL=https://api.example",
      "API_URL=https://api2.example",
      EVERY,
      "runtime changed: API_URL",
    ],
    [
      "CC_RUN_COMMAND is runtime",
      "CC_RUN_COMMAND=node server.js",
      "CC_RUN_COMMAND=node app.js",
      EVERY,
      "runtime changed: CC_RUN_COMMAND",
    ],
    [
      "a new runtime variable",
      "API_URL=https://api.example",
      "API_URL=https://api.example\nFEATURE_X=on",
      EVERY,
      "runtime changed: FEATURE_X",
    ],
    [
      "a build setting: full build",
      "CC_NODE_BUILD_TOOL=npm",
      "CC_NODE_BUILD_TOOL=yarn",
      ["preBuild", "postBuild", "preRun", "runSucceeded", "runFailed"],
      "build changed: CC_NODE_BUILD_TOOL",
    ],
    [
      "CC_PRE_BUILD_HOOK",
      "npm install -g pnpm",
      "npm install -g pnpm@9",
      ["preBuild", "postBuild", "preRun", "runSucceeded", "runFailed"],
      "build changed: CC_PRE_BUILD_HOOK",
    ],
    [
      "CC_POST_BUILD_HOOK",
      "npm run build",
      "npm run build:prod",
      ["preBuild", "postBuild", "preRun", "runSucceeded", "runFailed"],
      "build changed: CC_POST_BUILD_HOOK",
    ],
    [
      "CC_PRE_RUN_HOOK",
      "npm run migrate:check",
      "npm run migrate",
      EVERY,
      "runtime changed: CC_PRE_RUN_HOOK",
    ],
    [
      "CC_RUN_SUCCEEDED_HOOK",
      "./notify.sh ok",
      "./notify.sh success",
      EVERY,
      "runtime changed: CC_RUN_SUCCEEDED_HOOK",
    ],
  ];
  for (const [title, from, to, hooks, reason] of cases) {
    it(title, async () => {
      const r = await ran(ENV, ENV.replace(from, to), "app.env");
      assert.deepEqual(r.run, Object.fromEntries(hooks.map((h) => [h, [reason]])));
    });
  }
  it("runSucceeded and runFailed both show run: true on a deployment", async () => {
    const report = await diffJson(
      ENV,
      ENV.replace("API_URL=https://api.example", "API_URL=x"),
      "app.env",
    );
    const byName = Object.fromEntries(
      report.apps[0].hooks.map((h: { name: string; run: boolean }) => [h.name, h.run]),
    );
    assert.equal(byName.runSucceeded, true);
    assert.equal(byName.runFailed, true);
    assert.equal(byName.postBuild, false);
  });
  it("nothing changed: nothing runs", async () => {
    assert.deepEqual(await ran(ENV, ENV, "app.env"), { changed: [], run: {} });
  });
  it("--code-changed: a full build", async () => {
    const r = await ran(ENV, ENV, "app.env", "--code-changed");
    assert.deepEqual(r.changed, ["code"]);
    assert.equal(Object.keys(r.run).length, 5);
  });
  it("legacy clevercloud/php.json postDeploy → runSucceeded, with a deprecation warning", async () => {
    const a = write(
      "legacy-old/clevercloud/php.json",
      '{"hooks": {"postDeploy": "./clevercloud/postDeploy.sh"}}',
    );
    const b = write(
      "legacy-new/clevercloud/php.json",
      '{"hooks": {"postDeploy": "./clevercloud/post-deploy.sh"}}',
    );
    const r = await cli("diff", a, b, "--json");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).apps[0].hooks, [
      { name: "runSucceeded", run: true, reasons: ["runtime changed: hooks.postDeploy"] },
    ]);
    assert.equal(
      r.err,
      [a, b]
        .map(
          (f) =>
            `deployhooks: warning: ${f}:1: hooks.postDeploy is deprecated; it runs as CC_RUN_SUCCEEDED_HOOK\n`,
        )
        .join(""),
    );
  });
  it("a near-miss variable name gets a did-you-mean warning", async () => {
    const file = write("typo/app.env", "CC_POSTBUILD_HOOK=npm run build\n");
    const r = await cli("explain", file, "--json");
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.err,
      `deployhooks: warning: ${file}:1: CC_POSTBUILD_HOOK is not a Clever Cloud hook (kept as a plain variable); did you mean CC_POST_BUILD_HOOK?\n`,
    );
    assert.deepEqual(JSON.parse(r.out).apps[0].hooks, []);
  });
});

describe("cli: errors and output", () => {
  it("bad YAML: exit 2, file and line named, no stack trace", async () => {
    const file = write("bad/.platform.app.yaml", "name: app\nhooks:\n  build: [unclosed\n");
    const r = await cli("explain", file);
    assert.equal(r.code, 2);
    // the rest of the line is the yaml package's own wording
    assert.ok(r.err.startsWith(`deployhooks: ${file}:4: YAML syntax error: `), r.err);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
  it("a non-string hook: exit 2 naming the key", async () => {
    const file = write("bad2/.platform.app.yaml", "name: app\nhooks:\n  build:\n    - npm ci\n");
    const r = await cli("explain", file);
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      `deployhooks: ${file}:3: hooks.build: a hook must be a string (a shell script), got a list\n`,
    );
  });
  it("an unterminated quote in an env file: exit 2 with the line", async () => {
    const file = write("bad/app.env", 'A=1\nCC_PRE_BUILD_HOOK="npm ci\n');
    const r = await cli("explain", file);
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      `deployhooks: ${file}:2: CC_PRE_BUILD_HOOK: unterminated double quote in the value of CC_PRE_BUILD_HOOK\n`,
    );
  });
  it("usage errors exit 2 with the usage", async () => {
    for (const argv of [
      [],
      ["explain"],
      ["frobnicate", "x"],
      ["explain", "a", "--nope"],
      ["diff", "a"],
      ["explain", "a", "--profile", "heroku"],
      ["explain", "a", "--profile", "constructor"],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.match(r.err, /usage:/);
    }
  });
  it("a missing file and an unknown --app exit 2", async () => {
    const missing = path.join(dir, "nope/.platform.app.yaml");
    assert.deepEqual(await cli("explain", missing), {
      code: 2,
      out: "",
      err: `deployhooks: ${missing}: file not found\n`,
    });
    const file = write("apps/.platform.app.yaml", "name: app\n");
    const r = await cli("explain", file, "--app", "web");
    assert.equal(r.code, 2);
    assert.equal(r.err, `deployhooks: ${file}: --app: no app named 'web' (apps: app)\n`);
  });
  it("--profile clever forces the Clever Cloud loader", async () => {
    const r = await cli(
      "explain",
      write("forced/settings.txt", "CC_PRE_RUN_HOOK=./pre.sh\n"),
      "--profile",
      "clever",
      "--json",
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).apps[0].hooks[0].name, "preRun");
  });
  it("readable tables: hook, run or skip, why; no colour when not a terminal", async () => {
    const a = write("table-old/.platform.app.yaml", UPSUN);
    const b = write(
      "table-new/.platform.app.yaml",
      UPSUN.replace("start: node server.js", "start: node app.js"),
    );
    const r = await cli("diff", a, b);
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      [
        "app (upsun) — changed: runtime",
        "  HOOK        RUN   WHY",
        "  build       skip  nothing it depends on changed",
        "  deploy      skip  nothing it depends on changed",
        "  postDeploy  run   runtime changed: web.commands.start",
        "",
        "",
      ].join("\n"),
    );
    assert.doesNotMatch(r.out, /\x1b\[/);
  });
});

describe("cli: the installed command (npm run -s deployhooks)", function () {
  this.timeout(60000);
  const run = (...args: string[]) =>
    spawnSync("npm", ["run", "-s", "deployhooks", "--", ...args], { cwd: REPO, encoding: "utf8" });
  it("prints the diff JSON and exits 0", () => {
    const a = write("npm-old/.platform.app.yaml", UPSUN);
    const b = write(
      "npm-new/.platform.app.yaml",
      UPSUN.replace("curl -X BAN localhost", "curl -X PURGE localhost"),
    );
    const r = run("diff", a, b, "--json");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).apps[0].hooks[2].run, true);
  });
  it("exits 2 on bad input without a stack trace", () => {
    const r = run("explain", write("npm-bad/.platform.app.yaml", "name: [\n"));
    assert.equal(r.status, 2);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
