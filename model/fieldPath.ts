/**
 * Field paths as users read them: `hosts[1].connection.host`, `applications.app.hooks.build`,
 * `variables.php["opcache.enable"]` (segments that are not identifiers are quoted).
 */
export type PathSegment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Joins path segments into the readable form used in every error message and reason. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
