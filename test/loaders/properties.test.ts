/**
 * Properties: (1) on any text, every loader returns or throws a ConfigError — never anything else;
 * (2) reformatting a YAML configuration (key order, flow/block, comments, quoting style) gives the
 * same AppSpecs except origin lines (hooks/variables compared by name: the loaders keep file order).
 */
import { strict as assert } from "assert";
import fc from "fast-check";
import * as path from "path";
import { Document, isScalar, parse, Scalar, visit } from "yaml";
import { parseCleverCloudJson, parseCleverEnv, parseUpsunYaml, UpsunForm } from "../../loaders";
import { AppSpec } from "../../model/app";
import { isConfigError } from "../../model/configError";

const FILES: Record<string, string> = {
  "/cfg/.platform/a.yaml": "name: inc\nhooks:\n  build: !include {type: string, path: s.sh}\n",
  "/cfg/.platform/s.sh": "echo hi\n",
  "/cfg/.platform/loop.yaml": "- !include loop.yaml\n",
};
const readFile = (f: string) => FILES[path.resolve(f)];

function onlyConfigErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isConfigError(e)) throw e;
  }
}

/** Text that often looks like configuration: tokens from every format, glued at random. */
const configish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "\n",
        "  ",
        "    ",
        "- ",
        "name: ",
        "app",
        "hooks:",
        "build: ",
        "deploy: |",
        "post_deploy: ",
        "post-deploy: ",
        "!include ",
        "{type: string, path: s.sh}",
        "{type: binary, path: x}",
        "a.yaml",
        "loop.yaml",
        "../../etc/passwd",
        "applications:",
        "variables:",
        "env:",
        "source:",
        "root: ",
        "/",
        "..",
        "&a ",
        "*a",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "'",
        '"',
        "#",
        "=",
        "CC_PRE_BUILD_HOOK",
        "CC_POSTBUILD_HOOK",
        "export ",
        "clever env set ",
        "-a ",
        "--alias ",
        "\\",
        "\r\n",
        "\t",
        "null",
        "true",
        "12",
        "__proto__",
        "constructor",
        "?",
        "|",
        ">",
        "!!str ",
        "!foo ",
        "%YAML 1.2\n",
        "---\n",
        "...\n",
        '{"hooks": {"postDeploy": ',
        "}",
        ",",
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

const anyText = fc.oneof(
  configish,
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
);

describe("loaders: properties", () => {
  const forms: UpsunForm[] = ["auto", "app", "applications", "upsun"];
  for (const form of forms) {
    it(`parseUpsunYaml(form ${form}) throws only ConfigError`, () => {
      fc.assert(
        fc.property(anyText, (text) =>
          onlyConfigErrors(() =>
            parseUpsunYaml(text, "/cfg/.platform/applications.yaml", {
              form,
              root: "/cfg",
              readFile,
            }),
          ),
        ),
        { numRuns: 400 },
      );
    });
  }
  for (const syntax of ["env", "cli", "auto"] as const) {
    it(`parseCleverEnv(syntax ${syntax}) throws only ConfigError`, () => {
      fc.assert(
        fc.property(anyText, (text) =>
          onlyConfigErrors(() => parseCleverEnv(text, "x.env", { syntax })),
        ),
        { numRuns: 400 },
      );
    });
  }
  it("parseCleverCloudJson throws only ConfigError", () => {
    const jsonish = fc.oneof(
      anyText,
      fc.json().map((j) => `{"hooks": ${j}}`),
      fc.json(),
    );
    fc.assert(
      fc.property(jsonish, (text) =>
        onlyConfigErrors(() => parseCleverCloudJson(text, "clevercloud/php.json")),
      ),
      { numRuns: 400 },
    );
  });
});

/** A tiny deterministic PRNG so one seed decides every formatting choice. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scriptChars = fc.constantFrom(
  "a",
  "b",
  " ",
  "  ",
  "\n",
  "\t",
  "#",
  "$",
  '"',
  "'",
  ":",
  "- ",
  "\\",
  "é",
  "{",
  "}",
  "&&",
  "|",
  "!",
  "%",
  "@",
  "`",
);
// A script with no visible character ("  \n") has no faithful block-scalar form in YAML (the
// `yaml` stringifier writes it as "\n"), so the reformatting property only covers real scripts.
const script = fc
  .array(scriptChars, { minLength: 1, maxLength: 30 })
  .map((p) => p.join(""))
  .filter((s) => /\S/.test(s));
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
const scalarValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.boolean(),
);

const appArb = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  hooks: fc.record({ build: script, deploy: script, post_deploy: script }, { requiredKeys: [] }),
  env: fc.dictionary(envName, scalarValue, { maxKeys: 4 }),
  type: fc.constantFrom("php:8.3", "nodejs:20", "python:3.12"),
  disk: fc.integer({ min: 128, max: 4096 }),
  start: script,
  root: fc.constantFrom(undefined, "/", "api", "a/b"),
});

type GenApp = typeof appArb extends fc.Arbitrary<infer T> ? T : never;

function toPlainApp(a: GenApp): Record<string, unknown> {
  const app: Record<string, unknown> = {
    name: a.name,
    type: a.type,
    disk: a.disk,
    web: { commands: { start: a.start } },
  };
  if (Object.keys(a.hooks).length > 0) app.hooks = a.hooks;
  if (Object.keys(a.env).length > 0) app.variables = { env: a.env, php: { memory_limit: "1G" } };
  if (a.root !== undefined) app.source = { root: a.root };
  return app;
}

const STRING_TYPES = [
  Scalar.PLAIN,
  Scalar.QUOTE_DOUBLE,
  Scalar.QUOTE_SINGLE,
  Scalar.BLOCK_LITERAL,
  Scalar.BLOCK_FOLDED,
] as const;

/** Renders apps as list-form YAML, every formatting choice taken from `seed`. */
function render(apps: Record<string, unknown>[], seed: number | undefined): string {
  const doc = new Document(apps);
  if (seed !== undefined) {
    const rnd = prng(seed);
    visit(doc, {
      Map(_, node) {
        node.items.sort(() => rnd() - 0.5);
        node.flow = rnd() < 0.3;
        if (rnd() < 0.3) node.commentBefore = " a comment";
      },
      Seq(_, node) {
        node.flow = rnd() < 0.2;
      },
      Pair(_, pair) {
        if (rnd() < 0.2 && isScalar(pair.key)) pair.key.commentBefore = " # key comment";
      },
      Scalar(_, node) {
        if (typeof node.value === "string") {
          node.type = STRING_TYPES[Math.floor(rnd() * STRING_TYPES.length)];
        }
      },
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/** yaml's own reading of a text (a marker when it cannot parse what it wrote). */
function tryParse(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return Symbol.for("unparseable");
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

function normalize(apps: AppSpec[]): unknown {
  const dropLine = <T extends { origin?: { line?: number } }>(x: T) => ({
    ...x,
    origin: { ...x.origin, line: undefined },
  });
  return apps.map((a) => ({
    ...a,
    origin: { ...a.origin, line: undefined },
    hooks: [...a.hooks].sort((x, y) => x.name.localeCompare(y.name)).map(dropLine),
    variables: [...a.variables].sort((x, y) => x.name.localeCompare(y.name)).map(dropLine),
  }));
}

describe("loaders: reformatting YAML does not change the AppSpecs", function () {
  // ~8 s alone; the shared CI machine runs several suites at once.
  this.timeout(120_000);
  it("key order, flow/block, comments, quoting style", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(appArb, { minLength: 1, maxLength: 3, selector: (a) => a.name }),
        fc.integer(),
        (apps, seed) => {
          const plain = apps.map(toPlainApp);
          const file = "/cfg/.platform/applications.yaml";
          const base = parseUpsunYaml(render(plain, undefined), file, { root: "/cfg", readFile });
          const text = render(plain, seed);
          // The yaml stringifier itself cannot write some strings in some styles (e.g. a
          // whitespace-only block literal); such renderings are not a test of the loader.
          fc.pre(isDeepEqual(tryParse(text), tryParse(render(plain, undefined))));
          const other = parseUpsunYaml(text, file, { root: "/cfg", readFile });
          assert.deepEqual(normalize(other), normalize(base), text);
          // and the scripts are the generated ones, byte for byte
          for (let i = 0; i < apps.length; i++) {
            for (const h of base[i].hooks) {
              const key = h.origin!.key!.slice(
                "hooks.".length,
              ) as keyof (typeof apps)[number]["hooks"];
              assert.equal(h.script, apps[i].hooks[key]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
