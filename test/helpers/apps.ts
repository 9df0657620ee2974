/** Builders of AppSpecs for engine tests: the shapes the loaders produce, written by hand. */
import { parseAppSpec, type AppSpec, type AppSpecInput } from "../../model/app";

export const UPSUN_SCRIPTS = {
  build: "set -e\nnpm ci\nnpm run build\n",
  deploy: "npm run migrate\n",
  postDeploy: "curl -X BAN localhost\n",
};

/** An Upsun app with all three hooks, some build and runtime keys, one variable. */
export function upsunApp(overrides: Partial<AppSpecInput> = {}): AppSpec {
  return parseAppSpec({
    name: "app",
    profile: "upsun",
    hooks: [
      { name: "build", script: UPSUN_SCRIPTS.build, origin: { key: "hooks.build" } },
      { name: "deploy", script: UPSUN_SCRIPTS.deploy, origin: { key: "hooks.deploy" } },
      {
        name: "postDeploy",
        script: UPSUN_SCRIPTS.postDeploy,
        origin: { key: "hooks.post_deploy" },
      },
    ],
    variables: [
      {
        name: "NODE_ENV",
        value: "production",
        visibility: "both",
        origin: { key: "variables.env.NODE_ENV" },
      },
    ],
    config: {
      type: "nodejs:20",
      build: { flavor: "none" },
      dependencies: { nodejs: { yarn: "^1" } },
      web: {
        commands: { start: "node server.js" },
        mounts: { "/uploads": { source: "local", source_path: "uploads" } },
      },
      workers: {
        queue: { commands: { start: "node worker.js" }, mounts: { "/tmp": { source: "tmp" } } },
      },
      relationships: { database: "db:postgresql" },
      access: { ssh: "contributor" },
      firewall: { outbound: [{ ips: ["0.0.0.0/0"] }] },
      crons: { report: { spec: "0 * * * *", commands: { start: "node report.js" } } },
      mounts: { "/var": { source: "storage" } },
      disk: 512,
    },
    ...overrides,
  });
}

export const CLEVER_SCRIPTS = {
  preBuild: "npm install -g pnpm",
  postBuild: "npm run build",
  preRun: "npm run migrate:check",
  runSucceeded: "curl -s https://hooks.example/ok",
  runFailed: "curl -s https://hooks.example/failed",
};

const CLEVER_KEYS: Record<string, string> = {
  preBuild: "CC_PRE_BUILD_HOOK",
  postBuild: "CC_POST_BUILD_HOOK",
  preRun: "CC_PRE_RUN_HOOK",
  runSucceeded: "CC_RUN_SUCCEEDED_HOOK",
  runFailed: "CC_RUN_FAILED_HOOK",
};

/** A Clever Cloud app with all five hooks and a few variables. */
export function cleverApp(
  overrides: Partial<AppSpecInput> = {},
  scripts: Partial<typeof CLEVER_SCRIPTS> = {},
): AppSpec {
  const all = { ...CLEVER_SCRIPTS, ...scripts };
  return parseAppSpec({
    name: "app",
    profile: "cleverCloud",
    hooks: Object.entries(all).map(([name, script]) => ({
      name,
      script,
      origin: { key: CLEVER_KEYS[name] },
    })),
    variables: [
      { name: "CC_NODE_BUILD_TOOL", value: "npm", origin: { key: "CC_NODE_BUILD_TOOL" } },
      { name: "CC_RUN_COMMAND", value: "node server.js", origin: { key: "CC_RUN_COMMAND" } },
      { name: "API_URL", value: "https://api.example", origin: { key: "API_URL" } },
    ],
    ...overrides,
  });
}

/** Replaces one variable's value (or adds it). */
export function withVariable(
  app: AppSpec,
  name: string,
  value: string,
  extra: Record<string, unknown> = {},
): AppSpec {
  const variables = app.variables.filter((v) => v.name !== name);
  const old = app.variables.find((v) => v.name === name);
  variables.push({ ...(old ?? { origin: { key: name } }), name, value, ...extra });
  return parseAppSpec({ ...app, variables });
}

/** Replaces one hook's script. */
export function withScript(app: AppSpec, hook: string, script: string): AppSpec {
  return parseAppSpec({
    ...app,
    hooks: app.hooks.map((h) => (h.name === hook ? { ...h, script } : h)),
  });
}

/** Sets a config value at a dotted path (segments given as an array). */
export function withConfig(app: AppSpec, path: string[], value: unknown): AppSpec {
  const config = structuredClone(app.config) as Record<string, unknown>;
  let node = config;
  for (const seg of path.slice(0, -1)) {
    if (typeof node[seg] !== "object" || node[seg] === null) node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
  return parseAppSpec({ ...app, config });
}
