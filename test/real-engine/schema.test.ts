/**
 * `pulumi package get-schema <pulumi-resource-deployhooks>` (the real CLI asking the launcher)
 * compared property by property with the TypeScript args interfaces of components/args.ts: every
 * component and every object type has exactly the interface's properties, the same required ones,
 * and the same kind (string, number, boolean, array, map, or a reference to the same type).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { REPO, engineEnv, engineOrSkip } from "./harness";

interface Prop {
  required: boolean;
  kind: string;
}
type Shape = Record<string, Prop>;

/** Kind of a TypeScript type node, `pulumi.Input<T>` seen through. */
function tsKind(node: ts.TypeNode | undefined): string {
  if (!node) return "any";
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === "pulumi.Input" && node.typeArguments?.[0]) return tsKind(node.typeArguments[0]);
    return `ref:${name}`;
  }
  if (ts.isArrayTypeNode(node)) return `array<${tsKind(node.elementType)}>`;
  if (ts.isTypeLiteralNode(node) && node.members.length === 1) {
    const m = node.members[0]!;
    if (ts.isIndexSignatureDeclaration(m)) return `map<${tsKind(m.type)}>`;
  }
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return "string";
    case ts.SyntaxKind.NumberKeyword:
      return "number";
    case ts.SyntaxKind.BooleanKeyword:
      return "boolean";
    case ts.SyntaxKind.AnyKeyword:
      return "any";
    default:
      return `unsupported:${node.getText()}`;
  }
}

/** Every interface of components/*.ts (args.ts first: the args; output types live beside their code). */
function argsInterfaces(): Record<string, Shape> {
  const dir = path.join(REPO, "components");
  const own: Record<string, Shape> = {};
  const bases: Record<string, string[]> = {};
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "args.ts");
  for (const name of ["args.ts", ...files.sort()]) {
    const file = path.join(dir, name);
    collect(ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true));
  }
  function collect(source: ts.SourceFile): void {
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || own[node.name.text]) return; // args.ts wins
      const shape: Shape = {};
      for (const m of node.members) {
        if (!ts.isPropertySignature(m)) continue;
        shape[m.name.getText().replace(/^"|"$/g, "")] = {
          required: !m.questionToken,
          kind: tsKind(m.type),
        };
      }
      own[node.name.text] = shape;
      bases[node.name.text] = (node.heritageClauses ?? []).flatMap((h) =>
        h.types.map((t) => t.expression.getText()),
      );
    });
  }
  // `interface A extends B`: A has B's properties too (A's own win).
  const full = (name: string): Shape =>
    Object.assign({}, ...(bases[name] ?? []).map(full), own[name]) as Shape;
  const out: Record<string, Shape> = {};
  for (const name of Object.keys(own)) out[name] = full(name);
  return out;
}

interface SchemaProp {
  type?: string;
  $ref?: string;
  items?: SchemaProp;
  additionalProperties?: SchemaProp;
}

function schemaKind(p: SchemaProp): string {
  if (p.$ref) return p.$ref === "pulumi.json#/Any" ? "any" : `ref:${p.$ref.split(":").pop()}`;
  if (p.type === "array") return `array<${schemaKind(p.items ?? {})}>`;
  if (p.type === "object" && p.additionalProperties) {
    return `map<${schemaKind(p.additionalProperties)}>`;
  }
  if (p.type === "integer") return "number";
  return p.type ?? "any";
}

function schemaShape(props: Record<string, SchemaProp>, required: string[] = []): Shape {
  const shape: Shape = {};
  for (const [k, p] of Object.entries(props)) {
    shape[k] = { required: required.includes(k), kind: schemaKind(p) };
  }
  return shape;
}

/** Sorted lines `prop: required kind` for readable diffs. */
function lines(shape: Shape): string[] {
  return Object.entries(shape)
    .map(([k, p]) => `${k}: ${p.required ? "required" : "optional"} ${p.kind}`)
    .sort();
}

describe("real engine: pulumi package get-schema of the component provider", function () {
  this.timeout(180_000);
  let schema: {
    resources: Record<
      string,
      { inputProperties: Record<string, SchemaProp>; requiredInputs?: string[] }
    >;
    types: Record<
      string,
      {
        type: string;
        properties?: Record<string, SchemaProp>;
        required?: string[];
        enum?: unknown[];
      }
    >;
  };
  const interfaces = argsInterfaces();

  before(function () {
    const engine = engineOrSkip(this);
    this.timeout(180_000);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "dh-real-schema-"));
    try {
      const out = execFileSync(
        path.join(engine, "pulumi"),
        ["package", "get-schema", path.join(engine, "pulumi-resource-deployhooks")],
        {
          cwd: home,
          encoding: "utf8",
          env: { ...process.env, ...engineEnv(engine), PULUMI_HOME: home },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      schema = JSON.parse(out) as typeof schema;
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("lists exactly the three components", () => {
    assert.deepEqual(Object.keys(schema.resources).sort(), [
      "deployhooks:index:Application",
      "deployhooks:index:CleverCloudApp",
      "deployhooks:index:UpsunApp",
    ]);
  });

  for (const component of ["Application", "CleverCloudApp", "UpsunApp"]) {
    it(`${component}: inputs = ${component}Args, property by property`, () => {
      const r = schema.resources[`deployhooks:index:${component}`]!;
      assert.deepEqual(
        lines(schemaShape(r.inputProperties, r.requiredInputs)),
        lines(interfaces[`${component}Args`]!),
      );
    });
  }

  it("every object type of the schema = the args interface of the same name", () => {
    const objects = Object.entries(schema.types).filter(([, t]) => t.type === "object");
    assert.ok(objects.length > 0);
    for (const [token, t] of objects) {
      const name = token.split(":").pop()!;
      assert.ok(interfaces[name], `${token} has no interface ${name} in components/args.ts`);
      assert.deepEqual(
        lines(schemaShape(t.properties ?? {}, t.required)),
        lines(interfaces[name]!),
        token,
      );
    }
  });
});
