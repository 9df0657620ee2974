/**
 * The runner's state file and its secret handling.
 *
 * Secret inputs (values that reached the mock monitor inside Pulumi's secret envelope) are never written
 * in plaintext. Each is replaced by `{"$secret": {"digest": "hmac-sha256:<hex>", "box"?: "<base64>"}}`:
 * `digest` is a keyed HMAC (no offline guessing without the key) used to detect changes; `box` is the
 * AES-256-GCM ciphertext, kept only when a later `delete` may need the value (connection, environment,
 * command texts). `stdin` never gets a box: a secret stdin never lands in the file in any form but its
 * keyed digest.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const STATE_VERSION = 1;

/** Stored form of one secret input value. */
export interface SecretMarker {
  $secret: { digest: string; box?: string };
}

export interface StoredResource {
  urn: string;
  type: string;
  name: string;
  /** Inputs as sent to the provider, secrets replaced by {@link SecretMarker}s, assets by descriptors. */
  inputs: Record<string, unknown>;
  /** Dotted paths (`stdin`, `connection`, `environment.TOKEN`) of inputs that were secret. */
  secretInputs: string[];
  /** Provider outputs other than the echoed inputs (`stdout`, `stderr`). */
  outputs: { stdout?: string; stderr?: string };
}

export interface StateFile {
  version: number;
  generator: "deployhooks/testing";
  project: string;
  stack: string;
  /** In registration order of the run that last touched them. */
  resources: StoredResource[];
}

/** Inputs whose secret values are not kept (not even encrypted): only their digest. */
const DIGEST_ONLY = new Set(["stdin"]);

export function emptyState(project: string, stack: string): StateFile {
  return {
    version: STATE_VERSION,
    generator: "deployhooks/testing",
    project,
    stack,
    resources: [],
  };
}

export function readState(file: string, project: string, stack: string): StateFile {
  if (!fs.existsSync(file)) return emptyState(project, stack);
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
  if (parsed.version !== STATE_VERSION || !Array.isArray(parsed.resources)) {
    throw new Error(
      `${file}: not a deployhooks/testing state file (version ${String(parsed.version)})`,
    );
  }
  return parsed;
}

export function writeState(file: string, state: StateFile): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Keys for digests and boxes, from a passphrase or a random key file next to the state file. */
export class SecretKeys {
  private material: Buffer | undefined;
  constructor(
    private readonly keyFile: string,
    private readonly passphrase: string | undefined,
  ) {}

  /** True when key material exists already (a passphrase or an existing key file). */
  get available(): boolean {
    return this.passphrase !== undefined || fs.existsSync(this.keyFile);
  }

  private key(purpose: "mac" | "enc", create: boolean): Buffer | undefined {
    if (!this.material) {
      if (this.passphrase !== undefined) {
        this.material = crypto.scryptSync(this.passphrase, "deployhooks/testing state", 32);
      } else if (fs.existsSync(this.keyFile)) {
        this.material = Buffer.from(fs.readFileSync(this.keyFile, "utf8").trim(), "base64");
      } else if (create) {
        this.material = crypto.randomBytes(32);
        fs.mkdirSync(path.dirname(path.resolve(this.keyFile)), { recursive: true });
        fs.writeFileSync(this.keyFile, this.material.toString("base64") + "\n", { mode: 0o600 });
      } else {
        return undefined;
      }
    }
    return crypto.createHmac("sha256", this.material).update(purpose).digest();
  }

  /** Keyed digest of a canonical value. `create`: make a key file when none exists (not in preview). */
  digest(value: unknown, create: boolean): string {
    const key = this.key("mac", create) ?? Buffer.from("deployhooks/testing preview without key");
    return (
      "hmac-sha256:" + crypto.createHmac("sha256", key).update(canonicalJson(value)).digest("hex")
    );
  }

  seal(value: unknown): string {
    const key = this.key("enc", true)!;
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
    const body = Buffer.concat([
      cipher.update(JSON.stringify(value ?? null), "utf8"),
      cipher.final(),
    ]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  open(box: string): unknown {
    const key = this.key("enc", false);
    if (!key) {
      throw new Error(`cannot decrypt a secret in state: key file ${this.keyFile} is missing`);
    }
    const raw = Buffer.from(box, "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString(
      "utf8",
    );
    return JSON.parse(text) as unknown;
  }
}

/** Sorted keys, no whitespace, `undefined` dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value)) ?? "null";
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortDeep(v)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortDeep(v);
    }
    return out;
  }
  return value;
}

export function isSecretMarker(value: unknown): value is SecretMarker {
  return !!value && typeof value === "object" && "$secret" in value;
}

/** Stored form of normalized inputs (secret envelopes → markers); also lists secret paths. */
export function sealInputs(
  inputs: Record<string, unknown>,
  keys: SecretKeys,
  withBoxes: boolean,
): { stored: Record<string, unknown>; secretInputs: string[] } {
  const secretInputs: string[] = [];
  const walk = (value: unknown, at: string[]): unknown => {
    if (isEnvelope(value)) {
      const plain = unwrapSecrets(value.value);
      secretInputs.push(at.join("."));
      const marker: SecretMarker = { $secret: { digest: keys.digest(plain, withBoxes) } };
      if (withBoxes && !DIGEST_ONLY.has(at[0] ?? "")) marker.$secret.box = keys.seal(plain);
      return marker;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...at, String(i)]));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = walk(v, [...at, k]);
      return out;
    }
    return value;
  };
  return { stored: walk(inputs, []) as Record<string, unknown>, secretInputs };
}

/** Plain values back from stored inputs (boxes opened; digest-only secrets become `undefined`). */
export function openInputs(
  stored: Record<string, unknown>,
  keys: SecretKeys,
): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (isSecretMarker(value)) return value.$secret.box ? keys.open(value.$secret.box) : undefined;
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v);
      return out;
    }
    return value;
  };
  return walk(stored) as Record<string, unknown>;
}

/** Comparable form: boxes (random IVs) dropped, digests kept. */
export function comparable(value: unknown): unknown {
  if (isSecretMarker(value)) return { $secret: value.$secret.digest };
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = comparable(v);
    return out;
  }
  return value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(comparable(a)) === canonicalJson(comparable(b));
}

// Pulumi's secret envelope as delivered to mocks (pulumi-command.md §7).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isEnvelope(value: unknown): value is { value: unknown } {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** Removes every secret envelope, recursively. */
export function unwrapSecrets(value: unknown): unknown {
  if (isEnvelope(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unwrapSecrets(v);
    return out;
  }
  return value;
}
