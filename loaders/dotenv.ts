/**
 * Clever Cloud environment text → assignments `{ key, value, line }`, in two syntaxes.
 *
 * Why not the `dotenv` package: it silently accepts an unterminated quote (the value becomes the
 * rest of the line, quote included), gives no line numbers, strips ` #…` from unquoted values and
 * expands `\n` in some quote styles only. Hook scripts must come out byte-exact and bad input must
 * be a ConfigError with the line, so this is a small, exact line parser instead (≈100 lines).
 *
 * 1. Env files (dotenv syntax, as written in Clever Cloud's console "expert mode" and docs):
 *    - blank lines and lines whose first non-blank character is `#` are skipped; leading
 *      indentation is ignored (docs extracts are indented); an `export ` prefix is allowed;
 *    - `KEY=value`, optional blanks around `=`; KEY must be a shell variable name;
 *    - unquoted value: the rest of the line with trailing blanks removed, kept literally —
 *      quotes inside are text (`CC_POST_BUILD_HOOK=echo "it works!"` → `echo "it works!"`) and
 *      `#` is text too (a hook like `a # b` keeps its shell comment);
 *    - a quoted value (`"…"` or `'…'`) loses one pair of matching outer quotes and nothing else,
 *      as Clever Cloud reads it: no escape and no `$VAR` processing (`"a\nb"` is the four
 *      characters `a\nb`; `"say \"hi\""` is `say \"hi\"`), spaces inside kept. When the rest of
 *      the line does not end with the quote it opened with, the value ends at the next such quote
 *      (it may span lines), and only blanks and a `# comment` may follow it;
 *    - an unterminated quote is a ConfigError at the line of the opening quote;
 *    - any other line (`- KEY=v` Markdown bullets, YAML, HCL) is a ConfigError "expected KEY=value".
 * 2. Clever CLI scripts (README snippets): any file with a line starting with `clever ` is read as
 *    a shell script. Only `clever env [flags] set KEY VALUE [flags]` commands are assignments
 *    (flags `-a X`, `--alias X`, `--alias=X`, `--app X`, `--app=X`, anywhere after `env`); the
 *    words are split like a POSIX shell (single quotes literal, double quotes with `\"`, `\\`,
 *    `\$`, `` \` `` escapes, backslash-newline continuation, `#` comments). Every other line —
 *    `git …`, `clever create …`, `clever deploy`, shell `KEY=v` assignments (those set shell
 *    variables, not app variables) — is ignored without a warning: a README script legitimately
 *    mixes them. A malformed `clever env set` (missing value, extra words) and an unterminated
 *    quote are ConfigErrors with the line. `$VAR` is kept literally (the shell would expand it).
 */
import { MAX_VARIABLES } from "../model/appText";
import { ConfigError } from "../model/configError";

/** One `KEY=value` (or `clever env set KEY VALUE`) with the 1-based line it starts on. */
export interface EnvAssignment {
  key: string;
  value: string;
  line: number;
  /** `--alias`/`-a`/`--app` of a CLI line, when given. */
  alias?: string;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function checkKey(key: string, file: string, line: number): void {
  if (!VAR_NAME.test(key)) {
    throw new ConfigError(`${JSON.stringify(key)} is not a valid environment variable name`, {
      file,
      line,
      path: key,
    });
  }
}

/** Stops reading at the variable count limit (model/appText.ts), naming the line. */
function checkCount(count: number, file: string, line: number): void {
  if (count > MAX_VARIABLES) {
    throw new ConfigError(
      `more than ${MAX_VARIABLES} variables, the limit for one app (this is variable ${count})`,
      { file, line },
    );
  }
}

/** Parses dotenv syntax (see the file comment). */
export function parseEnvText(text: string, file: string): EnvAssignment[] {
  const out: EnvAssignment[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    let eol = text.indexOf("\n", i);
    if (eol < 0) eol = n;
    const raw = text.slice(i, eol).replace(/\r$/, "");
    const body = raw.replace(/^[ \t]+/, "");
    if (body === "" || body.startsWith("#") || body.trim() === "") {
      i = eol + 1;
      line++;
      continue;
    }
    const m = /^(?:export[ \t]+)?([^\s=]+)[ \t]*=[ \t]*/.exec(body);
    if (!m) {
      const shown = body.length > 60 ? body.slice(0, 57) + "..." : body;
      throw new ConfigError(`expected KEY=value, got ${JSON.stringify(shown)}`, { file, line });
    }
    const key = m[1];
    checkKey(key, file, line);
    const startLine = line;
    const valueStart = i + (raw.length - body.length) + m[0].length;
    const q = text[valueStart];
    const rest = text
      .slice(valueStart, eol)
      .replace(/\r$/, "")
      .replace(/[ \t]+$/, "");
    if ((q === '"' || q === "'") && rest.length >= 2 && rest.endsWith(q)) {
      // One pair of matching outer quotes, on one line: removed, the inside kept as written.
      checkCount(out.length + 1, file, startLine);
      out.push({ key, value: rest.slice(1, -1), line: startLine });
      i = eol + 1;
      line++;
    } else if (q === '"' || q === "'") {
      let j = valueStart + 1;
      let value = "";
      for (;;) {
        if (j >= n) {
          throw new ConfigError(
            `unterminated ${q === '"' ? "double" : "single"} quote in the value of ${key}`,
            { file, line: startLine, path: key },
          );
        }
        const c = text[j];
        if (c === q) break;
        value += c;
        j++;
      }
      line += lineAt(text.slice(valueStart, j), j - valueStart) - 1;
      let end = text.indexOf("\n", j);
      if (end < 0) end = n;
      const after = text.slice(j + 1, end).replace(/\r$/, "");
      if (!/^[ \t]*(#.*)?$/.test(after)) {
        throw new ConfigError(
          `unexpected text after the closing quote of ${key}: ${JSON.stringify(after.trim())}`,
          { file, line, path: key },
        );
      }
      out.push({ key, value, line: startLine });
      checkCount(out.length, file, startLine);
      i = end + 1;
      line++;
    } else {
      checkCount(out.length + 1, file, startLine);
      out.push({
        key,
        value: text
          .slice(valueStart, eol)
          .replace(/\r$/, "")
          .replace(/[ \t]+$/, ""),
        line: startLine,
      });
      i = eol + 1;
      line++;
    }
  }
  return out;
}

interface Word {
  text: string;
  line: number;
}

/** Splits shell text into commands (lists of words), POSIX-like; see the file comment. */
export function shellCommands(text: string, file: string): Word[][] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let cur: string | undefined;
  let curLine = 1;
  let line = 1;
  const n = text.length;
  const endWord = () => {
    if (cur !== undefined) words.push({ text: cur, line: curLine });
    cur = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  const start = () => {
    if (cur === undefined) {
      cur = "";
      curLine = line;
    }
  };
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (c === "\n") {
      endCommand();
      line++;
    } else if (c === " " || c === "\t" || c === "\r") {
      endWord();
    } else if (c === ";" || c === "&" || c === "|") {
      endCommand();
    } else if (c === "#" && cur === undefined) {
      while (i + 1 < n && text[i + 1] !== "\n") i++;
    } else if (c === "\\") {
      if (text[i + 1] === "\n") {
        i++;
        line++;
      } else {
        start();
        if (i + 1 < n) cur += text[++i];
      }
    } else if (c === "'" || c === '"') {
      start();
      const openLine = line;
      let j = i + 1;
      for (;;) {
        if (j >= n) {
          throw new ConfigError(`unterminated ${c === '"' ? "double" : "single"} quote`, {
            file,
            line: openLine,
          });
        }
        const d = text[j];
        if (d === c) break;
        if (d === "\n") line++;
        if (c === '"' && d === "\\" && j + 1 < n && '"\\$`\n'.includes(text[j + 1])) {
          if (text[j + 1] === "\n") line++;
          else cur += text[j + 1];
          j += 2;
          continue;
        }
        cur += d;
        j++;
      }
      i = j;
    } else {
      start();
      cur += c;
    }
  }
  endCommand();
  return commands;
}

const ALIAS_FLAGS = new Set(["-a", "--alias", "--app"]);

/** Reads the `clever env set` commands of a shell script (see the file comment). */
export function parseCleverCliText(text: string, file: string): EnvAssignment[] {
  const out: EnvAssignment[] = [];
  for (const words of shellCommands(text, file)) {
    if (words.length < 2 || words[0].text !== "clever" || words[1].text !== "env") continue;
    const positional: Word[] = [];
    let alias: string | undefined;
    for (let k = 2; k < words.length; k++) {
      const w = words[k].text;
      if (ALIAS_FLAGS.has(w)) {
        if (k + 1 >= words.length) {
          throw new ConfigError(`${w} needs a value`, { file, line: words[k].line });
        }
        alias = words[++k].text;
      } else if (/^--(alias|app)=/.test(w)) {
        alias = w.slice(w.indexOf("=") + 1);
      } else if (w.startsWith("-") && positional.length === 0) {
        // another flag before the sub-command (e.g. --format): no value taken
      } else positional.push(words[k]);
    }
    if (positional.length === 0 || positional[0].text !== "set") continue;
    const line = words[0].line;
    if (positional.length !== 3) {
      throw new ConfigError(
        `clever env set takes a name and one value, got ${positional.length - 1} word(s) (quote a value with spaces)`,
        { file, line },
      );
    }
    const key = positional[1].text;
    checkKey(key, file, line);
    checkCount(out.length + 1, file, line);
    out.push({ key, value: positional[2].text, line, ...(alias !== undefined ? { alias } : {}) });
  }
  return out;
}

/** True when the text is a Clever CLI script rather than an env file. */
export function looksLikeCleverCli(text: string): boolean {
  return /^[ \t]*clever[ \t]/m.test(text);
}
