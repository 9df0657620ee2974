/**
 * The Upsun / Platform.sh variables an app sees on your own hosts, beyond the per-process ones of
 * render/env.ts (`PLATFORM_APP_DIR`, `PLATFORM_CACHE_DIR`, `PLATFORM_TREE_ID`,
 * `PLATFORM_APPLICATION_NAME`): plain data in, plain `{name, value, visibility}` rows out.
 *
 * Source: platformsh/platformsh-docs `sites/upsun/src/development/variables/use-variables.md`
 * (table "Use provided variables": which variable exists at build time and at runtime),
 * `development/variables/_index.md` ("Service environment variables": `<RELATIONSHIP>_<PROPERTY>`,
 * non `[0-9A-Z_]` characters turned into `_`), `add-services/mysql/_index.md` (the exact shape of
 * one `PLATFORM_RELATIONSHIPS` endpoint), docs.upsun.com/development/variables/use-variables.html.
 */
import { ConfigError } from "../model/configError";

/** One endpoint of a relationship, resolved (the password is a plain string here). */
export interface RelationshipEndpoint {
  host: string;
  port: number;
  scheme?: string;
  username?: string;
  password?: string;
  path?: string;
  query?: Record<string, unknown>;
  service?: string;
  rel?: string;
  type?: string;
  hostname?: string;
  ip?: string;
  cluster?: string;
}

/** One declared route (a key of `PLATFORM_ROUTES`). */
export interface RouteSpec {
  type?: string;
  upstream?: string;
  to?: string;
  id?: string;
  primary?: boolean;
  originalUrl?: string;
}

/** Identity of the environment. */
export interface UpsunEnvironmentSettings {
  project?: string;
  branch?: string;
  environment?: string;
  environmentType?: string;
  smtpHost?: string;
}

/** When a platform variable is visible: build and runtime (`both`) or runtime only. */
export type PlatformVisibility = "both" | "runtime";

/** One provided variable. */
export interface PlatformVariableRow {
  name: string;
  value: string;
  visibility: PlatformVisibility;
  /** The configuration key or arg it comes from (`relationships.database`, `platform.branch`). */
  key: string;
  /** Carries a secret (a relationship password): delivered on stdin only. */
  secret: boolean;
}

/** Names this module provides: a user variable may not take one of them (Upsun forbids it too). */
export const UPSUN_PROVIDED_VARIABLES: readonly string[] = [
  "PLATFORM_PROJECT",
  "PLATFORM_BRANCH",
  "PLATFORM_ENVIRONMENT",
  "PLATFORM_ENVIRONMENT_TYPE",
  "PLATFORM_SMTP_HOST",
  "PLATFORM_VARIABLES",
  "PLATFORM_ROUTES",
  "PLATFORM_RELATIONSHIPS",
  "PLATFORM_DOCUMENT_ROOT",
  "PLATFORM_PROJECT_ENTROPY",
];

const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v), "utf8").toString("base64");

/** `my-database` → `MY_DATABASE` (Upsun's service environment variable prefix). */
export function serviceVariablePrefix(relationship: string): string {
  return relationship.toUpperCase().replace(/[^0-9A-Z_]/g, "_");
}

/**
 * `relationships.<name>` of the app configuration → `{service, endpoint}`: the short form
 * `"db:mysql"`, the long form `{service, endpoint}`, or null (Upsun's default: the service named
 * like the relationship, its default endpoint).
 */
export function declaredRelationship(
  name: string,
  value: unknown,
): { service: string; endpoint?: string } {
  if (typeof value === "string") {
    const [service, endpoint] = value.split(":");
    return { service, ...(endpoint ? { endpoint } : {}) };
  }
  if (value && typeof value === "object") {
    const v = value as { service?: unknown; endpoint?: unknown };
    return {
      service: typeof v.service === "string" ? v.service : name,
      ...(typeof v.endpoint === "string" ? { endpoint: v.endpoint } : {}),
    };
  }
  return { service: name };
}

/**
 * One `PLATFORM_RELATIONSHIPS` endpoint with the platform's keys (add-services/mysql: username,
 * scheme, service, fragment, ip, hostname, port, cluster, host, rel, path, query, password, type,
 * public, host_mapped), defaults taken from the configuration's `relationships.<name>`.
 */
export function relationshipEndpointJson(
  name: string,
  e: RelationshipEndpoint,
  declared: unknown,
  cluster: string,
): Record<string, unknown> {
  const d = declaredRelationship(name, declared);
  const scheme = e.scheme ?? "";
  return {
    username: e.username ?? "",
    scheme,
    service: e.service ?? d.service,
    fragment: null,
    ip: e.ip ?? e.host,
    hostname: e.hostname ?? e.host,
    port: e.port,
    cluster: e.cluster ?? cluster,
    host: e.host,
    rel: e.rel ?? d.endpoint ?? scheme,
    path: e.path ?? "",
    query: e.query ?? {},
    password: e.password ?? "",
    type: e.type ?? "",
    public: false,
    host_mapped: false,
  };
}

/** The URL Upsun puts in `<REL>_URL`: `scheme://user:password@host:port/path`. */
export function endpointUrl(j: Record<string, unknown>): string {
  const user = String(j.username ?? "");
  const pass = String(j.password ?? "");
  const auth = user || pass ? `${user}:${pass}@` : "";
  const path = String(j.path ?? "");
  return `${String(j.scheme)}://${auth}${String(j.host)}:${String(j.port)}${path ? `/${path}` : ""}`;
}

/** `PLATFORM_RELATIONSHIPS` value: base64 of `{"<name>": [endpoint]}`. */
export function relationshipsValue(endpoints: Record<string, Record<string, unknown>>): string {
  return b64json(Object.fromEntries(Object.entries(endpoints).map(([k, v]) => [k, [v]])));
}

/** The service environment variables of one endpoint (`DATABASE_HOST`, …), values as Upsun prints them. */
export function serviceVariables(
  name: string,
  j: Record<string, unknown>,
): { name: string; value: string; secret: boolean }[] {
  const p = serviceVariablePrefix(name);
  const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  const rows: [string, string, boolean][] = [
    ["URL", endpointUrl(j), true],
    ["SERVICE", str(j.service), false],
    ["CLUSTER", str(j.cluster), false],
    ["HOST_MAPPED", str(j.host_mapped), false],
    ["NAME", str(j.path), false],
    ["FRAGMENT", "", false],
    ["PATH", str(j.path), false],
    ["SCHEME", str(j.scheme), false],
    ["PORT", str(j.port), false],
    ["HOSTNAME", str(j.hostname), false],
    ["TYPE", str(j.type), false],
    ["PUBLIC", str(j.public), false],
    ["PASSWORD", str(j.password), true],
    ["IP", str(j.ip), false],
    ["USERNAME", str(j.username), false],
    ["HOST", str(j.host), false],
    ["REL", str(j.rel), false],
    ["QUERY", JSON.stringify(j.query ?? {}), false],
  ];
  return rows.map(([k, value, secret]) => ({ name: `${p}_${k}`, value, secret }));
}

/** `PLATFORM_ROUTES` value: base64 of `{"<url>": {primary, id, type, upstream|to, original_url, attributes}}`. */
export function routesValue(app: string, routes: Record<string, RouteSpec>): string {
  const out: Record<string, unknown> = {};
  for (const [url, r] of Object.entries(routes)) {
    const type = r.type ?? "upstream";
    out[url] = {
      primary: r.primary ?? false,
      id: r.id ?? null,
      type,
      ...(type === "redirect" ? { to: r.to ?? "" } : { upstream: r.upstream ?? app }),
      original_url: r.originalUrl ?? url,
      attributes: {},
      restrict_robots: true,
    };
  }
  return b64json(out);
}

/**
 * `PLATFORM_VARIABLES`: the app's `variables.<prefix>.<name>` other than `variables.env`, as
 * `{"<prefix>:<name>": value}` (use-variables.md: `jq '."stuff:STEPS"'`).
 */
export function variablesValue(configVariables: unknown): string {
  const out: Record<string, unknown> = {};
  if (configVariables && typeof configVariables === "object") {
    for (const [prefix, group] of Object.entries(configVariables as Record<string, unknown>)) {
      if (prefix === "env") continue;
      if (group && typeof group === "object" && !Array.isArray(group)) {
        for (const [k, v] of Object.entries(group as Record<string, unknown>)) {
          out[`${prefix}:${k}`] = v;
        }
      } else {
        out[prefix] = group;
      }
    }
  }
  return b64json(out);
}

/** The document root of `web.locations["/"].root`, relative to the app dir ("" when none). */
export function documentRoot(config: Record<string, unknown>): string {
  const web = config.web as { locations?: Record<string, { root?: unknown }> } | undefined;
  const root = web?.locations?.["/"]?.root;
  return typeof root === "string" ? root.replace(/^\/+/, "").replace(/\/+$/, "") : "";
}

/** Everything `upsunEnvironment` needs (all plain data). */
export interface UpsunEnvironmentInput {
  appName: string;
  /** The app's configuration keys (`relationships`, `variables`, `web`, …). */
  config: Record<string, unknown>;
  settings?: UpsunEnvironmentSettings;
  /** Endpoints by relationship name (resolved). */
  relationships?: Record<string, RelationshipEndpoint>;
  routes?: Record<string, RouteSpec>;
}

/**
 * The provided variables, in a stable order. Build and runtime (`both`): `PLATFORM_PROJECT`,
 * `PLATFORM_VARIABLES`. Runtime only: `PLATFORM_BRANCH`, `PLATFORM_ENVIRONMENT`,
 * `PLATFORM_ENVIRONMENT_TYPE`, `PLATFORM_SMTP_HOST`, `PLATFORM_ROUTES`, `PLATFORM_DOCUMENT_ROOT`
 * (relative: render/env.ts makes it absolute against `PLATFORM_APP_DIR`),
 * `PLATFORM_RELATIONSHIPS` and the service variables (secret when an endpoint declares a password,
 * even an empty one: whether a password is empty is not known before the secret is resolved).
 */
export function upsunEnvironment(input: UpsunEnvironmentInput): PlatformVariableRow[] {
  const s = input.settings ?? {};
  const project = s.project ?? input.appName;
  const branch = s.branch ?? "main";
  const environment = s.environment ?? branch;
  const rows: PlatformVariableRow[] = [];
  const add = (
    name: string,
    value: string,
    visibility: PlatformVisibility,
    key: string,
    secret = false,
  ) => rows.push({ name, value, visibility, key, secret });
  add("PLATFORM_PROJECT", project, "both", "platform.project");
  add("PLATFORM_VARIABLES", variablesValue(input.config.variables), "both", "variables");
  add("PLATFORM_BRANCH", branch, "runtime", "platform.branch");
  add("PLATFORM_ENVIRONMENT", environment, "runtime", "platform.environment");
  add(
    "PLATFORM_ENVIRONMENT_TYPE",
    s.environmentType ?? "production",
    "runtime",
    "platform.environmentType",
  );
  add("PLATFORM_SMTP_HOST", s.smtpHost ?? "", "runtime", "platform.smtpHost");
  add("PLATFORM_ROUTES", routesValue(input.appName, input.routes ?? {}), "runtime", "routes");
  const docRoot = documentRoot(input.config);
  if (docRoot !== "" || input.config.web !== undefined) {
    add("PLATFORM_DOCUMENT_ROOT", docRoot, "runtime", "web.locations");
  }
  const declared = (input.config.relationships ?? {}) as Record<string, unknown>;
  const endpoints: Record<string, Record<string, unknown>> = {};
  let secret = false;
  for (const [name, e] of Object.entries(input.relationships ?? {})) {
    if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) {
      throw new ConfigError("must be a port number (1-65535)", {
        path: `relationships.${name}.port`,
      });
    }
    if (!e.host) throw new ConfigError("is required", { path: `relationships.${name}.host` });
    endpoints[name] = relationshipEndpointJson(
      name,
      e,
      declared[name],
      `${project}-${environment}`,
    );
    if (e.password !== undefined) secret = true;
  }
  add("PLATFORM_RELATIONSHIPS", relationshipsValue(endpoints), "runtime", "relationships", secret);
  for (const [name, j] of Object.entries(endpoints)) {
    for (const v of serviceVariables(name, j)) {
      const prop = v.name.slice(serviceVariablePrefix(name).length + 1).toLowerCase();
      add(v.name, v.value, "runtime", `relationships.${name}.${prop}`, v.secret && secret);
    }
  }
  return rows;
}
