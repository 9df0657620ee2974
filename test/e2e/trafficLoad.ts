/**
 * Request loops for the traffic tests: N concurrent loops of `GET url` (keep-alive, like a browser or
 * a load balancer) until stopped, each response recorded with the client's start/end times and the
 * app's own report (`release=… greeting=… port=… now=<ms>`). 127.0.0.1 only.
 */
import { execFileSync } from "node:child_process";

/** Skips the suite (with the reason printed) when caddy is not installed. */
export function caddyOrSkip(ctx: Mocha.Context): void {
  try {
    execFileSync("/bin/sh", ["-c", "command -v caddy"], { stdio: "ignore" });
  } catch {
    console.log("    (skipped: caddy is not installed; apt-get install caddy)");
    ctx.skip();
  }
}

/** One request as the client saw it. */
export interface Sample {
  start: number;
  end: number;
  status: number;
  /** The app's answer fields (empty on an error). */
  fields: Record<string, string>;
  error?: string;
}

/** A running set of loops. */
export interface Load {
  stop(): Promise<Sample[]>;
}

/** Starts `loops` request loops on `url` (at most `maxRequests` requests in all). */
export function startLoad(url: string, loops = 4, maxRequests = 200_000): Load {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`load only on 127.0.0.1: ${url}`);
  const samples: Sample[] = [];
  let running = true;
  const one = async () => {
    while (running && samples.length < maxRequests) {
      const start = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(90_000) });
        const text = await res.text();
        const fields = Object.fromEntries(
          text
            .trim()
            .split(/\s+/)
            .map((kv) => kv.split("="))
            .filter((kv) => kv.length === 2),
        ) as Record<string, string>;
        samples.push({ start, end: Date.now(), status: res.status, fields });
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        samples.push({
          start,
          end: Date.now(),
          status: 0,
          fields: {},
          error: err.cause?.code ?? err.message,
        });
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const all = Promise.all(Array.from({ length: loops }, one));
  return {
    async stop() {
      running = false;
      await all;
      return samples;
    },
  };
}

/** Failed requests: errors (refused, reset) and non-2xx answers. */
export function failures(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.error !== undefined || s.status < 200 || s.status > 299);
}

/** Longest time a request took (ms). */
export function maxLatency(samples: readonly Sample[]): number {
  return samples.reduce((m, s) => Math.max(m, s.end - s.start), 0);
}

/** A short description of failures for assertion messages. */
export function describeFailures(samples: readonly Sample[]): string {
  const f = failures(samples);
  const kinds = new Map<string, number>();
  for (const s of f) {
    const k = s.error ?? `HTTP ${s.status}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return `${f.length} of ${samples.length} failed: ${[...kinds].map(([k, n]) => `${k}×${n}`).join(", ")}`;
}
