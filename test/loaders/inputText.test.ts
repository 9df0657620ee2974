/**
 * Input integrity of the loaders (issue 8 item 8): invalid UTF-8, NUL and lone surrogates are
 * refused with file:line, a BOM is dropped, and size, nesting and alias expansion are bounded with
 * a message naming the limit. Table-driven on loadConfig, plus properties of the UTF-8 check.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { loadConfig } from "../../loaders";
import {
  decodeConfigText,
  firstInvalidUtf8,
  MAX_CONFIG_BYTES,
  MAX_NESTING,
} from "../../loaders/inputText";
import { MAX_VARIABLE_BYTES, MAX_VARIABLES } from "../../model/appText";
import { isConfigError } from "../../model/configError";

let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-input-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** The ConfigError message of loading `name` (relative to the temp dir), or "ok". */
function loadMessage(name: string): string {
  try {
    loadConfig(path.join(dir, name));
    return "ok";
  } catch (e) {
    if (!isConfigError(e)) throw e;
    return e.message.split(dir + path.sep).join("");
  }
}

const APP = "name: app\ntype: nodejs:20\n";

function aliasBomb(levels: number, leaf: string): string {
  const lines = [APP.trimEnd(), `a0: &a0 [${leaf}]`];
  for (let i = 1; i <= levels; i++) {
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  }
  return lines.join("\n") + "\n";
}

const REFUSED: { what: string; name: string; content: string | Buffer; message: string }[] = [
  {
    what: "invalid UTF-8 in a YAML hook",
    name: "utf8/.platform.app.yaml",
    content: Buffer.concat([
      Buffer.from(APP + "hooks:\n  build: |\n    echo "),
      Buffer.from([0xff, 0x0a]),
    ]),
    message:
      "utf8/.platform.app.yaml:5: invalid UTF-8 at byte 53 (0xff); configuration files must be UTF-8 text",
  },
  {
    what: "a UTF-8-encoded surrogate (CESU-8) in an env file",
    name: "cesu.env",
    content: Buffer.concat([Buffer.from("A=1\nB="), Buffer.from([0xed, 0xa0, 0x80, 0x0a])]),
    message: "cesu.env:2: invalid UTF-8 at byte 6 (0xed); configuration files must be UTF-8 text",
  },
  {
    what: "a truncated sequence in JSON",
    name: "trunc/clevercloud/php.json",
    content: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3]), Buffer.from('"}')]),
    message:
      "trunc/clevercloud/php.json:1: invalid UTF-8 at byte 6 (0xc3); configuration files must be UTF-8 text",
  },
  {
    what: "a NUL byte in an env file",
    name: "nul.env",
    content: "A=1\n\nB=x\0y\n",
    message: "nul.env:3: contains a NUL byte (a binary file?); configuration files must be text",
  },
  {
    what: "a NUL escape in a YAML double-quoted hook",
    name: "nulesc/.platform.app.yaml",
    content: APP + 'hooks:\n  deploy: "a\\0b"\n',
    message:
      "nulesc/.platform.app.yaml:4: hooks.deploy: the script of hook deploy contains a NUL character, which a shell command or an environment variable cannot carry",
  },
  {
    what: "a lone surrogate escape in legacy JSON",
    name: "lone/clevercloud/node.json",
    content: '{\n  "hooks": {\n    "postDeploy": "echo \\ud800"\n  }\n}\n',
    message:
      "lone/clevercloud/node.json:3: hooks.postDeploy: the script of hook runSucceeded contains a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which has no UTF-8 encoding",
  },
  {
    what: "a lone surrogate escape in a YAML variable",
    name: "lonevar/.platform.app.yaml",
    content: APP + 'variables:\n  env:\n    GREETING: "\\udc00"\n',
    message:
      "lonevar/.platform.app.yaml:5: variables.env.GREETING: variable GREETING contains a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which has no UTF-8 encoding",
  },
  {
    what: "a recursive alias",
    name: "rec/.platform.app.yaml",
    content: APP + "web: &w\n  locations: [*w]\n",
    message:
      "rec/.platform.app.yaml:4: web.locations[0]: recursive alias *w: it refers to a node that contains it",
  },
  {
    what: "a recursive merge key",
    name: "recmerge/.platform.app.yaml",
    content: APP + "web: &w\n  x: 1\n  <<: *w\n",
    message:
      "recmerge/.platform.app.yaml:5: web: recursive merge: a << merges a mapping that contains it",
  },
  {
    what: "an alias bomb (nodes)",
    name: "bomb/.platform.app.yaml",
    content: aliasBomb(7, "1, 2, 3"),
    message:
      "bomb/.platform.app.yaml:4: a5[3][6][7][6][1]: configuration too large (more than 250000 nodes after alias expansion, the limit)",
  },
  {
    what: "an alias bomb (text)",
    name: "textbomb/.platform.app.yaml",
    content: aliasBomb(5, JSON.stringify("x".repeat(1000))),
    message:
      "textbomb/.platform.app.yaml:3: a5[2][2][4][4][3][0]: configuration too large (more than 33554432 characters of text after alias expansion, the limit)",
  },
  {
    what: "100,000 nested flow lists in YAML",
    name: "deep/.platform.app.yaml",
    content: APP + "x: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n",
    message: `deep/.platform.app.yaml:3: nesting deeper than ${MAX_NESTING} levels (the limit)`,
  },
  {
    what: "100,000 nested compact lists in YAML",
    name: "deepseq/.platform/applications.yaml",
    content: "- ".repeat(100_000) + "x\n",
    message: `deepseq/.platform/applications.yaml:1: nesting deeper than ${MAX_NESTING} levels (the limit)`,
  },
  {
    what: "101 nested block mappings",
    name: "deepmap/.platform.app.yaml",
    content:
      APP + Array.from({ length: 102 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n") + " 1\n",
    message: `deepmap/.platform.app.yaml:103: nesting deeper than ${MAX_NESTING} levels (the limit)`,
  },
  {
    what: "100,000 nested JSON arrays",
    name: "deepjson/clevercloud/php.json",
    content: '{"deploy": ' + "[".repeat(100_000) + "]".repeat(100_000) + "}",
    message: `deepjson/clevercloud/php.json:1: nesting deeper than ${MAX_NESTING} levels (the limit)`,
  },
  {
    what: "an oversized non-secret variable (blamed on the variable)",
    name: "bigvar.env",
    content: `CC_PRE_RUN_HOOK=true\nBIG=${"x".repeat(MAX_VARIABLE_BYTES + 1)}\n`,
    message: `bigvar.env:2: BIG: variable BIG is ${MAX_VARIABLE_BYTES + 1} bytes, above the limit of ${MAX_VARIABLE_BYTES} bytes for a non-secret value (it is inlined into the step's command line; make it a secret, which travels on stdin, or keep it in a file of the repository)`,
  },
  {
    what: "more variables than the limit in an env file (stops at the line)",
    name: "many.env",
    content: Array.from({ length: MAX_VARIABLES + 5 }, (_, i) => `V${i}=1\n`).join(""),
    message: `many.env:${MAX_VARIABLES + 1}: more than ${MAX_VARIABLES} variables, the limit for one app (this is variable ${MAX_VARIABLES + 1})`,
  },
  {
    what: "more variables than the limit in YAML",
    name: "manyvars/.platform.app.yaml",
    content:
      APP +
      "variables:\n  env:\n" +
      Array.from({ length: MAX_VARIABLES + 1 }, (_, i) => `    V${i}: 1\n`).join(""),
    message: `manyvars/.platform.app.yaml: variables: ${MAX_VARIABLES + 1} variables, above the limit of ${MAX_VARIABLES} variables for one app`,
  },
  {
    what: "a duplicate key (found where the mapping is read, in linear time)",
    name: "dup/.platform.app.yaml",
    content: APP + "web:\n  a: 1\n  b: 2\n  a: 3\n",
    message: 'dup/.platform.app.yaml:6: web: duplicate key "a" (YAML mapping keys must be unique)',
  },
  {
    what: "an invalid app name (with its line)",
    name: "badname/.platform/applications.yaml",
    content: "# apps\n\nfirst:\n  type: x\n'bad name!':\n  type: x\n",
    message: `badname/.platform/applications.yaml:5: ["bad name!"].name: must start with a letter or digit and use only letters, digits, '.', '_' and '-'`,
  },
];

describe("loaders: input integrity (UTF-8, NUL, surrogates, limits)", function () {
  // The bombs expand to their limits (250,000 nodes, 32 MiB of text): seconds under load.
  this.timeout(120_000);
  for (const row of REFUSED) {
    it(`refuses ${row.what}`, () => {
      write(row.name, row.content);
      assert.equal(loadMessage(row.name), row.message);
    });
  }

  it("refuses a file above the size limit from its size alone (a 127 MB sparse JSON)", () => {
    const file = write("huge/clevercloud/php.json", "");
    fs.truncateSync(file, 127 * 1024 * 1024);
    assert.equal(
      loadMessage("huge/clevercloud/php.json"),
      `huge/clevercloud/php.json: file is ${127 * 1024 * 1024} bytes, above the limit of ${MAX_CONFIG_BYTES} bytes (2 MiB) for a configuration file`,
    );
  });

  it("names a FIFO as a FIFO, not as a missing file", function () {
    if (process.platform === "win32") return this.skip();
    const file = path.join(dir, "pipe.env");
    execFileSync("mkfifo", [file]);
    assert.equal(loadMessage("pipe.env"), "pipe.env: is a FIFO (named pipe), not a regular file");
    assert.equal(loadMessage("missing.env"), "missing.env: file not found");
  });

  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  const ACCEPTED: { name: string; content: Buffer; hooks: string[] }[] = [
    {
      name: "bom.env",
      content: Buffer.concat([BOM, Buffer.from("CC_PRE_RUN_HOOK=echo hi\n")]),
      hooks: ["preRun=echo hi"],
    },
    {
      name: "bom/clevercloud/php.json",
      content: Buffer.concat([BOM, Buffer.from('{"hooks": {"postDeploy": "./x.sh"}}')]),
      hooks: ["runSucceeded=./x.sh"],
    },
    {
      name: "bom/.platform.app.yaml",
      content: Buffer.concat([BOM, Buffer.from(APP + "hooks:\n  build: npm ci\n")]),
      hooks: ["build=npm ci"],
    },
    {
      name: "nested/.platform.app.yaml",
      content: Buffer.from(
        APP +
          Array.from({ length: MAX_NESTING - 1 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n") +
          " 1\n",
      ),
      hooks: [],
    },
  ];
  for (const row of ACCEPTED) {
    it(`accepts ${row.name} (a BOM is dropped; nesting up to the limit)`, () => {
      write(row.name, row.content);
      const loaded = loadConfig(path.join(dir, row.name));
      assert.deepEqual(
        loaded.apps[0].hooks.map((h) => `${h.name}=${h.script}`),
        row.hooks,
      );
      if (row.name.endsWith(".env")) {
        assert.equal(loaded.apps[0].origin?.file, path.join(dir, row.name));
      }
    });
  }

  it("a merge-key bomb (<< of 10 aliases, 11 levels deep) is read in linear time", () => {
    const lines = [APP.trimEnd(), "a0: &a0 {k: 1}"];
    for (let i = 1; i <= 11; i++) {
      lines.push(
        `a${i}: &a${i} {<<: [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]}`,
      );
    }
    lines.push("web:", "  <<: *a11", "hooks:", "  <<: {build: echo merged}");
    write("mbomb/.platform.app.yaml", lines.join("\n") + "\n");
    const app = loadConfig(path.join(dir, "mbomb/.platform.app.yaml")).apps[0];
    assert.deepEqual(app.config.web, { k: 1 });
    assert.deepEqual(
      app.hooks.map((h) => `${h.name}=${h.script}`),
      ["build=echo merged"],
    );
  });

  it("firstInvalidUtf8 agrees with a fatal TextDecoder on any bytes", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let valid = true;
        try {
          decoder.decode(bytes);
        } catch {
          valid = false;
        }
        assert.equal(firstInvalidUtf8(bytes) < 0, valid);
      }),
      { numRuns: 2000 },
    );
  });

  it("decodeConfigText round-trips every well-formed string without NUL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        fc.pre(!s.includes("\0") && !s.startsWith("\uFEFF"));
        assert.equal(decodeConfigText(Buffer.from(s, "utf8"), "f"), s);
      }),
    );
  });
});
