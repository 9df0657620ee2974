import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { argsForState } from "../../components/stateArgs";

/** True when `v` is an Output the engine would store encrypted. */
async function secret(v: unknown): Promise<boolean> {
  return pulumi.Output.isInstance(v) && (await pulumi.isSecret(v as pulumi.Output<unknown>));
}

describe("components/stateArgs: what a component records as its inputs", () => {
  it("wraps the values that are secret by their place; leaves the rest as given", async () => {
    const given = {
      secrets: { DB_PASSWORD: "s3cret-1" },
      variables: [
        { name: "A", value: "plain" },
        { name: "B", value: "s3cret-2", secret: true },
      ],
      relationships: { db: { host: "db", password: "s3cret-3" } },
      hosts: [
        {
          name: "vm",
          connection: {
            host: "h",
            privateKey: "KEY",
            password: "pw",
            proxy: { host: "b", privateKey: "KEY2" },
          },
        },
        { name: "local" },
      ],
      port: 8080,
    };
    const a = argsForState(given) as typeof given & Record<string, unknown>;
    const checks: Array<[string, unknown, boolean]> = [
      ["secrets.DB_PASSWORD", a.secrets.DB_PASSWORD, true],
      ["variables[0].value", a.variables[0]!.value, false],
      ["variables[1].value", a.variables[1]!.value, true],
      ["relationships.db.password", a.relationships.db.password, true],
      ["relationships.db.host", a.relationships.db.host, false],
      ["hosts[0].connection.privateKey", a.hosts[0]!.connection!.privateKey, true],
      ["hosts[0].connection.password", a.hosts[0]!.connection!.password, true],
      ["hosts[0].connection.host", a.hosts[0]!.connection!.host, false],
      ["hosts[0].connection.proxy.privateKey", a.hosts[0]!.connection!.proxy.privateKey, true],
      ["port", a.port, false],
    ];
    for (const [where, value, expected] of checks) {
      assert.equal(await secret(value), expected, where);
    }
    assert.deepEqual(given.secrets, { DB_PASSWORD: "s3cret-1" }, "the args given are not changed");
    assert.deepEqual(a.hosts[1], { name: "local" });
  });
});
