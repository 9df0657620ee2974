/**
 * UpsunApp args → the Upsun-provided variables as model variables (profiles/upsunEnvironment.ts
 * computes them; this file only waits for secret Inputs — relationship passwords, the project
 * entropy — and keeps them secret).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../model/configError";
import {
  UPSUN_PROVIDED_VARIABLES,
  upsunEnvironment,
  type RelationshipEndpoint,
} from "../profiles/upsunEnvironment";
import type { UpsunAppArgs } from "./args";
import type { ModelVariable } from "./planTypes";

/** Waits for `parts` when one of them is not a plain string; plain strings compute at once. */
function derived<V>(parts: unknown[], f: (values: string[]) => string): V {
  if (parts.every((p) => typeof p === "string")) return f(parts as string[]) as unknown as V;
  return pulumi.all(parts as pulumi.Input<string>[]).apply(f) as unknown as V;
}

/**
 * The Upsun-provided variables of an UpsunApp (`PLATFORM_RELATIONSHIPS`, `PLATFORM_ROUTES`,
 * `PLATFORM_BRANCH`, …). A user variable may not take a `PLATFORM_*` name (Upsun does not let you set
 * them); one named like a service variable (`DATABASE_URL`) replaces the generated one.
 */
export function upsunProvidedVariables<V>(
  appName: string,
  config: Record<string, unknown>,
  args: Pick<UpsunAppArgs, "relationships" | "routes" | "platform">,
  userVariables: readonly { name: string; key: string }[],
): ModelVariable<V>[] {
  const rels = Object.entries(args.relationships ?? {});
  const passwords = rels.map(([, e]) => e.password ?? "");
  const compute = (pw: string[]) =>
    upsunEnvironment({
      appName,
      config,
      settings: { ...args.platform },
      routes: args.routes,
      relationships: Object.fromEntries(
        rels.map(([name, e], i): [string, RelationshipEndpoint] => {
          const { password, ...rest } = e;
          return [name, { ...rest, ...(password !== undefined ? { password: pw[i] } : {}) }];
        }),
      ),
    });
  // The shape (names, visibility, secrecy) does not depend on the passwords' values.
  const shape = compute(passwords.map(() => ""));
  const out: ModelVariable<V>[] = shape.map((row, i) => ({
    name: row.name,
    value: row.secret
      ? derived<V>(passwords, (pw) => compute(pw)[i].value)
      : (row.value as unknown as V),
    secret: row.secret,
    visibility: row.visibility,
    key: row.key,
  }));
  if (args.platform?.projectEntropy !== undefined) {
    out.push({
      name: "PLATFORM_PROJECT_ENTROPY",
      value: args.platform.projectEntropy as unknown as V,
      secret: true,
      visibility: "both",
      key: "platform.projectEntropy",
    });
  }
  const provided = new Set(UPSUN_PROVIDED_VARIABLES);
  for (const v of userVariables) {
    if (provided.has(v.name)) {
      throw new ConfigError(
        `${v.name} is provided by the platform (Upsun does not let you set it); use the platform, routes or relationships args`,
        { path: v.key },
      );
    }
  }
  // A variable of your own named like a service variable (`DATABASE_URL`) wins over the generated one.
  const mine = new Set(userVariables.map((v) => v.name));
  return out.filter((v) => !mine.has(v.name));
}
