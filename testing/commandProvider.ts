/**
 * A DOUBLE of the `@pulumi/command` 1.2.1 provider plugin, for the real Pulumi engine in tests.
 *
 * Why a double: the real provider is a Go program whose module the Go proxy of this project's
 * machines refuses, so `pulumi-resource-command` cannot be built here. This provider, written with
 * `@pulumi/pulumi/provider`, implements `command:local:Command`, `command:remote:Command` and
 * `command:remote:CopyToRemote` (and the `command:local:run` invoke) on the SAME decision and
 * execution code as `deployhooks/testing`'s emulation (testing/rules.ts, testing/operations.ts,
 * testing/exec.ts), so the engine's side and our components' are proven; the real provider is not.
 *
 * Secrets, as 1.2.1 (pulumi-go-provider `infer`) treats them: `Check` marks `connection` secret
 * (`provider:"secret"`), every output that echoes an input keeps that input's secretness, and
 * `stdout`/`stderr` are never secret by themselves. Values reach the scripts unwrapped.
 * Command output lines go to the engine as ephemeral info messages on the resource, filtered by
 * `logging`, like the provider's `util.LogOutput`.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import type * as provider from "@pulumi/pulumi/provider";
import { runLocal, trimOne, type Connection } from "./exec";
import { sha256File, sha256Tree } from "./hash";
import {
  copySource,
  executeScript,
  failureText,
  scriptFailure,
  type LocalSource,
} from "./operations";
import {
  COMMAND_TYPES,
  COPY_TO_REMOTE,
  checkFailure,
  copyNeeded,
  decideOp,
  inputsOnly,
  providerSecretInputs,
  scriptKey,
} from "./rules";
import { canonicalJson } from "./state";
import type { StepOp } from "./types";

/** The version the double reports: the pinned `@pulumi/command`. */
export const COMMAND_PROVIDER_VERSION = "1.2.1";

// Pulumi's wire markers (sdk/go/common/resource/sig; the Node SDK's rpc.ts).
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
/** An unknown value (preview) as it reaches a provider. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Props = Record<string, unknown>;

function isSecret(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Props)[SIG] === SECRET_SIG;
}

function isAssetOrArchive(v: unknown): v is Props {
  const sig = !!v && typeof v === "object" ? (v as Props)[SIG] : undefined;
  return sig === ASSET_SIG || sig === ARCHIVE_SIG;
}

/** The value with every secret envelope removed (assets kept as they are). */
export function plain(v: unknown): unknown {
  if (isSecret(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object" && !isAssetOrArchive(v)) {
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

/** Comparable form: secrets unwrapped (a secret↔plain flip alone is no change), assets by content hash. */
function comparable(v: unknown): unknown {
  if (isSecret(v)) return comparable(v.value);
  if (isAssetOrArchive(v)) return { $content: contentHash(v) };
  if (Array.isArray(v)) return v.map(comparable);
  if (v && typeof v === "object") {
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) out[k] = comparable(x);
    return out;
  }
  return v;
}

function equal(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The engine's hash when it sent one, else ours from the path or text. */
function contentHash(asset: Props): string {
  if (typeof asset.hash === "string" && asset.hash !== "") return asset.hash;
  if (typeof asset.path === "string") {
    if (!fs.existsSync(asset.path)) return `missing:${asset.path}`;
    return fs.statSync(asset.path).isDirectory() ? sha256Tree(asset.path) : sha256File(asset.path);
  }
  if (typeof asset.text === "string") return "text:" + canonicalJson(asset.text);
  return canonicalJson(asset);
}

function localSource(source: unknown): LocalSource {
  const s = plain(source) as Props | undefined;
  if (s && typeof s.path === "string") return { path: s.path };
  if (s && typeof s.text === "string") return { text: s.text };
  throw new Error("source must be a FileAsset, StringAsset or path FileArchive (1.2.1)");
}

/** `urn:pulumi:stack::project::parent$type::name` → `type`. */
export function urnType(urn: string): string {
  return urn.split("::")[2]?.split("$").pop() ?? "";
}

/** Delivers command output lines to the engine (ephemeral info on the resource). */
export type EngineLog = (urn: string, line: string) => void;

function resourceId(): string {
  return crypto.randomBytes(8).toString("hex");
}

/** The provider object served by `@pulumi/pulumi/provider`'s `main`. */
export function commandProvider(log: EngineLog = () => undefined): provider.Provider {
  const sinkFor = (urn: string) => (line: string) => log(urn, line);

  /** create / update / replace (as create) of a command or copy; returns the outputs. */
  const apply = async (urn: string, op: StepOp, news: Props, olds?: Props): Promise<Props> => {
    const type = urnType(urn);
    const inputs = plain(news) as Props;
    if (type === COPY_TO_REMOTE) {
      const prior = olds ? (comparable(inputsOnly(olds)) as Props) : undefined;
      if (copyNeeded(op, prior, comparable(news) as Props, equal)) {
        const outcome = await copySource(
          inputs.connection as Connection,
          localSource(news.source),
          String(inputs.remotePath),
        );
        if (outcome.error) throw new Error(outcome.error);
      }
      return { ...news };
    }
    const key = scriptKey(op, inputs);
    const script = inputs[key];
    if (typeof script !== "string" || script === "") return { ...news, stdout: "", stderr: "" };
    const previous = olds ? (plain(olds) as { stdout?: string; stderr?: string }) : undefined;
    const r = await executeScript(type, inputs, script, previous, { sink: sinkFor(urn) });
    if (r.exitCode !== 0 || r.spawnError) {
      throw new Error(scriptFailure(r, type, script, isSecret(news[key])));
    }
    return { ...news, stdout: trimOne(r.stdout), stderr: trimOne(r.stderr) };
  };

  return {
    version: COMMAND_PROVIDER_VERSION,

    async check(urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
      const type = urnType(urn);
      if (!COMMAND_TYPES.includes(type)) {
        return { failures: [{ property: "", reason: `unknown resource type ${type}` }] };
      }
      const inputs: Props = { ...news };
      for (const key of providerSecretInputs(type)) {
        if (inputs[key] !== undefined && !isSecret(inputs[key])) {
          inputs[key] = { [SIG]: SECRET_SIG, value: inputs[key] };
        }
      }
      const refused = checkFailure(type, news, (v) => plain(v) === UNKNOWN);
      return refused ? { inputs, failures: [refused] } : { inputs };
    },

    async diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
      void urn;
      const op = decideOp(comparable(inputsOnly(olds)) as Props, comparable(news) as Props, equal);
      if (op === "same") return { changes: false };
      if (op === "replace") return { changes: true, replaces: ["triggers"] };
      return { changes: true };
    },

    async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
      return { id: resourceId(), outs: await apply(urn, "create", inputs) };
    },

    async update(_id: string, urn: string, olds: Props, news: Props) {
      return { outs: await apply(urn, "update", news, olds) };
    },

    async delete(_id: string, urn: string, props: Props): Promise<void> {
      const type = urnType(urn);
      if (type === COPY_TO_REMOTE) return; // 1.2.1 never deletes copied files
      const inputs = plain(props) as Props;
      const script = inputs.delete;
      if (typeof script !== "string" || script === "") return;
      const previous = { stdout: inputs.stdout as string, stderr: inputs.stderr as string };
      const r = await executeScript(type, inputs, script, previous, { sink: sinkFor(urn) });
      if (r.exitCode !== 0 || r.spawnError) {
        throw new Error(scriptFailure(r, type, script, isSecret(props.delete)));
      }
    },

    async read(id: string, _urn: string, props: Props): Promise<provider.ReadResult> {
      return { id, props }; // no drift detection in 1.2.1: refresh returns the stored state
    },

    async invoke(token: string, inputs: Props): Promise<provider.InvokeResult> {
      if (token !== "command:local:run") throw new Error(`unknown function ${token}`);
      const args = plain(inputs) as Props;
      const command = String(args.command ?? "");
      const r = await runLocal({
        command,
        interpreter: args.interpreter as string[] | undefined,
        dir: args.dir as string | undefined,
        environment: args.environment as Record<string, string> | undefined,
        stdin: args.stdin as string | undefined,
      });
      if (r.exitCode !== 0 || r.spawnError) throw new Error(failureText(r, command, "local"));
      return { outputs: { ...inputs, stdout: trimOne(r.stdout), stderr: trimOne(r.stderr) } };
    },
  };
}
