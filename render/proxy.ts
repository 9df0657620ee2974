/**
 * The front proxy of a web host (SPEC §6a): one Caddy per app per host, listening on the public
 * port, run by the deployment's own supervisor (`setsid nohup caddy run`), driven through its admin
 * API on a private unix socket in the app's state dir (`.deployhooks/proxy/admin.sock`, 0600, in a
 * 0700 dir; never the shared :2019, never a Caddy the user runs for other sites).
 *
 * The app runs in one of two slots, each with its own private port (chosen once per host, free at
 * the time, kept in `.deployhooks/proxy/ports`); an activation starts the new app in the slot that
 * is not routed, so the port changes with every activation. Which slot receives requests is decided
 * per request by Caddy's `file` matcher: `.deployhooks/proxy/route/live-1` exists → slot 1, else
 * slot 0. Switching is one `touch` / `rm` (atomic) and needs no configuration reload. Measured with
 * Caddy 2.6.2 and 4 keep-alive client loops (fetch): 30 admin-API reloads failed 39 requests (a
 * reload shuts the old server down, closing idle keep-alive connections under the clients' next
 * request); 30 marker switches failed none. The admin API is used for what needs no reload: the
 * in-flight count of the old slot (`GET /reverse_proxy/upstreams`, the drain), and for loading a
 * changed configuration (ports, hold limit), which only a settings change causes.
 *
 * Holding: each slot's `reverse_proxy` retries the dial every `try_interval` for `try_duration` (the
 * hold limit): a request routed to a slot whose app is not listening yet waits, and is served as
 * soon as the app accepts connections. Past the limit the request gets `503` with `Retry-After`
 * (the server's error route), never a reset.
 */
import { hostFile } from "./library";
import { ConfigError } from "../model/configError";
import { assertInteger } from "./quote";

/** Default hold limit (seconds): see README "Traffic". */
export const DEFAULT_HOLD_SECONDS = 60;
/** Default bound of the drain of the old app's in-flight requests (seconds). */
export const DEFAULT_DRAIN_SECONDS = 10;
/** The `Retry-After` of a request held past the limit (seconds). */
export const RETRY_AFTER_SECONDS = 5;
/** Where deployhooks tells users to get the proxy. */
export const PROXY_INSTALL_COMMAND = "apt-get install caddy";

/** How the activation moves traffic. */
export type TrafficMode = "hold" | "blueGreen";

/** The proxy settings of one host's activation. */
export interface ProxyOptions {
  /** The public port Caddy listens on (the app's `port`, or the host URL's port). */
  publicPort: number;
  /** Address Caddy binds (`""`: every interface; `127.0.0.1`: loopback only). Default "". */
  listenAddress?: string;
  /** Hold limit: a request waits at most this long for an app, then gets 503. Default 60. */
  holdSeconds?: number;
  /** Bound of the wait for the old app's in-flight requests before it is stopped. Default 10. */
  drainSeconds?: number;
  /**
   * `hold` (Upsun): stop routing to the old app, drain it, route to the new slot (requests wait),
   * start the new app. `blueGreen` (Clever Cloud): start the new app beside the old one, check its
   * health, then route to it and drain and stop the old one.
   */
  mode: TrafficMode;
  /** Health path probed on the new app's private port before it is confirmed. Default "/". */
  healthPath?: string;
  /** Seconds the new app has to answer its health check. Default 30. */
  healthTimeoutSeconds?: number;
}

/** Placeholders of the slot ports in the rendered configuration (filled in on the host). */
export const PORT_PLACEHOLDERS = ["@DH_PORT0@", "@DH_PORT1@"] as const;

/** Validated proxy settings with defaults. */
export function proxySettings(p: ProxyOptions): Required<ProxyOptions> {
  assertInteger(p.publicPort, 1, 65535, "proxy.publicPort");
  const listenAddress = p.listenAddress ?? "";
  if (!/^[0-9A-Za-z.:[\]-]*$/.test(listenAddress)) {
    throw new ConfigError(`${JSON.stringify(listenAddress)} is not an address`, {
      path: "traffic.listenAddress",
    });
  }
  const holdSeconds = p.holdSeconds ?? DEFAULT_HOLD_SECONDS;
  assertInteger(holdSeconds, 1, 3600, "traffic.holdSeconds");
  const drainSeconds = p.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
  assertInteger(drainSeconds, 0, 3600, "traffic.drainSeconds");
  const healthTimeoutSeconds = p.healthTimeoutSeconds ?? 30;
  assertInteger(healthTimeoutSeconds, 0, 3600, "healthCheckTimeoutSeconds");
  return {
    publicPort: p.publicPort,
    listenAddress,
    holdSeconds,
    drainSeconds,
    mode: p.mode,
    healthPath: p.healthPath ?? "/",
    healthTimeoutSeconds,
  };
}

/**
 * The Caddy JSON configuration (2.6 schema) of one app on one host, with the two slot ports as
 * placeholders. `proxyDir` is the app's `.deployhooks/proxy`.
 */
export function caddyConfig(proxyDir: string, p: Required<ProxyOptions>): string {
  const slot = (i: 0 | 1) => ({
    handler: "reverse_proxy",
    upstreams: [{ dial: `127.0.0.1:${PORT_PLACEHOLDERS[i]}` }],
    load_balancing: { try_duration: `${p.holdSeconds}s`, try_interval: "100ms" },
  });
  const config = {
    admin: { listen: `unix/${proxyDir}/admin.sock`, config: { persist: false } },
    storage: { module: "file_system", root: `${proxyDir}/data` },
    logging: { logs: { default: { level: "WARN" } } },
    apps: {
      http: {
        grace_period: `${p.drainSeconds}s`,
        servers: {
          app: {
            listen: [`${p.listenAddress}:${p.publicPort}`],
            automatic_https: { disable: true },
            routes: [
              {
                match: [{ file: { root: `${proxyDir}/route`, try_files: ["/live-1"] } }],
                handle: [slot(1)],
              },
              { handle: [slot(0)] },
            ],
            errors: {
              routes: [
                {
                  handle: [
                    {
                      handler: "static_response",
                      status_code: 503,
                      headers: { "Retry-After": [String(RETRY_AFTER_SECONDS)] },
                      body: `the app is being deployed and did not answer within ${p.holdSeconds} s; retry shortly\n`,
                    },
                  ],
                },
              ],
            },
          },
        },
      },
    },
  };
  return JSON.stringify(config);
}

/**
 * Bash: the proxy's life on the host. Needs SUPERVISOR_BASH (dh_stat, dh_group_alive) and the
 * variables DH_PX (proxy dir), DH_PX_CONFIG (the configuration with placeholders), DH_PX_PUBLIC
 * (public port), DH_DRAIN (seconds).
 */
export const PROXY_BASH = hostFile("proxy.sh");
