/**
 * A template tag for writing bash inside TypeScript. JS templates claim `${`, so bash parameter
 * expansions are written `@{name}` in the literal parts and turned into `${name}` here; the raw
 * text is kept (backslashes stay as written). Interpolated values are inserted verbatim and are
 * never rewritten, so interpolate only shell-quoted values or validated tokens.
 */
export function bash(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = "";
  strings.raw.forEach((part, i) => {
    out += part.replace(/@\{/g, "${");
    if (i < values.length) out += String(values[i]);
  });
  return out;
}
