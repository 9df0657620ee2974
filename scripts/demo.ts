/**
 * `npm run demo` — deploys examples/quickstart to this machine, shows the app answering, then applies
 * a runtime-only change (the `greeting` variable) and shows that only the post-deploy hook ran (plus
 * the restart and the health check), with timings.
 *
 * Engine: the Pulumi CLI with a local file backend when `pulumi` is on PATH, otherwise
 * deployhooks/testing's runner (the program under Pulumi's mocks, command resources executed for
 * real with @pulumi/command 1.2.1's rules). It says which.
 *
 * Everything lives in `.deployhooks-state/demo/` (gitignored): state, release tarballs, and the
 * "host" root where the app is deployed (`root/quickstart/{releases,current,logs,.deployhooks}`).
 *
 * Running it again converges: the first deployment of the second run finds nothing to do (the
 * program is unchanged), then the runtime-only change flips the greeting back (hello ⇄ bonjour).
 * `npm run demo -- --destroy` stops the app and removes `.deployhooks-state/demo/`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { runProgram, type RunReport } from "../testing";
import { onPath, readHistory, stopApp, type HistoryLine } from "./demoSupport";
import { renderStopStep } from "../render/activate";

const REPO = path.resolve(__dirname, "..");
const DEMO_DIR = path.join(REPO, ".deployhooks-state", "demo");
const ROOT = path.join(DEMO_DIR, "root");
const APP = "quickstart";
const APP_DIR = path.join(ROOT, APP);
const SETTINGS = path.join(DEMO_DIR, "demo.json");
const GREETINGS = ["hello", "bonjour"] as const;

interface Settings {
  port: number;
  greeting: string;
  engine: "pulumi" | "runner";
}

const say = (line = ""): void => void process.stdout.write(line + "\n");
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", () => {
        const a = srv.address() as net.AddressInfo;
        srv.close(() => resolve(a.port));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}

async function httpGet(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    return `${res.status} ${JSON.stringify((await res.text()).trim())}`;
  } catch (e) {
    return `no answer (${e instanceof Error ? e.message : String(e)})`;
  }
}

function printHooks(lines: HistoryLine[]): void {
  if (lines.length === 0) {
    say("   hooks run on the host: none");
    return;
  }
  say("   hooks run on the host (from .deployhooks/history.jsonl):");
  for (const h of lines) {
    const ms = Date.parse(h.end) - Date.parse(h.start);
    say(`     ${h.hook.padEnd(12)} exit ${h.exitCode}  ${h.outcome.padEnd(8)} ${secs(ms)}`);
  }
}

function printReport(r: RunReport): void {
  const width = Math.max(...r.steps.map((s) => s.name.length), 4);
  say(`   ${"step".padEnd(width)}  ${"op".padEnd(8)} ${"ran".padEnd(4)} time`);
  for (const s of r.steps) {
    // `update` runs the no-op `true` (only the command text changed); deletes of replaced steps have no script.
    const ran = s.executed && s.op !== "update" ? "yes" : "-";
    say(
      `   ${s.name.padEnd(width)}  ${(s.op + (s.replaced ? "*" : "")).padEnd(8)} ${ran.padEnd(4)} ${s.durationMs !== undefined && ran === "yes" ? secs(s.durationMs) : ""}`,
    );
  }
  say(
    "   (same: unchanged, nothing runs; update: only the command text changed, the no-op `true` runs;",
  );
  say("    replace: a trigger changed, the step reruns; delete*: the replaced resource's delete)");
  for (const s of r.steps) {
    if (!s.executed || !s.name.includes("-hook-") || s.op === "update" || s.op === "delete") {
      continue;
    }
    // The tail of the hook's log: keep this run only (the log file is appended to per release).
    const lines = (s.stdout ?? "").split("\n").filter((l) => l.startsWith("| "));
    let from = 0;
    lines.forEach((l, i) => {
      if (/^\| === deployhooks \S+ release=\S+ start=/.test(l)) from = i + 1;
    });
    for (const l of lines.slice(from).filter((x) => !x.startsWith("| === deployhooks"))) {
      say(`   ${s.name.replace(/^quickstart-local-/, "")} ${l}`);
    }
  }
}

/** One deployment through the runner. */
async function deployWithRunner(
  settings: Settings,
): Promise<{ ok: boolean; ms: number; detail: string }> {
  const { quickstart } = await import("../examples/quickstart/program");
  const r = await runProgram(
    () =>
      quickstart({
        name: APP,
        root: ROOT,
        port: settings.port,
        greeting: settings.greeting,
        artifactDir: path.join(DEMO_DIR, "artifacts"),
      }),
    { stateFile: path.join(DEMO_DIR, "state.json"), project: "deployhooks", stack: "demo" },
  );
  printReport(r);
  for (const w of r.warnings) say(`   warning: ${w}`);
  return { ok: !r.failed, ms: r.durationMs, detail: r.error ?? "" };
}

/** One `pulumi up` with a local file backend. */
function pulumiEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(DEMO_DIR, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "deployhooks-demo",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
}

function pulumi(pulumiPath: string, args: string[], show: boolean): { ok: boolean; out: string } {
  const r = spawnSync(pulumiPath, [...args, "--non-interactive"], {
    cwd: REPO,
    env: pulumiEnv(),
    encoding: "utf8",
  });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (show) for (const l of out.trimEnd().split("\n")) say(`   | ${l}`);
  return { ok: r.status === 0, out };
}

function deployWithPulumi(
  pulumiPath: string,
  settings: Settings,
): { ok: boolean; ms: number; detail: string } {
  const stackArgs = ["--stack", "demo", "--config-file", path.join(DEMO_DIR, "Pulumi.demo.yaml")];
  fs.mkdirSync(path.join(DEMO_DIR, "backend"), { recursive: true });
  if (!fs.existsSync(path.join(DEMO_DIR, "Pulumi.demo.yaml"))) {
    pulumi(pulumiPath, ["stack", "init", "demo"], false);
    fs.writeFileSync(path.join(DEMO_DIR, "Pulumi.demo.yaml"), "config: {}\n");
  }
  for (const [k, v] of [
    ["root", ROOT],
    ["port", String(settings.port)],
    ["greeting", settings.greeting],
  ]) {
    const r = pulumi(pulumiPath, ["config", "set", k, v, ...stackArgs], false);
    if (!r.ok) return { ok: false, ms: 0, detail: r.out };
  }
  const t0 = Date.now();
  const r = pulumi(pulumiPath, ["up", "--yes", "--skip-preview", "--diff", ...stackArgs], true);
  return { ok: r.ok, ms: Date.now() - t0, detail: r.ok ? "" : r.out.slice(-2000) };
}

async function deploy(
  settings: Settings,
  pulumiPath: string | undefined,
  title: string,
  expect?: string[],
): Promise<boolean> {
  say(title);
  const before = readHistory(APP_DIR).length;
  const res = pulumiPath
    ? deployWithPulumi(pulumiPath, settings)
    : await deployWithRunner(settings);
  if (!res.ok) {
    say(`   FAILED: ${res.detail.split("\n").slice(-12).join("\n   ")}`);
    return false;
  }
  const ran = readHistory(APP_DIR).slice(before);
  printHooks(ran);
  if (expect) {
    const got = ran.map((h) => h.hook).join(", ") || "none";
    say(
      `   expected hooks: ${expect.join(", ") || "none"}; ran: ${got} → ${got === (expect.join(", ") || "none") ? "as expected" : "UNEXPECTED"}`,
    );
  }
  say(`   deployment took ${secs(res.ms)}`);
  say(`   GET http://127.0.0.1:${settings.port}/ → ${await httpGet(settings.port)}`);
  say();
  return true;
}

/** Runs the deployment's own stop program (app, slots, workers, front proxy) on this machine. */
function stopProxy(): string {
  if (!fs.existsSync(APP_DIR)) return "";
  const step = renderStopStep({
    target: { root: path.dirname(APP_DIR), app: path.basename(APP_DIR) },
  });
  return spawnSync("/bin/sh", ["-c", step.command], { encoding: "utf8" }).stdout ?? "";
}

function destroy(): void {
  const pulumiPath = onPath("pulumi");
  if (pulumiPath && fs.existsSync(path.join(DEMO_DIR, "Pulumi.demo.yaml"))) {
    const stackArgs = ["--stack", "demo", "--config-file", path.join(DEMO_DIR, "Pulumi.demo.yaml")];
    pulumi(pulumiPath, ["destroy", "--yes", ...stackArgs], false);
  }
  // The front proxy (caddy, when installed) and every app process the supervisor started.
  const out = stopProxy();
  const group = /::deployhooks::stopped pid=(\d+)/.exec(out)?.[1];
  if (/::deployhooks::proxy status=stopped/.test(out)) say("stopped the front proxy (caddy)");
  const stopped = stopApp(APP_DIR) || Number(group ?? 0);
  say(stopped ? `stopped the app (process group ${stopped})` : "the app was not running");
  if (fs.existsSync(DEMO_DIR)) {
    spawnSync("chmod", ["-R", "u+w", DEMO_DIR]);
    fs.rmSync(DEMO_DIR, { recursive: true, force: true });
    say(`removed ${path.relative(REPO, DEMO_DIR)}/ (state, release tarballs, host root)`);
  } else {
    say(`nothing to remove: ${path.relative(REPO, DEMO_DIR)}/ does not exist`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--destroy")) {
    destroy();
    return 0;
  }
  const unknown = argv.filter((a) => a !== "--destroy");
  if (unknown.length > 0) {
    say(`usage: npm run demo [-- --destroy]   (unknown argument ${unknown[0]})`);
    return 2;
  }
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  const previous: Settings | undefined = fs.existsSync(SETTINGS)
    ? (JSON.parse(fs.readFileSync(SETTINGS, "utf8")) as Settings)
    : undefined;
  const pulumiPath = onPath("pulumi");
  const engine = pulumiPath ? "pulumi" : "runner";
  // A stack deployed by the other engine is not carried over: start from scratch.
  if (previous && previous.engine !== engine) destroyQuiet();
  const settings: Settings =
    previous && previous.engine === engine
      ? previous
      : { port: await freePort(8780), greeting: GREETINGS[0], engine };

  say(
    "deployhooks demo: examples/quickstart (UpsunApp: build, deploy, postDeploy hooks) deployed to this machine",
  );
  say(
    pulumiPath
      ? `engine: the Pulumi CLI (${pulumiPath}) with a local file backend in ${path.relative(REPO, DEMO_DIR)}/backend`
      : "engine: deployhooks/testing's runner — the `pulumi` CLI is not on PATH, so the program runs under Pulumi's mocks\n" +
          "        and its command resources are executed for real with @pulumi/command 1.2.1's rules (not the Pulumi engine)",
  );
  say(
    `host:   this machine (local.Command), app in ${path.relative(REPO, APP_DIR)}/, port ${settings.port}`,
  );
  say(
    onPath("caddy")
      ? "traffic: caddy found: the app runs behind a front proxy on the port (requests held during deploy, no failed request)"
      : "traffic: caddy is not installed: each activation stops the app, then starts the new one (requests are refused\n" +
          "        meanwhile); `apt-get install caddy` for zero-downtime activations",
  );
  say(
    `state:  ${path.relative(REPO, DEMO_DIR)}/ (gitignored); ${previous ? "a previous demo run exists: this run converges" : "first run"}`,
  );
  say();

  const first = previous
    ? `1) deploy again, unchanged (greeting "${settings.greeting}"): nothing should run`
    : `1) first deployment (greeting "${settings.greeting}"): every step runs`;
  if (
    !(await deploy(settings, pulumiPath, first, previous ? [] : ["build", "deploy", "postDeploy"]))
  ) {
    return 1;
  }
  fs.writeFileSync(SETTINGS, JSON.stringify(settings, null, 2) + "\n");

  const next = settings.greeting === GREETINGS[0] ? GREETINGS[1] : GREETINGS[0];
  const changed: Settings = { ...settings, greeting: next };
  const ok = await deploy(
    changed,
    pulumiPath,
    `2) runtime-only change: GREETING "${settings.greeting}" → "${next}" — only postDeploy runs (plus the restart and health check)`,
    ["postDeploy"],
  );
  if (!ok) return 1;
  fs.writeFileSync(SETTINGS, JSON.stringify(changed, null, 2) + "\n");

  say(
    "The app keeps running. `npm run demo` again converges (nothing to do), then flips the greeting back;",
  );
  say("`npm run demo -- --destroy` stops the app and removes .deployhooks-state/demo/.");
  return 0;
}

function destroyQuiet(): void {
  stopProxy();
  stopApp(APP_DIR);
  spawnSync("chmod", ["-R", "u+w", DEMO_DIR]);
  fs.rmSync(DEMO_DIR, { recursive: true, force: true });
  fs.mkdirSync(DEMO_DIR, { recursive: true });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
