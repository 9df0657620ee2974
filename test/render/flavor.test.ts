import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../../model/configError";
import {
  cleverBuildFlavorSteps,
  upsunBuildFlavorSteps,
  type BuildFlavorStep,
} from "../../profiles/buildFlavor";
import {
  CLEVER_NODE_START,
  composeBuildCommand,
  composerVersionFloor,
  flavorStepsOf,
} from "../../render/flavor";

/** A fake tool that records `<name> <args…>` (one line per call) and succeeds, or fails with `fail`. */
function fakeTools(dir: string, names: string[], fail: Record<string, number> = {}): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const n of names) {
    fs.writeFileSync(
      path.join(bin, n),
      `#!/bin/bash\nif [ "$1" = --version ]; then echo "Composer version 2.5.5 2023-03-21"; exit 0; fi\necho "${n} $*" >> "${dir}/calls"\nexit ${fail[n] ?? 0}\n`,
      { mode: 0o755 },
    );
  }
  return bin;
}

interface Run {
  status: number | null;
  out: string;
  calls: string[];
}

/** Runs the composed build command like the build step does (`bash --norc <file>` in the release). */
function runBuild(
  steps: BuildFlavorStep[],
  files: Record<string, string>,
  env: Record<string, string>,
  tools: string[],
  fail: Record<string, number> = {},
  user = "",
  systemPath = "/usr/bin:/bin",
): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dhflavor-"));
  try {
    const app = path.join(dir, "app");
    fs.mkdirSync(app);
    for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(app, k), v);
    const bin = fakeTools(dir, tools, fail);
    const script = path.join(dir, "build.sh");
    fs.writeFileSync(script, composeBuildCommand(steps, user));
    const r = spawnSync("/bin/bash", ["--norc", script], {
      cwd: app,
      encoding: "utf8",
      env: {
        PATH: systemPath ? `${bin}:${systemPath}` : bin,
        PLATFORM_APP_DIR: app,
        APP_CACHE_DIR: path.join(dir, "cache"),
        ...env,
      },
    });
    const callsFile = path.join(dir, "calls");
    const calls = fs.existsSync(callsFile)
      ? fs
          .readFileSync(callsFile, "utf8")
          .trim()
          .split("\n")
          .map((l) => l.split(app).join("<app>"))
      : [];
    return { status: r.status, out: r.stdout + r.stderr, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("profiles/buildFlavor + render/flavor: the platforms' build steps (real bash)", () => {
  it("Upsun: nodejs default flavor, php default/composer, none, composable: which steps", () => {
    const kinds = (c: Record<string, unknown>) =>
      upsunBuildFlavorSteps(c).map((s) => JSON.stringify(s));
    assert.deepEqual(kinds({ type: "nodejs:20" }), ['{"kind":"upsunFlavor","runtime":"nodejs"}']);
    assert.deepEqual(kinds({ type: "php:8.3", build: { flavor: "composer" } }), [
      '{"kind":"upsunFlavor","runtime":"php"}',
    ]);
    assert.deepEqual(kinds({ type: "nodejs:20", build: { flavor: "none" } }), []);
    assert.deepEqual(kinds({ type: "python:3.12" }), []);
    assert.deepEqual(kinds({ stack: ["nodejs@22"] }), []);
    assert.deepEqual(
      kinds({ type: "php:8.1", dependencies: { php: { "composer/composer": "^2" } } }),
      [
        '{"kind":"upsunDependencies","manager":"composer","packages":[{"name":"composer/composer","constraint":"^2"}]}',
        '{"kind":"upsunFlavor","runtime":"php"}',
      ],
    );
  });

  it("Upsun: an unknown flavor or dependency language is a ConfigError naming the key", () => {
    assert.throws(
      () => upsunBuildFlavorSteps({ type: "php:5.6", build: { flavor: "drupal" } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          "build.flavor: build flavor 'drupal' is not emulated for type 'php:5.6' (supported: none; default for nodejs and php; composer for php)",
    );
    assert.throws(
      () => upsunBuildFlavorSteps({ type: "ruby:3.3", dependencies: { ruby: { sass: "1" } } }),
      (e: unknown) => e instanceof ConfigError && /^dependencies\.ruby: /.test(e.message),
    );
  });

  it("Upsun nodejs: dependencies into .global first, then npm prune && npm install --userconfig .npmrc", () => {
    const steps = upsunBuildFlavorSteps({
      type: "nodejs:20",
      dependencies: { nodejs: { pm2: "^4.5.0", yarn: "*" } },
    });
    const r = runBuild(steps, { "package.json": "{}" }, {}, ["npm"], {}, "echo user-build\n");
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, [
      "npm install --global --no-fund --no-audit --prefix <app>/.global pm2@^4.5.0 yarn@*",
      "npm prune --userconfig .npmrc",
      "npm install --userconfig .npmrc",
    ]);
    assert.match(r.out, /user-build/);
  });

  it("Upsun nodejs without package.json: nothing runs; a missing npm with one fails 127 naming it", () => {
    const steps = upsunBuildFlavorSteps({ type: "nodejs:20" });
    assert.deepEqual(runBuild(steps, {}, {}, ["npm"]).calls, []);
    const r = runBuild(steps, { "package.json": "{}" }, {}, [], {}, "", "");
    assert.equal(r.status, 127);
    assert.match(
      r.out,
      /^deployhooks: the Upsun nodejs build flavor needs npm on the host \(not found in PATH=/m,
    );
  });

  it("Upsun dependencies.php and .python3: composer global require and pip --user into .global, before the flavor", () => {
    const steps = upsunBuildFlavorSteps({
      type: "php:8.1",
      dependencies: {
        php: { "composer/composer": "^2", "drush/drush": "*" },
        python3: { numpy: "*", behave: "1.2" },
      },
    });
    const r = runBuild(steps, { "composer.json": "{}" }, {}, ["composer", "python3"]);
    assert.equal(r.status, 0, r.out);
    // The fake host Composer is 2.5.5: it satisfies composer/composer ^2, which is not downloaded.
    assert.match(
      r.out,
      /^deployhooks: dependencies\.php composer\/composer \^2: the host's Composer 2\.5\.5 satisfies it and is used$/m,
    );
    assert.deepEqual(r.calls, [
      "composer global require --no-interaction --no-progress drush/drush",
      "python3 -m pip install --user --no-input numpy behave==1.2",
      "composer --no-ansi --no-interaction install --no-progress --prefer-dist --optimize-autoloader",
    ]);
  });

  const composerSelf: [string, string | undefined][] = [
    ["^2", undefined],
    ["^2.5", undefined],
    ["^2.5.5", undefined],
    ["~2.5", undefined],
    ["2.*", undefined],
    ["^2.7.0", "composer global require --no-interaction --no-progress composer/composer:^2.7.0"],
    ["^1", "composer global require --no-interaction --no-progress composer/composer:^1"],
    ["2.*@dev", "composer global require --no-interaction --no-progress composer/composer:2.*@dev"],
    [
      ">=2.6 <3",
      "composer global require --no-interaction --no-progress composer/composer:>=2.6 <3",
    ],
  ];
  for (const [constraint, call] of composerSelf) {
    it(`Upsun dependencies.php composer/composer '${constraint}' with the host's Composer 2.5.5: ${call ? "installed" : "the host's is used"}`, () => {
      const steps = upsunBuildFlavorSteps({
        type: "php:8.1",
        build: { flavor: "none" },
        dependencies: { php: { "composer/composer": constraint } },
      });
      const r = runBuild(steps, {}, {}, ["composer"]);
      assert.equal(r.status, 0, r.out);
      assert.deepEqual(r.calls, call ? [call] : []);
    });
  }

  it("composerVersionFloor: the simple constraints of one major, nothing else", () => {
    const table: [string, { major: number; min: string } | undefined][] = [
      ["^2", { major: 2, min: "2.0.0" }],
      ["^2.7.0", { major: 2, min: "2.7.0" }],
      ["~2.2", { major: 2, min: "2.2.0" }],
      ["2.*", { major: 2, min: "2.0.0" }],
      [" ^1.10 ", { major: 1, min: "1.10.0" }],
      ["~2.2.1", undefined],
      ["2", undefined],
      [">=2", undefined],
      ["^1 || ^2", undefined],
      ["2.x-dev", undefined],
    ];
    for (const [c, want] of table) assert.deepEqual(composerVersionFloor(c), want, c);
  });

  it("Upsun php: the documented composer command; a failing step stops the build with its status", () => {
    const steps = upsunBuildFlavorSteps({ type: "php:8.3" });
    const ok = runBuild(steps, { "composer.json": "{}" }, {}, ["composer"]);
    assert.deepEqual(ok.calls, [
      "composer --no-ansi --no-interaction install --no-progress --prefer-dist --optimize-autoloader",
    ]);
    const bad = runBuild(
      steps,
      { "composer.json": "{}" },
      {},
      ["composer"],
      { composer: 3 },
      "echo after\n",
    );
    assert.equal(bad.status, 3);
    assert.doesNotMatch(bad.out, /after/);
  });

  const node = cleverBuildFlavorSteps("node");
  const cases: [string, Record<string, string>, Record<string, string>, string][] = [
    ["default npm", {}, {}, "npm install"],
    [
      "npm-ci + dev",
      { CC_NODE_BUILD_TOOL: "npm-ci", CC_NODE_DEV_DEPENDENCIES: "install" },
      {},
      "npm ci --include=dev",
    ],
    ["yarn.lock detected", {}, { "yarn.lock": "" }, "yarn install"],
    [
      "yarn-berry detected",
      {},
      { "yarn.lock": "", "package.json": '{"packageManager": "yarn@4.1.0"}' },
      "yarn install",
    ],
    [
      "pnpm + dev",
      { CC_NODE_BUILD_TOOL: "pnpm", CC_NODE_DEV_DEPENDENCIES: "install" },
      {},
      "pnpm install --prod false",
    ],
    ["pnpm-lock detected", {}, { "pnpm-lock.yaml": "" }, "pnpm install"],
    ["bun omits dev", { CC_NODE_BUILD_TOOL: "bun" }, {}, "bun install --omit dev"],
    ["variable beats lock file", { CC_NODE_BUILD_TOOL: "npm" }, { "yarn.lock": "" }, "npm install"],
  ];
  for (const [name, env, files, call] of cases) {
    it(`Clever Node.js: ${name} → ${call}`, () => {
      const r = runBuild(node, { "package.json": "{}", ...files }, env, [
        "npm",
        "yarn",
        "pnpm",
        "bun",
      ]);
      assert.equal(r.status, 0, r.out);
      assert.deepEqual(r.calls, [call]);
    });
  }

  it("Clever Node.js: an unknown CC_NODE_BUILD_TOOL fails 2 naming the values; custom runs CC_CUSTOM_BUILD_TOOL", () => {
    const bad = runBuild(node, { "package.json": "{}" }, { CC_NODE_BUILD_TOOL: "maven" }, ["npm"]);
    assert.equal(bad.status, 2);
    assert.match(bad.out, /CC_NODE_BUILD_TOOL=maven is not one of npm, npm-install, npm-ci/);
    const custom = runBuild(
      node,
      { "package.json": "{}" },
      { CC_NODE_BUILD_TOOL: "custom", CC_CUSTOM_BUILD_TOOL: "npm run my-install" },
      ["npm"],
    );
    assert.deepEqual(custom.calls, ["npm run my-install"]);
  });

  it("Clever PHP: composer install with the default flags, --no-dev unless CC_PHP_DEV_DEPENDENCIES=install", () => {
    const php = cleverBuildFlavorSteps("php");
    assert.deepEqual(runBuild(php, { "composer.json": "{}" }, {}, ["composer"]).calls, [
      "composer install --no-interaction --no-progress --no-scripts --no-dev",
    ]);
    assert.deepEqual(
      runBuild(php, { "composer.json": "{}" }, { CC_PHP_DEV_DEPENDENCIES: "install" }, ["composer"])
        .calls,
      ["composer install --no-interaction --no-progress --no-scripts"],
    );
  });

  it("the composed scripts are shellcheck-clean", () => {
    const all = [
      ...upsunBuildFlavorSteps({
        type: "php:8.3",
        dependencies: {
          php: { "drush/drush": "8.0.0" },
          nodejs: { pm2: "^4" },
          python3: { numpy: "*" },
        },
      }),
      ...upsunBuildFlavorSteps({ type: "nodejs:20" }),
      ...cleverBuildFlavorSteps("node"),
      ...cleverBuildFlavorSteps("php"),
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dhsc-"));
    const file = path.join(dir, "build.sh");
    fs.writeFileSync(file, `#!/bin/bash\n${composeBuildCommand(all, "")}`);
    try {
      execFileSync("shellcheck", ["-s", "bash", "-e", "SC2034", file], { encoding: "utf8" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("flavorStepsOf names the steps for explain", () => {
    assert.deepEqual(
      flavorStepsOf({
        profile: "upsun",
        config: { type: "nodejs:20", dependencies: { nodejs: { yarn: "^1" } } },
      }).map((s) => s.name),
      ["dependencies.nodejs", "build.flavor (nodejs)"],
    );
    assert.deepEqual(
      flavorStepsOf({ profile: "cleverCloud", config: { type: "node" } }).map((s) => s.name),
      ["node: dependencies (CC_NODE_BUILD_TOOL)"],
    );
  });
});

describe("components: the flavor steps come first in the build step's command", () => {
  it("UpsunApp nodejs: the composed command; CleverCloudApp node: dependency install, then CC_BUILD_COMMAND, default start", async () => {
    const { upsunModel, cleverCloudModel } = await import("../../components/deploymentModel");
    const u = upsunModel<string>("a", { type: "nodejs:20", buildCommand: "echo mine\n" });
    assert.equal(
      u.buildCommand,
      composeBuildCommand(upsunBuildFlavorSteps({ type: "nodejs:20" }), "echo mine\n"),
    );
    assert.equal(u.buildCommand.endsWith("\necho mine\n"), true);
    const c = cleverCloudModel<string>("c", { type: "node", CC_BUILD_COMMAND: "npm run build" });
    assert.equal(
      c.buildCommand,
      composeBuildCommand(cleverBuildFlavorSteps("node"), "npm run build"),
    );
    assert.match(c.start, /exec npm start/);
    const own = cleverCloudModel<string>("c", { type: "node", CC_RUN_COMMAND: "node a.js" });
    assert.equal(own.start, "node a.js");
    assert.equal(cleverCloudModel<string>("c", {}).buildCommand, "");
  });
});

describe("render/flavor: CC_CACHE_DEPENDENCIES (real bash)", () => {
  it("a new build restores node_modules from the cache before the install and saves it after; without the switch, nothing is cached", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dhcache-"));
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      // A fake npm that says whether node_modules was there before it ran, then installs one package.
      fs.writeFileSync(
        path.join(bin, "npm"),
        `#!/bin/bash\n[ -d node_modules/dep ] && echo "had-dep" >> "${dir}/calls" || echo "fresh" >> "${dir}/calls"\nmkdir -p node_modules/dep\n`,
        { mode: 0o755 },
      );
      const script = path.join(dir, "build.sh");
      fs.writeFileSync(script, composeBuildCommand(cleverBuildFlavorSteps("node"), ""));
      const build = (release: string, cache: string) => {
        const app = path.join(dir, release);
        fs.mkdirSync(app);
        fs.writeFileSync(path.join(app, "package.json"), "{}");
        const r = spawnSync("/bin/bash", ["--norc", script], {
          cwd: app,
          encoding: "utf8",
          env: {
            PATH: `${bin}:/usr/bin:/bin`,
            APP_CACHE_DIR: path.join(dir, "cache"),
            CC_CACHE_DEPENDENCIES: cache,
          },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        return r.stdout;
      };
      assert.doesNotMatch(build("r1", "true"), /restored/);
      assert.match(
        build("r2", "true"),
        /^deployhooks: CC_CACHE_DEPENDENCIES: node_modules restored from /m,
      );
      build("r3", "false");
      assert.deepEqual(fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n"), [
        "fresh",
        "had-dep",
        "fresh",
      ]);
      assert.equal(
        fs.existsSync(path.join(dir, "cache/clever-dependencies/node_modules/dep")),
        true,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("render/flavor: Clever Cloud's default Node.js start (real node and npm)", () => {
  const start = (pkg: Record<string, unknown>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dhstart-"));
    try {
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg));
      fs.writeFileSync(path.join(dir, "main.js"), 'console.log("main ran")\n');
      fs.writeFileSync(path.join(dir, "index.js"), 'console.log("index ran")\n');
      const r = spawnSync("bash", ["--norc", "-c", CLEVER_NODE_START], {
        cwd: dir,
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split("\n").pop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  it("scripts.start → npm start; else main; else index.js", () => {
    assert.equal(start({ name: "a", scripts: { start: "node main.js" } }), "main ran");
    assert.equal(start({ name: "a", main: "main.js" }), "main ran");
    assert.equal(start({ name: "a" }), "index ran");
  });
});
