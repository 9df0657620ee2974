/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */
/** Pulumi mocks harness for component tests: records every resource and waits for all steps. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  custom: boolean;
}

export const recorded: Recorded[] = [];
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export async function setupMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          custom: args.custom ?? false,
        });
        return {
          id: args.custom ? `${args.name}-id` : undefined,
          state: { ...args.inputs, stdout: "", stderr: "" },
        } as any;
      },
      call(args) {
        return args.inputs;
      },
    },
    "project",
    "stack",
    false,
  );
}

export const promiseOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise<T>((r) => o.apply(r));

/** A component with the outputs every deployhooks component has. */
export interface Deployed {
  urn: pulumi.Output<string>;
  steps: pulumi.Output<Record<string, string[]>>;
  releaseId: pulumi.Output<string>;
  fingerprints: pulumi.Output<Record<string, string>>;
  urls: pulumi.Output<Record<string, string>>;
}

export interface Deployment<C> {
  component: C;
  /** Custom resources by name. */
  resources: Map<string, Recorded>;
  /** Resource names in registration order. */
  names: string[];
  steps: Record<string, string[]>;
}

/** Constructs the component and waits until every step resource is registered with the mocks. */
export async function deploy<C extends Deployed>(make: () => C): Promise<Deployment<C>> {
  recorded.length = 0;
  const component = make();
  const steps = await promiseOf(component.steps);
  const expected = Object.keys(steps).length;
  for (let i = 0; i < 400 && recorded.filter((r) => r.custom).length < expected; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const custom = recorded.filter((r) => r.custom);
  return {
    component,
    resources: new Map(custom.map((r) => [r.name, r])),
    names: custom.map((r) => r.name),
    steps,
  };
}

/** Unwraps a mock secret envelope. */
export function unwrapSecret(v: any): { secret: boolean; value: any } {
  if (v && typeof v === "object" && Object.values(v).includes(SECRET_SIG)) {
    return { secret: true, value: v.value };
  }
  return { secret: false, value: v };
}

/** A temp source tree with the given files. */
export function tempTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-comp-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

export const artifactDir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-artifacts-"));

/** Names whose triggers differ between two deployments (present in both). */
export function rerun(a: Deployment<unknown>, b: Deployment<unknown>): string[] {
  return Object.keys(b.steps)
    .filter((n) => n in a.steps && JSON.stringify(a.steps[n]) !== JSON.stringify(b.steps[n]))
    .sort();
}
