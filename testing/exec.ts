/**
 * Real execution of `@pulumi/command` operations: local shell, OpenSSH client, sftp.
 * Error texts mirror the provider's (`exit status N: running "<cmd>":\n<output>` locally,
 * `Process exited with status N: running "<cmd>":\n<output>` remotely).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makePrivateTempDir, removePrivateTempDir } from "./privateDirs";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as received. */
  combined: string;
  durationMs: number;
  /** Set when the process could not start (ENOENT, bad cwd…). */
  spawnError?: string;
}

export type OutputSink = (line: string, stream: "stdout" | "stderr") => void;

/** Trims one trailing newline, as the provider does. */
export function trimOne(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

export function runProcess(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string; sink?: OutputSink },
): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let combined = "";
    let settled = false;
    const finish = (exitCode: number, spawnError?: string): void => {
      if (settled) return;
      settled = true;
      resolve({ exitCode, stdout, stderr, combined, durationMs: Date.now() - started, spawnError });
    };
    let child;
    try {
      child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    } catch (e) {
      finish(-1, (e as Error).message);
      return;
    }
    const lineBuf = { stdout: "", stderr: "" };
    const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (stream === "stdout") stdout += text;
      else stderr += text;
      combined += text;
      if (opts.sink) {
        lineBuf[stream] += text;
        const lines = lineBuf[stream].split("\n");
        lineBuf[stream] = lines.pop() ?? "";
        for (const l of lines) opts.sink(l, stream);
      }
    };
    child.stdout.on("data", onData("stdout"));
    child.stderr.on("data", onData("stderr"));
    child.on("error", (e) => finish(-1, e.message));
    child.on("close", (code, signal) => {
      if (opts.sink) {
        for (const s of ["stdout", "stderr"] as const) if (lineBuf[s]) opts.sink(lineBuf[s], s);
      }
      finish(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : -1));
    });
    child.stdin.on("error", () => undefined); // EPIPE when the command does not read stdin
    if (opts.stdin) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/** Go's %q, close enough for error texts. */
export function quoteGo(s: string): string {
  return JSON.stringify(s);
}

export interface LocalRun {
  command: string;
  interpreter?: string[];
  dir?: string;
  environment?: Record<string, string>;
  stdin?: string;
  previous?: { stdout?: string; stderr?: string };
  addPreviousOutputInEnv?: boolean;
  baseEnv?: Record<string, string>;
  sink?: OutputSink;
}

export async function runLocal(r: LocalRun): Promise<ExecResult> {
  const interpreter = r.interpreter && r.interpreter.length ? r.interpreter : ["/bin/sh", "-c"];
  if (r.dir !== undefined && !fs.existsSync(r.dir)) {
    return {
      exitCode: -1,
      stdout: "",
      stderr: "",
      combined: "",
      durationMs: 0,
      spawnError: `chdir ${r.dir}: no such file or directory`,
    };
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...r.baseEnv, ...r.environment };
  if (r.addPreviousOutputInEnv !== false) {
    if (r.previous?.stdout) env.PULUMI_COMMAND_STDOUT = r.previous.stdout;
    if (r.previous?.stderr) env.PULUMI_COMMAND_STDERR = r.previous.stderr;
  }
  return runProcess(interpreter[0]!, [...interpreter.slice(1), r.command], {
    cwd: r.dir,
    env,
    stdin: r.stdin,
    sink: r.sink,
  });
}

/** `connection` of `@pulumi/command` remote resources, defaults applied by the SDK. */
export interface Connection {
  host: string;
  port?: number;
  user?: string;
  privateKey?: string;
  privateKeyPassword?: string;
  password?: string;
  agentSocketPath?: string;
  hostKey?: string;
  perDialTimeout?: number;
  dialErrorLimit?: number;
  proxy?: Connection;
}

/**
 * Key exchanges offered by the provider's SSH client: golang.org/x/crypto/ssh's `defaultKexAlgos`
 * (1.2.1 builds with x/crypto v0.48: ML-KEM-768+X25519, X25519, the NIST curves, DH group 14),
 * in its order. OpenSSH's own default would first negotiate `sntrup761x25519-sha512`, which Go
 * does not implement and which costs about 0.1 s more per connection here: a double that used it
 * would be slower than the provider it stands in for.
 */
export const PROVIDER_KEX = [
  "mlkem768x25519-sha256",
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "diffie-hellman-group14-sha256",
  "diffie-hellman-group14-sha1",
];

let kexOption: string | null | undefined;

/** `KexAlgorithms=` with the provider's list, less what this OpenSSH client does not know. */
export function providerKexOption(): string | null {
  if (kexOption !== undefined) return kexOption;
  const q = spawnSync("ssh", ["-Q", "kex"], { encoding: "utf8" });
  const known = new Set((q.stdout ?? "").split(/\s+/).filter(Boolean));
  const list = PROVIDER_KEX.filter((k) => known.has(k));
  kexOption = list.length > 0 ? `KexAlgorithms=${list.join(",")}` : null;
  return kexOption;
}

function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Temporary key / known_hosts files for one ssh invocation; `cleanup()` removes them. */
export class SshSession {
  private readonly dir: string;
  private counter = 0;
  readonly env: NodeJS.ProcessEnv;

  constructor(private readonly conn: Connection) {
    this.dir = makePrivateTempDir("deployhooks-ssh-");
    const sock = conn.agentSocketPath ?? process.env.SSH_AUTH_SOCK;
    this.env = { ...process.env };
    if (sock) this.env.SSH_AUTH_SOCK = sock;
    else delete this.env.SSH_AUTH_SOCK;
  }

  private file(content: string): string {
    const p = path.join(this.dir, `f${this.counter++}`);
    fs.writeFileSync(p, content.endsWith("\n") ? content : content + "\n", { mode: 0o600 });
    return p;
  }

  /** Options for one hop (no destination). `portFlag` is `-p` for ssh, `-P` for scp. */
  hopOptions(c: Connection, portFlag: "-p" | "-P"): string[] {
    if (c.privateKeyPassword) {
      throw new Error(
        "deployhooks/testing: connection.privateKeyPassword is not supported (OpenSSH BatchMode)",
      );
    }
    if (c.password && !c.privateKey && !(c.agentSocketPath ?? process.env.SSH_AUTH_SOCK)) {
      throw new Error(
        "deployhooks/testing: password authentication is not supported; use privateKey",
      );
    }
    const port = c.port ?? 22;
    const args = [
      "-F",
      "/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "LogLevel=ERROR",
      portFlag,
      String(port),
    ];
    if (c.privateKey) args.push("-i", this.file(c.privateKey), "-o", "IdentitiesOnly=yes");
    if (c.hostKey) {
      const [type] = c.hostKey.trim().split(/\s+/);
      const pattern = port === 22 ? c.host : `[${c.host}]:${port}`;
      args.push(
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${this.file(`${pattern} ${c.hostKey.trim()}`)}`,
        "-o",
        `HostKeyAlgorithms=${type === "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256,ssh-rsa" : type}`,
      );
    } else {
      // Like the provider's ssh.InsecureIgnoreHostKey(): no verification.
      args.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
    }
    const kex = providerKexOption();
    if (kex) args.push("-o", kex);
    const perDial = c.perDialTimeout ?? 15;
    if (perDial > 0) args.push("-o", `ConnectTimeout=${perDial}`);
    const limit = c.dialErrorLimit ?? 10;
    args.push("-o", `ConnectionAttempts=${limit < 0 ? 1000 : Math.max(1, limit + 1)}`);
    return args;
  }

  /** Full option list for `ssh` or `scp` to reach `conn` (through its proxy, when set). */
  options(portFlag: "-p" | "-P"): string[] {
    const args = this.hopOptions(this.conn, portFlag);
    if (this.conn.proxy) {
      const p = this.conn.proxy;
      const proxyCmd = [
        "ssh",
        ...this.hopOptions(p, "-p"),
        "-W",
        "%h:%p",
        `${p.user ?? "root"}@${p.host}`,
      ]
        .map((a) => (a === "%h:%p" ? a : shq(a)))
        .join(" ");
      args.push("-o", `ProxyCommand=${proxyCmd}`);
    }
    return args;
  }

  get destination(): string {
    return `${this.conn.user ?? "root"}@${this.conn.host}`;
  }

  cleanup(): void {
    removePrivateTempDir(this.dir);
  }
}

const SSH_FAILURE =
  /^(ssh: |Host key verification failed|.*Permission denied \(|kex_exchange_identification|Connection (closed|reset|timed out)|.*: Connection refused|@@@@@|.*REMOTE HOST IDENTIFICATION|No .* host key is known|Unable to negotiate|.*Could not resolve hostname)/m;

/** True when an ssh exit 255 came from ssh itself (dial, host key, auth) rather than the remote command. */
export function isSshFailure(r: ExecResult): boolean {
  return r.exitCode === 255 && SSH_FAILURE.test(r.stderr);
}

// sshd closes connections beyond MaxStartups (default 10:30:100) before the SSH banner exchange;
// OpenSSH then reports `kex_exchange_identification: …`. Nothing ran on the host yet.
const HANDSHAKE_FAILURE = /(kex|ssh)_exchange_identification: |banner exchange: /;

/** True when ssh failed before the session started (handshake refused): safe to dial again. */
export function isHandshakeFailure(r: ExecResult): boolean {
  return r.exitCode !== 0 && r.stdout === "" && HANDSHAKE_FAILURE.test(r.stderr);
}

/**
 * Runs `attempt` again while it fails in the SSH handshake, like the provider's dial loop: up to
 * `dialErrorLimit` more attempts (default 10; -1 unlimited), backoff 100 ms × 1.5 capped at 5 s.
 */
export async function withDialRetry(
  connection: Connection,
  attempt: () => Promise<ExecResult>,
): Promise<ExecResult> {
  const limit = connection.dialErrorLimit ?? 10;
  let delay = 100;
  for (let failures = 0; ; failures++) {
    const r = await attempt();
    if (!isHandshakeFailure(r) || (limit >= 0 && failures >= limit)) return r;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 5000);
  }
}

export interface RemoteRun {
  connection: Connection;
  command: string;
  environment?: Record<string, string>;
  stdin?: string;
  sink?: OutputSink;
}

export async function runRemote(r: RemoteRun): Promise<ExecResult> {
  const session = new SshSession(r.connection);
  try {
    const args = ["-T", ...session.options("-p")];
    const env = { ...session.env };
    for (const [k, v] of Object.entries(r.environment ?? {})) {
      env[k] = v;
      args.push("-o", `SendEnv=${k}`);
    }
    args.push(session.destination, "--", r.command);
    return await withDialRetry(r.connection, () =>
      runProcess("ssh", args, { env, stdin: r.stdin, sink: r.sink }),
    );
  } finally {
    session.cleanup();
  }
}

export interface CopyRun {
  connection: Connection;
  /** Local path to copy (a file, or a directory; a trailing `/` copies its contents). */
  localPath: string;
  remotePath: string;
}

/** A path sftp's batch parser takes literally inside double quotes (no quote, backslash or glob). */
const SFTP_SAFE = /^[^"'\\*?[\]\n\r\t]+$/;

/** Every directory from the top of `dir` down to `dir` (`/a/b` → `/a`, `/a/b`). */
function pathPrefixes(dir: string): string[] {
  const parts = dir.split("/");
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join("/");
    if (p !== "" && p !== "." && !out.includes(p)) out.push(p);
  }
  return out;
}

const MKDIR_NOISE = /^remote mkdir .*: Failure$|^Couldn't create directory: Failure$/;

/** Output without sftp's complaints about `-mkdir` of directories that exist (not errors). */
function dropMkdirNoise(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((l) => !MKDIR_NOISE.test(l.trimEnd()))
    .join("");
}

/**
 * Copies like 1.2.1's `CopyToRemote`: parents created, `dir` → `dest/dir`, `dir/` → contents into
 * `dest`. Like the provider (one connection, an SFTP client: `MkdirAll`, then the files), this is
 * one `sftp` batch session; paths sftp's batch syntax cannot carry literally (quotes, backslashes,
 * glob characters) take `ssh mkdir -p` and `scp` instead.
 */
export async function copyToRemote(r: CopyRun): Promise<ExecResult> {
  const session = new SshSession(r.connection);
  const started = Date.now();
  try {
    const stat = fs.statSync(r.localPath);
    const isDir = stat.isDirectory();
    const contentsOnly = isDir && r.localPath.endsWith("/");
    const mkdirTarget = isDir ? r.remotePath : path.posix.dirname(r.remotePath);
    let sources: string[];
    let dest: string;
    if (!isDir) {
      sources = [r.localPath];
      dest = r.remotePath;
    } else if (contentsOnly) {
      sources = fs.readdirSync(r.localPath).map((e) => path.join(r.localPath, e));
      dest = r.remotePath.replace(/\/?$/, "/");
    } else {
      sources = [r.localPath.replace(/\/+$/, "")];
      dest = r.remotePath.replace(/\/?$/, "/");
    }
    if ([mkdirTarget, dest, ...sources].every((p) => SFTP_SAFE.test(p))) {
      const q = (p: string) => `"${p}"`;
      const batch = [
        ...pathPrefixes(mkdirTarget).map((d) => `-mkdir ${q(d)}`),
        ...sources.map((src) =>
          fs.statSync(src).isDirectory()
            ? `put -r ${q(src)} ${q(dest)}`
            : `put ${q(src)} ${q(dest)}`,
        ),
      ].join("\n");
      const cp = await withDialRetry(r.connection, () =>
        runProcess("sftp", ["-b", "-", ...session.options("-P"), session.destination], {
          env: session.env,
          stdin: batch + "\n",
        }),
      );
      return {
        ...cp,
        stderr: dropMkdirNoise(cp.stderr),
        combined: dropMkdirNoise(cp.combined),
        durationMs: Date.now() - started,
      };
    }
    const mkdirArgs = [
      "-T",
      ...session.options("-p"),
      session.destination,
      "--",
      `mkdir -p -- ${shq(mkdirTarget)}`,
    ];
    const mk = await withDialRetry(r.connection, () =>
      runProcess("ssh", mkdirArgs, { env: session.env }),
    );
    if (mk.exitCode !== 0) return { ...mk, durationMs: Date.now() - started };
    if (sources.length === 0) return { ...mk, durationMs: Date.now() - started };
    // No -q: it silences ssh's `kex_exchange_identification` line that the dial retry recognises.
    const scpArgs = ["-r", ...session.options("-P"), ...sources, `${session.destination}:${dest}`];
    const cp = await withDialRetry(r.connection, () =>
      runProcess("scp", scpArgs, { env: session.env }),
    );
    return { ...cp, durationMs: Date.now() - started };
  } finally {
    session.cleanup();
  }
}
