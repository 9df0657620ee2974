import assert from "node:assert/strict";
import { parseAppSpec, type AppSpec } from "../../model/app";
import { planApp, planApps } from "../../engine/plan";
import { snapshotApp } from "../../engine/snapshot";
import type { CodeState } from "../../engine/types";
import { isConfigError } from "../../model/configError";
import { cleverApp, upsunApp, withConfig, withScript, withVariable } from "../helpers/apps";

const CODE: CodeState = {
  fingerprint: "sha256:code-1",
  files: { "server.js": "sha256:a", "migrations/001.sql": "sha256:m1" },
};

/** Plans `before` → `after` and returns `{hook: reasons}` for the hooks that run. */
function runs(before: AppSpec, after: AppSpec, code: [CodeState, CodeState] = [CODE, CODE]) {
  const plan = planApp(snapshotApp(before, code[0]), snapshotApp(after, code[1]));
  return {
    changed: plan.changed,
    run: Object.fromEntries(plan.hooks.filter((h) => h.run).map((h) => [h.name, h.reasons])),
  };
}

describe("engine: Upsun rule table (SPEC §3, §4)", () => {
  const base = upsunApp();
  const cases: {
    title: string;
    after: AppSpec;
    changed: string[];
    run: Record<string, string[]>;
  }[] = [
    { title: "nothing changed: nothing runs", after: base, changed: [], run: {} },
    {
      title: "build variable: everything reruns",
      after: withVariable(base, "NODE_ENV", "staging"),
      changed: ["build"],
      run: {
        build: ["build changed: variables.env.NODE_ENV"],
        deploy: ["build changed: variables.env.NODE_ENV"],
        postDeploy: ["build changed: variables.env.NODE_ENV"],
      },
    },
    {
      title: "runtime type (a build key): everything reruns",
      after: withConfig(base, ["type"], "nodejs:22"),
      changed: ["build"],
      run: {
        build: ["build changed: type"],
        deploy: ["build changed: type"],
        postDeploy: ["build changed: type"],
      },
    },
    {
      title: "build hook script: everything reruns, build names its own script",
      after: withScript(base, "build", "set -e\nnpm ci\n"),
      changed: ["build"],
      run: {
        build: ["build changed: hooks.build"],
        deploy: ["build changed: hooks.build"],
        postDeploy: ["build changed: hooks.build"],
      },
    },
    {
      title: "deploy hook script: deploy reruns (its own script) and postDeploy (runtime)",
      after: withScript(base, "deploy", "npm run migrate -- --force\n"),
      changed: ["runtime"],
      run: {
        deploy: ["runtime changed: hooks.deploy"],
        postDeploy: ["runtime changed: hooks.deploy"],
      },
    },
    {
      title: "post_deploy hook script: only postDeploy (SPEC §7 example)",
      after: withScript(base, "postDeploy", "curl -X PURGE localhost\n"),
      changed: ["runtime"],
      run: { postDeploy: ["runtime changed: hooks.post_deploy"] },
    },
    {
      title: "redeploy token: only postDeploy",
      after: parseAppSpec({ ...base, redeployToken: "2026-11-21" }),
      changed: ["redeploy"],
      run: { postDeploy: ["redeploy changed: redeployToken"] },
    },
    {
      title: "web.mounts is build (the exception to web)",
      after: withConfig(base, ["web", "mounts", "/uploads", "source_path"], "files"),
      changed: ["build"],
      run: {
        build: ['build changed: web.mounts["/uploads"].source_path'],
        deploy: ['build changed: web.mounts["/uploads"].source_path'],
        postDeploy: ['build changed: web.mounts["/uploads"].source_path'],
      },
    },
    {
      title: "workers.<name>.mounts is build",
      after: withConfig(base, ["workers", "queue", "mounts", "/tmp", "source"], "local"),
      changed: ["build"],
      run: {
        build: ['build changed: workers.queue.mounts["/tmp"].source'],
        deploy: ['build changed: workers.queue.mounts["/tmp"].source'],
        postDeploy: ['build changed: workers.queue.mounts["/tmp"].source'],
      },
    },
    {
      title: "a runtime-only variable: only postDeploy",
      after: parseAppSpec({
        ...base,
        variables: [
          ...base.variables,
          { name: "FEATURE", value: "on", visibility: "runtime", origin: { key: "FEATURE" } },
        ],
      }),
      changed: ["runtime"],
      run: { postDeploy: ["runtime changed: FEATURE"] },
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      assert.deepEqual(runs(base, c.after), { changed: c.changed, run: c.run });
    });
  }

  // Every Upsun runtime-only key (reference/platform-hooks.md §2.1): only postDeploy reruns.
  const runtimeKeys: [string[], unknown, string][] = [
    [["access", "ssh"], "admin", "access.ssh"],
    [["relationships", "database"], "db2:postgresql", "relationships.database"],
    [["firewall", "outbound"], [], "firewall.outbound"],
    [["crons", "report", "spec"], "*/5 * * * *", "crons.report.spec"],
    [["web", "commands", "start"], "node --max-old-space-size=512 server.js", "web.commands.start"],
    [["web", "locations", "/", "root"], "public", 'web.locations["/"].root'],
    [
      ["workers", "queue", "commands", "start"],
      "node worker.js --fast",
      "workers.queue.commands.start",
    ],
  ];
  for (const [path, value, key] of runtimeKeys) {
    it(`runtime-only key ${key}: only postDeploy`, () => {
      assert.deepEqual(runs(base, withConfig(base, path, value)), {
        changed: ["runtime"],
        run: { postDeploy: [`runtime changed: ${key}`] },
      });
    });
  }

  it("code change: everything reruns, naming the files", () => {
    const next: CodeState = {
      fingerprint: "sha256:code-2",
      files: { ...CODE.files, "server.js": "sha256:b" },
    };
    assert.deepEqual(runs(base, base, [CODE, next]), {
      changed: ["code"],
      run: {
        build: ["code changed: server.js"],
        deploy: ["code changed: server.js"],
        postDeploy: ["code changed: server.js"],
      },
    });
  });

  it("code change without per-file digests names the source tree", () => {
    assert.deepEqual(runs(base, base, [{ fingerprint: "x" }, { fingerprint: "y" }]).run.build, [
      "code changed: source tree",
    ]);
  });

  it("many changed files are summarised after five", () => {
    const files = (v: string) =>
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}.js`, v]));
    const reasons = runs(base, base, [
      { fingerprint: "1", files: files("a") },
      { fingerprint: "2", files: files("b") },
    ]).run.build;
    assert.deepEqual(reasons, [
      "code changed: f0.js",
      "code changed: f1.js",
      "code changed: f2.js",
      "code changed: f3.js",
      "code changed: f4.js",
      "code changed: 3 more files",
    ]);
  });

  it("a hook added to the configuration runs, saying so", () => {
    const before = parseAppSpec({
      ...base,
      hooks: base.hooks.filter((h) => h.name !== "postDeploy"),
    });
    assert.deepEqual(runs(before, base), {
      changed: ["runtime"],
      run: { postDeploy: ["runtime changed: hooks.post_deploy (hook added)"] },
    });
  });

  it("a hook removed from the configuration is not listed", () => {
    const after = parseAppSpec({ ...base, hooks: base.hooks.filter((h) => h.name !== "deploy") });
    const plan = planApp(snapshotApp(base, CODE), snapshotApp(after, CODE));
    assert.deepEqual(
      plan.hooks.map((h) => h.name),
      ["build", "postDeploy"],
    );
    assert.deepEqual(plan.hooks.find((h) => h.name === "postDeploy")?.reasons, [
      "runtime changed: hooks.deploy",
    ]);
  });

  it("trailing newlines of a script are not a change", () => {
    assert.deepEqual(runs(base, withScript(base, "deploy", "npm run migrate\n\n\n")), {
      changed: [],
      run: {},
    });
  });

  it("first deployment: every hook runs", () => {
    const plan = planApp(undefined, snapshotApp(base, CODE));
    assert.deepEqual(plan.changed, ["code", "build", "runtime", "redeploy"]);
    assert.deepEqual(
      plan.hooks,
      ["build", "deploy", "postDeploy"].map((name) => ({
        name,
        run: true,
        reasons: ["first deployment: app app"],
      })),
    );
  });
});

describe("engine: Clever Cloud rule table (SPEC §4)", () => {
  const base = cleverApp();
  const EVERY = ["preBuild", "preRun", "runSucceeded", "runFailed"];
  const reasonsFor = (names: string[], reason: string) =>
    Object.fromEntries(names.map((n) => [n, [reason]]));

  it("runtime variable: a deployment from cache (no build, no postBuild)", () => {
    assert.deepEqual(runs(base, withVariable(base, "API_URL", "https://api2.example")), {
      changed: ["runtime"],
      run: reasonsFor(EVERY, "runtime changed: API_URL"),
    });
  });
  it("CC_RUN_COMMAND is runtime", () => {
    assert.deepEqual(runs(base, withVariable(base, "CC_RUN_COMMAND", "node app.js")).changed, [
      "runtime",
    ]);
  });
  it("documented build setting (CC_NODE_BUILD_TOOL): full build", () => {
    assert.deepEqual(runs(base, withVariable(base, "CC_NODE_BUILD_TOOL", "yarn")), {
      changed: ["build"],
      run: reasonsFor(
        ["preBuild", "postBuild", ...EVERY.slice(1)],
        "build changed: CC_NODE_BUILD_TOOL",
      ),
    });
  });
  it("a variable the user declares build-affecting: full build", () => {
    const after = withVariable(base, "API_URL", "https://api2.example", { buildAffecting: true });
    const before = withVariable(base, "API_URL", "https://api.example", { buildAffecting: true });
    assert.deepEqual(runs(before, after), {
      changed: ["build"],
      run: reasonsFor(["preBuild", "postBuild", ...EVERY.slice(1)], "build changed: API_URL"),
    });
  });
  it("CC_POST_BUILD_HOOK script: full build", () => {
    const r = runs(base, withScript(base, "postBuild", "npm run build:prod"));
    assert.deepEqual(r, {
      changed: ["build"],
      run: reasonsFor(
        ["preBuild", "postBuild", "preRun", "runSucceeded", "runFailed"],
        "build changed: CC_POST_BUILD_HOOK",
      ),
    });
  });
  it("CC_PRE_RUN_HOOK script: from cache, postBuild skipped", () => {
    assert.deepEqual(runs(base, withScript(base, "preRun", "true")), {
      changed: ["runtime"],
      run: reasonsFor(EVERY, "runtime changed: CC_PRE_RUN_HOOK"),
    });
  });
  it("CC_RUN_FAILED_HOOK script: every-deployment hooks run", () => {
    assert.deepEqual(runs(base, withScript(base, "runFailed", "true")), {
      changed: ["runtime"],
      run: reasonsFor(EVERY, "runtime changed: CC_RUN_FAILED_HOOK"),
    });
  });
  it("code change: everything", () => {
    const next: CodeState = {
      fingerprint: "sha256:2",
      files: { ...CODE.files, "server.js": "sha256:z" },
    };
    assert.deepEqual(Object.keys(runs(base, base, [CODE, next]).run), [
      "preBuild",
      "postBuild",
      "preRun",
      "runSucceeded",
      "runFailed",
    ]);
  });
  it("redeploy token: every-deployment hooks only", () => {
    assert.deepEqual(runs(base, parseAppSpec({ ...base, redeployToken: "again" })), {
      changed: ["redeploy"],
      run: reasonsFor(EVERY, "redeploy changed: redeployToken"),
    });
  });
  it("nothing changed: nothing runs (not even the every-deployment hooks)", () => {
    assert.deepEqual(runs(base, cleverApp()), { changed: [], run: {} });
  });
  it("a secret changes the runtime class without its value appearing anywhere in the snapshot", () => {
    const before = withVariable(base, "DB_PASSWORD", "hunter2-old", { secret: true });
    const after = withVariable(base, "DB_PASSWORD", "hunter2-new", { secret: true });
    assert.deepEqual(runs(before, after), {
      changed: ["runtime"],
      run: reasonsFor(EVERY, "runtime changed: DB_PASSWORD"),
    });
    const text = JSON.stringify(snapshotApp(after, CODE));
    assert.ok(!text.includes("hunter2"));
  });
  it("Docker apps accept only runSucceeded (seeds/001)", () => {
    const docker = cleverApp({
      config: { runtime: "docker" },
      hooks: [{ name: "runSucceeded", script: "true" }],
    });
    assert.equal(snapshotApp(docker).hooks.length, 1);
    const bad = cleverApp({
      config: { runtime: "docker" },
      hooks: [
        { name: "runSucceeded", script: "true" },
        { name: "preBuild", script: "true", origin: { key: "CC_PRE_BUILD_HOOK" } },
      ],
    });
    assert.throws(
      () => snapshotApp(bad),
      (e: unknown) =>
        isConfigError(e) &&
        /CC_PRE_BUILD_HOOK/.test((e as Error).message) &&
        /only CC_RUN_SUCCEEDED_HOOK/.test((e as Error).message),
    );
  });
});

describe("engine: per-hook overrides beyond the platforms", () => {
  it("watch: a migrations hook reruns only when its paths change", () => {
    const app = upsunApp({
      hooks: [
        {
          name: "deploy",
          script: "./migrate.sh",
          watch: ["migrations/**"],
          origin: { key: "hooks.deploy" },
        },
      ],
    });
    const touchServer: CodeState = {
      fingerprint: "sha256:2",
      files: { ...CODE.files, "server.js": "sha256:b" },
    };
    assert.deepEqual(runs(app, app, [CODE, touchServer]).run, {});
    const touchMigration: CodeState = {
      fingerprint: "sha256:3",
      files: { ...CODE.files, "migrations/002.sql": "sha256:m2" },
    };
    assert.deepEqual(runs(app, app, [CODE, touchMigration]).run, {
      deploy: ["code changed: migrations/002.sql"],
    });
  });
  it("watch: a leading ./ names the changed files like the bare glob", () => {
    const app = upsunApp({
      hooks: [
        {
          name: "deploy",
          script: "./migrate.sh",
          watch: ["./migrations/**"],
          origin: { key: "hooks.deploy" },
        },
      ],
    });
    const touchMigration: CodeState = {
      fingerprint: "sha256:3",
      files: { ...CODE.files, "migrations/002.sql": "sha256:m2" },
    };
    assert.deepEqual(runs(app, app, [CODE, touchMigration]).run, {
      deploy: ["code changed: migrations/002.sql"],
    });
  });
  it("changing the watch globs alone reruns the hook and names the globs", () => {
    const withWatch = (watch: string[]) =>
      upsunApp({
        hooks: [{ name: "deploy", script: "x", watch, origin: { key: "hooks.deploy" } }],
      });
    assert.deepEqual(runs(withWatch(["migrations/**"]), withWatch(["**/*.js"])).run, {
      deploy: ["code changed: hooks.deploy.watch"],
    });
  });
  it("rerunOn override: a deploy hook that also reruns on runtime changes", () => {
    const app = upsunApp({
      hooks: [
        {
          name: "deploy",
          script: "x",
          rerunOn: ["runtime", "code"],
          origin: { key: "hooks.deploy" },
        },
      ],
    });
    assert.deepEqual(runs(app, withConfig(app, ["web", "commands", "start"], "node b.js")).run, {
      deploy: ["runtime changed: web.commands.start"],
    });
  });
  it("changing rerunOn itself reruns the hook and says so", () => {
    const before = upsunApp({
      hooks: [{ name: "deploy", script: "x", origin: { key: "hooks.deploy" } }],
    });
    const after = upsunApp({
      hooks: [
        {
          name: "deploy",
          script: "x",
          rerunOn: ["code", "build", "runtime"],
          origin: { key: "hooks.deploy" },
        },
      ],
    });
    assert.deepEqual(runs(before, after).run, {
      deploy: ["runtime changed: hooks.deploy.rerunOn"],
    });
  });
  it("watch without code in rerunOn is rejected, naming the hook", () => {
    const app = upsunApp({
      hooks: [
        {
          name: "deploy",
          script: "x",
          rerunOn: ["runtime"],
          watch: ["a/**"],
          origin: { key: "hooks.deploy" },
        },
      ],
    });
    assert.throws(
      () => snapshotApp(app),
      /hooks\.deploy: watch has no effect unless rerunOn includes code/,
    );
  });
  it("an unknown hook name is rejected with a suggestion", () => {
    const app = upsunApp({ hooks: [{ name: "postdeploy", script: "x" }] });
    assert.throws(
      () => snapshotApp(app),
      /unknown hook 'postdeploy' for profile upsun .*did you mean postDeploy\?/,
    );
  });
  it("a far-off unknown hook name gets no misleading suggestion", () => {
    const app = upsunApp({ hooks: [{ name: "migrate", script: "x" }] });
    assert.throws(
      () => snapshotApp(app),
      (e: Error) =>
        e.message ===
        "hooks[0]: unknown hook 'migrate' for profile upsun (known: build, deploy, postDeploy)",
    );
  });
  it("custom lifecycle: the user's own rule rows", () => {
    const app = parseAppSpec({
      name: "svc",
      profile: "custom",
      lifecycle: [
        {
          name: "compile",
          rerunOn: ["code"],
          failure: "abort",
          scope: "everyHost",
          roles: ["web", "worker"],
          timeoutSeconds: 600,
          phase: "build",
          stage: "afterBuild",
        },
        {
          name: "notify",
          rerunOn: ["code", "build", "runtime", "redeploy"],
          failure: "warn",
          scope: "once",
          roles: ["web"],
          timeoutSeconds: 30,
          phase: "runtime",
          stage: "afterActivate",
        },
      ],
      hooks: [
        { name: "notify", script: "curl x" },
        { name: "compile", script: "make" },
      ],
      variables: [{ name: "LOG", value: "debug", visibility: "runtime" }],
    });
    const snap = snapshotApp(app, CODE);
    assert.deepEqual(
      snap.hooks.map((h) => [h.name, h.timeoutSeconds, h.scope]),
      [
        ["compile", 600, "everyHost"],
        ["notify", 30, "once"],
      ],
    );
    const after = withVariable(app, "LOG", "info", { visibility: "runtime" });
    assert.deepEqual(runs(app, after).run, { notify: ["runtime changed: variables.LOG"] });
    // Custom profile: configuration under `runtime` is runtime, every other key is build.
    assert.deepEqual(runs(app, withConfig(app, ["runtime", "start"], "node b.js")).run, {
      notify: ["runtime changed: runtime.start"],
    });
    assert.deepEqual(runs(app, withConfig(app, ["toolchain"], "gcc-13")).run, {
      notify: ["build changed: toolchain"],
    });
  });
});

describe("engine: several apps", () => {
  it("matches apps by name and lists them in the new order", () => {
    const a = upsunApp({ name: "api" });
    const b = upsunApp({ name: "admin" });
    const plans = planApps(
      [snapshotApp(a, CODE), snapshotApp(b, CODE)],
      [snapshotApp(withScript(b, "postDeploy", "x"), CODE), snapshotApp(a, CODE)],
    );
    assert.deepEqual(
      plans.map((p) => [p.name, p.changed]),
      [
        ["admin", ["runtime"]],
        ["api", []],
      ],
    );
  });
  it("a new app is a first deployment", () => {
    const plans = planApps(
      [snapshotApp(upsunApp({ name: "api" }), CODE)],
      [snapshotApp(upsunApp({ name: "api" }), CODE), snapshotApp(upsunApp({ name: "web2" }), CODE)],
    );
    assert.deepEqual(
      plans.map((p) => [p.name, p.changed]),
      [
        ["api", []],
        ["web2", ["code", "build", "runtime", "redeploy"]],
      ],
    );
    assert.deepEqual(
      plans[1].hooks.map((h) => [h.name, h.run, h.reasons]),
      ["build", "deploy", "postDeploy"].map((n) => [n, true, ["first deployment: app web2"]]),
    );
  });
});
