/**
 * A throwaway OpenSSH server for tests, examples and benchmarks.
 *
 * `startSshd()` runs Debian's `/usr/sbin/sshd -D -e -f <own config>` as the current user on a free
 * 127.0.0.1 port. Host keys and the user key are generated at run time (`ssh-keygen -t ed25519 -N ''`)
 * into a temporary directory that `stop()` removes: no key is ever committed or reused.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { makePrivateTempDir, removePrivateTempDir } from "./privateDirs";

/** Thrown when no OpenSSH server can be started here (binary missing, not permitted). */
export class SshdUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SshdUnavailable";
  }
}

/** Options for {@link startSshd}. */
export interface SshdOptions {
  /** Path of the sshd binary. Default `/usr/sbin/sshd`. */
  sshdPath?: string;
  /** Names for sshd's `AcceptEnv` (e.g. `["APP_*"]`). Default: none, like a stock Debian sshd minus `LANG LC_*`. */
  acceptEnv?: string[];
  /** Extra raw `sshd_config` lines appended to the generated config. */
  extraConfig?: string[];
  /** How long to wait for sshd to accept logins, in ms. Default 10 000. */
  startTimeoutMs?: number;
}

/** The `connection` object accepted by `@pulumi/command` remote resources. */
export interface SshConnection {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKey: string;
  perDialTimeout: number;
  dialErrorLimit: number;
}

/** A running sshd. Call `stop()` when done (idempotent). */
export interface SshdHandle {
  host: "127.0.0.1";
  port: number;
  user: string;
  /** Private key (OpenSSH format) of the authorized user key, generated at run time. */
  privateKey: string;
  privateKeyPath: string;
  /** The server's ed25519 host public key line, `ssh-ed25519 AAAA…`, for `connection.hostKey` pinning. */
  hostKey: string;
  /** A known_hosts file listing the server's host key for `[127.0.0.1]:port`. */
  knownHostsPath: string;
  /** Temporary directory holding keys and config (removed by `stop()`). */
  dir: string;
  /** Usable as `connection` of `remote.Command` / `remote.CopyToRemote` (host key pinned). */
  connection: SshConnection;
  stop(): Promise<void>;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "root";
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function keygen(file: string, comment: string): void {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], {
    encoding: "utf8",
  });
  if (r.error || r.status !== 0) {
    throw new SshdUnavailable(`ssh-keygen failed: ${r.error?.message ?? r.stderr}`);
  }
}

function unavailable(message: string): Error {
  if (process.env.CI) {
    return new Error(`sshd fixture: ${message} (CI is set, so this is a failure, not a skip)`);
  }
  return new SshdUnavailable(message);
}

/**
 * OpenSSH client arguments (before the destination) for talking to the fixture from scripts and
 * benchmarks: port, key, pinned known_hosts, batch mode.
 */
export function sshOptions(
  handle: Pick<SshdHandle, "port" | "privateKeyPath" | "knownHostsPath">,
): string[] {
  return [
    "-p",
    String(handle.port),
    "-i",
    handle.privateKeyPath,
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${handle.knownHostsPath}`,
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=5",
  ];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts an OpenSSH server on 127.0.0.1 with throwaway keys. Throws {@link SshdUnavailable} when sshd
 * cannot run here, or a plain Error when `process.env.CI` is set (a CI must not silently skip).
 */
export async function startSshd(options: SshdOptions = {}): Promise<SshdHandle> {
  const sshdPath = options.sshdPath ?? "/usr/sbin/sshd";
  if (!fs.existsSync(sshdPath)) {
    throw unavailable(`${sshdPath} not found (install openssh-server)`);
  }
  const probe = spawnSync("ssh", ["-V"], { encoding: "utf8" });
  if (probe.error) {
    throw unavailable(`OpenSSH client not found: ${probe.error.message}`);
  }
  const dir = makePrivateTempDir("deployhooks-sshd-");
  let child: ChildProcess | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child!.once("exit", () => r()));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(2000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    removePrivateTempDir(dir);
  };
  try {
    const user = currentUser();
    const hostKeyPath = path.join(dir, "ssh_host_ed25519_key");
    const userKeyPath = path.join(dir, "id_ed25519");
    keygen(hostKeyPath, "deployhooks-test-host");
    keygen(userKeyPath, "deployhooks-test-user");
    const authorizedKeys = path.join(dir, "authorized_keys");
    fs.copyFileSync(`${userKeyPath}.pub`, authorizedKeys);
    fs.chmodSync(authorizedKeys, 0o600);
    const hostPub = fs.readFileSync(`${hostKeyPath}.pub`, "utf8").trim().split(/\s+/);
    const hostKey = `${hostPub[0]} ${hostPub[1]}`;
    const port = await freePort();
    const knownHostsPath = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostKey}\n`, { mode: 0o600 });
    // Privilege separation needs this directory when sshd starts as root.
    if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const config = [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PrintMotd no",
      "PrintLastLog no",
      "UseDNS no",
      "LogLevel ERROR",
      `Subsystem sftp internal-sftp`,
      ...(options.acceptEnv?.length ? [`AcceptEnv ${options.acceptEnv.join(" ")}`] : []),
      ...(options.extraConfig ?? []),
    ];
    const configPath = path.join(dir, "sshd_config");
    fs.writeFileSync(configPath, config.join("\n") + "\n");
    const check = spawnSync(sshdPath, ["-t", "-f", configPath], { encoding: "utf8" });
    if (check.error || check.status !== 0) {
      throw unavailable(`sshd rejected its config: ${check.error?.message ?? check.stderr.trim()}`);
    }
    let log = "";
    child = spawn(sshdPath, ["-D", "-e", "-f", configPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      log = (log + d).slice(-4000);
    });
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    const privateKey = fs.readFileSync(userKeyPath, "utf8");
    const handle: SshdHandle = {
      host: "127.0.0.1",
      port,
      user,
      privateKey,
      privateKeyPath: userKeyPath,
      hostKey,
      knownHostsPath,
      dir,
      connection: {
        host: "127.0.0.1",
        port,
        user,
        privateKey,
        hostKey,
        perDialTimeout: 5,
        dialErrorLimit: 2,
      },
      stop,
    };
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    for (;;) {
      if (child.exitCode !== null) {
        throw unavailable(`sshd exited with status ${child.exitCode}: ${log.trim()}`);
      }
      const r = spawnSync("ssh", [...sshOptions(handle), `${user}@127.0.0.1`, "true"], {
        encoding: "utf8",
        timeout: 5000,
      });
      if (r.status === 0) return handle;
      if (Date.now() > deadline) {
        throw unavailable(`sshd did not accept logins in time: ${r.stderr.trim()} ${log.trim()}`);
      }
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
