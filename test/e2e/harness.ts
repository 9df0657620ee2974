/**
 * End-to-end harness: deploys a tiny HTTP app (test/fixtures/e2e/app/server.js) with the real
 * components (`UpsunApp`, `CleverCloudApp`, or `Application` when a hook needs per-hook options)
 * through `deployhooks/testing`'s `runProgram` to "hosts" that are this machine reached over SSH
 * (a loopback OpenSSH server from `startSshd()`), each with its deployment root in a temp dir.
 *
 * A scenario owns one temp dir (source tree, artifacts, state file, host roots). `cleanup()` kills
 * every process whose working directory is inside it (the deployed apps, orphaned hooks) and
 * removes it (sealed releases are made writable first).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Application, CleverCloudApp, UpsunApp } from "../../components";
import type { HookArgs, HostArgs, TrafficArgs } from "../../components";
import { awaitStandby, runProgram } from "../../testing";
import type { RunReport, SshdHandle } from "../../testing";
import { readHistory, type HistoryLine } from "../../scripts/demoSupport";

export const PROFILES = ["upsun", "cleverCloud"] as const;
export type Profile = (typeof PROFILES)[number];

export const APP_SOURCE = path.resolve(__dirname, "..", "fixtures", "e2e", "app");

/** Hook scripts of the default app, by camelCase hook name (plus `buildCommand`). */
export const DEFAULT_SCRIPTS: Record<Profile, Record<string, string>> = {
  upsun: {
    build:
      'set -e\nmkdir -p public\nprintf \'%s/%s\' "$(cat version.txt)" "$BUILD_FLAVOR" > public/build.txt\necho "built $(cat public/build.txt)"\n',
    deploy: 'echo "deploy release=$APP_RELEASE_ID"\n',
    postDeploy: 'echo "postDeploy greeting=$GREETING"\n',
  },
  cleverCloud: {
    preBuild: 'echo "preBuild instance=$INSTANCE_TYPE"\n',
    buildCommand:
      'set -e\nmkdir -p public\nprintf \'%s/%s\' "$(cat version.txt)" "$CC_NODE_VERSION" > public/build.txt\n',
    postBuild: "echo postBuild > public/post.txt\n",
    preRun: 'echo "preRun greeting=$GREETING"\n',
    runSucceeded: "echo runSucceeded\n",
    runFailed: "echo runFailed\n",
  },
};

/** The build-class variable of each profile (Upsun `variables.env`, a Clever Cloud build setting). */
export const BUILD_VARIABLE: Record<Profile, string> = {
  upsun: "BUILD_FLAVOR",
  cleverCloud: "CC_NODE_VERSION",
};

/** Hooks (history labels) that run on a full deployment and on a runtime-only one. */
export const HISTORY: Record<Profile, { full: string[]; runtime: string[] }> = {
  upsun: { full: ["build", "deploy", "postDeploy"], runtime: ["postDeploy"] },
  cleverCloud: {
    full: ["preBuild", "step:build", "postBuild", "preRun", "runSucceeded"],
    runtime: ["preBuild", "preRun", "runSucceeded"],
  },
};

type StepKinds = { first: string[]; code: string[]; build: string[]; runtime: string[] };
/**
 * The first deployment installs the host library, probes the host, transfers the artifact, then
 * runs the build deployment's steps.
 */
const withTransfer = (s: Omit<StepKinds, "first" | "code">): StepKinds => ({
  first: ["library", "probe", "transfer", ...s.build.filter((x) => x !== "probe")],
  // A code change probes, transfers and builds again; the host library stays.
  code: ["probe", "transfer", ...s.build.filter((x) => x !== "probe")],
  ...s,
});

/** Steps (resource name suffixes) that execute on each kind of deployment. */
export const STEPS: Record<Profile, StepKinds> = {
  upsun: withTransfer({
    build: [
      "probe",
      "upload",
      "build",
      "hook-build",
      "hold-deploy",
      "hook-deploy",
      "activate",
      "outcome",
      "hook-postDeploy",
    ],
    runtime: ["activate", "outcome", "hook-postDeploy"],
  }),
  cleverCloud: withTransfer({
    build: [
      "probe",
      "upload",
      "hook-preBuild",
      "build",
      "hook-postBuild",
      "hook-preRun",
      "activate",
      "outcome",
    ],
    runtime: ["hook-preBuild", "hook-preRun", "activate", "outcome"],
  }),
};

export { sshdOrSkip } from "../testing/helpers";

/** Whether 127.0.0.1:`port` can be listened on now (closed again at once). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.on("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`). */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs
      .readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!];
  } catch {
    // not Linux: assume the usual range
  }
  return [32768, 60999];
}

/**
 * A free TCP port on 127.0.0.1 (closed again: for the app, or as a port nobody answers on), from
 * outside the kernel's ephemeral range: a port of that range, free now, can be taken before the
 * test's proxy or app binds it by any outgoing connection or port-0 listener (the Pulumi engine's
 * plugins listen on port 0), and the proxy then fails to start while something else answers.
 */
export async function freePort(): Promise<number> {
  const [elo, ehi] = ephemeralRange();
  // Below 20000: the proxies' private slot ports are picked in 20000 up to the ephemeral range.
  const [lo, hi] = elo > 20000 ? [10000, 19999] : [ehi + 1, 65535];
  for (let i = 0; i < 200; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${lo}-${hi}`);
}

/** One host: an SSH endpoint plus a deployment root and the port its copy of the app listens on. */
export interface TestHost {
  name: string;
  root: string;
  httpPort: number;
  /** SSH endpoint; a `connection` override (e.g. a closed port) wins. */
  sshd?: SshdHandle;
  connection?: HostArgs["connection"];
  leader?: boolean;
  /** Deploy to this machine directly (no connection: local commands, no transfer). */
  local?: boolean;
  /** Roles (default web); a host without the web role gets no URL (no health check). */
  roles?: HostArgs["roles"];
}

/** Per-hook options beyond the platform's (switches the program to the generic `Application`). */
export type HookOptions = Partial<
  Pick<HookArgs, "failure" | "timeoutSeconds" | "rerunOn" | "watch" | "scope">
>;

/** What a deployment is made of; tests mutate it between runs. */
export interface AppConfig {
  name: string;
  buildVar: string;
  greeting: string;
  redeployToken: string;
  /** Hook scripts by camelCase name (and `buildCommand` for Clever Cloud); `undefined` removes one. */
  scripts: Record<string, string | undefined>;
  /** Start command. */
  start: string;
  /** Secret runtime variables (stdin only). */
  secrets: Record<string, string>;
  hookOptions: Record<string, HookOptions>;
  /** Seconds the health check retries (switches to the generic `Application`, which exposes it). */
  healthCheckTimeoutSeconds?: number;
  /** Traffic settings (front proxy, hold limit, rolling batch size). */
  traffic?: TrafficArgs;
}

/** Plain-data description of one deployment program. */
export interface ProgramSpec {
  profile: Profile;
  src: string;
  artifactDir: string;
  hosts: HostArgs[];
  config: AppConfig;
}

/** The Pulumi program of a spec: `UpsunApp` / `CleverCloudApp`, or `Application` for per-hook options. */
export function appProgram(spec: ProgramSpec): () => Record<string, unknown> {
  const c = spec.config;
  const profile = spec.profile;
  const hosts = spec.hosts;
  const common = {
    appName: c.name,
    source: spec.src,
    artifactDir: spec.artifactDir,
    redeployToken: c.redeployToken,
    hosts,
    ...(c.traffic ? { traffic: c.traffic } : {}),
  };
  const script = (k: string) => c.scripts[k];
  const portAny = 8080; // PORT for the app; server.js prefers <root>/port.txt
  return () => {
    let app: UpsunApp | CleverCloudApp | Application;
    if (Object.keys(c.hookOptions).length > 0 || c.healthCheckTimeoutSeconds !== undefined) {
      // Generic Application with the profile: the only way to give per-hook options.
      const hooks: HookArgs[] = Object.entries(c.scripts)
        .filter(([k, v]) => k !== "buildCommand" && v !== undefined)
        .map(([k, v]) => ({ name: k, script: v as string, ...(c.hookOptions[k] ?? {}) }));
      const isUpsun = profile === "upsun";
      app = new Application(c.name, {
        ...common,
        profile: profile,
        hooks,
        variables: [
          {
            name: BUILD_VARIABLE[profile],
            value: c.buildVar,
            ...(isUpsun ? {} : { buildAffecting: true }),
          },
          { name: "GREETING", value: c.greeting, visibility: isUpsun ? "runtime" : "both" },
          ...Object.entries(c.secrets).map(([name, value]) => ({
            name,
            value,
            secret: true,
            visibility: "runtime" as const,
          })),
        ],
        start: c.start,
        port: portAny,
        ...(c.healthCheckTimeoutSeconds !== undefined
          ? { healthCheckTimeoutSeconds: c.healthCheckTimeoutSeconds }
          : {}),
        ...(script("buildCommand") !== undefined ? { buildCommand: script("buildCommand") } : {}),
      });
    } else if (profile === "upsun") {
      app = new UpsunApp(c.name, {
        ...common,
        type: "nodejs:20",
        // The fixture has no package.json: no build flavor, so the build step stays a no-op.
        config: { build: { flavor: "none" } },
        hooks: {
          build: script("build"),
          deploy: script("deploy"),
          postDeploy: script("postDeploy"),
        },
        variables: { BUILD_FLAVOR: c.buildVar },
        runtimeVariables: { GREETING: c.greeting },
        secrets: c.secrets,
        web: { commands: { start: c.start } },
        port: portAny,
      });
    } else {
      app = new CleverCloudApp(c.name, {
        ...common,
        CC_PRE_BUILD_HOOK: script("preBuild"),
        CC_BUILD_COMMAND: script("buildCommand"),
        CC_POST_BUILD_HOOK: script("postBuild"),
        CC_PRE_RUN_HOOK: script("preRun"),
        CC_RUN_SUCCEEDED_HOOK: script("runSucceeded"),
        CC_RUN_FAILED_HOOK: script("runFailed"),
        CC_RUN_COMMAND: c.start,
        environment: { CC_NODE_VERSION: c.buildVar, GREETING: c.greeting },
        secrets: c.secrets,
        port: portAny,
      });
    }
    return { releaseId: app.releaseId, health: app.health };
  };
}

export class Scenario {
  readonly dir: string;
  readonly src: string;
  readonly artifactDir: string;
  readonly stateFile: string;
  hosts: TestHost[] = [];
  config: AppConfig;
  private seen = new Map<string, number>();

  constructor(
    readonly profile: Profile,
    name = "app",
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `dh-e2e-${profile}-`));
    this.src = path.join(this.dir, "src");
    this.artifactDir = path.join(this.dir, "artifacts");
    this.stateFile = path.join(this.dir, "state.json");
    fs.cpSync(APP_SOURCE, this.src, { recursive: true });
    this.write("version.txt", "v1\n");
    this.config = {
      name,
      buildVar: "b1",
      greeting: "hello",
      redeployToken: "",
      scripts: { ...DEFAULT_SCRIPTS[profile] },
      start: "exec node server.js",
      secrets: {},
      hookOptions: {},
    };
  }

  /** Adds a host with its own root (and port file) under the scenario dir. */
  async addHost(
    name: string,
    sshd: SshdHandle | undefined,
    extra: Partial<TestHost> = {},
  ): Promise<TestHost> {
    const root = path.join(this.dir, `root-${name}`);
    fs.mkdirSync(root, { recursive: true });
    const httpPort = await freePort();
    fs.writeFileSync(path.join(root, "port.txt"), `${httpPort}\n`);
    const host: TestHost = { name, root, httpPort, sshd, ...extra };
    this.hosts.push(host);
    return host;
  }

  host(name?: string): TestHost {
    const h = name ? this.hosts.find((x) => x.name === name) : this.hosts[0];
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Writes a file of the app's source tree (a code change). */
  write(rel: string, text: string): void {
    const file = path.join(this.src, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }

  /** The app's directory on a host. */
  appDir(host = this.host()): string {
    return path.join(host.root, this.config.name);
  }

  private hostArgs(): HostArgs[] {
    return this.hosts.map((h) => ({
      name: h.name,
      root: h.root,
      ...(h.roles && !h.roles.includes("web") ? {} : { url: `http://127.0.0.1:${h.httpPort}` }),
      ...(h.roles ? { roles: h.roles } : {}),
      ...(h.leader ? { leader: true } : {}),
      ...(h.local
        ? {}
        : {
            connection: h.connection ?? {
              host: "127.0.0.1",
              port: h.sshd!.port,
              user: h.sshd!.user,
              privateKey: h.sshd!.privateKey,
              hostKey: h.sshd!.hostKey,
            },
          }),
    }));
  }

  /** Everything the program needs, as plain data (also handed to a child process). */
  spec(): ProgramSpec {
    return {
      profile: this.profile,
      src: this.src,
      artifactDir: this.artifactDir,
      hosts: this.hostArgs(),
      config: JSON.parse(JSON.stringify(this.config)) as AppConfig,
    };
  }

  /** The Pulumi program of the current configuration. */
  program(): () => Record<string, unknown> {
    return appProgram(this.spec());
  }

  /** One `pulumi up` of the current configuration. */
  async deploy(): Promise<RunReport> {
    for (const h of this.hosts) this.seen.set(h.name, this.history(h).length);
    return runProgram(this.program(), {
      stateFile: this.stateFile,
      project: "e2e",
      stack: this.profile,
    });
  }

  /** Every history line of a host. */
  history(host = this.host()): HistoryLine[] {
    return readHistory(this.appDir(host));
  }

  /** History lines written by the last `deploy()`. */
  newHistory(host = this.host()): HistoryLine[] {
    return this.history(host).slice(this.seen.get(host.name) ?? 0);
  }

  /** The release `current` points to on a host ("" when none). */
  current(host = this.host()): string {
    try {
      return fs.readlinkSync(path.join(this.appDir(host), "current")).replace(/^releases\//, "");
    } catch {
      return "";
    }
  }

  /** GET / of the app on a host. */
  async http(host = this.host()): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${host.httpPort}/`, {
      signal: AbortSignal.timeout(5000),
    });
    return (await res.text()).trim();
  }

  /** Kills what runs from this scenario's dirs, removes them. */
  cleanup(): void {
    awaitStandby(this.dir);
    killProcessesUnder(this.dir);
    try {
      execFileSync("chmod", ["-R", "u+w", this.dir], { stdio: "ignore" });
    } catch {
      // nothing to do
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Executed steps (create/replace) by suffix after `<name>-<host>-`, in report order. */
export function executed(report: RunReport, component: string, host: string): string[] {
  const prefix = `${component}-${host}-`;
  return report.steps
    .filter(
      (s) => s.executed && (s.op === "create" || s.op === "replace") && s.name.startsWith(prefix),
    )
    .map((s) => s.name.slice(prefix.length));
}

/** Hook labels of history entries. */
export const hooksOf = (entries: HistoryLine[]): string[] => entries.map((e) => e.hook);

/** Pids of processes whose cwd is inside `dir`. */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${e}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + "/")) out.push(Number(e));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

/** SIGKILL every process whose cwd is inside `dir`. */
export function killProcessesUnder(dir: string): void {
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** True while a pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A one-line summary of a report for assertion messages. */
export function summary(r: RunReport): string {
  return `${r.failed ? `FAILED: ${(r.error ?? "").slice(-800)}` : "ok"}; steps: ${r.steps.map((s) => `${s.name}:${s.op}${s.executed ? "*" : ""}`).join(" ")}`;
}

/** Waits until the app answers 200 on a host (e.g. after an abandoned hold ended). */
export async function waitForAnswer(s: Scenario, ms: number, host = s.host()): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${host.httpPort}/`, {
        signal: AbortSignal.timeout(2000),
      });
      await res.text();
      if (res.status === 200) return;
    } catch {
      // held or refused: retry
    }
    await sleep(250);
  }
  throw new Error(`no answer from host ${host.name} within ${ms} ms`);
}

/** Asserts that the run failed with an error matching `re` (the message shows only the error's tail). */
export function assertFailedWith(r: RunReport, re: RegExp): void {
  if (!r.failed) throw new Error(`expected a failed run, got ${summary(r)}`);
  if (!re.test(r.error ?? "")) {
    throw new Error(`error does not match ${re}: …${(r.error ?? "").slice(-1200)}`);
  }
}
