/**
 * `node -r ts-node/register/transpile-only scripts/readmePreview.ts [--check]`: produces the
 * README's `pulumi preview` blocks ("What `pulumi preview` shows") from a real run: the quickstart
 * deployed by the real `pulumi` CLI (npm run -s engine:bin) as project `deployhooks`, stack `dev`,
 * then `pulumi config set greeting bonjour` and `pulumi preview` / `pulumi preview --diff`.
 * Writes the blocks between the README's `<!-- preview:… -->` markers (`--check`: exit 1 when the
 * README differs). test/real-engine/examples.test.ts checks the same blocks on its quickstart run.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const README = path.resolve(__dirname, "..", "README.md");
export const PROJECT = "deployhooks";

/** The plain preview of a runtime-only change: its step lines and the resource summary. */
export function previewTable(stdout: string): string {
  const lines = stdout.split("\n").map((l) => l.replace(/\s+$/, ""));
  const out: string[] = [];
  let summary = false;
  for (const l of lines) {
    if (/^Resources:/.test(l)) summary = true;
    if (summary) {
      if (/^Duration:/.test(l)) break;
      out.push(l);
    } else if (/^ (~ |\+\+|\+-|--|\+ |- ) \S+:\S+:\S+ /.test(l)) {
      out.push(l);
    }
  }
  return out.join("\n").replace(/^\n+|\n+$/g, "");
}

/** The `triggers` diff of one step in `preview --diff`: changed entries, unchanged runs as `…`. */
export function triggersDiff(stdout: string, resourceName: string): string {
  const lines = stdout.split("\n").map((l) => l.replace(/\s+$/, ""));
  const urn = lines.findIndex((l) => /^\s*\[urn=/.test(l) && l.endsWith(`::${resourceName}]`));
  let header = urn - 1;
  while (header >= 0 && !/^\s*\+-\S+: \(replace\)$/.test(lines[header]!)) header--;
  const open = lines.findIndex((l, i) => i > urn && /^\s*~ triggers\s*: \[$/.test(l));
  if (urn < 0 || header < 0 || open < 0) {
    throw new Error(`preview --diff: no triggers diff of ${resourceName}`);
  }
  const indent = lines[header]!.length - lines[header]!.trimStart().length;
  const out = [lines[header]!, lines[urn]!, lines[open]!.replace(/\s+: \[$/, ": [")];
  let i = open + 1;
  for (; i < lines.length && !/^\s*\]$/.test(lines[i]!); i++) {
    const l = lines[i]!;
    if (/^\s*[~+-] \[\d+\]:/.test(l)) out.push(l);
    else if (!out[out.length - 1]!.endsWith("…")) out.push(l.replace(/\S.*$/, "…"));
  }
  out.push(lines[i] ?? "]");
  return out.map((l) => l.slice(indent)).join("\n");
}

/** Replaces the text between `<!-- preview:NAME -->` and `<!-- /preview:NAME -->`. */
export function withBlock(readme: string, name: string, body: string): string {
  const begin = `<!-- preview:${name} -->`;
  const end = `<!-- /preview:${name} -->`;
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${begin} … ${end}`);
  return `${readme.slice(0, i + begin.length)}\n\n\`\`\`\n${body}\n\`\`\`\n\n${readme.slice(j)}`;
}

/** The README with both blocks taken from these two preview outputs. */
export function readmeWith(readme: string, plain: string, diff: string): string {
  const table = withBlock(readme, "runtime-only", previewTable(plain));
  return withBlock(
    table,
    "runtime-only-diff",
    triggersDiff(diff, "quickstart-local-hook-postDeploy"),
  );
}

async function main(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when run as a script */
  const { EngineStack, engineDir } =
    require("../test/real-engine/harness") as typeof import("../test/real-engine/harness");
  const { quickstart } =
    require("../examples/quickstart/program") as typeof import("../examples/quickstart/program");
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const engine = engineDir();
  if (!engine) {
    throw new Error("no go on PATH: the real engine cannot be built (npm run engine:bin)");
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dh-readme-preview-"));
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
  const stack = await EngineStack.create({
    engine,
    project: PROJECT,
    program: async () => {
      const config = new pulumi.Config();
      return quickstart({ root: config.get("root"), port, greeting: config.get("greeting") });
    },
    config: { root: { value: path.join(work, "apps") } },
  });
  try {
    await stack.up();
    await stack.setConfig({ greeting: { value: "bonjour" } });
    const plain = (await stack.preview()).stdout;
    const diff = await stack.previewDiff();
    await stack.destroy();
    const readme = fs.readFileSync(README, "utf8");
    const next = readmeWith(readme, plain, diff);
    if (process.argv.includes("--check")) {
      if (next !== readme) {
        process.stderr.write("README preview blocks differ from a real run\n");
        process.exitCode = 1;
      }
    } else {
      fs.writeFileSync(README, next);
      process.stderr.write("README preview blocks updated from a real run\n");
    }
  } finally {
    stack.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`readmePreview: ${e.message}\n`);
    process.exit(1);
  });
}
