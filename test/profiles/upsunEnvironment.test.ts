import * as assert from "node:assert/strict";
import { upsunModel } from "../../components/deploymentModel";
import { ConfigError } from "../../model/configError";
import {
  serviceVariablePrefix,
  upsunEnvironment,
  variablesValue,
} from "../../profiles/upsunEnvironment";

const decode = (b64: string): unknown => JSON.parse(Buffer.from(b64, "base64").toString("utf8"));
const row = (rows: ReturnType<typeof upsunEnvironment>, name: string) => {
  const r = rows.find((x) => x.name === name);
  if (!r) throw new Error(`no ${name}`);
  return r;
};

describe("profiles/upsunEnvironment: the Upsun-provided variables", () => {
  it("defaults: project = app name, branch main, environment = branch, type production, empty SMTP host", () => {
    const rows = upsunEnvironment({ appName: "shop", config: {} });
    assert.deepEqual(
      rows.map((r) => [r.name, r.visibility, r.secret]),
      [
        ["PLATFORM_PROJECT", "both", false],
        ["PLATFORM_VARIABLES", "both", false],
        ["PLATFORM_BRANCH", "runtime", false],
        ["PLATFORM_ENVIRONMENT", "runtime", false],
        ["PLATFORM_ENVIRONMENT_TYPE", "runtime", false],
        ["PLATFORM_SMTP_HOST", "runtime", false],
        ["PLATFORM_ROUTES", "runtime", false],
        ["PLATFORM_RELATIONSHIPS", "runtime", false],
      ],
    );
    assert.deepEqual(
      rows.filter((r) => !/VARIABLES|ROUTES|RELATIONSHIPS/.test(r.name)).map((r) => r.value),
      ["shop", "main", "main", "production", ""],
    );
    assert.deepEqual(decode(row(rows, "PLATFORM_RELATIONSHIPS").value), {});
    assert.equal(row(rows, "PLATFORM_RELATIONSHIPS").value, "e30=");
  });

  it("PLATFORM_RELATIONSHIPS has the platform's exact keys, defaults from relationships.<name>", () => {
    const rows = upsunEnvironment({
      appName: "app",
      config: {
        relationships: { database: "db:mysql", cache: { service: "redis", endpoint: "redis" } },
      },
      settings: { project: "p1", branch: "staging", environmentType: "staging" },
      relationships: {
        database: {
          host: "10.0.0.5",
          port: 3306,
          scheme: "mysql",
          username: "u",
          password: "pw",
          path: "main",
        },
        cache: { host: "cache.local", port: 6379, scheme: "redis" },
      },
    });
    const rel = row(rows, "PLATFORM_RELATIONSHIPS");
    assert.equal(rel.secret, true);
    assert.deepEqual(decode(rel.value), {
      database: [
        {
          username: "u",
          scheme: "mysql",
          service: "db",
          fragment: null,
          ip: "10.0.0.5",
          hostname: "10.0.0.5",
          port: 3306,
          cluster: "p1-staging",
          host: "10.0.0.5",
          rel: "mysql",
          path: "main",
          query: {},
          password: "pw",
          type: "",
          public: false,
          host_mapped: false,
        },
      ],
      cache: [
        {
          username: "",
          scheme: "redis",
          service: "redis",
          fragment: null,
          ip: "cache.local",
          hostname: "cache.local",
          port: 6379,
          cluster: "p1-staging",
          host: "cache.local",
          rel: "redis",
          path: "",
          query: {},
          password: "",
          type: "",
          public: false,
          host_mapped: false,
        },
      ],
    });
    // Service variables: the password and the URL carrying it are secret, the rest plain.
    assert.equal(row(rows, "DATABASE_URL").value, "mysql://u:pw@10.0.0.5:3306/main");
    assert.deepEqual(
      rows.filter((r) => r.secret).map((r) => r.name),
      [
        "PLATFORM_RELATIONSHIPS",
        "DATABASE_URL",
        "DATABASE_PASSWORD",
        "CACHE_URL",
        "CACHE_PASSWORD",
      ],
    );
    assert.equal(row(rows, "DATABASE_HOST").value, "10.0.0.5");
    assert.equal(row(rows, "CACHE_URL").value, "redis://cache.local:6379");
  });

  it("service variable prefix: non [0-9A-Z_] characters become _", () => {
    assert.equal(serviceVariablePrefix("my-database.v2"), "MY_DATABASE_V2");
  });

  it("PLATFORM_VARIABLES: variables.<prefix>.<name> other than env, keyed <prefix>:<name>", () => {
    assert.deepEqual(
      decode(variablesValue({ env: { A: "1" }, php: { memory_limit: "256M", "opcache.x": 1 } })),
      { "php:memory_limit": "256M", "php:opcache.x": 1 },
    );
  });

  it("PLATFORM_ROUTES and PLATFORM_DOCUMENT_ROOT (relative to the app dir)", () => {
    const rows = upsunEnvironment({
      appName: "app",
      config: { web: { locations: { "/": { root: "public/" } } } },
      routes: {
        "https://www.example.com/": { primary: true, id: "main" },
        "https://example.com/": { type: "redirect", to: "https://www.example.com/" },
      },
    });
    assert.deepEqual(decode(row(rows, "PLATFORM_ROUTES").value), {
      "https://www.example.com/": {
        primary: true,
        id: "main",
        type: "upstream",
        upstream: "app",
        original_url: "https://www.example.com/",
        attributes: {},
        restrict_robots: true,
      },
      "https://example.com/": {
        primary: false,
        id: null,
        type: "redirect",
        to: "https://www.example.com/",
        original_url: "https://example.com/",
        attributes: {},
        restrict_robots: true,
      },
    });
    assert.equal(row(rows, "PLATFORM_DOCUMENT_ROOT").value, "public");
  });
});

describe("components: UpsunApp args → provided variables", () => {
  it("a declared password makes the relationship variables secret; the rest are runtime or both", () => {
    const m = upsunModel<string>("shop", {
      relationships: {
        database: { host: "127.0.0.1", port: 5432, scheme: "pgsql", password: "s3cret" },
      },
      platform: { branch: "prod", projectEntropy: "e".repeat(56) },
    });
    const byName = Object.fromEntries(m.variables.map((v) => [v.name, v]));
    // Every variable has its own key (the app spec refuses a key defined twice).
    assert.equal(new Set(m.variables.map((v) => v.key)).size, m.variables.length);
    assert.equal(byName.DATABASE_HOST.key, "relationships.database.host");
    assert.equal(byName.PLATFORM_RELATIONSHIPS.secret, true);
    assert.equal(byName.PLATFORM_RELATIONSHIPS.visibility, "runtime");
    assert.equal(byName.PLATFORM_BRANCH.value, "prod");
    assert.equal(byName.PLATFORM_BRANCH.key, "platform.branch");
    assert.deepEqual(
      [byName.PLATFORM_PROJECT_ENTROPY.secret, byName.PLATFORM_PROJECT_ENTROPY.visibility],
      [true, "both"],
    );
    const rel = decode(byName.PLATFORM_RELATIONSHIPS.value) as Record<
      string,
      { password: string }[]
    >;
    assert.equal(rel.database[0].password, "s3cret");
  });

  it("a user variable named PLATFORM_BRANCH is refused, naming the key", () => {
    assert.throws(
      () => upsunModel("shop", { variables: { PLATFORM_BRANCH: "x" } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          "variables.env.PLATFORM_BRANCH: PLATFORM_BRANCH is provided by the platform (Upsun does not let you set it); use the platform, routes or relationships args",
    );
  });

  it("a user variable named like a service variable replaces the generated one", () => {
    const m = upsunModel<string>("shop", {
      variables: { DATABASE_URL: "mine" },
      relationships: { database: { host: "h", port: 1 } },
    });
    assert.deepEqual(
      m.variables.filter((v) => v.name === "DATABASE_URL").map((v) => [v.value, v.key]),
      [["mine", "variables.env.DATABASE_URL"]],
    );
  });
});
