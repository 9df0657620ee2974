/**
 * Health check of `http://127.0.0.1:<port><path>`: retried every `intervalSeconds` until a 2xx/3xx
 * answer or `timeoutSeconds` have passed. Uses curl when present, else bash's `/dev/tcp` with a raw
 * `HTTP/1.0` GET (each attempt bounded by `timeout 5`).
 */
import { ConfigError } from "../model/configError";
import { bash } from "./bashTemplate";
import { MARKER_PREFIX as M } from "./messages";
import { assertInteger, shellQuote } from "./quote";

export interface HealthCheck {
  port: number;
  /** Request path, starting with `/`. Default `/`. */
  path?: string;
  /** Give up after this many seconds. Default 30. */
  timeoutSeconds?: number;
  /** Seconds between attempts (fractions allowed). Default 0.25. */
  intervalSeconds?: number;
  /** `auto` (curl if installed, else /dev/tcp), or force one. Default `auto`. */
  client?: "auto" | "curl" | "devtcp";
}

/** Bash: dh_http_status PORT PATH CLIENT (prints the status code, 000 when none), dh_health. */
export const HEALTH_BASH = bash`
dh_http_status() {
  if [ "$3" != devtcp ] && command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2" 2>/dev/null
    return 0
  fi
  timeout 5 bash --norc -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
    IFS=" " read -r proto code rest <&3
    printf "%s" "@{code//[!0-9]/}"' deployhooks-health "$1" "$2" 2>/dev/null || printf '000'
}
# dh_health PORT PATH TIMEOUT INTERVAL CLIENT
dh_health() {
  local deadline=$((SECONDS + $3)) code attempts=0 url="http://127.0.0.1:$1$2"
  while :; do
    attempts=$((attempts + 1))
    code=$(dh_http_status "$1" "$2" "$5")
    [ -n "$code" ] || code=000
    if [[ $code =~ ^[23][0-9][0-9]$ ]]; then
      printf '${M}health status=ok code=%s url=%s attempts=%s\n' "$code" "$url" "$attempts"
      return 0
    fi
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep "$4"
  done
  printf '${M}health status=failed code=%s url=%s attempts=%s\n' "$code" "$url" "$attempts"
  dh_say "health check of $url failed for $3 s (last status: $code, $attempts attempts)"
  return 1
}
`;

/** The `dh_health` call for `check` (validated). */
export function renderHealthCall(check: HealthCheck): string {
  assertInteger(check.port, 1, 65535, "health.port");
  const path = check.path ?? "/";
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/.test(path)) {
    throw new ConfigError(
      `${JSON.stringify(path)} must start with / and contain no spaces or control characters`,
      {
        path: "health.path",
      },
    );
  }
  const timeout = check.timeoutSeconds ?? 30;
  assertInteger(timeout, 0, 3600, "health.timeoutSeconds");
  // A freshly started app usually listens within a fraction of a second: poll often.
  const interval = check.intervalSeconds ?? 0.25;
  if (!Number.isFinite(interval) || interval < 0.05 || interval > 600) {
    throw new ConfigError(`${interval} must be between 0.05 and 600 seconds`, {
      path: "health.intervalSeconds",
    });
  }
  return [
    "dh_health",
    check.port,
    shellQuote(path),
    timeout,
    interval,
    check.client ?? "auto",
  ].join(" ");
}
