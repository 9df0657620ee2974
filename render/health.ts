/**
 * Health check of `http://127.0.0.1:<port><path>`: retried every `intervalSeconds` until a 2xx/3xx
 * answer or `timeoutSeconds` have passed. Uses curl when present, else bash's `/dev/tcp` with a raw
 * `HTTP/1.0` GET (each attempt bounded by `timeout 5`).
 */
import { ConfigError } from "../model/configError";
import { hostFile } from "./library";
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
export const HEALTH_BASH = hostFile("health.sh");

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
