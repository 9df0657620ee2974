import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import {
  encodeSecretsForStdin,
  isValidVariableName,
  parseStepOutput,
  renderHookStep,
  shellQuote,
} from "../../render";
import type { AppTarget, HookStepInput } from "../../render";
import { isConfigError } from "../../model/configError";
import { LONE_SURROGATE } from "../../render/quote";
import { cleanupRoots, hook, runStep, tmpRoot, uploadRelease } from "./helpers";

/** Values an environment variable can hold: anything but NUL (and well-formed UTF-16). */
const envValue = fc
  .oneof(
    fc.string({
      unit: fc.constantFrom(
        "'",
        '"',
        "\n",
        "$",
        "`",
        "\\",
        " ",
        "é",
        "😀",
        "\t",
        "\r",
        "a",
        "!",
        "*",
        "{",
        "}",
        "%",
        "-",
        "=",
        "~",
      ),
    }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom(
      "",
      "'",
      "''",
      "\n",
      "\n\n",
      "$(touch /tmp/pwned)",
      "`id`",
      "\\",
      "%s%n",
      "-n",
      "--",
      "x\n",
    ),
  )
  .filter((s) => !s.includes("\0") && !LONE_SURROGATE.test(s));

describe("render: quoting and secrets (real bash)", function () {
  this.timeout(20000);
  let target: AppTarget;
  /** A hook step of release r1 (Upsun) with `over` on top. */
  const hookStep = (over: Partial<HookStepInput> = {}) =>
    renderHookStep({ target, profile: "upsun", releaseId: "r1", hook: hook(), ...over });
  before(async () => {
    target = { root: tmpRoot(), app: "api" };
    await uploadRelease(target, "r1");
  });
  after(cleanupRoots);

  const quoteTable: Array<[string, string]> = [
    ["", "''"],
    ["abc", "'abc'"],
    ["it's", "'it'\\''s'"],
    ["$HOME `id` \\", "'$HOME `id` \\'"],
    ["a\nb", "'a\nb'"],
  ];
  for (const [input, expected] of quoteTable) {
    it(`shellQuote(${JSON.stringify(input)}) = ${expected}`, () =>
      assert.equal(shellQuote(input), expected));
  }

  it("shellQuote round-trips arbitrary values through bash and dash byte for byte", () => {
    fc.assert(
      fc.property(envValue, (v) => {
        for (const sh of ["bash", "/bin/sh"]) {
          const out = execFileSync(sh, ["-c", `printf %s ${shellQuote(v)}`]);
          assert.equal(out.toString("base64"), Buffer.from(v, "utf8").toString("base64"));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("NUL bytes and lone surrogates are rejected with a ConfigError", () => {
    for (const bad of ["a\0b", "\uD800x"]) {
      assert.throws(
        () => shellQuote(bad),
        (e: unknown) => isConfigError(e) && e.path === "value",
      );
      assert.throws(
        () => encodeSecretsForStdin({ TOKEN: bad }),
        (e: unknown) => isConfigError(e) && e.path === "secrets.TOKEN",
      );
      assert.throws(
        () => hookStep({ variables: { X: bad } }),
        (e: unknown) => isConfigError(e) && e.path === "variables.X",
      );
    }
    assert.throws(() => encodeSecretsForStdin({ TOKEN: "a\0" }), /NUL byte/);
  });

  it("variable names are validated", () => {
    assert.deepEqual(["A", "_x1", "1A", "A-B", "UID", "SHELLOPTS", ""].map(isValidVariableName), [
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    assert.throws(
      () => hookStep({ variables: { "A B": "x" } }),
      /variables\.A B: "A B" is not a shell variable name/,
    );
    assert.throws(
      () => hookStep({ variables: { S: "x" }, secretNames: ["S"] }),
      /^ConfigError: variables\.S: S is given both as a variable and as a secret$/,
    );
  });

  it("encodeSecretsForStdin: sorted NAME base64 lines between a header and an end marker", () => {
    assert.equal(encodeSecretsForStdin({}), "");
    assert.equal(
      encodeSecretsForStdin({ B: "", A: "é\n" }),
      "deployhooks-secrets v1\nA w6kK\nB \n.end\n",
    );
  });

  it("QUOTING FUZZ: non-secret and secret values arrive byte for byte in the hook's environment", async () => {
    const dumpFile = path.join(target.root, "api/cache/dump");
    await fc.assert(
      fc.asyncProperty(
        fc.array(envValue, { minLength: 1, maxLength: 4 }),
        fc.array(envValue, { minLength: 1, maxLength: 4 }),
        async (plain, secret) => {
          const variables = Object.fromEntries(plain.map((v, i) => [`PLAIN_${i}`, v]));
          const secrets = Object.fromEntries(secret.map((v, i) => [`SECRET_${i}`, v]));
          const names = [...Object.keys(variables), ...Object.keys(secrets)];
          const script = `for n in ${names.join(" ")}; do printf '%s %s\\n' "$n" "$(printf '%s' "\${!n}" | base64 -w0)"; done >"$APP_CACHE_DIR/dump"`;
          const step = hookStep({
            hook: hook({ script }),
            variables,
            secretNames: Object.keys(secrets),
          });
          const r = await runStep(step, encodeSecretsForStdin(secrets));
          assert.equal(r.status, 0, r.stdout);
          const got = Object.fromEntries(
            fs
              .readFileSync(dumpFile, "utf8")
              .trimEnd()
              .split("\n")
              .map((l) => [l.split(" ")[0], l.split(" ")[1] ?? ""]),
          );
          const want = Object.fromEntries(
            Object.entries({ ...variables, ...secrets }).map(([k, v]) => [
              k,
              Buffer.from(v).toString("base64"),
            ]),
          );
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("secrets never appear in the command text, the log, the history or stdout", async () => {
    const secret = "s3cr3t-VALUE-\n'$x`-ÿ";
    const step = hookStep({
      hook: hook({
        name: "postDeploy",
        script:
          '[ "$(printf "%s" "$API_TOKEN" | sha256sum | cut -d" " -f1)" = "$WANT" ] && echo match',
      }),
      variables: { WANT: createHash("sha256").update(secret).digest("hex") },
      secretNames: ["API_TOKEN"],
      fingerprint: "sha256:1",
    });
    assert.deepEqual(step.secretNames, ["API_TOKEN"]);
    const r = await runStep(step, encodeSecretsForStdin({ API_TOKEN: secret }));
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(parseStepOutput(r.stdout).tail, ["match"]);
    const app = path.join(target.root, "api");
    for (const [what, text] of [
      ["command", step.command],
      ["stdout", r.stdout],
      ["log", fs.readFileSync(path.join(app, "logs/r1-postDeploy.log"), "utf8")],
      ["history", fs.readFileSync(path.join(app, ".deployhooks/history.jsonl"), "utf8")],
      ["hook file", fs.readFileSync(path.join(app, ".deployhooks/hooks/r1-postDeploy.sh"), "utf8")],
    ]) {
      assert.ok(!text.includes("s3cr3t-VALUE"), `${what} contains the secret`);
    }
  });

  it("a secret the hook prints itself is redacted from the stdout tail (the log keeps it)", async () => {
    const step = hookStep({
      hook: hook({ name: "leak", script: 'echo "token is $TOKEN."' }),
      secretNames: ["TOKEN"],
    });
    const r = await runStep(step, encodeSecretsForStdin({ TOKEN: "hunter2-secret" }));
    assert.equal(r.status, 0);
    assert.ok(r.stdout.includes("| token is [redacted:TOKEN]."), r.stdout);
    assert.ok(!r.stdout.includes("hunter2"));
  });

  it("redaction is line by line: a multi-line secret, whole or one of its lines alone, and a line cut to the width", async () => {
    const KEY = "-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\nzz\n-----END KEY-----";
    const script = [
      'printf "%s\\n" "$KEY"',
      'echo "alone: $(printf "%s" "$KEY" | sed -n 3p) end"',
      'printf "%0390d%s\\n" 0 "$SHORTCUT"',
    ].join("\n");
    const step = hookStep({
      hook: hook({ name: "leak2", script }),
      secretNames: ["KEY", "SHORTCUT"],
    });
    const r = await runStep(step, encodeSecretsForStdin({ KEY, SHORTCUT: "cut-Secret-0011" }));
    assert.equal(r.status, 0, r.stdout);
    const tail = r.stdout.split("\n").filter((l) => l.startsWith("| "));
    assert.deepEqual(tail, [
      "| [redacted:KEY]",
      "| [redacted:KEY]",
      "| [redacted:KEY]",
      "| zz",
      "| [redacted:KEY]",
      "| alone: [redacted:KEY] end",
      `| ${"0".repeat(390)}[redacted:`,
    ]);
    for (const v of ["secretline", "cut-Secret"]) assert.ok(!r.stdout.includes(v), v);
  });

  it("missing or malformed secrets on stdin fail before the hook runs", async () => {
    const step = hookStep({
      hook: hook({ name: "x", script: "echo ran" }),
      secretNames: ["A", "B"],
    });
    const cases: Array<[string, RegExp]> = [
      [
        "",
        /expected the secrets block \('deployhooks-secrets v1' from encodeSecretsForStdin\) on stdin for: A B/,
      ],
      [encodeSecretsForStdin({ A: "1" }), /secret B was not given on stdin/],
      ["deployhooks-secrets v1\nA MQ==\n", /stdin ended before the '\.end' line/],
      ["deployhooks-secrets v1\nA !!!\n.end\n", /secret A on stdin is not valid base64/],
    ];
    for (const [stdin, message] of cases) {
      const r = await runStep(step, stdin);
      assert.equal(r.status, 65, r.stdout);
      assert.match(r.stdout, message);
      assert.ok(!r.stdout.includes("ran"));
    }
  });
});
