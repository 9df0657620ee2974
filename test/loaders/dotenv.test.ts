/** Clever Cloud env files, `clever env set` scripts and legacy JSON: table-driven quirks. */
import { strict as assert } from "assert";
import {
  parseCleverCliText,
  parseCleverCloudJson,
  parseCleverEnv,
  parseEnvText,
} from "../../loaders";
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

const F = "app.env";

describe("loaders/dotenv: env syntax", () => {
  const ok: [string, string, [string, string, number][]][] = [
    [
      "unquoted value with quotes inside",
      'CC_POST_BUILD_HOOK=echo "it works!"\n',
      [["CC_POST_BUILD_HOOK", 'echo "it works!"', 1]],
    ],
    [
      "double quotes spanning lines",
      'A=1\nB="x &&\ny"\nC=3\n',
      [
        ["A", "1", 1],
        ["B", "x &&\ny", 2],
        ["C", "3", 4],
      ],
    ],
    ["single quotes are literal", "A='a \"b\" $c \\n'\n", [["A", 'a "b" $c \\n', 1]]],
    [
      "single quotes spanning lines",
      "A='x\ny'\nB=2",
      [
        ["A", "x\ny", 1],
        ["B", "2", 3],
      ],
    ],
    ["trailing space inside quotes kept", 'A="bun run build "\n', [["A", "bun run build ", 1]]],
    [
      "trailing blanks after an unquoted value trimmed",
      "A=npx nuxi generate  \t\n",
      [["A", "npx nuxi generate", 1]],
    ],
    [
      "comments, blank lines, indentation",
      '# c\n\n    A=1\n\t  # indented comment\n      B="2"\n',
      [
        ["A", "1", 3],
        ["B", "2", 5],
      ],
    ],
    [
      "export prefix",
      "export A=1\nexport  B='2'\n",
      [
        ["A", "1", 1],
        ["B", "2", 2],
      ],
    ],
    [
      "blanks around =",
      "A = 1\nB=  two words\n",
      [
        ["A", "1", 1],
        ["B", "two words", 2],
      ],
    ],
    [
      "empty values",
      'A=\nB=""\n',
      [
        ["A", "", 1],
        ["B", "", 2],
      ],
    ],
    // Clever Cloud removes one pair of outer quotes and processes no escape and no $VAR.
    [
      "no escapes inside double quotes",
      'A="a\\"b\\\\c\\nd\\$e"\n',
      [["A", 'a\\"b\\\\c\\nd\\$e', 1]],
    ],
    ["no $VAR inside double quotes", 'A="cd $APP_HOME && x"\n', [["A", "cd $APP_HOME && x", 1]]],
    [
      "inner quotes of one line kept",
      `A="say "hi""\nB='it's'\n`,
      [
        ["A", 'say "hi"', 1],
        ["B", "it's", 2],
      ],
    ],
    [
      "a multi-line double-quoted value, kept as written",
      'A="x\\n\ny"\nB=1\n',
      [
        ["A", "x\\n\ny", 1],
        ["B", "1", 3],
      ],
    ],
    ["comment after the closing quote", 'A="x" # note\n', [["A", "x", 1]]],
    ["# inside an unquoted value is text", "A=echo a # b\n", [["A", "echo a # b", 1]]],
    [
      "CRLF line ends",
      'A=1\r\nB="x"\r\n',
      [
        ["A", "1", 1],
        ["B", "x", 2],
      ],
    ],
    ["no trailing newline", "A=1", [["A", "1", 1]]],
    ["= inside the value", "A=a=b\n", [["A", "a=b", 1]]],
  ];
  for (const [title, text, want] of ok) {
    it(title, () =>
      assert.deepEqual(
        parseEnvText(text, F).map((a) => [a.key, a.value, a.line]),
        want,
      ),
    );
  }

  const bad: [string, string, number, string][] = [
    [
      "unterminated double quote",
      'A=1\nB="x\ny\n',
      2,
      "unterminated double quote in the value of B",
    ],
    ["unterminated single quote", "A='x", 1, "unterminated single quote in the value of A"],
    [
      "unterminated quote after a multi-line value",
      'A="1\n2"\nB=3\nC="oops',
      4,
      "unterminated double quote in the value of C",
    ],
    [
      "text after the closing quote",
      'A="a" b\n',
      1,
      'unexpected text after the closing quote of A: "b"',
    ],
    ["invalid name", "1A=v\n", 1, '"1A" is not a valid environment variable name'],
    ["not an assignment", "A=1\njust text\n", 2, 'expected KEY=value, got "just text"'],
    ["markdown bullet", "- A=1\n", 1, 'expected KEY=value, got "- A=1"'],
  ];
  for (const [title, text, line, detail] of bad) {
    it(`rejects: ${title}`, () => {
      const e = configError(() => parseEnvText(text, F));
      assert.deepEqual([e.file, e.line, e.detail], [F, line, detail]);
    });
  }
});

describe("loaders/dotenv: clever env set scripts", () => {
  const ok: [string, string, [string, string, number, string?][]][] = [
    [
      "aligned spaces and quotes",
      'clever env set CC_PHP_VERSION         8.2\nclever env set CC_POST_BUILD_HOOK     "scripts/install.sh"\n',
      [
        ["CC_PHP_VERSION", "8.2", 1],
        ["CC_POST_BUILD_HOOK", "scripts/install.sh", 2],
      ],
    ],
    [
      "-a before set",
      "clever env -a backup set CC_PRE_RUN_HOOK ./x.sh\n",
      [["CC_PRE_RUN_HOOK", "./x.sh", 1, "backup"]],
    ],
    [
      "--alias after, single quotes",
      "clever env set CC_POST_BUILD_HOOK 'npm run build' --alias hello-world\n",
      [["CC_POST_BUILD_HOOK", "npm run build", 1, "hello-world"]],
    ],
    [
      "--alias=x and --app",
      "clever env set A 1 --alias=x\nclever env --app y set B 2\n",
      [
        ["A", "1", 1, "x"],
        ["B", "2", 2, "y"],
      ],
    ],
    [
      "other commands and shell lines ignored",
      'git add .\ngit commit -m "my app"\nclever create x -t node\nFOO=bar\nclever env rm A\nclever env\nclever deploy\n# clever env set X 1\n',
      [],
    ],
    [
      "escapes and continuation",
      'clever env set A "a \\"b\\" \\$c" \\\n  --alias z\nclever env set B c\\ d\n',
      [
        ["A", 'a "b" $c', 1, "z"],
        ["B", "c d", 3],
      ],
    ],
    [
      "chained commands",
      "clever env set A 1 && clever env set B 2; clever deploy\n",
      [
        ["A", "1", 1],
        ["B", "2", 1],
      ],
    ],
  ];
  for (const [title, text, want] of ok) {
    it(title, () =>
      assert.deepEqual(
        parseCleverCliText(text, "x.sh").map((a) =>
          a.alias === undefined ? [a.key, a.value, a.line] : [a.key, a.value, a.line, a.alias],
        ),
        want,
      ),
    );
  }
  const bad: [string, string, number, string][] = [
    [
      "missing value",
      "clever env set A\n",
      1,
      "clever env set takes a name and one value, got 1 word(s) (quote a value with spaces)",
    ],
    [
      "unquoted spaces",
      "\nclever env set A npm run build\n",
      2,
      "clever env set takes a name and one value, got 4 word(s) (quote a value with spaces)",
    ],
    ["unterminated quote", "clever env set A 'x\n", 1, "unterminated single quote"],
    [
      "bad name",
      "clever env set my-var 1\n",
      1,
      '"my-var" is not a valid environment variable name',
    ],
    ["alias flag without value", "clever env set A 1 -a\n", 1, "-a needs a value"],
  ];
  for (const [title, text, line, detail] of bad) {
    it(`rejects: ${title}`, () => {
      const e = configError(() => parseCleverCliText(text, "x.sh"));
      assert.deepEqual([e.line, e.detail], [line, detail]);
    });
  }
});

describe("loaders/cleverCloud: env → AppSpec", () => {
  it("maps the five hooks in file order, other variables to variables, config {}", () => {
    const app = parseCleverEnv(
      "CC_RUN_FAILED_HOOK=f\nCC_PRE_BUILD_HOOK=a\nCC_POST_BUILD_HOOK=b\nX=1\nCC_PRE_RUN_HOOK=c\nCC_RUN_SUCCEEDED_HOOK=d\n",
      F,
    );
    assert.equal(app.name, "app");
    assert.equal(app.profile, "cleverCloud");
    assert.deepEqual(
      app.hooks.map((h) => [h.name, h.script, h.origin]),
      [
        ["runFailed", "f", { file: F, line: 1, key: "CC_RUN_FAILED_HOOK" }],
        ["preBuild", "a", { file: F, line: 2, key: "CC_PRE_BUILD_HOOK" }],
        ["postBuild", "b", { file: F, line: 3, key: "CC_POST_BUILD_HOOK" }],
        ["preRun", "c", { file: F, line: 5, key: "CC_PRE_RUN_HOOK" }],
        ["runSucceeded", "d", { file: F, line: 6, key: "CC_RUN_SUCCEEDED_HOOK" }],
      ],
    );
    assert.deepEqual(app.variables, [
      { name: "X", value: "1", origin: { file: F, line: 4, key: "X" } },
    ]);
    assert.deepEqual(app.config, {});
    assert.deepEqual(app.warnings, []);
  });

  const near: [string, string][] = [
    ["CC_POSTBUILD_HOOK", "CC_POST_BUILD_HOOK"],
    ["CC_PRE_BUILD_HOOKS", "CC_PRE_BUILD_HOOK"],
    ["CC_RUN_SUCCEED_HOOK", "CC_RUN_SUCCEEDED_HOOK"],
    ["cc_pre_build_hook", "CC_PRE_BUILD_HOOK"],
    ["CC_PRERUN_HOOK", "CC_PRE_RUN_HOOK"],
    ["CC_RUN_FAIL_HOOK", "CC_RUN_FAILED_HOOK"],
  ];
  for (const [name, suggestion] of near) {
    it(`warns about near-miss ${name} (kept as a variable)`, () => {
      const app = parseCleverEnv(`A=1\n${name}=echo hi\n`, F);
      assert.deepEqual(app.hooks, []);
      assert.deepEqual(
        app.variables.map((v) => v.name),
        ["A", name],
      );
      assert.deepEqual(app.warnings, [
        `${F}:2: ${name} is not a Clever Cloud hook (kept as a plain variable); did you mean ${suggestion}?`,
      ]);
    });
  }
  it("does not warn about ordinary CC_ variables", () => {
    const app = parseCleverEnv(
      "CC_RUN_COMMAND=x\nCC_WEBROOT=/\nCC_NODE_BUILD_TOOL=yarn\nCC_TASK=true\nCC_HEALTH_CHECK_PATH=/h\n",
      F,
    );
    assert.deepEqual(app.warnings, []);
  });
  it("duplicate keys: the last value wins, at the first position, with a warning", () => {
    const app = parseCleverEnv("A=1\nB=2\nA=3\nCC_PRE_RUN_HOOK=x\nCC_PRE_RUN_HOOK=y\n", F);
    assert.deepEqual(
      app.variables.map((v) => [v.name, v.value, v.origin?.line]),
      [
        ["A", "3", 3],
        ["B", "2", 2],
      ],
    );
    assert.deepEqual(
      app.hooks.map((h) => [h.script, h.origin?.line]),
      [["y", 5]],
    );
    assert.deepEqual(app.warnings, [
      `${F}:3: A is set again (first set on line 1); the last value wins`,
      `${F}:5: CC_PRE_RUN_HOOK is set again (first set on line 4); the last value wins`,
    ]);
  });
  it("CLI scripts with several aliases warn that they are merged", () => {
    const app = parseCleverEnv("clever env set A 1 -a x\nclever env set B 2 -a y\n", "s.sh");
    assert.deepEqual(app.warnings, [
      "s.sh: variables set for several aliases (x, y) are merged into one app",
    ]);
  });
  it("syntax env forces dotenv even with clever lines", () => {
    const e = configError(() => parseCleverEnv("clever env set A 1\n", F, { syntax: "env" }));
    assert.equal(e.line, 1);
  });
});

describe("loaders/cleverCloud: legacy clevercloud/*.json", () => {
  it("hooks.postDeploy → runSucceeded with a deprecation warning; runtime from the stem", () => {
    const text =
      '{\n  "deploy": {"webroot": "/web"},\n  "hooks": {\n    "postDeploy": "ccbuild.sh"\n  }\n}\n';
    const app = parseCleverCloudJson(text, "clevercloud/php.json");
    assert.deepEqual(app.hooks, [
      {
        name: "runSucceeded",
        script: "ccbuild.sh",
        origin: { file: "clevercloud/php.json", line: 4, key: "hooks.postDeploy" },
      },
    ]);
    assert.deepEqual(app.config, { deploy: { webroot: "/web" }, runtime: "php" });
    assert.deepEqual(app.warnings, [
      "clevercloud/php.json:4: hooks.postDeploy is deprecated; it runs as CC_RUN_SUCCEEDED_HOOK",
    ]);
    assert.deepEqual(parseCleverCloudJson("{}", "clevercloud/docker.json").config, {
      runtime: "docker",
    });
  });
  // JSON.parse's own wording varies between Node versions: syntax errors match a prefix only.
  const bad: [string, string, number | undefined, string | undefined, string | RegExp][] = [
    [
      "syntax error",
      '{\n  "hooks": {\n    "postDeploy": "x",\n  }\n}\n',
      4,
      undefined,
      /^JSON syntax error: /,
    ],
    ["truncated", '{\n  "hooks": {', 2, undefined, /^JSON syntax error: /],
    ["not an object", "[1]", 1, undefined, "a clevercloud/*.json file must hold a JSON object"],
    ["hooks not an object", '{"hooks": "x"}', 1, "hooks", "hooks must be an object"],
    [
      "non-string hook",
      '{"hooks": {\n"postDeploy": 1}}',
      2,
      "hooks.postDeploy",
      "hooks.postDeploy must be a string (a command)",
    ],
    [
      "unknown hook",
      '{"hooks": {\n"postdeploy": "x"}}',
      2,
      "hooks.postdeploy",
      'unknown legacy hook "postdeploy"; did you mean postDeploy? (only postDeploy exists; use CC_*_HOOK variables)',
    ],
  ];
  for (const [title, text, line, p, detail] of bad) {
    it(`rejects: ${title}`, () => {
      const e = configError(() => parseCleverCloudJson(text, "php.json"));
      assert.deepEqual([e.file, e.line, e.path], ["php.json", line, p]);
      if (typeof detail === "string") assert.equal(e.detail, detail);
      else assert.match(e.detail, detail);
    });
  }
});
