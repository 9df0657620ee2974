/**
 * Secrets end to end under the Pulumi mocks: a secret Output given as an ordinary variable is a
 * secret (stdin only), short or NUL-carrying secrets are refused before any step, and the Clever
 * Cloud env-file migration never ships the env file.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { artifactDir, deploy, setupMocks, tempTree, unwrapSecret } from "./harness";
import type { UpsunAppArgs } from "../../components";

let mod: typeof import("../../components");
const TOKEN = "tok-Secret-9d81c4";
const BUILD_KEY = "bk-Secret-6a02f7";

const base = (src: string, extra: Partial<UpsunAppArgs> = {}): UpsunAppArgs => ({
  source: src,
  artifactDir,
  hooks: { build: "true\n", deploy: "true\n", postDeploy: "true\n" },
  web: { commands: { start: "node index.js" } },
  port: 8080,
  ...extra,
});

describe("components: secrets end to end (Pulumi mocks)", function () {
  this.timeout(60000);
  let src: string;
  before(async () => {
    await setupMocks();
    mod = await import("../../components");
    src = tempTree({ "index.js": "\n" });
  });

  it("a secret Output given as an ordinary (runtime or build) variable travels on secret stdin only", async () => {
    const d = await deploy(
      () =>
        new mod.UpsunApp(
          "app",
          base(src, {
            variables: { BUILD_KEY: pulumi.secret(BUILD_KEY), NODE_ENV: "production" },
            runtimeVariables: {
              API_TOKEN: pulumi.secret(TOKEN),
              PUBLIC_URL: pulumi.output("https://visible.example"),
            },
          }),
        ),
    );
    const withStdin: string[] = [];
    for (const r of d.resources.values()) {
      const { stdin, ...plain } = r.inputs;
      const text = JSON.stringify(plain);
      for (const v of [TOKEN, BUILD_KEY]) {
        assert.ok(!text.includes(v), `${r.name} leaks ${v}`);
        assert.ok(!text.includes(Buffer.from(v).toString("base64")), r.name);
      }
      if (stdin !== undefined && !r.name.endsWith("-library")) {
        const s = unwrapSecret(stdin);
        assert.equal(s.secret, true, `${r.name} stdin must be secret`);
        withStdin.push(r.name);
      }
    }
    assert.deepEqual(withStdin.sort(), [
      "app-local-activate",
      "app-local-build",
      "app-local-hook-build",
      "app-local-hook-deploy",
      "app-local-hook-postDeploy",
      "app-local-outcome",
    ]);
    const activate = d.resources.get("app-local-activate")!.inputs;
    assert.ok(activate.create.includes('  export API_TOKEN="${dh_secrets[API_TOKEN]}"\n'));
    assert.ok(activate.create.includes('  export BUILD_KEY="${dh_secrets[BUILD_KEY]}"\n'));
    // A non-secret Output stays a readable, inlined variable.
    assert.ok(activate.create.includes("  export PUBLIC_URL='\\''https://visible.example'\\''\n"));
    const stdin = String(unwrapSecret(activate.stdin).value);
    assert.deepEqual(stdin.split("\n").slice(1, 3), [
      `API_TOKEN ${Buffer.from(TOKEN).toString("base64")}`,
      `BUILD_KEY ${Buffer.from(BUILD_KEY).toString("base64")}`,
    ]);
    const build = d.resources.get("app-local-hook-build")!.inputs;
    assert.ok(build.create.includes('  export BUILD_KEY="${dh_secrets[BUILD_KEY]}"\n'));
    assert.ok(!build.create.includes("API_TOKEN"), "runtime-only: not in the build");
  });

  it("a secret of 1 to 3 characters is refused at construction, naming its key", () => {
    assert.throws(
      () => new mod.UpsunApp("app", base(src, { secrets: { PIN: "123" } })),
      (e: Error) =>
        e.message.includes("secrets.PIN") &&
        e.message.includes(
          "the secret PIN is 3 characters long; secrets of 1 to 3 characters cannot be redacted from hook and app output",
        ),
    );
  });

  it("a NUL in a plain-string secret is refused at construction", () => {
    assert.throws(
      () => new mod.UpsunApp("app", base(src, { secrets: { KEY: "abcd\0efgh" } })),
      /secrets\.KEY.*NUL/s,
    );
  });

  describe("cleverCloudAppArgsFromEnvFile never ships the env file", () => {
    const env = (extra: string) =>
      tempTree({
        "clever.env": `CC_RUN_COMMAND=node index.js\nDB_PASSWORD=pw-secret\n${extra}`,
        "app/index.js": "\n",
      });
    const load = (root: string, opts: { source?: string } = {}) =>
      mod.cleverCloudAppArgsFromEnvFile(path.join(root, "clever.env"), {
        secretNames: ["DB_PASSWORD"],
        ...opts,
      });

    it("APP_FOLDER inside the env file's directory is the source", () => {
      const root = env("APP_FOLDER=app\n");
      assert.equal(load(root).source, path.join(root, "app"));
      assert.equal(load(root, { source: path.join(root, "app") }).source, path.join(root, "app"));
    });

    const refused: [string, string, RegExp][] = [
      ["no APP_FOLDER and no source", "", /has no APP_FOLDER: say where the app's source is/],
      ["APP_FOLDER=.", "APP_FOLDER=.\n", /is inside the source directory/],
      ["APP_FOLDER=../..", "APP_FOLDER=../..\n", /APP_FOLDER must be a relative path inside/],
      ["APP_FOLDER=/root/.ssh", "APP_FOLDER=/root/.ssh\n", /APP_FOLDER must be a relative path/],
      ["APP_FOLDER=app/../..", "APP_FOLDER=app/../..\n", /APP_FOLDER must be a relative path/],
    ];
    for (const [what, line, re] of refused) {
      it(`refuses ${what}`, () => {
        assert.throws(() => load(env(line)), re);
      });
    }

    it("refuses an APP_FOLDER symlink that leaves the directory, and a source holding the env file", () => {
      const root = env("APP_FOLDER=link\n");
      fs.symlinkSync("/root", path.join(root, "link"));
      assert.throws(() => load(root), /APP_FOLDER must be a relative path inside/);
      const root2 = env("APP_FOLDER=app\n");
      assert.throws(
        () => load(root2, { source: root2 }),
        /the env file .*clever\.env is inside the source directory .*: it would be shipped in every release/,
      );
    });
  });
});
