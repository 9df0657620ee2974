/** Platform.sh / Upsun YAML: include forms, list/map forms, hooks, variables, errors with lines. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig, parseUpsunYaml, UpsunForm } from "../../loaders";
import { ConfigError, isConfigError } from "../../model/configError";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(isConfigError(e), `expected a ConfigError, got ${String(e)}`);
    return e as ConfigError;
  }
  assert.fail("expected a ConfigError");
}

const ROOT = "/cfg";
const MAIN = "/cfg/.platform/applications.yaml";

/** Parses MAIN from `text` with an in-memory file system. */
function apps(
  text: string,
  files: Record<string, string> = {},
  form: UpsunForm = "auto",
  file = MAIN,
) {
  return parseUpsunYaml(text, file, { form, root: ROOT, readFile: (f) => files[path.resolve(f)] });
}

function err(
  text: string,
  files: Record<string, string> = {},
  form: UpsunForm = "auto",
  file = MAIN,
) {
  const e = configError(() => apps(text, files, form, file));
  return { file: e.file, line: e.line, path: e.path, detail: e.detail };
}

describe("loaders/upsun: application shapes", () => {
  it("list form with odd indentation, in order, with no-hook apps", () => {
    const text =
      "-   name: api\n    type: php:8.2\n    hooks:\n        build: |\n            set -e\n\n            echo hi  \n-  name: worker\n   type: nodejs:20\n";
    const got = apps(text);
    assert.deepEqual(
      got.map((a) => a.name),
      ["api", "worker"],
    );
    assert.deepEqual(got[0].hooks, [
      {
        name: "build",
        script: "set -e\n\necho hi  \n",
        origin: { file: MAIN, line: 4, key: "hooks.build" },
      },
    ]);
    assert.deepEqual(got[0].config, { type: "php:8.2" });
    assert.deepEqual(got[1].hooks, []);
    assert.deepEqual(got[0].origin, { file: MAIN, line: 1 });
  });
  it("map form keyed by app name", () => {
    const got = apps(
      "app:\n  type: golang:1.22\n  hooks:\n    build: go build\nadmin:\n  type: nodejs:20\n",
    );
    assert.deepEqual(
      got.map((a) => [a.name, a.hooks.map((h) => h.script)]),
      [
        ["app", ["go build"]],
        ["admin", []],
      ],
    );
  });
  it("upsun applications: map, routes and services ignored, error paths under applications", () => {
    const text =
      "routes:\n  x: {}\nservices:\n  db: {type: mariadb}\napplications:\n  app:\n    type: php\n    hooks:\n      post_deploy: echo done\n";
    const got = apps(text, {}, "upsun", "/cfg/.upsun/config.yaml");
    assert.deepEqual(got[0].hooks, [
      {
        name: "postDeploy",
        script: "echo done",
        origin: { file: "/cfg/.upsun/config.yaml", line: 9, key: "hooks.post_deploy" },
      },
    ]);
    assert.deepEqual(
      err(
        "applications:\n  app:\n    hooks:\n      build: 12\n",
        {},
        "upsun",
        "/cfg/.upsun/config.yaml",
      ),
      {
        file: "/cfg/.upsun/config.yaml",
        line: 4,
        path: "applications.app.hooks.build",
        detail: "a hook must be a string (a shell script), got a number (12)",
      },
    );
  });
  it("single app form needs a name", () => {
    assert.deepEqual(err("type: php\nhooks: {}\n", {}, "app", "/cfg/.platform.app.yaml"), {
      file: "/cfg/.platform.app.yaml",
      line: 1,
      path: undefined,
      detail: "the application has no name (add `name:`)",
    });
  });
  it("duplicate app names and name/key mismatch are errors", () => {
    assert.deepEqual(err("- name: a\n- name: a\n"), {
      file: MAIN,
      line: 2,
      path: undefined,
      detail: `application "a" is defined twice (first at ${MAIN}:1)`,
    });
    assert.deepEqual(err("app:\n  name: other\n"), {
      file: MAIN,
      line: 2,
      path: "app.name",
      detail: 'name "other" differs from the application key "app"',
    });
  });
  it("hooks: {} / null hooks / null hook values define no hooks", () => {
    for (const h of ["hooks: {}", "hooks:", "hooks: null", "hooks:\n    build:\n    deploy: ~"]) {
      assert.deepEqual(apps(`- name: a\n  ${h}\n`)[0].hooks, [], h);
    }
  });
});

describe("loaders/upsun: hook errors", () => {
  const table: [string, string, number, string, string][] = [
    [
      "post-deploy",
      "- name: a\n- name: b\n  hooks:\n    post-deploy: x\n",
      4,
      "[1].hooks.post-deploy",
      'unknown hook "post-deploy"; did you mean post_deploy? (hooks are build, deploy, post_deploy)',
    ],
    [
      "postdeploy",
      "- name: a\n  hooks:\n    postdeploy: x\n",
      3,
      "[0].hooks.postdeploy",
      'unknown hook "postdeploy"; did you mean post_deploy? (hooks are build, deploy, post_deploy)',
    ],
    [
      "postDeploy",
      "- name: a\n  hooks:\n    postDeploy: x\n",
      3,
      "[0].hooks.postDeploy",
      'unknown hook "postDeploy"; did you mean post_deploy? (hooks are build, deploy, post_deploy)',
    ],
    [
      "builds",
      "- name: a\n  hooks:\n    builds: x\n",
      3,
      "[0].hooks.builds",
      'unknown hook "builds"; did you mean build? (hooks are build, deploy, post_deploy)',
    ],
    [
      "list hook",
      "- name: a\n  hooks:\n    build:\n      - npm ci\n",
      3,
      "[0].hooks.build",
      "a hook must be a string (a shell script), got a list",
    ],
    [
      "boolean hook",
      "- name: a\n  hooks:\n    deploy: true\n",
      3,
      "[0].hooks.deploy",
      "a hook must be a string (a shell script), got a boolean (true)",
    ],
    [
      "mapping hook",
      "- name: a\n  hooks:\n    deploy: {a: 1}\n",
      3,
      "[0].hooks.deploy",
      "a hook must be a string (a shell script), got a mapping",
    ],
    [
      "hooks as list",
      "- name: a\n  hooks:\n    - build\n",
      2,
      "[0].hooks",
      "hooks must be a mapping of hook name to script, got a list",
    ],
  ];
  for (const [title, text, line, p, detail] of table) {
    it(title, () => assert.deepEqual(err(text), { file: MAIN, line, path: p, detail }));
  }
  it("YAML syntax errors carry the line", () => {
    const e = err("- name: a\n  hooks:\n    build: |\n      x\n  bad: [1,\n");
    assert.equal(e.file, MAIN);
    assert.equal(e.line, 6);
    assert.match(e.detail, /^YAML syntax error: /);
    assert.equal(err("a: 1\na: 2\n").line, 2);
  });
  it("unsupported tags are errors", () => {
    assert.deepEqual(err("- name: a\n  hooks:\n    build: !archive x\n"), {
      file: MAIN,
      line: 3,
      path: "[0].hooks.build",
      detail: "unsupported YAML tag !archive (only !include is supported)",
    });
  });
});

describe("loaders/upsun: variables and source.root", () => {
  it("variables.env → variables (stringified), the rest stays in config", () => {
    const [a] = apps(
      "- name: a\n  variables:\n    env:\n      B: true\n      N: 0\n      E:\n      L: [1, x]\n    php:\n      memory_limit: 1G\n",
    );
    assert.deepEqual(
      a.variables.map((v) => [v.name, v.value, v.origin?.line, v.origin?.key]),
      [
        ["B", "true", 4, "variables.env.B"],
        ["N", "0", 5, "variables.env.N"],
        ["E", "", 6, "variables.env.E"],
        ["L", '[1,"x"]', 7, "variables.env.L"],
      ],
    );
    assert.deepEqual(a.config, { variables: { php: { memory_limit: "1G" } } });
  });
  it("invalid env names are errors", () => {
    assert.deepEqual(err("- name: a\n  variables:\n    env:\n      my-var: 1\n"), {
      file: MAIN,
      line: 4,
      path: "[0].variables.env.my-var",
      detail: '"my-var" is not a valid environment variable name',
    });
  });
  // [YAML, sourceRoot, source.root as kept in config]
  const roots: [string, string, string | null][] = [
    ["root: /", ".", "/"],
    ['root: "/"', ".", "/"],
    ["root:", ".", null],
    ["root: api", "api", "api"],
    ["root: /api/", "api", "/api/"],
    ["root: ./a/../mercure/.config", "mercure/.config", "./a/../mercure/.config"],
  ];
  for (const [yaml, want, raw] of roots) {
    it(`source.${yaml} → ${want}`, () => {
      const [a] = apps(`- name: a\n  source:\n    ${yaml}\n`);
      assert.equal(a.sourceRoot, want);
      assert.deepEqual(a.config, { source: { root: raw } });
    });
  }
  it("an escaping source.root is an error", () => {
    assert.deepEqual(err("- name: a\n  source:\n    root: ../x\n"), {
      file: MAIN,
      line: 3,
      path: "[0].source.root",
      detail: "source.root escapes the configuration root: ../x",
    });
  });
});

describe("loaders/upsun: !include", () => {
  const FILES = {
    "/cfg/.platform/pip.app.yaml":
      "name: app\ntype: python\nhooks:\n  deploy: !include {type: string, path: ../scripts/deploy.sh}\n",
    "/cfg/scripts/deploy.sh": "set -e\n  python manage.py migrate  \n\n",
    "/cfg/.platform/b.yaml":
      "name: b\nhooks:\n  build: !include\n    type: string\n    path: ../scripts/deploy.sh\n",
    "/cfg/.platform/cycle1.yaml": "name: c\nhooks: !include cycle2.yaml\n",
    "/cfg/.platform/cycle2.yaml": "build: !include cycle1.yaml\n",
    "/cfg/.platform/hooks.yaml": "build: from yaml include\n",
  };
  it("scalar form (quoted or not) includes a YAML app; string includes keep the file's bytes", () => {
    for (const ref of ["pip.app.yaml", '"pip.app.yaml"', "'pip.app.yaml'"]) {
      const [a] = apps(`- !include ${ref}\n`, FILES);
      assert.equal(a.name, "app");
      assert.deepEqual(a.hooks, [
        {
          name: "deploy",
          script: "set -e\n  python manage.py migrate  \n\n",
          origin: { file: "/cfg/scripts/deploy.sh", line: 1, key: "hooks.deploy" },
        },
      ]);
      assert.deepEqual(a.origin, { file: "/cfg/.platform/pip.app.yaml", line: 1 });
    }
  });
  it("block-mapping form and explicit type yaml", () => {
    assert.equal(
      apps("- !include b.yaml\n", FILES)[0].hooks[0].script,
      FILES["/cfg/scripts/deploy.sh"],
    );
    const [a] = apps("- name: h\n  hooks: !include {type: yaml, path: hooks.yaml}\n", FILES);
    assert.deepEqual(a.hooks, [
      {
        name: "build",
        script: "from yaml include",
        origin: { file: "/cfg/.platform/hooks.yaml", line: 1, key: "hooks.build" },
      },
    ]);
  });
  it("a missing target names the including file, the !include line, the key path and the path", () => {
    assert.deepEqual(
      err(
        "- name: a\n  type: php\n  hooks:\n    deploy: !include\n      type: string\n      path: scripts/missing.sh\n",
      ),
      {
        file: MAIN,
        line: 4,
        path: "[0].hooks.deploy",
        detail: "!include target not found: scripts/missing.sh",
      },
    );
    assert.deepEqual(err("- name: a\n- !include nope.yaml\n"), {
      file: MAIN,
      line: 2,
      path: "[1]",
      detail: "!include target not found: nope.yaml",
    });
  });
  const bad: [string, string, number, string][] = [
    [
      "escaping the root",
      "- name: a\n  hooks:\n    build: !include {type: string, path: ../../etc/passwd}\n",
      3,
      "!include path escapes the configuration root /cfg: ../../etc/passwd",
    ],
    [
      "absolute path",
      "- name: a\n  hooks:\n    build: !include {type: string, path: /etc/passwd}\n",
      3,
      "!include path must be relative to the including file: /etc/passwd",
    ],
    [
      "binary",
      "- name: a\n  hooks:\n    build: !include {type: binary, path: x.bin}\n",
      3,
      "!include type binary is not supported (only yaml and string): x.bin",
    ],
    [
      "archive",
      "- name: a\n  x: !include {type: archive, path: dir}\n",
      2,
      "!include type archive is not supported (only yaml and string): dir",
    ],
    [
      "unknown type",
      "- name: a\n  x: !include {type: text, path: a}\n",
      2,
      'unknown !include type "text" (expected yaml or string)',
    ],
    ["no path", "- name: a\n  x: !include {type: string}\n", 2, "!include needs a path"],
    [
      "cycle",
      "- !include cycle1.yaml\n",
      1,
      "!include cycle: .platform/applications.yaml -> .platform/cycle1.yaml -> .platform/cycle2.yaml -> .platform/cycle1.yaml",
    ],
  ];
  for (const [title, text, line, detail] of bad) {
    it(`rejects: ${title}`, () => {
      const e = err(text, FILES);
      assert.equal(e.detail, detail);
      assert.equal(e.line, line);
    });
  }
  it("the cycle error is reported in the file that closes the cycle", () => {
    assert.equal(err("- !include cycle1.yaml\n", FILES).file, "/cfg/.platform/cycle2.yaml");
  });
});

describe("loaders/loadConfig: detection and the .upsun directory", () => {
  let tmp: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), text);
  };
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "loaders-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("merges every *.yaml/*.yml of .upsun in file-name order (given the dir, config.yaml or the repo)", () => {
    write(
      ".upsun/b.yml",
      "applications:\n  web:\n    type: nodejs:20\n    hooks:\n      build: npm ci\n",
    );
    write(".upsun/a.yaml", "applications:\n  api:\n    type: php:8.3\n");
    write(
      ".upsun/config.yaml",
      "routes:\n  'https://{default}/': {type: upstream, upstream: 'api:http'}\nservices:\n  cache:\n    configuration:\n      vcl: !include {type: string, path: missing.vcl}\n",
    );
    write(".upsun/notes.txt", "not yaml");
    for (const given of [".upsun", ".upsun/config.yaml", ".upsun/a.yaml", "."]) {
      const cfg = loadConfig(path.join(tmp, given));
      assert.equal(cfg.profile, "upsun");
      assert.deepEqual(
        cfg.apps.map((a) => a.name),
        ["api", "web"],
        given,
      );
      assert.deepEqual(
        cfg.files,
        ["a.yaml", "b.yml", "config.yaml"].map((f) => path.join(tmp, ".upsun", f)),
      );
      assert.equal(cfg.apps[1].hooks[0].origin?.file, path.join(tmp, ".upsun", "b.yml"));
    }
  });
  it("an app defined in two .upsun files: the later file wins as a whole, in the first place, with a warning", () => {
    write(
      ".upsun/a.yaml",
      "applications:\n  api:\n    type: php\n    hooks: {build: a, deploy: a}\n  web:\n    type: php\n",
    );
    write(".upsun/b.yaml", "\napplications:\n  api:\n    type: php\n    hooks: {build: b}\n");
    const cfg = loadConfig(path.join(tmp, ".upsun"));
    assert.deepEqual(
      cfg.apps.map((a) => [a.name, a.origin?.file, a.hooks.map((h) => `${h.name}=${h.script}`)]),
      [
        ["api", path.join(tmp, ".upsun/b.yaml"), ["build=b"]],
        ["web", path.join(tmp, ".upsun/a.yaml"), []],
      ],
    );
    assert.deepEqual(cfg.warnings, [
      `application "api" is defined in ${path.join(tmp, ".upsun/a.yaml")}:2 and again in ${path.join(tmp, ".upsun/b.yaml")}:3; the later file wins as a whole, as on Upsun (files are read in alphabetical order)`,
    ]);
  });
  it("a .upsun dir without applications is an error", () => {
    write(".upsun/routes.yaml", "routes: {}\n");
    assert.equal(
      configError(() => loadConfig(path.join(tmp, ".upsun"))).detail,
      "no applications defined in any file of the .upsun directory",
    );
  });
  it("includes may not escape the root through a symlink", () => {
    write("outside/secret.sh", "x");
    write(
      "repo/.platform.app.yaml",
      "name: a\nhooks:\n  build: !include {type: string, path: link.sh}\n",
    );
    fs.symlinkSync(path.join(tmp, "outside/secret.sh"), path.join(tmp, "repo/link.sh"));
    assert.equal(
      configError(() => loadConfig(path.join(tmp, "repo/.platform.app.yaml"))).detail,
      `!include path escapes the configuration root ${path.join(tmp, "repo")} (through a symlink): link.sh`,
    );
  });
  it("detects env files, JSON and refuses unknown extensions unless cleverCloud is forced", () => {
    write("prod.env", "CC_PRE_RUN_HOOK=x\n");
    write(".env", "A=1\n");
    write("clevercloud/node.json", '{"hooks": {"postDeploy": "x"}}');
    write("notes.txt", "CC_PRE_RUN_HOOK=x\n");
    assert.deepEqual(
      loadConfig(path.join(tmp, "prod.env")).apps[0].hooks.map((h) => h.name),
      ["preRun"],
    );
    assert.equal(loadConfig(path.join(tmp, ".env")).profile, "cleverCloud");
    assert.deepEqual(loadConfig(path.join(tmp, "clevercloud/node.json")).apps[0].config, {
      runtime: "node",
    });
    assert.equal(
      configError(() => loadConfig(path.join(tmp, "notes.txt"))).detail,
      "cannot tell the configuration format from the file name (expected .platform.app.yaml, .platform/applications.yaml, .upsun/, *.env or clevercloud/*.json); give profile cleverCloud (--profile clever) for a Clever Cloud env file or script",
    );
    assert.deepEqual(
      loadConfig(path.join(tmp, "notes.txt"), { profile: "cleverCloud" }).apps[0].hooks.map(
        (h) => h.name,
      ),
      ["preRun"],
    );
    assert.equal(
      configError(() => loadConfig(path.join(tmp, "missing.env"))).detail,
      "file not found",
    );
  });
  it("a single .platform.app.yaml includes relative to itself, root = its directory", () => {
    write(
      "api/.platform.app.yaml",
      "name: api\nhooks:\n  deploy: !include {type: string, path: scripts/d.sh}\n",
    );
    write("api/scripts/d.sh", "drush deploy\n");
    const cfg = loadConfig(path.join(tmp, "api/.platform.app.yaml"));
    assert.deepEqual(cfg.files, [
      path.join(tmp, "api/.platform.app.yaml"),
      path.join(tmp, "api/scripts/d.sh"),
    ]);
    assert.equal(cfg.apps[0].hooks[0].script, "drush deploy\n");
  });
});
