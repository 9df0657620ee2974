/**
 * `runProgram`: runs a Pulumi program under the SDK's mocks and executes its `@pulumi/command`
 * resources for real, keeping a state file and applying `@pulumi/command` 1.2.1's documented
 * replace/update/same/delete rules (docs: testing/README.md). This is NOT the Pulumi engine: a real
 * `pulumi up` remains the product's path.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { runLocal, trimOne, type Connection, type ExecResult } from "./exec";
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
  scriptKey,
} from "./rules";
import {
  SecretKeys,
  deepEqual,
  openInputs,
  readState,
  sealInputs,
  unwrapSecrets,
  writeState,
  type StoredResource,
} from "./state";
import type { Program, RunOptions, RunReport, RunStep, StepOp } from "./types";
import { sha256 } from "../fingerprint/digest";
import { sha256File, sha256Tree } from "./hash";

// SDK internals (same mechanism as the Automation API's inline-program LanguageServer: a fresh
// AsyncLocalStorage store per run). Pinned by the tests in test/testing/.
/* eslint-disable @typescript-eslint/no-require-imports */
const sdkState = require("@pulumi/pulumi/runtime/state") as {
  withLocalStorage<T>(cb: () => Promise<T>): Promise<T>;
  getStore(): { settings: { monitor?: unknown; engine?: unknown }; logErrorCount: number };
};
const sdkSettings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
const sdkStack = require("@pulumi/pulumi/runtime/stack") as {
  runInPulumiStack(init: () => Promise<unknown>): Promise<Record<string, unknown> | undefined>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const TRACKED = new Set(COMMAND_TYPES);

interface RegisterRequest {
  getParent(): string;
  getDeletebeforereplace(): boolean;
}

interface Ctx {
  options: RunOptions;
  preview: boolean;
  keys: SecretKeys;
  old: Map<string, { res: StoredResource; index: number }>;
  /** URN → new state in registration order; `"keep-old"`: the old state stays, `"drop"`: none. */
  registered: Map<string, StoredResource | "keep-old" | "drop">;
  replacedOld: StoredResource[];
  /** URNs of removed resources whose delete ran (they leave the state). */
  deleted: Set<string>;
  steps: RunStep[];
  warnings: string[];
  errors: string[];
  failed: boolean;
  firstError?: string;
  /** Steps executing right now: a failed run waits for them, as the engine does. */
  running: number;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` as `pulumi up` would (or `pulumi preview` with `options.preview`), executing
 * `command:local:Command`, `command:remote:Command` and `command:remote:CopyToRemote` for real.
 * Calls are serialized: the SDK keeps per-process state, so concurrent runs wait for each other.
 */
export function runProgram(program: Program, options: RunOptions): Promise<RunReport> {
  const run = queue.then(() => runOnce(program, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runOnce(program: Program, options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const project = options.project ?? "project";
  const stack = options.stack ?? "stack";
  const preview = options.preview === true;
  const state = readState(options.stateFile, project, stack);
  const ctx: Ctx = {
    options,
    preview,
    keys: new SecretKeys(`${options.stateFile}.key`, options.secretsPassphrase),
    old: new Map(state.resources.map((res, index) => [res.urn, { res, index }])),
    registered: new Map(),
    replacedOld: [],
    deleted: new Set(),
    steps: [],
    warnings: [],
    errors: [],
    failed: false,
    running: 0,
  };
  let signalFailed: () => void = () => undefined;
  const failed = new Promise<void>((r) => (signalFailed = r));
  const fail = (message: string): void => {
    ctx.failed = true;
    ctx.firstError ??= message;
    signalFailed();
  };

  let outputs: Record<string, unknown> = {};
  const unhandled = (reason: unknown): void => {
    ctx.errors.push(reason instanceof Error ? reason.message : String(reason));
  };
  // Failed registrations reject resource outputs nobody awaits; the engine's language host swallows
  // them the same way (and reports them). Keep them out of the host process (mocha fails on them).
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", unhandled);
  try {
    await sdkState.withLocalStorage(async () => {
      let currentReq: RegisterRequest | undefined;
      const mocks: pulumi.runtime.Mocks = {
        call: (args) => handleCall(ctx, args),
        newResource: (args) => {
          const req = currentReq;
          const urn = newUrn(req?.getParent() ?? "", args.type, args.name, project, stack);
          return handleResource(ctx, args, urn, req, fail);
        },
      };
      await pulumi.runtime.setMocks(mocks, project, stack, preview);
      const store = sdkState.getStore();
      const monitor = store.settings.monitor as {
        registerResource(req: RegisterRequest, cb: unknown): Promise<void>;
      };
      const original = monitor.registerResource.bind(monitor);
      // MockMonitor calls mocks.newResource synchronously inside registerResource, before its first
      // await: capture the request so the handler sees the parent (for the URN) and options.
      monitor.registerResource = (req, cb) => {
        currentReq = req;
        try {
          return original(req, cb);
        } finally {
          currentReq = undefined;
        }
      };
      store.settings.engine = fakeEngine(ctx);
      const config: Record<string, string> = {};
      for (const [k, v] of Object.entries(options.config ?? {})) {
        config[k.includes(":") ? k : `${project}:${k}`] = v;
      }
      const secretKeys = (options.secretConfigKeys ?? []).map((k) =>
        k.includes(":") ? k : `${project}:${k}`,
      );
      pulumi.runtime.setAllConfig(config, secretKeys);
      // After a failed step, resources depending on it never register and outputs derived from it
      // never resolve, so the program may never finish (the engine would cancel it). Once a step has
      // failed and the RPC queue has drained, stop waiting for the program.
      const abandoned = failed.then(async () => {
        for (let quiet = 0; quiet < 2;) {
          const before = ctx.steps.length;
          // Bounded: a registration two dependsOn levels below the failed step never settles, so
          // the RPC queue may never drain (seen with the components' step chains).
          await Promise.race([sdkSettings.waitForRPCs(), new Promise((r) => setTimeout(r, 250))]);
          await new Promise((r) => setTimeout(r, 25));
          quiet = ctx.steps.length === before && ctx.running === 0 ? quiet + 1 : 0;
        }
        return { abandoned: true as const };
      });
      let exported: Record<string, unknown> = {};
      const finished = sdkStack
        .runInPulumiStack(async () => (exported = (await program()) ?? {}))
        .then(async () => {
          // Per export, so that in preview one unknown value does not blank all the others.
          const result: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(exported)) {
            result[k] = await (
              pulumi.output(v) as unknown as { promise(): Promise<unknown> }
            ).promise();
          }
          return { result };
        })
        .catch((e: unknown) => ({ error: e }));
      const outcome = await Promise.race([finished, abandoned]);
      if ("result" in outcome) outputs = unwrapSecrets(outcome.result) as Record<string, unknown>;
      else if ("error" in outcome) fail(errorText(outcome.error));
      await Promise.race([sdkSettings.waitForRPCs(), abandoned]);
      if (sdkState.getStore().logErrorCount > 0 && !ctx.failed) {
        fail("one or more errors were logged");
      }
    });
    await runDeletes(ctx, fail);
  } catch (e) {
    fail(errorText(e));
  } finally {
    // Rejections are reported after the microtask queue drains: let them reach our listener first.
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
    process.removeListener("unhandledRejection", unhandled);
    for (const l of saved) process.on("unhandledRejection", l);
  }
  if (!preview) {
    writeState(options.stateFile, nextState(ctx, state.project || project, state.stack || stack));
  }
  if (ctx.errors.length && !ctx.failed) fail(ctx.errors[0]!);
  return {
    steps: ctx.steps,
    outputs,
    failed: ctx.failed,
    ...(ctx.firstError !== undefined ? { error: ctx.firstError } : {}),
    warnings: ctx.warnings,
    durationMs: Date.now() - started,
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Same URN scheme as the SDK's MockMonitor. */
function newUrn(
  parent: string,
  type: string,
  name: string,
  project: string,
  stack: string,
): string {
  let t = type;
  if (parent) {
    const parentType = parent.split("::")[2]!.split("$").pop();
    t = `${parentType}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${t}::${name}`;
}

function fakeEngine(ctx: Ctx) {
  // Severity values of pulumi.rpc.LogSeverity: DEBUG 0, INFO 1, WARNING 2, ERROR 3.
  return {
    log(req: { getSeverity(): number; getMessage(): string }, cb: () => void) {
      if (req.getSeverity() === 2) ctx.warnings.push(req.getMessage());
      else if (req.getSeverity() === 3) ctx.errors.push(req.getMessage());
      else if (req.getSeverity() === 1 && ctx.options.onOutput) {
        ctx.options.onOutput(req.getMessage(), "stdout", "");
      }
      cb();
    },
    setRootResource(_req: unknown, cb: (err: unknown, resp: unknown) => void) {
      cb(null, {});
    },
    requirePulumiVersion(_req: unknown, cb: (err: unknown, resp: unknown) => void) {
      cb(null, {});
    },
  };
}

async function handleCall(
  ctx: Ctx,
  args: pulumi.runtime.MockCallArgs,
): Promise<Record<string, unknown>> {
  const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
  if (args.token !== "command:local:run") return inputs;
  // local.run / local.runOutput: executed unconditionally, in preview too (pulumi-command.md §2).
  const command = String(inputs.command ?? "");
  const r = await runLocal({
    command,
    interpreter: inputs.interpreter as string[] | undefined,
    dir: inputs.dir as string | undefined,
    environment: inputs.environment as Record<string, string> | undefined,
    stdin: inputs.stdin as string | undefined,
    baseEnv: ctx.options.env,
  });
  if (r.exitCode !== 0) throw new Error(failureText(r, command, "local"));
  return { ...inputs, stdout: trimOne(r.stdout), stderr: trimOne(r.stderr) };
}

/** Assets become descriptors with a content hash; Unknowns (preview) become `{$unknown: true}`. */
async function normalize(value: unknown): Promise<unknown> {
  if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) {
    const v = value as unknown as {
      path?: Promise<string>;
      text?: Promise<string>;
      uri?: Promise<string>;
    };
    if (v.path) {
      const p = await v.path;
      if (!fs.existsSync(p)) return { $asset: "path", path: p, hash: "missing" };
      const isDir = fs.statSync(p).isDirectory();
      return { $asset: "path", path: p, hash: isDir ? sha256Tree(p) : sha256File(p) };
    }
    if (v.text) return { $asset: "text", hash: sha256(await v.text) };
    return { $asset: "other", uri: v.uri ? await v.uri : undefined };
  }
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(normalize));
  if (pulumi.isUnknown(value)) return { $unknown: true };
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = await normalize(v);
    return out;
  }
  return value;
}

async function handleResource(
  ctx: Ctx,
  args: pulumi.runtime.MockResourceArgs,
  urn: string,
  req: RegisterRequest | undefined,
  fail: (message: string) => void,
): Promise<pulumi.runtime.MockResourceResult> {
  if (!args.custom) return { id: undefined, state: {} };
  const id = `${args.name}-id`;
  if (!TRACKED.has(args.type)) return { id, state: args.inputs as Record<string, unknown> };
  if (ctx.registered.has(urn)) throw new Error(`duplicate resource URN ${urn}`);
  ctx.registered.set(urn, "keep-old");
  // Push synchronously: report order = registration order (op filled in below).
  const step: RunStep = { urn, type: args.type, name: args.name, op: "create", executed: false };
  ctx.steps.push(step);

  const normalized = (await normalize(args.inputs)) as Record<string, unknown>;
  const { stored, secretInputs } = sealInputs(normalized, ctx.keys, !ctx.preview);
  const plain = unwrapSecrets(args.inputs) as Record<string, unknown>;
  const prior = ctx.old.get(urn)?.res;
  const op = decideOp(prior?.inputs, stored, deepEqual);
  step.op = op;
  const refused = checkFailure(args.type, normalized, (v) => deepEqual(v, { $unknown: true }));
  if (refused) {
    const message = `property ${refused.property}: ${refused.reason}`;
    return failStep(ctx, step, op, message, fail);
  }
  const echo = args.inputs as Record<string, unknown>;

  if (op === "same") {
    ctx.registered.set(urn, { ...prior!, inputs: stored, secretInputs, name: args.name });
    return { id, state: { ...echo, ...prior!.outputs } };
  }
  if (ctx.preview) {
    // Outputs unknown for changed resources, like the provider's markComputed.
    return { id, state: echo };
  }
  if (ctx.failed) {
    step.error = "not run: an earlier step failed";
    throw new Error(`${step.error} (${urn})`);
  }

  const deleteBeforeReplace = req?.getDeletebeforereplace() === true;
  if (op === "replace" && deleteBeforeReplace && prior) {
    const ok = await runDelete(ctx, prior, true, fail);
    if (!ok) {
      step.error = "not run: deleting the old resource failed";
      throw new Error(step.error);
    }
  }

  let outputs: { stdout?: string; stderr?: string } = { stdout: "", stderr: "" };
  if (args.type === COPY_TO_REMOTE) {
    if (copyNeeded(op, prior?.inputs, stored, deepEqual)) {
      const source = await localSource(plain.source);
      ctx.running++;
      const outcome = await copySource(
        plain.connection as Connection,
        source,
        String(plain.remotePath),
      ).finally(() => ctx.running--);
      step.command = outcome.command;
      step.executed = true;
      record(step, outcome.result);
      if (outcome.error) return failStep(ctx, step, op, outcome.error, fail);
    }
    outputs = {};
  } else {
    const key = scriptKey(op, plain);
    const script = plain[key] as string | undefined;
    if (script !== undefined && script !== "") {
      const secretScript = secretInputs.includes(key);
      step.command = secretScript ? "[secret]" : script;
      step.executed = true;
      const previous = op === "update" ? prior?.outputs : undefined;
      ctx.running++;
      const r = await execute(ctx, args.type, plain, script, previous, urn).finally(
        () => ctx.running--,
      );
      record(step, r);
      if (r.exitCode !== 0 || r.spawnError) {
        return failStep(ctx, step, op, scriptFailure(r, args.type, script, secretScript), fail);
      }
      outputs = { stdout: trimOne(r.stdout), stderr: trimOne(r.stderr) };
    }
  }
  ctx.registered.set(urn, {
    urn,
    type: args.type,
    name: args.name,
    inputs: stored,
    secretInputs,
    outputs,
  });
  if (op === "replace" && prior && !deleteBeforeReplace) ctx.replacedOld.push(prior);
  return { id, state: { ...echo, ...outputs } };
}

function failStep(
  ctx: Ctx,
  step: RunStep,
  op: StepOp,
  message: string,
  fail: (m: string) => void,
): never {
  step.error = message;
  fail(`${step.urn}: ${message}`);
  // Failed create records nothing; failed update/replace keeps the old state.
  ctx.registered.set(step.urn, op === "create" ? "drop" : "keep-old");
  throw new Error(message);
}

function record(step: RunStep, r: ExecResult): void {
  step.exitCode = r.exitCode;
  step.durationMs = r.durationMs;
  step.stdout = trimOne(r.stdout);
  step.stderr = trimOne(r.stderr);
}

/** The local file, directory or text behind a CopyToRemote `source` Asset/Archive. */
async function localSource(source: unknown): Promise<LocalSource> {
  const s = source as { path?: Promise<string>; text?: Promise<string> };
  if (s && s.path) return { path: await s.path };
  if (s && s.text !== undefined) return { text: await s.text };
  throw new Error(
    "deployhooks/testing: CopyToRemote source must be a FileAsset, StringAsset or path FileArchive",
  );
}

function execute(
  ctx: Ctx,
  type: string,
  inputs: Record<string, unknown>,
  script: string,
  previous: { stdout?: string; stderr?: string } | undefined,
  urn: string,
): Promise<ExecResult> {
  const onOutput = ctx.options.onOutput;
  return executeScript(type, inputs, script, previous, {
    sink: onOutput ? (line, stream) => onOutput(line, stream, urn) : undefined,
    baseEnv: ctx.options.env,
  });
}

/** Runs the stored `delete` of `res` (old connection, environment, outputs). Returns success. */
async function runDelete(
  ctx: Ctx,
  res: StoredResource,
  replaced: boolean,
  fail: (m: string) => void,
): Promise<boolean> {
  const step: RunStep = {
    urn: res.urn,
    type: res.type,
    name: res.name,
    op: "delete",
    executed: false,
  };
  if (replaced) step.replaced = true;
  ctx.steps.push(step);
  if (ctx.preview || res.type === COPY_TO_REMOTE) return true;
  let inputs: Record<string, unknown>;
  try {
    inputs = openInputs(res.inputs, ctx.keys);
  } catch (e) {
    step.error = errorText(e);
    fail(`${res.urn}: ${step.error}`);
    return false;
  }
  const script = inputs.delete as string | undefined;
  if (script === undefined || script === "") return true;
  const secretScript = res.secretInputs.includes("delete");
  step.command = secretScript ? "[secret]" : script;
  step.executed = true;
  const r = await execute(ctx, res.type, inputs, script, res.outputs, res.urn);
  record(step, r);
  if (r.exitCode !== 0 || r.spawnError) {
    const message = scriptFailure(r, res.type, script, secretScript);
    step.error = message;
    fail(`${res.urn}: ${message}`);
    return false;
  }
  return true;
}

/** After the program: deletes of replaced (create-before-delete) and removed resources, reverse order. */
async function runDeletes(ctx: Ctx, fail: (m: string) => void): Promise<void> {
  const queue: Array<{ res: StoredResource; index: number; replaced: boolean }> = [];
  for (const res of ctx.replacedOld) {
    queue.push({ res, index: ctx.old.get(res.urn)!.index, replaced: true });
  }
  for (const [urn, { res, index }] of ctx.old) {
    if (!ctx.registered.has(urn)) queue.push({ res, index, replaced: false });
  }
  queue.sort((a, b) => b.index - a.index);
  for (const item of queue) {
    if (ctx.failed && !ctx.preview) break; // the engine starts no new step after a failure
    if (ctx.preview && item.replaced) continue; // shown as the replace step
    const ok = await runDelete(ctx, item.res, item.replaced, fail);
    if (ok && !item.replaced) ctx.deleted.add(item.res.urn);
  }
}

function nextState(ctx: Ctx, project: string, stack: string) {
  const resources: StoredResource[] = [];
  for (const [urn, entry] of ctx.registered) {
    if (entry === "drop") continue;
    if (entry === "keep-old") {
      const old = ctx.old.get(urn);
      if (old) resources.push(old.res);
      continue;
    }
    resources.push(entry);
  }
  for (const [urn, { res }] of ctx.old) {
    if (!ctx.registered.has(urn) && !ctx.deleted.has(urn)) resources.push(res);
  }
  return { version: 1, generator: "deployhooks/testing" as const, project, stack, resources };
}
