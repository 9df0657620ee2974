/**
 * Reasons in `pulumi preview --diff` (issue 10 item 2): a step's trigger entries name the key or
 * the top-level path that changed, bounded in number, without secrets — and the steps that rerun
 * are exactly those of the class-level rule (a step reruns iff a class it depends on changed or
 * its script changed).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAppSpec, type AppSpec } from "../../model/app";
import { sha256 } from "../../fingerprint/digest";
import { scopedFingerprint } from "../../fingerprint/watch";
import { snapshotApp } from "../../engine/snapshot";
import { deploymentSteps } from "../../engine/steps";
import {
  changedTriggerNames,
  hookTriggers,
  MAX_CODE_ENTRIES,
  MAX_KEY_ENTRIES,
} from "../../engine/triggers";
import type { AppSnapshot, CodeState, StepHost } from "../../engine/types";
import type { ChangeClass } from "../../model/changeClass";
import { cleverApp, upsunApp, withConfig, withScript, withVariable } from "../helpers/apps";

const HOST: StepHost = { name: "web1", roles: ["web"], leader: true, identity: "local" };
const BASE_FILES: Record<string, string> = {
  "server.js": "sha256:s",
  "package.json": "sha256:p",
  "migrations/001.sql": "sha256:m1",
  "src/app.js": "sha256:a",
};
/** A tree state whose fingerprint is a function of its files, as fingerprintTree's is. */
const treeOf = (files: Record<string, string>): CodeState => ({
  fingerprint: sha256(JSON.stringify(Object.entries(files).sort())),
  files,
});
const CODE = treeOf(BASE_FILES);

/** The names of the trigger entries that differ, per step id, for the steps that rerun. */
function changedEntries(
  before: [AppSpec, CodeState],
  after: [AppSpec, CodeState],
): Record<string, string[]> {
  const prev = new Map(
    deploymentSteps(snapshotApp(...before), [HOST]).map((s) => [s.id, s.triggers]),
  );
  const out: Record<string, string[]> = {};
  for (const s of deploymentSteps(snapshotApp(...after), [HOST])) {
    const names = changedTriggerNames(prev.get(s.id) ?? [], s.triggers);
    if (names.length > 0) out[s.id] = names;
  }
  return out;
}

describe("engine: trigger entries name the key or path that changed", () => {
  it("a one-key runtime change names that key, in exactly the steps that rerun", () => {
    const app = cleverApp();
    assert.deepEqual(
      changedEntries([app, CODE], [withVariable(app, "API_URL", "https://other.example"), CODE]),
      {
        "hook-preBuild": ["runtime:API_URL"],
        "hook-preRun": ["runtime:API_URL"],
        activate: ["runtime:API_URL"],
        outcome: ["runtime:API_URL"],
      },
    );
  });

  it("a build-variable change names the variable (Upsun variables.env are build-visible)", () => {
    const app = upsunApp();
    assert.deepEqual(
      changedEntries([app, CODE], [withVariable(app, "NODE_ENV", "staging"), CODE]),
      {
        upload: ["build:variables.env.NODE_ENV"],
        build: ["build:variables.env.NODE_ENV"],
        "hook-build": ["build:variables.env.NODE_ENV"],
        "hook-deploy": ["build:variables.env.NODE_ENV"],
        activate: ["build:variables.env.NODE_ENV"],
        "hook-postDeploy": ["build:variables.env.NODE_ENV"],
      },
    );
  });

  it("a file change names its top-level path; a watch-scoped hook sees only its paths", () => {
    const app = upsunApp({
      hooks: [
        { name: "build", script: "npm ci", origin: { key: "hooks.build" } },
        {
          name: "deploy",
          script: "npm run migrate",
          watch: ["migrations/**"],
          origin: { key: "hooks.deploy" },
        },
      ],
    });
    const edit = (files: Record<string, string>): CodeState => treeOf({ ...BASE_FILES, ...files });
    assert.deepEqual(changedEntries([app, CODE], [app, edit({ "migrations/002.sql": "x" })]), {
      upload: ["code:migrations/"],
      build: ["code:migrations/"],
      "hook-build": ["code:migrations/"],
      "hook-deploy": ["code:migrations/"],
      activate: ["code:migrations/"],
    });
    // A change elsewhere does not touch the migrations hook.
    const other = changedEntries([app, CODE], [app, edit({ "src/app.js": "sha256:a2" })]);
    assert.deepEqual(other["hook-build"], ["code:src/"]);
    assert.equal(other["hook-deploy"], undefined);
  });

  it("the number of entries is bounded: beyond the limits the rest share one `+N more` entry", () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`f${String(i).padStart(2, "0")}.txt`] = `sha256:${i}`;
    const variables = Array.from({ length: 60 }, (_, i) => ({
      name: `V${String(i).padStart(2, "0")}`,
      value: String(i),
      origin: { key: `V${String(i).padStart(2, "0")}` },
    }));
    const app = parseAppSpec({ ...cleverApp(), variables });
    const snap = snapshotApp(app, { fingerprint: "sha256:x", files });
    const preRun = snap.hooks.find((h) => h.name === "preRun")!;
    const triggers = hookTriggers(snap, preRun, HOST);
    const code = triggers.filter((t) => t.startsWith("code"));
    assert.equal(code.length, MAX_CODE_ENTRIES);
    assert.match(code.at(-1)!, /^code:\+25 more=[0-9a-f]{16}$/);
    const runtime = triggers.filter((t) => t.startsWith("runtime"));
    assert.equal(runtime.length, MAX_KEY_ENTRIES);
    assert.match(runtime.at(-1)!, /^runtime:\+\d+ more=[0-9a-f]{16}$/);
    // A change among the grouped keys still changes the grouped entry.
    const changed = withVariable(app, "V59", "changed");
    const after = hookTriggers(
      snapshotApp(changed, { fingerprint: "sha256:x", files }),
      preRun,
      HOST,
    );
    assert.deepEqual(changedTriggerNames(triggers, after), [runtime.at(-1)!.split("=")[0]]);
  });

  it("never shows a secret: entries of a secret variable come from the slow KDF digest", () => {
    const secret = "hunter2-very-secret";
    const app = withVariable(cleverApp(), "DB_PASSWORD", secret, { secret: true });
    const snap = snapshotApp(app, CODE);
    const all = deploymentSteps(snap, [HOST]).flatMap((s) => s.triggers);
    const entry = all.find((t) => t.startsWith("runtime:DB_PASSWORD="))!;
    assert.match(entry, /^runtime:DB_PASSWORD=[0-9a-f]{16}$/);
    const plain = sha256(secret).slice(7, 23);
    assert.ok(all.every((t) => !t.includes(secret) && !t.includes(plain)));
  });
});

/** Class-level fingerprints: the rule as SPEC §3 states it, without trigger entries. */
function classChanged(
  prev: AppSnapshot,
  next: AppSnapshot,
  cls: ChangeClass,
  watch: readonly string[],
): boolean {
  switch (cls) {
    case "code":
      return watch.length > 0
        ? scopedFingerprint(prev.code.files!, watch) !== scopedFingerprint(next.code.files!, watch)
        : prev.code.fingerprint !== next.code.fingerprint;
    case "build":
    case "runtime":
      return prev[cls].fingerprint !== next[cls].fingerprint;
    case "redeploy":
      return prev.redeploy !== next.redeploy;
  }
}

type Mutation = (a: AppSpec, c: CodeState, s: string) => [AppSpec, CodeState];
const withFiles = (c: CodeState, files: Record<string, string>): CodeState => {
  const merged = { ...c.files, ...files };
  for (const [k, v] of Object.entries(merged)) if (v === "") delete merged[k];
  return treeOf(merged);
};
const MUTATIONS: Record<string, Mutation> = {
  editFile: (a, c, s) => [a, withFiles(c, { "src/app.js": `sha256:${s}` })],
  addMigration: (a, c, s) => [a, withFiles(c, { [`migrations/${s}.sql`]: "sha256:m" })],
  removeFile: (a, c) => [a, withFiles(c, { "server.js": "" })],
  manyFiles: (a, c, s) => [
    a,
    withFiles(c, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}-${s}`, "x"]))),
  ],
  buildVariable: (a, c, s) => [withVariable(a, "NODE_ENV", `env-${s}`), c],
  buildKey: (a, c, s) => [withConfig(a, ["disk"], 1000 + s.length), c],
  newBuildKey: (a, c, s) => [withConfig(a, ["build", `k${s}`], s), c],
  runtimeKey: (a, c, s) => [withConfig(a, ["web", "commands", "start"], `node ${s}.js`), c],
  runtimeVariable: (a, c, s) => [
    withVariable(a, "GREETING", s, { visibility: "runtime", buildAffecting: false }),
    c,
  ],
  secret: (a, c, s) => [withVariable(a, "TOKEN", s, { secret: true, visibility: "runtime" }), c],
  buildScript: (a, c, s) => [withScript(a, "build", `echo ${s}`), c],
  deployScript: (a, c, s) => [withScript(a, "deploy", `echo ${s}`), c],
  redeploy: (a, c, s) => [parseAppSpec({ ...a, redeployToken: s }), c],
};

describe("engine: the rerun steps are those of the class-level rule", function () {
  // Secret variables go through the slow KDF in every snapshot: seconds per run under load.
  this.timeout(180_000);
  it("a hook step reruns iff its script or a class of its rerunOn (watch-scoped) changed", () => {
    const base = upsunApp({
      hooks: [
        { name: "build", script: "npm ci", origin: { key: "hooks.build" } },
        {
          name: "deploy",
          script: "npm run migrate",
          watch: ["migrations/**"],
          origin: { key: "hooks.deploy" },
        },
        { name: "postDeploy", script: "curl x", origin: { key: "hooks.post_deploy" } },
      ],
    });
    const hosts: StepHost[] = [
      HOST,
      { name: "worker1", roles: ["worker"], leader: false, identity: "w" },
    ];
    fc.assert(
      fc.property(
        fc.subarray(Object.keys(MUTATIONS)),
        fc.stringMatching(/^[a-z0-9]{1,6}$/),
        (kinds, salt) => {
          let state: [AppSpec, CodeState] = [base, CODE];
          for (const k of kinds) state = MUTATIONS[k](state[0], state[1], salt);
          const prev = snapshotApp(base, CODE);
          const next = snapshotApp(...state);
          const before = new Map(
            deploymentSteps(prev, hosts).map((s) => [`${s.host}/${s.id}`, s.triggers]),
          );
          for (const step of deploymentSteps(next, hosts)) {
            const reran =
              JSON.stringify(before.get(`${step.host}/${step.id}`)) !==
              JSON.stringify(step.triggers);
            const classes: { cls: ChangeClass; watch: readonly string[] }[] = step.hook
              ? step.hook.rerunOn.map((cls) => ({ cls, watch: step.hook!.watch }))
              : step.id === "upload"
                ? [
                    { cls: "code", watch: [] },
                    { cls: "build", watch: [] },
                  ]
                : step.id === "activate"
                  ? (["code", "build", "runtime", "redeploy"] as const).map((cls) => ({
                      cls,
                      watch: [],
                    }))
                  : [];
            if (!step.hook && classes.length === 0) continue;
            const expected =
              (step.hook !== undefined &&
                prev.scripts[step.hook.name] !== next.scripts[step.hook.name]) ||
              classes.some(({ cls, watch }) => classChanged(prev, next, cls, watch));
            assert.equal(reran, expected, `${step.host}/${step.id} after [${kinds}]`);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
