/**
 * The second corpus (`shared/corpus/realworld`, issue 9 item 1): every configuration reads as the
 * platforms read it (INDEX.md there cites their rules). Three checks per input:
 *  1. a table of apps and hooks, `hook=file:line <first 12 hex of sha256(script)>` (origin file
 *     relative to the input's directory), or the exact error (an included script the corpus does
 *     not keep must fail naming it);
 *  2. an independent reading written from INDEX.md's rules with the `yaml` package's own `toJS`
 *     (merge keys on) / `JSON.parse` / a line splitter, which must give byte-identical scripts;
 *  3. literal scripts for the tricky forms (trailing spaces, odd indentation, plain multi-line,
 *     double-quoted, merge keys, dot-key templates, the `.upsun` later-file-wins rule).
 */
import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYamlText } from "yaml";
import { loadConfig } from "../../loaders";
import { isConfigError } from "../../model/configError";

const REALWORLD = path.resolve(__dirname, "../../../shared/corpus/realworld");

interface Row {
  input: string;
  warnings?: number;
  apps?: Record<string, string[]>;
  error?: string;
}

const TABLE: Row[] = [
  {
    input: "repos/2remdou__nicetruc@9a694eb/clevercloud/php.json",
    warnings: 1,
    apps: {
      app: ["runSucceeded=php.json:6 f3fcd759e952"],
    },
  },
  {
    input: "repos/David-pathia__pathia/.upsun",
    warnings: 0,
    apps: {
      app: ["build=app.yaml:39 91e9ccbc5063", "deploy=app.yaml:61 62afc643ca06"],
    },
  },
  {
    input: "repos/OriPekelman__drupal9-multisite-multiapp/.platform/applications.yaml",
    warnings: 0,
    apps: {
      drupal: [
        "build=applications.yaml:15 aa90afd8f163",
        "deploy=applications.yaml:21 7453fc2048d9",
      ],
      "drupal-first": [
        "build=applications.yaml:15 aa90afd8f163",
        "deploy=applications.yaml:21 7453fc2048d9",
      ],
      "drupal-second": [
        "build=applications.yaml:15 aa90afd8f163",
        "deploy=applications.yaml:21 7453fc2048d9",
      ],
    },
  },
  {
    input: "repos/OriPekelman__mindsdb@main/.platform/applications.yaml",
    warnings: 0,
    apps: {
      app: ["build=applications.yaml:11 b8bf626b03ef"],
    },
  },
  {
    input: "repos/OriPekelman__saleor/.upsun",
    warnings: 0,
    apps: {
      saleor: ["build=config.yaml:110 9c98beae2d9f", "deploy=config.yaml:127 722090d2edeb"],
    },
  },
  {
    input: "repos/agallou__openphoto-tagger@771b890/clevercloud/php.json",
    warnings: 0,
    apps: {
      app: [],
    },
  },
  {
    input: "repos/agallou__openphoto-tagger@9551fab/clevercloud/php.json",
    warnings: 1,
    apps: {
      app: ["runSucceeded=php.json:6 e4fbdefa3036"],
    },
  },
  {
    input: "repos/agallou__openphoto-tagger@cfec0ea/clevercloud/php.json",
    error:
      "php.json:4: JSON syntax error: Expected double-quoted property name in JSON at position 41",
  },
  {
    input: "repos/agallou__unreviewed-pr/clevercloud/php.json",
    warnings: 1,
    apps: {
      app: ["runSucceeded=php.json:6 2ac4561de713"],
    },
  },
  {
    input: "repos/chadwcarlson__saleor-platformsh/backend/.platform.app.yaml",
    warnings: 0,
    apps: {
      saleor: [
        "build=.platform.app.yaml:16 4012f2eef5e4",
        "deploy=.platform.app.yaml:72 56e7c6e167cf",
      ],
    },
  },
  {
    input: "repos/chadwcarlson__saleor-platformsh/dashboard/.platform.app.yaml",
    error: ".platform.app.yaml:11: hooks.build: !include target not found: upstreams/dashboard.sh",
  },
  {
    input: "repos/chadwcarlson__saleor-platformsh/storefront/.platform.app.yaml",
    error: ".platform.app.yaml:14: hooks.build: !include target not found: upstreams/storefront.sh",
  },
  {
    input: "repos/evuez__deployment-notification/clevercloud/ruby.json",
    warnings: 1,
    apps: {
      app: ["runSucceeded=ruby.json:3 dbc2ce3c933f"],
    },
  },
  {
    input: "repos/ilrWebServices__ilr_platform_multiapp/.platform/applications.yaml",
    warnings: 0,
    apps: {
      drupal8: [
        "build=applications.yaml:72 b349b91b8931",
        "deploy=applications.yaml:86 92f4ae9e069b",
      ],
    },
  },
  {
    input: "repos/lolautruche__bigfoot-multiapp@mounts-interapps/.upsun",
    warnings: 4,
    apps: {
      api: ["build=config.yaml:87 060ac9f554fa", "deploy=config.yaml:92 503330ff085f"],
      admin: ["build=config.yaml:169 7581ccb1ec33", "postDeploy=config.yaml:173 0817ca73dab8"],
      gatsby: ["build=config.yaml:217 4ed7f5537b39", "postDeploy=config.yaml:221 0e65a033f003"],
      mercure: ["build=config.yaml:276 328ad14f4f66"],
      "update-submodule": [],
    },
  },
  {
    input: "repos/lolautruche__bigfoot-multiapp@upsun-multi-2/.upsun",
    warnings: 0,
    apps: {
      api: ["build=apps.yaml:70 ec248ad4fca7", "deploy=apps.yaml:78 468fa989d083"],
      admin: ["build=apps.yaml:183 7581ccb1ec33", "postDeploy=apps.yaml:188 4d9f7400d984"],
      gatsby: ["build=apps.yaml:263 4ed7f5537b39", "postDeploy=apps.yaml:268 0e65a033f003"],
      mercure: ["build=apps.yaml:348 203cc0cdc60c"],
      "update-submodule": [],
    },
  },
  {
    input: "repos/lukroth__eduskript@ac9b835/clevercloud/node.json",
    warnings: 1,
    apps: {
      app: ["runSucceeded=node.json:6 d9837ff323fa"],
    },
  },
  {
    input: "repos/lukroth__eduskript@f19b5d0/clevercloud/node.json",
    warnings: 0,
    apps: {
      app: [],
    },
  },
  {
    input: "repos/platformista__soa-demo-template@add-extra-service/.platform/applications.yaml",
    warnings: 0,
    apps: {
      "admin-fe": ["build=applications.yaml:9 4c23cccee1a7"],
      "settings-fe": ["build=applications.yaml:36 4c23cccee1a7"],
      "api-gateway": ["build=applications.yaml:62 155e6c3f4b62"],
      "settings-service": [],
      "assets-service": ["build=applications.yaml:88 f634394e6be6"],
      "data-connector-service": ["build=applications.yaml:113 e7cf249d06d4"],
      "user-management-service": ["build=applications.yaml:130 dfb121e5b9bd"],
      vault: ["build=applications.yaml:162 155e6c3f4b62"],
    },
  },
  {
    input: "repos/platformista__streamlit@upsun/.platform.app.yaml",
    warnings: 0,
    apps: {
      app: [
        "build=.platform.app.yaml:26 0ecd81c40539",
        "deploy=.platform.app.yaml:40 8697352aefba",
      ],
    },
  },
  {
    input: "repos/platformista__streamlit@upsun/.upsun",
    error:
      ".upsun: no applications defined in any file of the .upsun directory (app.yaml has a top-level type:/hooks: like a Platform.sh .platform.app.yaml; in .upsun/ an app goes under applications.<name>)",
  },
  {
    input: "repos/platformsh-examples__multi-app-load-balancing/.platform/applications.yaml",
    warnings: 0,
    apps: {
      app: ["build=applications.yaml:8 b0f330a41c37"],
      applb: ["build=applications.yaml:8 b0f330a41c37"],
      app2: ["build=applications.yaml:8 b0f330a41c37"],
      app2lb: ["build=applications.yaml:8 b0f330a41c37"],
    },
  },
  {
    input: "repos/platformsh-templates__directus/.platform.app.yaml",
    warnings: 0,
    apps: {
      directus: [
        "build=.platform.app.yaml:67 a12854ee92f6",
        "deploy=.platform.app.yaml:77 c12198b40563",
      ],
    },
  },
  {
    input: "repos/platformsh-templates__flask/.platform.app.yaml",
    warnings: 0,
    apps: {
      flask: ["build=.platform.app.yaml:44 14304026cf60"],
    },
  },
  {
    input: "repos/platformsh-templates__mattermost/.platform.app.yaml",
    error: ".platform.app.yaml:6: hooks.build: !include target not found: build.sh",
  },
  {
    input: "repos/platformsh-templates__meilisearch/search/.platform.app.yaml",
    error: ".platform.app.yaml:21: hooks.build: !include target not found: build.sh",
  },
  {
    input: "repos/platformsh-templates__nuxtjs/.platform.app.yaml",
    warnings: 0,
    apps: {
      app: ["build=.platform.app.yaml:43 2746e5c7b5b9"],
    },
  },
  {
    input: "repos/platformsh-templates__pyramid/.platform.app.yaml",
    warnings: 0,
    apps: {
      app: ["build=.platform.app.yaml:45 9e19b1a0d314"],
    },
  },
  {
    input: "repos/platformsh-templates__wagtail/.platform.app.yaml",
    warnings: 0,
    apps: {
      app: [
        "build=.platform.app.yaml:77 66f0ff9cdb20",
        "deploy=.platform.app.yaml:91 c270e340a21c",
      ],
    },
  },
  {
    input: "repos/platformsh-templates__xwiki/.platform.app.yaml",
    warnings: 0,
    apps: {
      app: ["build=.platform.app.yaml:27 c9c449de9c69"],
    },
  },
  {
    input: "repos/platformsh__platformsh-docs/.platform/applications.yaml",
    warnings: 0,
    apps: {
      docs: [
        "build=applications.yaml:25 8bc593362ea0",
        "deploy=applications.yaml:55 50c4e80a5247",
        "postDeploy=applications.yaml:59 480fe4f5fd5b",
      ],
      upsun: [
        "build=applications.yaml:127 082e4fccd413",
        "deploy=applications.yaml:162 50c4e80a5247",
        "postDeploy=applications.yaml:166 480fe4f5fd5b",
      ],
      "redirectionio-upsun": ["build=applications.yaml:217 0cab72528345"],
      "redirectionio-psh": ["build=applications.yaml:251 0cab72528345"],
    },
  },
  {
    input: "repos/platformsh__platformsh-docs/search/.platform.app.yaml",
    error: ".platform.app.yaml:17: hooks.build: !include target not found: build.sh",
  },
  {
    input: "repos/ralt__distributed-elixir-upsun/.upsun",
    warnings: 0,
    apps: {
      hello_distributed: ["build=config.yaml:16 faa0da4a766c"],
    },
  },
  {
    input: "repos/romainnorberg__construct-tim/clevercloud/php.json",
    warnings: 1,
    apps: {
      app: ["runSucceeded=php.json:6 38e400cf9621"],
    },
  },
  {
    input: "repos/upsun__demo-clamav/.upsun",
    warnings: 0,
    apps: {
      "in-app_clamav": ["build=config.yaml:22 0e4668e4b78f", "deploy=config.yaml:25 f08723dc9611"],
    },
  },
  {
    input: "repos/upsun__demo-js/.upsun",
    warnings: 0,
    apps: {
      main_app: ["build=config.yaml:10 1884148b506b"],
      bun_app: ["build=config.yaml:29 72c25aea88e9"],
      nodejs_app: ["build=config.yaml:43 106feca7d255"],
      deno_app: ["build=config.yaml:64 f329ad8b677e"],
    },
  },
  {
    input: "repos/upsun__snippets/examples/demo-decouple-frontend/.upsun",
    warnings: 0,
    apps: {
      app: ["build=config.yaml:35 712b572e57a2", "deploy=config.yaml:39 503330ff085f"],
      frontend: ["build=config.yaml:60 840f8fc1d493"],
    },
  },
  {
    input: "repos/upsun__snippets/examples/forem/.upsun",
    warnings: 0,
    apps: {
      myapp: ["build=config.yaml:115 fa45d5072f40", "deploy=config.yaml:133 791a51f566a1"],
    },
  },
  {
    input: "repos/upsun__snippets/examples/magnolia/monolith/.upsun",
    warnings: 0,
    apps: {
      magnolia: ["build=config.yaml:53 6a66f5e6f029"],
    },
  },
  {
    input: "repos/upsun__tutorial-chromadb/.upsun",
    warnings: 0,
    apps: {
      chroma: ["build=config.yaml:15 ae16a3f393ce"],
      "python-app": ["build=config.yaml:54 6d6ba070677a", "deploy=config.yaml:57 64f509d7f83e"],
      "nodejs-app": ["build=config.yaml:88 cbae4c03bfee", "deploy=config.yaml:91 2fd21dccc0a7"],
    },
  },
  {
    input: "snippets/betagouv__ma-cantine__docs__ONBOARDING.md.L390-391.extract.env",
    warnings: 0,
    apps: {
      app: [
        "preBuild=betagouv__ma-cantine__docs__ONBOARDING.md.L390-391.extract.env:1 418abdfe5268",
      ],
    },
  },
  {
    input: "snippets/ldoguin__vanity-creator__README.md.L10-24.extract.env",
    warnings: 0,
    apps: {
      app: ["preRun=ldoguin__vanity-creator__README.md.L10-24.extract.env:3 77c5a946eee1"],
    },
  },
  {
    input: "snippets/mlco2__codecarbon__docs__how-to__contributing.md.L524-531.extract.env",
    warnings: 0,
    apps: {
      app: [
        "postBuild=mlco2__codecarbon__docs__how-to__contributing.md.L524-531.extract.env:3 64012b9955e0",
      ],
    },
  },
  {
    input: "snippets/mlco2__codecarbon__docs__how-to__contributing.md.L562-567.extract.env",
    warnings: 0,
    apps: {
      app: [],
    },
  },
  {
    input:
      "snippets/mrmuhammadrifki__portal-umkm-muhammadiyah-DIY__docs__DEPLOY-CLEVER-CLOUD.md.L36-62.extract.env",
    warnings: 0,
    apps: {
      app: [
        "preRun=mrmuhammadrifki__portal-umkm-muhammadiyah-DIY__docs__DEPLOY-CLEVER-CLOUD.md.L36-62.extract.env:5 766a121e32fb",
        "postBuild=mrmuhammadrifki__portal-umkm-muhammadiyah-DIY__docs__DEPLOY-CLEVER-CLOUD.md.L36-62.extract.env:6 3358281e0c30",
      ],
    },
  },
];

/** Platform hook key → our hook name, per INDEX.md. */
const UPSUN_HOOKS: Record<string, string> = {
  build: "build",
  deploy: "deploy",
  post_deploy: "postDeploy",
};
const CLEVER_HOOKS: Record<string, string> = {
  CC_PRE_BUILD_HOOK: "preBuild",
  CC_POST_BUILD_HOOK: "postBuild",
  CC_PRE_RUN_HOOK: "preRun",
  CC_RUN_SUCCEEDED_HOOK: "runSucceeded",
  CC_RUN_FAILED_HOOK: "runFailed",
};

type Hooks = Record<string, string>;
const includeTag = {
  tag: "!include",
  resolve: () => ({ include: true }),
};
const includeMapTag = { ...includeTag, collection: "map" as const };

function readYaml(file: string): unknown {
  return parseYamlText(fs.readFileSync(file, "utf8"), {
    merge: true,
    customTags: [includeTag, includeMapTag],
  });
}

function upsunHooks(app: Record<string, unknown>): Hooks {
  const out: Hooks = {};
  const hooks = (app.hooks ?? {}) as Record<string, unknown>;
  for (const [key, name] of Object.entries(UPSUN_HOOKS)) {
    const v = hooks[key];
    if (typeof v === "string") out[name] = v;
    else if (v !== null && v !== undefined) out[name] = "<include>";
  }
  return out;
}

function appsOf(value: unknown): Record<string, Hooks> {
  const out: Record<string, Hooks> = {};
  if (Array.isArray(value)) {
    for (const app of value) out[(app as { name: string }).name] = upsunHooks(app);
  } else {
    for (const [name, app] of Object.entries((value ?? {}) as Record<string, unknown>)) {
      if (!name.startsWith(".")) out[name] = upsunHooks(app as Record<string, unknown>);
    }
  }
  return out;
}

/** The INDEX.md reading of one input, written independently of loaders/. */
function independentReading(input: string): Record<string, Hooks> {
  const file = path.join(REALWORLD, input);
  if (input.endsWith(".upsun")) {
    const out: Record<string, Hooks> = {};
    const names = fs
      .readdirSync(file)
      .filter((n) => /\.ya?ml$/.test(n) && fs.statSync(path.join(file, n)).isFile())
      .sort();
    for (const n of names) {
      const doc = readYaml(path.join(file, n)) as Record<string, unknown> | null;
      Object.assign(out, appsOf(Array.isArray(doc) ? doc : doc?.applications));
    }
    return out;
  }
  if (input.endsWith(".platform.app.yaml")) {
    const app = readYaml(file) as Record<string, unknown>;
    return { [String(app.name)]: upsunHooks(app) };
  }
  if (input.endsWith("applications.yaml")) return appsOf(readYaml(file));
  if (input.endsWith(".json")) {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as { hooks?: { postDeploy?: string } };
    const post = data.hooks?.postDeploy;
    return { app: post === undefined ? {} : { runSucceeded: post } };
  }
  const hooks: Hooks = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const i = line.indexOf("=");
    const key = line.slice(0, i).trim();
    let value = line.slice(i + 1);
    const m = /^(["'])(.*)\1$/.exec(value);
    if (m) value = m[2];
    if (CLEVER_HOOKS[key]) hooks[CLEVER_HOOKS[key]] = value;
  }
  return { app: hooks };
}

function digest(script: string): string {
  return createHash("sha256").update(script).digest("hex").slice(0, 12);
}

describe("loaders: the realworld corpus reads as the platforms read it", function () {
  before(function () {
    if (!fs.existsSync(REALWORLD)) {
      console.log(
        `    skipped: corpus not found at ${REALWORLD} (CI keeps shared/ beside the clone)`,
      );
      this.skip();
    }
  });

  for (const row of TABLE) {
    it(`${row.input}`, () => {
      const file = path.join(REALWORLD, row.input);
      const dir = row.input.endsWith(".upsun") ? file : path.dirname(file);
      if (row.error !== undefined) {
        assert.throws(
          () => loadConfig(file),
          (e: unknown) => {
            assert.ok(isConfigError(e));
            assert.equal(
              e.message
                .split(dir + path.sep)
                .join("")
                .split(file)
                .join(path.basename(file)),
              row.error,
            );
            return true;
          },
        );
        return;
      }
      const loaded = loadConfig(file);
      const got: Record<string, string[]> = {};
      for (const app of loaded.apps) {
        got[app.name] = app.hooks.map(
          (h) =>
            `${h.name}=${path.relative(dir, h.origin?.file ?? "")}:${h.origin?.line} ${digest(h.script)}`,
        );
      }
      assert.deepEqual(got, row.apps);
      assert.equal(loaded.warnings.length, row.warnings ?? 0, loaded.warnings.join("\n"));
      // The independent reading gives the same apps and byte-identical scripts.
      const expected = independentReading(row.input);
      const ours = Object.fromEntries(
        loaded.apps.map((a) => [
          a.name,
          Object.fromEntries(a.hooks.map((h) => [h.name, h.script])),
        ]),
      );
      assert.deepEqual(ours, expected);
    });
  }
});

/** The literal script of one hook of one input. */
function script(input: string, app: string, hook: string): string | undefined {
  const loaded = loadConfig(path.join(REALWORLD, input));
  return loaded.apps.find((a) => a.name === app)?.hooks.find((h) => h.name === hook)?.script;
}

describe("loaders: realworld forms, literally", function () {
  before(function () {
    if (!fs.existsSync(REALWORLD)) this.skip();
  });

  it("merge keys: every app of multi-app-load-balancing inherits the plain `build`", () => {
    const input = "repos/platformsh-examples__multi-app-load-balancing/.platform/applications.yaml";
    for (const app of ["app", "applb", "app2", "app2lb"]) {
      assert.equal(script(input, app, "build"), "mvn clean install");
    }
  });

  it("dot keys are templates: `.common` is not an app, its hooks reach the apps through <<", () => {
    const input = "repos/OriPekelman__drupal9-multisite-multiapp/.platform/applications.yaml";
    const loaded = loadConfig(path.join(REALWORLD, input));
    assert.deepEqual(
      loaded.apps.map((a) => a.name),
      ["drupal", "drupal-first", "drupal-second"],
    );
  });

  it(".upsun: an app defined in two files is taken whole from the later file, with a warning naming both", () => {
    const input = "repos/lolautruche__bigfoot-multiapp@mounts-interapps/.upsun";
    const dir = path.join(REALWORLD, input);
    const loaded = loadConfig(dir);
    assert.deepEqual(
      loaded.apps.map((a) => `${a.name}@${path.basename(a.origin?.file ?? "")}`),
      [
        "api@config.yaml",
        "admin@config.yaml",
        "gatsby@config.yaml",
        "mercure@config.yaml",
        "update-submodule@apps.yaml",
      ],
    );
    assert.equal(
      loaded.warnings[0].split(dir + path.sep).join(""),
      'application "api" is defined in apps.yaml:4 and again in config.yaml:44; the later file wins as a whole, as on Upsun (files are read in alphabetical order)',
    );
  });

  it("trailing spaces inside a literal block are kept (magnolia)", () => {
    const s = script(
      "repos/upsun__snippets/examples/magnolia/monolith/.upsun",
      "magnolia",
      "build",
    );
    assert.ok(s?.startsWith("set -eux        \n"), JSON.stringify(s?.slice(0, 40)));
  });

  it("one extra leading space in a literal block is kept (streamlit)", () => {
    const s = script("repos/platformista__streamlit@upsun/.platform.app.yaml", "app", "deploy");
    assert.match(s ?? "", /\n conda create /);
  });

  it("a multi-line plain scalar folds into one line (platformsh-docs post_deploy)", () => {
    const s = script(
      "repos/platformsh__platformsh-docs/.platform/applications.yaml",
      "docs",
      "postDeploy",
    );
    assert.ok(s !== undefined && !s.includes("\n"), JSON.stringify(s));
  });

  it("a double-quoted build is unquoted (mindsdb)", () => {
    assert.equal(
      script("repos/OriPekelman__mindsdb@main/.platform/applications.yaml", "app", "build"),
      "pip install --upgrade pip; pip install mindsdb",
    );
  });

  it("UTF-8 comments inside hooks survive byte for byte (pathia)", () => {
    const s = script("repos/David-pathia__pathia/.upsun", "app", "build") ?? "";
    const raw = fs.readFileSync(
      path.join(REALWORLD, "repos/David-pathia__pathia/.upsun/app.yaml"),
      "utf8",
    );
    assert.match(s, /[éèà]/);
    for (const line of s.split("\n").filter((l) => l.trim() !== "")) {
      assert.ok(raw.includes(line.trimEnd()), line);
    }
  });
});
