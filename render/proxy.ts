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
import { bash } from "./bashTemplate";
import { MARKER_PREFIX as M } from "./messages";
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
export const PROXY_BASH = bash`
dh_px_have() { command -v caddy >/dev/null 2>&1; }
dh_px_admin() {
  curl -sS --max-time 10 --unix-socket "$DH_PX/admin.sock" -H 'Host: ' -X "$1" "http://localhost$2" "@{@:3}"
}
# dh_port_listening PORT: something listens on 127.0.0.1/any address at PORT (IPv4 or IPv6).
dh_port_listening() {
  local hex
  printf -v hex '%04X' "$1"
  grep -q -E "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
# Private ports come from outside the kernel's ephemeral range: a port of that range can be taken
# by any outgoing connection (or a listen on port 0) between the pick and the app's start, and the
# start then fails with EADDRINUSE (seen under load: an SSH client took the picked port).
dh_px_pick_port() {
  local p i lo=20000 hi=32767 eph_lo='' eph_hi=''
  if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null \
    && [[ $eph_lo =~ ^[0-9]+$ && $eph_hi =~ ^[0-9]+$ ]]; then
    if ((eph_lo > 21024)); then
      hi=$((eph_lo - 1))
    elif ((eph_hi < 64511)); then
      lo=$((eph_hi + 1)) hi=65535
    fi
  fi
  for ((i = 0; i < 500; i++)); do
    p=$((lo + RANDOM % (hi - lo + 1)))
    [ "$p" = "$DH_PX_PUBLIC" ] || [ "$p" = "@{DH_PORTS[0]:-}" ] || [ "$p" = "@{DH_PORTS[1]:-}" ] && continue
    dh_port_listening "$p" || { printf '%s' "$p"; return 0; }
  done
  return 1
}
dh_px_running() {
  local pid='' start=''
  [ -f "$DH_PX/caddy.pid" ] || return 1
  read -r pid start <"$DH_PX/caddy.pid"
  [[ $pid =~ ^[0-9]+$ ]] && dh_stat "$pid" && [ "@{dh_statf[19]:-}" = "$start" ] && [ "@{dh_statf[0]:-}" != Z ]
}
dh_px_live() { if [ -e "$DH_PX/route/live-1" ]; then printf 1; else printf 0; fi; }
# dh_px_route SLOT: from now on requests go to SLOT (one atomic file operation, no reload).
dh_px_route() {
  if [ "$1" = 1 ]; then : >"$DH_PX/route/live-1"; else rm -f -- "$DH_PX/route/live-1"; fi
  printf '${M}route slot=%s port=%s\n' "$1" "@{DH_PORTS[$1]}"
}
dh_px_write_config() {
  local c=$DH_PX_CONFIG
  c=@{c//@DH_PORT0@/@{DH_PORTS[0]}}
  c=@{c//@DH_PORT1@/@{DH_PORTS[1]}}
  (umask 077 && printf '%s\n' "$c" >"$DH_PX/caddy.json.new") || dh_fail 73 "cannot write $DH_PX/caddy.json.new"
}
dh_px_start() {
  local pid i
  mv -f -- "$DH_PX/caddy.json.new" "$DH_PX/caddy.json" || dh_fail 73 "cannot write $DH_PX/caddy.json"
  rm -f -- "$DH_PX/admin.sock"
  (
    cd -- "$DH_PX" || exit 1
    export HOME="$DH_PX/data" XDG_CONFIG_HOME="$DH_PX/data" XDG_DATA_HOME="$DH_PX/data"
    exec setsid nohup caddy run --config "$DH_PX/caddy.json"
  ) </dev/null >>"$DH_APP/logs/proxy.log" 2>&1 9>&- &
  pid=$!
  disown "$pid" 2>/dev/null
  dh_stat "$pid" || dh_statf=()
  printf '%s %s\n' "$pid" "@{dh_statf[19]:-}" >"$DH_PX/caddy.pid" || dh_fail 73 "cannot write $DH_PX/caddy.pid"
  for ((i = 0; i < 100; i++)); do
    if [ -S "$DH_PX/admin.sock" ] && dh_port_listening "$DH_PX_PUBLIC"; then
      chmod 600 -- "$DH_PX/admin.sock"
      printf '${M}proxy status=started pid=%s port=%s\n' "$pid" "$DH_PX_PUBLIC"
      return 0
    fi
    dh_px_running || break
    sleep 0.1
  done
  dh_tail "$DH_APP/logs/proxy.log"
  kill -TERM "$pid" 2>/dev/null
  dh_fail 1 "the proxy (caddy) did not start listening on port $DH_PX_PUBLIC within 10 s (is the port used by another program?); see $DH_APP/logs/proxy.log"
}
dh_px_reload() {
  mv -f -- "$DH_PX/caddy.json.new" "$DH_PX/caddy.json" || dh_fail 73 "cannot write $DH_PX/caddy.json"
  if command -v curl >/dev/null 2>&1; then
    dh_px_admin POST /load -H 'Content-Type: application/json' --data-binary "@$DH_PX/caddy.json" >/dev/null
  else
    caddy reload --config "$DH_PX/caddy.json" >/dev/null 2>&1
  fi || dh_fail 1 "the proxy (caddy) refused its new configuration; see $DH_APP/logs/proxy.log"
  printf '${M}proxy status=reloaded port=%s\n' "$DH_PX_PUBLIC"
}
# dh_px_ensure: ports chosen, configuration current, Caddy running.
dh_px_ensure() {
  local p0='' p1=''
  mkdir -p -- "$DH_PX/route" "$DH_PX/data" || dh_fail 73 "cannot create $DH_PX"
  chmod 700 -- "$DH_PX"
  [ -f "$DH_PX/ports" ] && read -r p0 p1 <"$DH_PX/ports"
  DH_PORTS=("$p0" "$p1")
  [[ $p0 =~ ^[0-9]+$ ]] || DH_PORTS[0]=$(dh_px_pick_port) || dh_fail 1 "no free private port found"
  [[ $p1 =~ ^[0-9]+$ ]] || DH_PORTS[1]=$(dh_px_pick_port) || dh_fail 1 "no free private port found"
  printf '%s %s\n' "@{DH_PORTS[0]}" "@{DH_PORTS[1]}" >"$DH_PX/ports" || dh_fail 73 "cannot write $DH_PX/ports"
  dh_px_write_config
  if dh_px_running; then
    if cmp -s -- "$DH_PX/caddy.json.new" "$DH_PX/caddy.json"; then
      rm -f -- "$DH_PX/caddy.json.new"
    else
      dh_px_reload
    fi
    return 0
  fi
  # An app started before the proxy existed listens on the public port itself: stop it first.
  [ -f "$DH_STATE/app.pid" ] && [ ! -f "$DH_PX/slot" ] && dh_stop_app
  dh_px_start
}
# dh_px_free_slot SLOT: the slot's port is free for a new app (else a new port, configuration reload).
dh_px_free_slot() {
  dh_port_listening "@{DH_PORTS[$1]}" || return 0
  dh_say "private port @{DH_PORTS[$1]} is taken by another program; choosing another one"
  DH_PORTS[$1]=$(dh_px_pick_port) || dh_fail 1 "no free private port found"
  printf '%s %s\n' "@{DH_PORTS[0]}" "@{DH_PORTS[1]}" >"$DH_PX/ports" || dh_fail 73 "cannot write $DH_PX/ports"
  dh_px_write_config
  dh_px_reload
}
# dh_px_drain SLOT: waits (at most DH_DRAIN s) until no request is in flight to SLOT's app.
dh_px_drain() {
  local addr="127.0.0.1:@{DH_PORTS[$1]}" deadline n=1 json start=$SECONDS
  deadline=$((SECONDS + DH_DRAIN))
  sleep 0.2
  if ! command -v curl >/dev/null 2>&1; then
    sleep 1
    printf '${M}drain slot=%s inflight=unknown seconds=%s\n' "$1" "$((SECONDS - start))"
    return 0
  fi
  while :; do
    json=$(dh_px_admin GET /reverse_proxy/upstreams 2>/dev/null) || json=
    n=0
    [[ $json =~ \"address\":\"$addr\",\"num_requests\":([0-9]+) ]] && n=@{BASH_REMATCH[1]}
    [ "$n" = 0 ] && break
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.1
  done
  printf '${M}drain slot=%s inflight=%s seconds=%s\n' "$1" "$n" "$((SECONDS - start))"
  [ "$n" = 0 ] || dh_say "$n request(s) still in flight to the old app after $DH_DRAIN s; stopping it anyway"
  return 0
}
# dh_px_stop: stops this app's Caddy (the stop program).
dh_px_stop() {
  local pid='' start=''
  [ -f "$DH_PX/caddy.pid" ] || return 0
  read -r pid start <"$DH_PX/caddy.pid"
  if dh_px_running; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do dh_px_running || break; sleep 0.1; done
    dh_px_running && kill -KILL "$pid" 2>/dev/null
    printf '${M}proxy status=stopped pid=%s\n' "$pid"
  fi
  rm -f -- "$DH_PX/caddy.pid" "$DH_PX/admin.sock"
}
`;
