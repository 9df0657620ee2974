/**
 * The real-engine tier's harness: the `pulumi` CLI v3.274.1 built by `npm run -s engine:bin`, the
 * `command` double and the component-provider launcher beside it, each stack in its own temporary
 * PULUMI_HOME with a file:// backend and passphrase secrets, offline. TypeScript programs run as
 * Automation API inline programs (no pulumi-language-nodejs needed).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  Stack,
  type ConfigMap,
  type EngineEvent,
  type PulumiFn,
} from "@pulumi/pulumi/automation";
import { runProgram } from "../../testing";
import type { Program, RunReport } from "../../testing";

export const REPO = path.resolve(__dirname, "..", "..");
export const PASSPHRASE = "real-engine-tier-passphrase";

let engineDirCache: string | undefined | null = null;

/**
 * The directory of the four executables: `$DEPLOYHOOKS_ENGINE_DIR` when set (.ci/run sets it), else
 * the output of `scripts/engineBin.sh` (a cold build takes about 10 minutes). `undefined` without go.
 */
export function engineDir(): string | undefined {
  if (engineDirCache !== null) return engineDirCache;
  const given = process.env.DEPLOYHOOKS_ENGINE_DIR;
  if (given) return (engineDirCache = given);
  if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) {
    return (engineDirCache = undefined);
  }
  const out = execFileSync("bash", [path.join(REPO, "scripts", "engineBin.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return (engineDirCache = out.trim().split("\n").pop());
}

/** In a mocha `before`: the engine directory, or a printed reason and a skip. */
export function engineOrSkip(ctx: Mocha.Context): string {
  ctx.timeout(30 * 60_000); // a cold engine:bin build
  const dir = engineDir();
  if (!dir) {
    console.log("    (skipped: no `go` on PATH, so the real Pulumi engine cannot be built here)");
    ctx.skip();
  }
  return dir!;
}

/** What the engine did to one resource, keyed `type::name` (type without its parent prefix). */
export type OpMap = Map<string, string>;

export function resourceKey(urn: string): string {
  const parts = urn.split("::");
  return `${parts[2]?.split("$").pop()}::${parts[3]}`;
}

/** Engine ops collapsed to runProgram's vocabulary: create, update, replace, same, delete. */
function collapse(op: string): string | undefined {
  switch (op) {
    case "create":
    case "update":
    case "same":
    case "delete":
      return op;
    case "replace":
    case "create-replacement":
    case "delete-replaced":
    case "discard-replaced":
      return "replace";
    default:
      return undefined;
  }
}

function collector(): { ops: OpMap; onEvent: (e: EngineEvent) => void } {
  const ops: OpMap = new Map();
  return {
    ops,
    onEvent: (e) => {
      const meta = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata;
      if (
        !meta ||
        meta.type === "pulumi:pulumi:Stack" ||
        meta.type.startsWith("pulumi:providers:")
      ) {
        return;
      }
      const op = collapse(meta.op);
      if (!op) return;
      const key = resourceKey(meta.urn);
      if (ops.get(key) !== "replace") ops.set(key, op);
    },
  };
}

/** The emulation's ops for the command resources of a runProgram report. */
export function emulatedOps(report: RunReport): OpMap {
  const ops: OpMap = new Map();
  for (const s of report.steps) {
    if (s.op === "delete" && s.replaced) continue; // part of the replace
    ops.set(resourceKey(s.urn), s.op);
  }
  return ops;
}

/** Only the `command:*` resources (what both sides track). */
export function commandOps(ops: OpMap): OpMap {
  return new Map([...ops].filter(([k]) => k.startsWith("command:")));
}

/** One line per resource whose operation differs; empty when both agree. */
export function opDifferences(emulated: OpMap, real: OpMap): string[] {
  const keys = [...new Set([...emulated.keys(), ...real.keys()])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const a = emulated.get(k) ?? "absent";
    const b = real.get(k) ?? "absent";
    if (a !== b) out.push(`${k}: deployhooks/testing ${a}, real engine ${b}`);
  }
  return out;
}

/** `type::name` → op, sorted, for readable assertion messages. */
export function opsObject(ops: OpMap): Record<string, string> {
  return Object.fromEntries([...ops].sort(([a], [b]) => a.localeCompare(b)));
}

export interface ConfigValue {
  value: string;
  secret?: boolean;
}

/** A stack of the real engine with its own PULUMI_HOME and file:// backend. */
export class EngineStack {
  /** Everything the CLI printed, all runs. */
  output = "";

  private constructor(
    readonly stack: Stack,
    readonly home: string,
    readonly backendDir: string,
  ) {}

  static async create(options: {
    engine: string;
    project: string;
    program: PulumiFn;
    stack?: string;
    config?: Record<string, ConfigValue>;
  }): Promise<EngineStack> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "dh-real-engine-"));
    const backendDir = path.join(home, "backend");
    const pulumiHome = path.join(home, "pulumi-home");
    fs.mkdirSync(backendDir);
    fs.mkdirSync(pulumiHome);
    // PulumiCommand.get wants <root>/bin/pulumi; the engine directory is that bin.
    fs.mkdirSync(path.join(home, "root"));
    fs.symlinkSync(options.engine, path.join(home, "root", "bin"));
    const pulumiCommand = await PulumiCommand.get({
      root: path.join(home, "root"),
      skipVersionCheck: true,
    });
    const ws = await LocalWorkspace.create({
      program: options.program,
      pulumiHome,
      pulumiCommand,
      projectSettings: {
        name: options.project,
        runtime: "nodejs",
        backend: { url: `file://${backendDir}` },
      },
      envVars: engineEnv(options.engine),
    });
    const stack = await Stack.createOrSelect(options.stack ?? "dev", ws);
    const s = new EngineStack(stack, home, backendDir);
    if (options.config) await s.setConfig(options.config);
    return s;
  }

  async setConfig(config: Record<string, ConfigValue>): Promise<void> {
    const map: ConfigMap = {};
    for (const [k, v] of Object.entries(config)) map[k] = { value: v.value, secret: !!v.secret };
    await this.stack.setAllConfig(map);
  }

  private sink = (s: string): void => {
    this.output += s;
  };

  async preview(): Promise<{ ops: OpMap; stdout: string }> {
    const c = collector();
    const r = await this.stack.preview({ onEvent: c.onEvent, onOutput: this.sink, color: "never" });
    return { ops: c.ops, stdout: r.stdout };
  }

  async previewDiff(): Promise<string> {
    const r = await this.stack.preview({ diff: true, onOutput: this.sink, color: "never" });
    return r.stdout;
  }

  async up(): Promise<{ ops: OpMap; outputs: Record<string, unknown> }> {
    const c = collector();
    const r = await this.stack.up({ onEvent: c.onEvent, onOutput: this.sink, color: "never" });
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.outputs)) outputs[k] = v.value;
    return { ops: c.ops, outputs };
  }

  async destroy(): Promise<{ ops: OpMap }> {
    const c = collector();
    await this.stack.destroy({ onEvent: c.onEvent, onOutput: this.sink, color: "never" });
    return { ops: c.ops };
  }

  /** Removes the temporary PULUMI_HOME and backend (after a destroy). */
  dispose(): void {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** The offline environment of every CLI run (and of the plugins it starts). */
export function engineEnv(engine: string): Record<string, string> {
  return {
    PATH: `${engine}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}

/** The same program under deployhooks/testing's emulation, with the same config. */
export class EmulatedStack {
  private readonly stateFile: string;
  private readonly dir: string;
  config: Record<string, ConfigValue>;

  constructor(
    readonly program: Program,
    config: Record<string, ConfigValue> = {},
    readonly project = "project",
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-emulated-"));
    this.stateFile = path.join(this.dir, "state.json");
    this.config = { ...config };
  }

  async run(preview = false): Promise<RunReport> {
    const config: Record<string, string> = {};
    const secret: string[] = [];
    for (const [k, v] of Object.entries(this.config)) {
      config[k] = v.value;
      if (v.secret) secret.push(k);
    }
    const report = await runProgram(this.program, {
      stateFile: this.stateFile,
      project: this.project,
      stack: "dev",
      config,
      secretConfigKeys: secret,
      preview,
      secretsPassphrase: PASSPHRASE,
    });
    if (report.failed) throw new Error(`emulated run failed: ${report.error}`);
    return report;
  }

  /** Like `pulumi destroy`: a program that declares nothing. */
  async destroy(): Promise<RunReport> {
    const report = await runProgram(() => ({}), {
      stateFile: this.stateFile,
      project: this.project,
      stack: "dev",
      secretsPassphrase: PASSPHRASE,
    });
    if (report.failed) throw new Error(`emulated destroy failed: ${report.error}`);
    return report;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Files under `dir` whose bytes contain `needle` (also gzip'd history/backups are read raw). */
export function filesContaining(dir: string, needle: string): string[] {
  return filesUnder(dir).filter((f) => fs.readFileSync(f).includes(needle));
}

export { freePort } from "../e2e/harness";

/** Whether something accepts TCP connections on 127.0.0.1:`port` (the app, after up; nothing, after destroy). */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    c.on("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}
