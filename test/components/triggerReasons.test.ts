/**
 * What `pulumi preview --diff` shows for a changed program (issue 10 item 2): the trigger entries
 * of the component's step resources (the inputs Pulumi diffs) name the key or the top-level path
 * that changed — a one-key runtime change, a build-variable change, a file change — and only the
 * steps that must run have changed triggers. Secrets appear in no trigger.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { UpsunAppArgs } from "../../components";
import { changedTriggerNames } from "../../engine/triggers";
import { artifactDir, deploy, setupMocks, tempTree, type Deployment } from "./harness";

type UpsunT = InstanceType<typeof import("../../components").UpsunApp>;
let mod: typeof import("../../components");
const SECRET = "pr3view-Secret-77";

const args = (src: string, extra: Partial<UpsunAppArgs> = {}): UpsunAppArgs => ({
  source: src,
  artifactDir,
  hooks: { build: "npm run build\n", deploy: "node migrate.js\n", postDeploy: "echo warm\n" },
  variables: { NODE_ENV: "production" },
  runtimeVariables: { GREETING: "hello" },
  secrets: { API_KEY: SECRET },
  port: 8080,
  ...extra,
});

/** Per resource whose triggers differ: the names of the differing entries. */
function changed(a: Deployment<UpsunT>, b: Deployment<UpsunT>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, triggers] of Object.entries(b.steps)) {
    const names = changedTriggerNames(a.steps[name] ?? [], triggers);
    if (names.length > 0) out[name] = names;
  }
  return out;
}

describe("components: preview names the key or path that changed", function () {
  this.timeout(120_000);
  let src: string;
  let base: Deployment<UpsunT>;
  before(async () => {
    await setupMocks();
    mod = await import("../../components");
    src = tempTree({
      "server.js": "require('http').createServer().listen(process.env.PORT)\n",
      "migrations/001.sql": "create table t (id int);\n",
      "package.json": "{}\n",
    });
    base = await deploy(() => new mod.UpsunApp("app", args(src)));
  });

  it("a one-key runtime change: runtime:runtimeVariables.GREETING, and only the runtime steps", async () => {
    const next = await deploy(
      () => new mod.UpsunApp("app", args(src, { runtimeVariables: { GREETING: "bonjour" } })),
    );
    const c = changed(base, next);
    assert.deepEqual(Object.keys(c).sort(), [
      "app-local-activate",
      "app-local-hook-postDeploy",
      "app-local-outcome",
    ]);
    for (const names of Object.values(c)) {
      assert.deepEqual(names, ["runtime:runtimeVariables.GREETING"]);
    }
  });

  it("a build-variable change: build:variables.env.NODE_ENV in the build-dependent steps", async () => {
    const next = await deploy(
      () => new mod.UpsunApp("app", args(src, { variables: { NODE_ENV: "staging" } })),
    );
    const c = changed(base, next);
    assert.deepEqual(c["app-local-hook-build"], ["build:variables.env.NODE_ENV"]);
    assert.deepEqual(c["app-local-hook-deploy"], ["build:variables.env.NODE_ENV"]);
    assert.deepEqual(c["app-local-build"], ["build:variables.env.NODE_ENV"]);
    assert.ok(Object.values(c).every((n) => n.every((x) => x === "build:variables.env.NODE_ENV")));
  });

  it("a file change: code:migrations/ (the top-level path), nothing else", async () => {
    fs.writeFileSync(path.join(src, "migrations", "002.sql"), "alter table t add x int;\n");
    try {
      const next = await deploy(() => new mod.UpsunApp("app", args(src)));
      const c = changed(base, next);
      assert.deepEqual(c["app-local-hook-build"], ["code:migrations/"]);
      assert.deepEqual(c["app-local-hook-deploy"], ["code:migrations/"]);
      assert.deepEqual(c["app-local-upload"], ["code:migrations/"]);
      assert.ok(Object.values(c).every((n) => n.every((x) => x === "code:migrations/")));
    } finally {
      fs.rmSync(path.join(src, "migrations", "002.sql"));
    }
  });

  it("no secret in any trigger", () => {
    const all = JSON.stringify(base.steps);
    assert.ok(!all.includes(SECRET));
    assert.ok(all.includes("runtime:secrets.API_KEY="), all);
  });
});
