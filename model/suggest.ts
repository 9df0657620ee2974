/** "did you mean …?" suggestions for near-miss names (fastest-levenshtein). */
import { distance } from "fastest-levenshtein";

/** Canonical form for comparing names: lower case, `-` and `_` and spaces removed. */
function squash(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * The closest candidate to `name`, or undefined when none is close: same letters ignoring case and
 * separators, or an edit distance of at most `maxDistance` (default: 2, or 3 for names of 12+ chars).
 */
export function closestName(
  name: string,
  candidates: readonly string[],
  maxDistance?: number,
): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    if (squash(c) === squash(name)) return c;
    const d = Math.min(distance(name, c), distance(name.toUpperCase(), c.toUpperCase()));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = maxDistance ?? (name.length >= 12 ? 3 : 2);
  return bestD <= limit ? best : undefined;
}
