/**
 * SECRETS under the real engine: a secret given anywhere (runtime variables, build variables,
 * `secrets`, a Clever Cloud hook environment, `connection.privateKey`) is never in plain text in
 * any file under the file:// backend directory (checkpoint, history, backups) nor in the CLI's
 * output, through up, a runtime-only `preview --diff`, up and destroy.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CleverCloudApp, UpsunApp } from "../../components";
import { startSshd, type SshdHandle } from "../../testing";
import { freePort, killProcessesUnder } from "../e2e/harness";
import { EngineStack, engineOrSkip, filesContaining } from "./harness";

const APP = path.resolve(__dirname, "..", "..", "examples", "quickstart", "app");

/** Distinctive values, one per place a secret can be given. */
const SECRETS = {
  runtimeVariable: "rt-secret-5b1f0c",
  runtimeVariableChanged: "rt-secret-2d7e94",
  buildVariable: "build-secret-8c3a21",
  secretsArg: "secrets-arg-4e90ad",
  hookEnvironment: "hook-env-secret-71cb05",
  cleverSecretsArg: "cc-secrets-arg-0a6d3f",
};

describe("real engine: secrets stay secret (backend files and CLI output)", function () {
  this.timeout(300_000);
  let engine: string;
  let sshd: SshdHandle;
  let work: string;
  let stack: EngineStack;
  let runtimeValue = SECRETS.runtimeVariable;
  /** A line of the private key's base64 body: plain text of the key if found anywhere. */
  let keyNeedle: string;

  const program = async () => {
    const upsun = new UpsunApp("sec", {
      source: APP,
      type: "nodejs:20",
      hooks: { build: "mkdir -p public\n", postDeploy: 'echo "post-deploy ran"\n' },
      variables: { BUILD_KEY: pulumi.secret(SECRETS.buildVariable) },
      runtimeVariables: { API_TOKEN: pulumi.secret(runtimeValue) },
      secrets: { DB_PASSWORD: SECRETS.secretsArg },
      web: { commands: { start: "node server.js" } },
      port: Number(new pulumi.Config().require("upsunPort")),
      hosts: [
        {
          name: "vm",
          root: path.join(work, "remote"),
          connection: {
            host: "127.0.0.1",
            port: sshd.port,
            user: sshd.user,
            privateKey: pulumi.secret(sshd.privateKey),
            hostKey: sshd.hostKey,
          },
        },
      ],
    });
    const clever = new CleverCloudApp("seccc", {
      source: APP,
      environment: {
        CC_PRE_RUN_HOOK: "echo pre-run",
        CC_RUN_COMMAND: "node server.js",
        HOOK_TOKEN: pulumi.secret(SECRETS.hookEnvironment),
      },
      secrets: { CC_SECRET: SECRETS.cleverSecretsArg },
      port: Number(new pulumi.Config().require("cleverPort")),
      hosts: [{ name: "local", root: path.join(work, "local") }],
    });
    return { upsun: upsun.releaseId, clever: clever.releaseId };
  };

  before(async function () {
    engine = engineOrSkip(this);
    this.timeout(120_000);
    sshd = await startSshd();
    keyNeedle = sshd.privateKey.split("\n")[1]!;
    work = fs.mkdtempSync(path.join(os.tmpdir(), "dh-real-secrets-"));
    stack = await EngineStack.create({
      engine,
      project: "dh-secrets",
      program,
      config: {
        upsunPort: { value: String(await freePort()) },
        cleverPort: { value: String(await freePort()) },
      },
    });
  });

  after(async function () {
    this.timeout(120_000);
    if (work) killProcessesUnder(work);
    stack?.dispose();
    await sshd?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** `name: file, file` for every secret found in plain text. */
  function leaks(): string[] {
    const needles: Record<string, string> = { ...SECRETS, privateKey: keyNeedle };
    const out: string[] = [];
    for (const [name, value] of Object.entries(needles)) {
      const files = filesContaining(stack.backendDir, value).map((f) =>
        path.relative(stack.backendDir, f),
      );
      if (files.length) out.push(`${name} in plain text in ${files.join(", ")}`);
      if (stack.output.includes(value)) out.push(`${name} in plain text in the CLI output`);
    }
    return out;
  }

  it("up: no secret in plain text", async () => {
    await stack.up();
    assert.deepEqual(leaks(), []);
  });

  it("runtime-only change of a secret: preview --diff and up show none in plain text", async () => {
    runtimeValue = SECRETS.runtimeVariableChanged;
    await stack.previewDiff();
    await stack.up();
    assert.deepEqual(leaks(), []);
  });

  it("destroy: no secret in plain text left in the backend", async () => {
    await stack.destroy();
    assert.deepEqual(leaks(), []);
  });
});
