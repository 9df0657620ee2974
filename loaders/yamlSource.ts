/**
 * YAML reading for Platform.sh / Upsun configuration: parse with the `yaml` package (v2), keep the
 * AST so every value knows its file and 1-based line, and resolve Platform.sh's `!include` tag.
 *
 * `!include` forms (Upsun docs, "YAML tags"):
 *   - scalar:  `- !include pip.app.yaml`, `- !include ".platform.docs.yaml"` → type `yaml`
 *   - mapping: `!include {type: string, path: x.sh}` or the same as a block mapping
 *   - `type`: `yaml` (default; the file's YAML replaces the node), `string` (the file's text, byte
 *     for byte), `binary` / `archive` → ConfigError "not supported".
 * Paths are relative to the directory of the including file and must stay inside the configuration
 * root (the directory holding `.platform/`, `.upsun/` or `.platform.app.yaml`), also through
 * symlinks. Nested includes resolve recursively; a cycle is a ConfigError naming the chain.
 *
 * Includes are resolved LAZILY: only when a loader walks into the node (applications). So an
 * include under `services:` or `routes:` (gally's `vcl: !include … default.vcl`) is never read: it
 * is not part of any app and deployhooks has no use for it. That is what makes every corpus file
 * load, except those whose *application* references a file that is not in the corpus.
 */
import * as fs from "fs";
import * as path from "path";
import {
  Alias,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Node,
  parseDocument,
  Scalar,
  YAMLMap,
} from "yaml";
import { ConfigError } from "../model/configError";
import { formatPath, PathSegment } from "../model/fieldPath";
import { checkYamlNesting, MAX_NESTING, nestingError, readConfigFile } from "./inputText";

/** Reads a file's text; returns `undefined` when it does not exist. */
export type FileReader = (file: string) => string | undefined;

/** Shared state of one load: the configuration root, how to read files, which files were read. */
export interface LoadContext {
  /** Configuration root (includes may not leave it). */
  root: string;
  readFile: FileReader;
  /** Every file read, in order (for LoadedConfig.files). */
  files: string[];
  /** Node-visit and expanded-text budgets, a guard against alias bombs. */
  budget: { nodes: number; chars: number };
}

/** One parsed YAML file. */
export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A position in the configuration tree: a YAML node plus where it is. */
export interface Cursor {
  node: Node | null;
  src: YamlSource;
  /** Logical field path from the top of the loaded configuration. */
  path: PathSegment[];
  /** 1-based line of the key (or list item) leading to this node. */
  line: number;
  /** Absolute paths of the files being included, outermost first (cycle detection). */
  stack: string[];
}

/** The text of a `!include {type: string}`. */
export interface StringInclude {
  kind: "string";
  text: string;
  file: string;
}

/** Most YAML nodes visited in one load, aliases expanded (an alias bomb stops here). */
export const MAX_NODES = 250_000;
/** Most characters of scalar text in one load, aliases expanded. */
export const MAX_EXPANDED_CHARS = 32 * 1024 * 1024;

/**
 * The default reader: UTF-8 text from disk (BOM dropped), `undefined` when missing; a FIFO, a
 * directory, a file above the size limit or invalid UTF-8 are ConfigErrors (inputText.ts).
 */
export const readFileFromDisk: FileReader = readConfigFile;

/** A fresh load context. */
export function newContext(root: string, readFile: FileReader = readFileFromDisk): LoadContext {
  return { root, readFile, files: [], budget: { nodes: 0, chars: 0 } };
}

const includeTags = [
  { tag: "!include", resolve: (s: string) => s },
  { tag: "!include", collection: "map" as const, resolve: (m: unknown) => m },
  { tag: "!include", collection: "seq" as const, resolve: (s: unknown) => s },
];

/** Parses YAML text; syntax errors become ConfigErrors with the line. */
export function parseYaml(text: string, file: string): YamlSource {
  checkYamlNesting(text, file);
  const lines = new LineCounter();
  // Note: no `prettyErrors` context in messages; we print our own location.
  const doc = parseDocument(text, {
    lineCounter: lines,
    customTags: includeTags,
    prettyErrors: false,
    // Duplicate keys are found where mappings are read (entries()): the yaml package's own check
    // compares every key with every other one (minutes for a 200,000-key mapping).
    uniqueKeys: false,
    version: "1.2",
    // `<<: *anchor` merge keys, as Platform.sh/Upsun read them (YAML 1.1); see entries().
    merge: true,
  });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = err.pos ? lines.linePos(err.pos[0]).line : undefined;
    throw new ConfigError(`YAML syntax error: ${err.message.split("\n")[0]}`, { file, line });
  }
  return { file, text, doc, lines };
}

/** 1-based line of an offset in a source. */
export function lineOf(src: YamlSource, offset: number): number {
  return src.lines.linePos(Math.max(0, Math.min(offset, src.text.length))).line;
}

/** 1-based line where a node starts (its own range; tags are not part of a node's range). */
export function nodeLine(src: YamlSource, node: Node | null | undefined, fallback = 1): number {
  const r = node?.range;
  return r ? lineOf(src, r[0]) : fallback;
}

/** The cursor of a file's document root. */
export function rootCursor(
  src: YamlSource,
  path: PathSegment[] = [],
  stack: string[] = [],
): Cursor {
  const node = (src.doc.contents as Node | null) ?? null;
  return { node, src, path, line: nodeLine(src, node), stack };
}

/** A ConfigError at a cursor. */
export function errorAt(cur: Cursor, detail: string, line = cur.line): ConfigError {
  return new ConfigError(detail, {
    file: cur.src.file,
    line,
    path: formatPath(cur.path) || undefined,
  });
}

function describe(node: Node | null): string {
  if (node === null) return "null";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "null";
    if (typeof v === "string") return "a string";
    if (typeof v === "number" || typeof v === "bigint") return `a number (${String(v)})`;
    if (typeof v === "boolean") return `a boolean (${String(v)})`;
    return typeof v;
  }
  return "an unknown node";
}

/** Human description of what a cursor holds, for "must be X, got Y" messages. */
export function describeCursor(cur: Cursor): string {
  return describe(cur.node);
}

function isStandardTag(tag: string | undefined): boolean {
  return tag === undefined || tag.startsWith("tag:yaml.org,2002:");
}

/** Line where the `!include` tag of `node` is written (the tag is outside the node's range). */
function tagLine(cur: Cursor, node: Node): number {
  const start = node.range?.[0] ?? 0;
  const at = cur.src.text.lastIndexOf("!include", start);
  return at >= 0 ? lineOf(cur.src, at) : nodeLine(cur.src, node, cur.line);
}

function spend(ctx: LoadContext, cur: Cursor): void {
  ctx.budget.nodes += 1;
  if (ctx.budget.nodes > MAX_NODES) {
    throw errorAt(
      cur,
      `configuration too large (more than ${MAX_NODES} nodes after alias expansion, the limit)`,
    );
  }
}

/**
 * Follows aliases and `!include` tags. Returns the cursor of the real node, or the text of a
 * string include. Unsupported tags are ConfigErrors.
 */
export function deref(cur: Cursor, ctx: LoadContext): Cursor | StringInclude {
  let c = cur;
  for (let hops = 0; ; hops++) {
    if (hops > 100) throw errorAt(c, "too many nested aliases or includes");
    spend(ctx, c);
    const node = c.node;
    if (node === null) return c;
    if (isAlias(node)) {
      const target = (node as Alias).resolve(c.src.doc) as Node | undefined;
      if (!target) throw errorAt(c, `unknown alias *${(node as Alias).source}`);
      c = { ...c, node: target };
      continue;
    }
    const tag = (node as { tag?: string }).tag;
    if (tag === "!include") {
      const r = resolveInclude(c, node, ctx);
      if ("kind" in r) return r;
      c = r;
      continue;
    }
    if (!isStandardTag(tag)) {
      throw errorAt(
        c,
        `unsupported YAML tag ${tag} (only !include is supported)`,
        nodeLine(c.src, node, c.line),
      );
    }
    return c;
  }
}

function includeSpec(cur: Cursor, node: Node, line: number): { type: string; target: string } {
  if (isScalar(node)) {
    if (typeof node.value !== "string" || node.value === "") {
      throw errorAt(cur, "!include needs a file path", line);
    }
    return { type: "yaml", target: node.value };
  }
  if (isMap(node)) {
    let type = "yaml";
    let target: string | undefined;
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const value = pair.value as Node | null;
      const keyLine = nodeLine(cur.src, pair.key as Node, line);
      if (key === "type" || key === "path") {
        if (!isScalar(value) || typeof value.value !== "string" || value.value === "") {
          throw new ConfigError(
            `!include ${key} must be a non-empty string, got ${describe(value ?? null)}`,
            {
              file: cur.src.file,
              line: keyLine,
              path: formatPath(cur.path) || undefined,
            },
          );
        }
        if (key === "type") type = value.value;
        else target = value.value;
      } else {
        throw new ConfigError(
          `unknown !include key ${JSON.stringify(key ?? "")} (expected type and path)`,
          {
            file: cur.src.file,
            line: keyLine,
            path: formatPath(cur.path) || undefined,
          },
        );
      }
    }
    if (target === undefined) throw errorAt(cur, "!include needs a path", line);
    return { type, target };
  }
  throw errorAt(
    cur,
    `!include must be a path or a mapping {type, path}, got ${describe(node)}`,
    line,
  );
}

function within(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function resolveInclude(cur: Cursor, node: Node, ctx: LoadContext): Cursor | StringInclude {
  const line = tagLine(cur, node);
  const { type, target } = includeSpec(cur, node, line);
  if (type === "binary" || type === "archive") {
    throw errorAt(
      cur,
      `!include type ${type} is not supported (only yaml and string): ${target}`,
      line,
    );
  }
  if (type !== "yaml" && type !== "string") {
    throw errorAt(
      cur,
      `unknown !include type ${JSON.stringify(type)} (expected yaml or string)`,
      line,
    );
  }
  if (path.isAbsolute(target) || target.includes("\0")) {
    throw errorAt(cur, `!include path must be relative to the including file: ${target}`, line);
  }
  const file = path.join(path.dirname(cur.src.file), target);
  const rootAbs = path.resolve(ctx.root);
  const abs = path.resolve(file);
  if (!within(rootAbs, abs)) {
    throw errorAt(cur, `!include path escapes the configuration root ${ctx.root}: ${target}`, line);
  }
  if (ctx.readFile === readFileFromDisk && fs.existsSync(abs)) {
    // A symlink must not lead outside the root either.
    const real = fs.realpathSync(abs);
    if (!within(fs.realpathSync(rootAbs), real)) {
      throw errorAt(
        cur,
        `!include path escapes the configuration root ${ctx.root} (through a symlink): ${target}`,
        line,
      );
    }
  }
  const stack = cur.stack.length > 0 ? cur.stack : [path.resolve(cur.src.file)];
  if (stack.includes(abs)) {
    const chain = [...stack, abs].map((p) => path.relative(rootAbs, p) || ".").join(" -> ");
    throw errorAt(cur, `!include cycle: ${chain}`, line);
  }
  const text = ctx.readFile(file);
  if (text === undefined) throw errorAt(cur, `!include target not found: ${target}`, line);
  if (!ctx.files.includes(file)) ctx.files.push(file);
  if (type === "string") return { kind: "string", text, file };
  const src = parseYaml(text, file);
  return rootCursor(src, cur.path, [...stack, abs]);
}

/** One entry of a mapping: its key as a string, the key's line and the value's cursor. */
export interface Entry {
  key: string;
  line: number;
  value: Cursor;
}

function keyOf(cur: Cursor, keyNode: Node | null | undefined): string {
  if (keyNode === null || keyNode === undefined) return "";
  if (isScalar(keyNode)) return keyNode.value === null ? "" : String((keyNode as Scalar).value);
  throw errorAt(
    cur,
    "mapping keys must be plain values (complex keys are not supported)",
    nodeLine(cur.src, keyNode, cur.line),
  );
}

/** True for the YAML merge key `<<` (parsed with `merge: true`). */
function isMergeKey(node: unknown): boolean {
  return isScalar(node) && typeof node.value === "symbol";
}

/** The mappings a `<<` value names: an alias of a mapping, or a list of them (or inline mappings). */
function mergeSources(cur: Cursor, value: Node | null, line: number): Cursor[] {
  const one = (n: Node | null): Cursor => {
    const target = isAlias(n) ? ((n as Alias).resolve(cur.src.doc) as Node | undefined) : n;
    if (!isMap(target)) {
      throw errorAt(
        cur,
        "<< (merge key) must be an alias of a mapping, or a list of such aliases",
        line,
      );
    }
    return { node: target, src: cur.src, path: cur.path, line, stack: cur.stack };
  };
  if (isSeq(value)) return value.items.map((n) => one((n as Node | null) ?? null));
  return [one(value)];
}

/** A mapping entry before it gets a cursor: the key, its line and the value node. */
interface RawEntry {
  key: string;
  line: number;
  node: Node | null;
}

/**
 * Merged entries per mapping node, computed once: a mapping merged many times (`<<: [*a, *a, …]`
 * nested level after level, an alias bomb made of merge keys) costs its keys once, not once per
 * path to it.
 */
const mergedEntries = new WeakMap<Node, RawEntry[]>();

function rawEntries(cur: Cursor, merging: ReadonlySet<Node>): RawEntry[] {
  const node = cur.node as YAMLMap;
  const cached = mergedEntries.get(node);
  if (cached) return cached;
  const pairs = node.items.filter(isPair);
  const own = new Set<string>();
  for (const pair of pairs) {
    if (isMergeKey(pair.key)) continue;
    const key = keyOf(cur, pair.key as Node | null);
    if (own.has(key)) {
      throw errorAt(
        cur,
        `duplicate key ${JSON.stringify(key)} (YAML mapping keys must be unique)`,
        nodeLine(cur.src, pair.key as Node, cur.line),
      );
    }
    own.add(key);
  }
  const out: RawEntry[] = [];
  const taken = new Set<string>();
  for (const pair of pairs) {
    const keyNode = pair.key as Node | null;
    const line = nodeLine(cur.src, keyNode, cur.line);
    if (isMergeKey(keyNode)) {
      const inner = new Set(merging).add(node);
      for (const source of mergeSources(cur, (pair.value as Node | null) ?? null, line)) {
        if (inner.has(source.node as Node)) {
          throw errorAt(cur, "recursive merge: a << merges a mapping that contains it", line);
        }
        if (inner.size > MAX_NESTING) throw nestingError(cur.src.file, line);
        for (const e of rawEntries(source, inner)) {
          if (own.has(e.key) || taken.has(e.key)) continue;
          taken.add(e.key);
          out.push(e);
        }
      }
      continue;
    }
    const key = keyOf(cur, keyNode);
    taken.add(key);
    out.push({ key, line, node: (pair.value as Node | null) ?? null });
  }
  mergedEntries.set(node, out);
  return out;
}

/**
 * The entries of a mapping node (after deref), in order. Keys must be scalars. YAML merge keys
 * (`<<: *anchor`, `<<: [*a, *b]`) are expanded as YAML 1.1 defines them (and Platform.sh reads
 * them): a key written in the mapping itself wins wherever it is written, then the merged
 * mappings in their order (an earlier one wins); merged entries take the place of the `<<`.
 */
export function entries(cur: Cursor): Entry[] {
  if (!isMap(cur.node)) throw errorAt(cur, `must be a mapping, got ${describe(cur.node)}`);
  return rawEntries(cur, new Set()).map((e) => ({
    key: e.key,
    line: e.line,
    value: {
      node: e.node,
      src: cur.src,
      path: [...cur.path, e.key],
      line: e.line,
      stack: cur.stack,
    },
  }));
}

/** The items of a list node (after deref), in order. */
export function items(cur: Cursor): Cursor[] {
  const node = cur.node;
  if (!isSeq(node)) throw errorAt(cur, `must be a list, got ${describe(node)}`);
  return node.items.map((item, i) => {
    const n = (item as Node | null) ?? null;
    return {
      node: n,
      src: cur.src,
      path: [...cur.path, i],
      line: nodeLine(cur.src, n, cur.line),
      stack: cur.stack,
    };
  });
}

/** Sets a key on a plain object without ever touching its prototype (`__proto__` keys). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Converts a node to plain data, resolving includes (string includes give their text). Bounded:
 * nesting beyond MAX_NESTING, a recursive alias, and expansion beyond the node and text budgets
 * are ConfigErrors naming the limit.
 */
export function toPlain(
  cur: Cursor,
  ctx: LoadContext,
  active: ReadonlySet<Node> = new Set(),
): unknown {
  const alias = isAlias(cur.node) ? (cur.node as Alias).source : undefined;
  const r = deref(cur, ctx);
  if ("kind" in r) return spendText(ctx, r.text, cur);
  const node = r.node;
  if (node === null) return null;
  if (isMap(node) || isSeq(node)) {
    if (active.has(node)) {
      throw errorAt(
        cur,
        `recursive alias${alias ? ` *${alias}` : ""}: it refers to a node that contains it`,
      );
    }
    if (active.size >= MAX_NESTING) throw nestingError(cur.src.file, cur.line);
    const inner = new Set(active).add(node);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const e of entries(r)) setKey(out, e.key, toPlain(e.value, ctx, inner));
      return out;
    }
    return items(r).map((i) => toPlain(i, ctx, inner));
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === "bigint") return Number(v);
    if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
    if (typeof v === "string") return spendText(ctx, v, cur);
    return v;
  }
  throw errorAt(r, `unsupported YAML node ${describe(node)}`);
}

function spendText(ctx: LoadContext, text: string, cur: Cursor): string {
  ctx.budget.chars += text.length;
  if (ctx.budget.chars > MAX_EXPANDED_CHARS) {
    throw errorAt(
      cur,
      `configuration too large (more than ${MAX_EXPANDED_CHARS} characters of text after alias expansion, the limit)`,
    );
  }
  return text;
}
