/**
 * Bad input never crashes the CLI (issue 8 item 8): the real `node bin/deployhooks.js` exits 2
 * with a named cause and no stack trace for every class of bad file (bytes, encodings, nesting,
 * aliases, size, file kinds, mismatched platforms), and a fast-check fuzz of generated bad inputs
 * through `main` only ever ends in 0 or 2 — never 1 (internal error) or an exception.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { main } from "../../cli/main";

const REPO = path.resolve(__dirname, "../..");
const BIN = path.join(REPO, "bin/deployhooks.js");
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-badcli-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** Runs the real CLI (asynchronously, so the table's runs overlap). */
function spawnCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, DEPLOYHOOKS_DEBUG: "" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

async function runMain(argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await main(argv, { out: () => undefined, err: (t) => (err += t), color: false });
  return { code, err };
}

const APP = "name: app\ntype: nodejs:20\nhooks:\n  build: npm ci\n";

/** Files written before the table runs. */
const FILES: Record<string, string | Buffer> = {
  "ok/.platform.app.yaml": APP,
  "ok.env": "CC_PRE_RUN_HOOK=echo hi\n",
  "bad-utf8.env": Buffer.from([0x41, 0x3d, 0xc0, 0xaf, 0x0a]),
  "nul/.platform.app.yaml": APP + "x: a\0b\n",
  "lone/clevercloud/php.json": '{"hooks": {"postDeploy": "\\udfff"}}',
  "rec/.platform.app.yaml": APP + "web: &w {a: [*w]}\n",
  "bomb/.platform.app.yaml":
    APP +
    "a0: &a0 ['" +
    "x".repeat(4000) +
    "']\n" +
    Array.from(
      { length: 6 },
      (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`,
    ).join("\n") +
    "\n",
  "deep/clevercloud/php.json": "[".repeat(100_000) + "]".repeat(100_000),
  "deep/.platform.app.yaml": APP + "x: " + "{a: ".repeat(100_000) + "1" + "}".repeat(100_000),
};

const TABLE: { what: string; args: string[]; code: number; stderr: RegExp }[] = [
  { what: "a valid file", args: ["explain", "ok/.platform.app.yaml"], code: 0, stderr: /^$/ },
  {
    what: "invalid UTF-8",
    args: ["explain", "bad-utf8.env"],
    code: 2,
    stderr: /^deployhooks: bad-utf8\.env:1: invalid UTF-8 at byte 2 \(0xc0\)/,
  },
  {
    what: "a NUL byte",
    args: ["explain", "nul/.platform.app.yaml"],
    code: 2,
    stderr: /^deployhooks: nul\/\.platform\.app\.yaml:5: contains a NUL byte/,
  },
  {
    what: "a lone surrogate",
    args: ["explain", "lone/clevercloud/php.json"],
    code: 2,
    stderr:
      /^deployhooks: lone\/clevercloud\/php\.json:1: hooks\.postDeploy: .*lone UTF-16 surrogate/,
  },
  {
    what: "a recursive alias",
    args: ["explain", "rec/.platform.app.yaml"],
    code: 2,
    stderr: /^deployhooks: rec\/\.platform\.app\.yaml:5: web\.a\[0\]: recursive alias \*w/,
  },
  {
    what: "alias amplification in diff",
    args: ["diff", "ok/.platform.app.yaml", "bomb/.platform.app.yaml"],
    code: 2,
    stderr:
      /^deployhooks: bomb\/\.platform\.app\.yaml:5: .*characters of text after alias expansion, the limit/,
  },
  {
    what: "100,000-deep JSON in diff",
    args: ["diff", "ok.env", "deep/clevercloud/php.json"],
    code: 2,
    stderr:
      /^deployhooks: deep\/clevercloud\/php\.json:1: nesting deeper than 100 levels \(the limit\)/,
  },
  {
    what: "100,000-deep YAML",
    args: ["explain", "deep/.platform.app.yaml"],
    code: 2,
    stderr:
      /^deployhooks: deep\/\.platform\.app\.yaml:5: nesting deeper than 100 levels \(the limit\)/,
  },
  {
    what: "a 127 MB legacy JSON",
    args: ["explain", "huge/clevercloud/php.json"],
    code: 2,
    stderr:
      /^deployhooks: huge\/clevercloud\/php\.json: file is 133169152 bytes, above the limit of 2097152 bytes \(2 MiB\)/,
  },
  {
    what: "a FIFO",
    args: ["explain", "pipe.env"],
    code: 2,
    stderr: /^deployhooks: pipe\.env: is a FIFO \(named pipe\), not a regular file/,
  },
  {
    what: "diff of two platforms",
    args: ["diff", "ok/.platform.app.yaml", "ok.env"],
    code: 2,
    stderr:
      /^deployhooks: ok\.env: the two files are different platforms: the old configuration ok\/\.platform\.app\.yaml is upsun, the new one is cleverCloud/,
  },
  {
    what: "diff --program of files that are not JSON",
    args: ["diff", "--program", "ok.env", "ok.env"],
    code: 2,
    stderr: /^deployhooks: ok\.env: JSON syntax error/,
  },
  {
    what: "a directory given as an env file",
    args: ["explain", "ok", "--profile", "clever"],
    code: 2,
    stderr: /^deployhooks: ok: a directory is not a Clever Cloud configuration/,
  },
];

describe("cli: bad input exits 2 with a named cause (real CLI)", function () {
  this.timeout(600_000);

  const results = new Map<string, Promise<{ code: number | null; out: string; err: string }>>();
  before(() => {
    for (const [name, content] of Object.entries(FILES)) write(name, content);
    const huge = write("huge/clevercloud/php.json", "");
    fs.truncateSync(huge, 127 * 1024 * 1024);
    spawnSync("mkfifo", [path.join(dir, "pipe.env")]);
    // Start every run now, three at a time; each test awaits its own.
    const slots: Promise<unknown>[] = [Promise.resolve(), Promise.resolve(), Promise.resolve()];
    TABLE.forEach((row, i) => {
      const p = slots[i % 3].then(() => spawnCli(row.args));
      slots[i % 3] = p;
      results.set(row.what, p);
    });
  });

  for (const row of TABLE) {
    it(`${row.what}: exit ${row.code}`, async () => {
      const r = await results.get(row.what)!;
      assert.equal(r.code, row.code, r.err);
      assert.match(r.err, row.stderr);
      assert.doesNotMatch(
        r.err,
        /\n\s+at .*\(|internal error/,
        "no stack trace, no internal error",
      );
    });
  }
});

/** Generators of bad (and sometimes good) configuration text. */
const bytesArb = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
const deepArb = fc
  .tuple(
    fc.constantFrom("[", "{a: ", "- ", '{"a": '),
    fc.integer({ min: 50, max: 3000 }),
    fc.constantFrom("", "\0", "\uD800", "\uFEFF"),
  )
  .map(([open, n, tail]) => {
    const close = open === "[" ? "]" : open === "- " ? "" : "}";
    return Buffer.from(APP + "x: " + open.repeat(n) + "1" + tail + close.repeat(n) + "\n");
  });
const aliasArb = fc
  .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 12 }), fc.boolean())
  .map(([levels, width, recursive]) => {
    const lines = [APP.trimEnd(), "a0: &a0 [1, 'text']"];
    for (let i = 1; i <= levels; i++) {
      lines.push(
        `a${i}: &a${i} [${Array(width)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    }
    if (recursive) lines.push(`r: &r {x: [*r]}`, `m: &m {<<: *m}`);
    else {
      lines.push("m0: &m0 {k: 1}");
      for (let i = 1; i <= levels; i++) {
        lines.push(
          `m${i}: &m${i} {<<: [${Array(width)
            .fill(`*m${i - 1}`)
            .join(", ")}]}`,
        );
      }
    }
    return Buffer.from(lines.join("\n") + "\n");
  });
const mutatedArb = fc
  .tuple(
    fc.constantFrom(APP, "CC_PRE_RUN_HOOK=x\nA='b'\n", '{"hooks":{"postDeploy":"x"}}'),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  )
  .map(([text, edits]) => {
    const b = Buffer.from(text);
    for (const [pos, byte] of edits) b[pos % b.length] = byte;
    return b;
  });

describe("cli: fuzzed bad input never ends in exit 1 (main, in-process)", function () {
  this.timeout(300_000);
  const names = [".platform.app.yaml", "clever.env", "clevercloud/php.json", "applications.yaml"];
  let n = 0;

  it("random bytes, deep nesting, aliases and mutated files: exit 0 or 2", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(bytesArb, deepArb, aliasArb, mutatedArb),
        fc.constantFrom(...names),
        fc.boolean(),
        async (content, name, asDiff) => {
          const file = write(`fuzz${n++}/${name}`, content);
          const argv = asDiff ? ["diff", file, file, "--json"] : ["explain", file, "--json"];
          const r = await runMain(argv);
          assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.err}`);
          if (r.code === 2) assert.match(r.err, /^deployhooks: \S/);
        },
      ),
      { numRuns: 150 },
    );
  });
});
