/**
 * What a component records as its own inputs in the Pulumi state. The Node SDK sends a component's
 * args to the engine, which keeps them in the checkpoint, its history and backups, and shows them in
 * `preview --diff`: a value that is secret by its place (a `secrets` map, a variable flagged
 * `secret`, a relationship password, a connection's privateKey/password/privateKeyPassword) but was
 * given as a plain string would be stored in plain text. `argsForState` wraps those in
 * `pulumi.secret`, so the engine encrypts them. The deployment itself reads the args unchanged.
 */
import * as pulumi from "@pulumi/pulumi";

type Rec = Record<string, unknown>;

const secretOf = (v: unknown): unknown =>
  v === undefined || v === null ? v : pulumi.secret(v as pulumi.Input<string>);

function mapValues(m: unknown, f: (v: unknown) => unknown): unknown {
  if (!m || typeof m !== "object" || Array.isArray(m)) return m;
  return Object.fromEntries(Object.entries(m as Rec).map(([k, v]) => [k, f(v)]));
}

function withSecretFields(o: unknown, fields: string[]): unknown {
  if (!o || typeof o !== "object") return o;
  const out: Rec = { ...(o as Rec) };
  for (const f of fields) if (out[f] !== undefined) out[f] = secretOf(out[f]);
  return out;
}

const CONNECTION_SECRETS = ["privateKey", "password", "privateKeyPassword"];

function connectionForState(c: unknown): unknown {
  const out = withSecretFields(c, CONNECTION_SECRETS) as Rec | undefined;
  if (out && out.proxy) out.proxy = withSecretFields(out.proxy, CONNECTION_SECRETS);
  return out;
}

/** `args` with every value that is secret by its place wrapped in `pulumi.secret`. */
export function argsForState<T extends object>(args: T): T {
  const a: Rec = { ...(args as Rec) };
  if (a.secrets) a.secrets = mapValues(a.secrets, secretOf);
  if (Array.isArray(a.variables)) {
    a.variables = a.variables.map((v: unknown) =>
      v && typeof v === "object" && (v as Rec).secret === true
        ? { ...(v as Rec), value: secretOf((v as Rec).value) }
        : v,
    );
  }
  if (a.relationships) {
    a.relationships = mapValues(a.relationships, (r) => withSecretFields(r, ["password"]));
  }
  if (Array.isArray(a.hosts)) {
    a.hosts = a.hosts.map((h: unknown) =>
      h && typeof h === "object" && (h as Rec).connection
        ? { ...(h as Rec), connection: connectionForState((h as Rec).connection) }
        : h,
    );
  }
  return a as T;
}
