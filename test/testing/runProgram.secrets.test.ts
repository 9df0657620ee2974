import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, type SshdHandle, type StateFile } from "../../testing";
import { ops, sshdOrSkip, tempDir } from "./helpers";

describe("testing/runProgram: secrets never land in the state file", function () {
  this.timeout(30000);
  let dir: string;
  let stateFile: string;
  beforeEach(() => {
    dir = tempDir();
    stateFile = path.join(dir, "state.json");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const STDIN_SECRET = "stdin-Secret-7f3a9c";
  const ENV_SECRET = "env-Secret-41d2e8";

  const prog =
    (stdinSecret: string, declared = true) =>
    () => {
      if (!declared) return;
      const c = new command.local.Command("s", {
        create: 'cat > /dev/null; echo "len=${#TOKEN}"',
        delete: `echo "deleted with len=\${#TOKEN}" > ${dir}/deleted`,
        stdin: pulumi.secret(stdinSecret),
        environment: { TOKEN: pulumi.secret(ENV_SECRET), PLAIN: "visible" },
      });
      return { out: c.stdout };
    };

  it("stores digests (and sealed boxes for what delete needs), never plaintext; compares by digest", async () => {
    const r1 = await runProgram(prog(STDIN_SECRET), { stateFile });
    assert.equal(r1.failed, false, r1.error);
    assert.deepEqual(r1.outputs, { out: `len=${ENV_SECRET.length}` });
    const text = fs.readFileSync(stateFile, "utf8");
    assert.equal(text.includes(STDIN_SECRET), false);
    assert.equal(text.includes(ENV_SECRET), false);
    assert.equal(text.includes(Buffer.from(STDIN_SECRET).toString("base64")), false);
    const state = JSON.parse(text) as StateFile;
    const res = state.resources[0]!;
    // The SDK serializes a map holding a secret as one secret value: the whole map is sealed.
    assert.deepEqual(res.secretInputs.sort(), ["environment", "stdin"]);
    const stdin = res.inputs.stdin as { $secret: { digest: string; box?: string } };
    assert.match(stdin.$secret.digest, /^hmac-sha256:[0-9a-f]{64}$/);
    assert.equal(
      stdin.$secret.box,
      undefined,
      "a secret stdin is never stored, not even encrypted",
    );
    const env = res.inputs.environment as { $secret: { digest: string; box?: string } };
    assert.match(env.$secret.box!, /^[A-Za-z0-9+/=]+$/);
    assert.equal(fs.statSync(`${stateFile}.key`).mode & 0o777, 0o600);

    // Same secret ⇒ same; another secret ⇒ update.
    assert.deepEqual(ops(await runProgram(prog(STDIN_SECRET), { stateFile })), [["s", "same"]]);
    assert.deepEqual(ops(await runProgram(prog("another-secret"), { stateFile })), [
      ["s", "update"],
    ]);
    assert.equal(fs.readFileSync(stateFile, "utf8").includes("another-secret"), false);

    // The stored delete gets the secret environment back (sealed box opened with the key file).
    const r4 = await runProgram(prog("x", false), { stateFile });
    assert.equal(r4.failed, false, r4.error);
    assert.equal(
      fs.readFileSync(path.join(dir, "deleted"), "utf8"),
      `deleted with len=${ENV_SECRET.length}\n`,
    );
  });

  it("a secret script is masked in the report and in the error text", async () => {
    const r = await runProgram(
      () => {
        new command.local.Command("masked", {
          create: pulumi.secret(`echo ${ENV_SECRET}; exit 3`),
        });
      },
      { stateFile },
    );
    assert.equal(r.failed, true);
    assert.equal(r.steps[0]!.command, "[secret]");
    assert.match(r.steps[0]!.error!, /^exit status 3: running \[secret\]:/);
    assert.equal(fs.readFileSync(stateFile, "utf8").includes(ENV_SECRET), false);
  });

  describe("remote connection", () => {
    let sshd: SshdHandle | undefined;
    before(async function () {
      sshd = await sshdOrSkip(this);
    });
    after(async () => sshd?.stop());

    it("the private key (secret connection) and a secret stdin are not in the state file", async () => {
      const r = await runProgram(
        () => {
          const c = new command.remote.Command("r", {
            connection: sshd!.connection,
            create: "wc -c",
            stdin: pulumi.secret(STDIN_SECRET),
          });
          return { n: c.stdout };
        },
        { stateFile },
      );
      assert.equal(r.failed, false, r.error);
      assert.equal(String(r.outputs.n).trim(), String(STDIN_SECRET.length));
      const text = fs.readFileSync(stateFile, "utf8");
      const keyBody = sshd!.privateKey.split("\n")[1]!;
      assert.equal(text.includes(keyBody), false);
      assert.equal(text.includes(STDIN_SECRET), false);
      const state = JSON.parse(text) as StateFile;
      assert.deepEqual([...state.resources[0]!.secretInputs].sort(), ["connection", "stdin"]);
    });
  });
});
