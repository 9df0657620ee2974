/**
 * Properties of the diff engine (issue "Done when"): no change ⇒ nothing runs; adding a change never
 * removes a rerun; every-deployment hooks run iff anything changed; triggers differ ⇔ the plan runs;
 * formatting-only edits change nothing.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAppSpec, type AppSpec } from "../../model/app";
import { planApp } from "../../engine/plan";
import { snapshotApp } from "../../engine/snapshot";
import { hookTriggers } from "../../engine/triggers";
import { deploymentSteps } from "../../engine/steps";
import type { CodeState, StepHost } from "../../engine/types";
import { cleverApp, upsunApp, withConfig, withScript, withVariable } from "../helpers/apps";

type Mutation = (app: AppSpec, code: CodeState, salt: string) => [AppSpec, CodeState];

/** Every kind of change a user can make, each applied with a value derived from `salt`. */
const UPSUN_MUTATIONS: Record<string, Mutation> = {
  code: (a, c, s) => [
    a,
    { fingerprint: `sha256:${s}`, files: { ...c.files, [`src/${s}.js`]: `sha256:${s}` } },
  ],
  buildVariable: (a, c, s) => [withVariable(a, "NODE_ENV", `env-${s}`), c],
  buildKey: (a, c, s) => [withConfig(a, ["disk"], 1000 + s.length), c],
  buildScript: (a, c, s) => [withScript(a, "build", `echo ${s}`), c],
  deployScript: (a, c, s) => [withScript(a, "deploy", `echo ${s}`), c],
  runtimeKey: (a, c, s) => [withConfig(a, ["web", "commands", "start"], `node ${s}.js`), c],
  cron: (a, c, s) => [withConfig(a, ["crons", "report", "spec"], `${s} * * * *`), c],
  postDeployScript: (a, c, s) => [withScript(a, "postDeploy", `echo ${s}`), c],
  redeploy: (a, c, s) => [parseAppSpec({ ...a, redeployToken: `token-${s}` }), c],
};
const CLEVER_MUTATIONS: Record<string, Mutation> = {
  code: UPSUN_MUTATIONS.code,
  buildVariable: (a, c, s) => [withVariable(a, "CC_NODE_BUILD_TOOL", `tool-${s}`), c],
  runtimeVariable: (a, c, s) => [withVariable(a, "API_URL", `https://${s}.example`), c],
  preBuildScript: (a, c, s) => [withScript(a, "preBuild", `echo ${s}`), c],
  postBuildScript: (a, c, s) => [withScript(a, "postBuild", `echo ${s}`), c],
  preRunScript: (a, c, s) => [withScript(a, "preRun", `echo ${s}`), c],
  runFailedScript: (a, c, s) => [withScript(a, "runFailed", `echo ${s}`), c],
  redeploy: UPSUN_MUTATIONS.redeploy,
};

const BASE_CODE: CodeState = { fingerprint: "sha256:base", files: { "server.js": "sha256:s" } };

function apply(
  app: AppSpec,
  kinds: string[],
  table: Record<string, Mutation>,
  salt: string,
): [AppSpec, CodeState] {
  let state: [AppSpec, CodeState] = [app, BASE_CODE];
  for (const k of kinds) state = table[k](state[0], state[1], salt);
  return state;
}

function ranHooks(before: AppSpec, after: AppSpec, code: CodeState): Set<string> {
  const plan = planApp(snapshotApp(before, BASE_CODE), snapshotApp(after, code));
  return new Set(plan.hooks.filter((h) => h.run).map((h) => h.name));
}

for (const [profile, base, table, every] of [
  ["upsun", upsunApp(), UPSUN_MUTATIONS, ["postDeploy"]],
  [
    "cleverCloud",
    cleverApp(),
    CLEVER_MUTATIONS,
    ["preBuild", "preRun", "runSucceeded", "runFailed"],
  ],
] as const) {
  const kinds = Object.keys(table);
  const subset = fc.subarray(kinds);
  const salt = fc.stringMatching(/^[a-z0-9]{1,8}$/);

  describe(`engine properties (${profile})`, () => {
    it("no change ⇒ nothing runs", () => {
      fc.assert(
        fc.property(subset, salt, (ks, s) => {
          const [app, code] = apply(base, ks, table, s);
          const plan = planApp(snapshotApp(app, code), snapshotApp(app, code));
          assert.deepEqual(plan.changed, []);
          assert.ok(plan.hooks.every((h) => !h.run && h.reasons.length === 0));
        }),
        { numRuns: 40 },
      );
    });

    it("adding a change never removes a rerun", () => {
      fc.assert(
        fc.property(subset, subset, salt, (a, extra, s) => {
          const more = [...new Set([...a, ...extra])];
          const [appA, codeA] = apply(base, a, table, s);
          const [appB, codeB] = apply(base, more, table, s);
          const ranA = ranHooks(base, appA, codeA);
          const ranB = ranHooks(base, appB, codeB);
          for (const h of ranA) assert.ok(ranB.has(h), `${h} ran for [${a}] but not for [${more}]`);
        }),
        { numRuns: 60 },
      );
    });

    it("every-deployment hooks run iff anything changed", () => {
      fc.assert(
        fc.property(subset, salt, (ks, s) => {
          const [app, code] = apply(base, ks, table, s);
          const plan = planApp(snapshotApp(base, BASE_CODE), snapshotApp(app, code));
          for (const name of every) {
            assert.equal(
              plan.hooks.find((h) => h.name === name)?.run,
              plan.changed.length > 0,
              `${name} with changes [${plan.changed}]`,
            );
          }
        }),
        { numRuns: 60 },
      );
    });

    it("triggers differ ⇔ the plan runs (hook triggers and the hook steps on hosts)", () => {
      const hosts: StepHost[] = [
        { name: "web1", roles: ["web"], leader: true, identity: "deploy@10.0.0.1:22" },
        { name: "worker1", roles: ["worker"], leader: false, identity: "deploy@10.0.0.2:22" },
      ];
      fc.assert(
        fc.property(subset, salt, (ks, s) => {
          const [app, code] = apply(base, ks, table, s);
          const prev = snapshotApp(base, BASE_CODE);
          const next = snapshotApp(app, code);
          const plan = planApp(prev, next);
          const before = new Map(
            deploymentSteps(prev, hosts).map((st) => [`${st.host}/${st.id}`, st.triggers]),
          );
          for (const decision of plan.hooks) {
            const hook = next.hooks.find((h) => h.name === decision.name)!;
            const prevHook = prev.hooks.find((h) => h.name === decision.name)!;
            const differ =
              JSON.stringify(hookTriggers(prev, prevHook)) !==
              JSON.stringify(hookTriggers(next, hook));
            assert.equal(differ, decision.run, decision.name);
          }
          for (const st of deploymentSteps(next, hosts).filter((x) => x.kind === "hook")) {
            const differ =
              JSON.stringify(before.get(`${st.host}/${st.id}`)) !== JSON.stringify(st.triggers);
            assert.equal(
              differ,
              plan.hooks.find((h) => h.name === st.hook!.name)!.run,
              `${st.host}/${st.id}`,
            );
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}

describe("engine properties: formatting-only edits change nothing", () => {
  /** Rebuilds every object with its keys in a random order. */
  function shuffleKeys(value: unknown, order: number[]): unknown {
    if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, order));
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const keyed = entries.map((e, i) => ({ e, k: order[i % order.length] ?? i }));
    keyed.sort((a, b) => a.k - b.k);
    return Object.fromEntries(keyed.map(({ e: [k, v] }) => [k, shuffleKeys(v, order)]));
  }

  it("key order of the configuration and trailing newlines of scripts", () => {
    const base = upsunApp();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 12 }),
        fc.nat(3),
        (order, newlines) => {
          const reformatted = parseAppSpec({
            ...base,
            config: shuffleKeys(base.config, order) as Record<string, unknown>,
            variables: [...base.variables].reverse(),
            hooks: base.hooks.map((h) => ({
              ...h,
              script: h.script.replace(/\n*$/, "\n".repeat(newlines)),
            })),
          });
          const plan = planApp(snapshotApp(base, BASE_CODE), snapshotApp(reformatted, BASE_CODE));
          assert.deepEqual(plan.changed, []);
        },
      ),
      { numRuns: 50 },
    );
  });
});
