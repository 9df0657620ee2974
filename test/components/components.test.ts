import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  artifactDir,
  deploy,
  Deployment,
  promiseOf,
  recorded,
  rerun,
  setupMocks,
  tempTree,
  unwrapSecret,
} from "./harness";
import type {
  Application as ApplicationT,
  CleverCloudApp as CleverT,
  UpsunApp as UpsunT,
  UpsunAppArgs,
  CleverCloudAppArgs,
  HostArgs,
} from "../../components";
import { HOST_LIBRARY } from "../../render/library";

let mod: typeof import("../../components");
const SECRET = "s3cr3t-Value-42";

const upsunBase = (src: string, extra: Partial<UpsunAppArgs> = {}): UpsunAppArgs => ({
  source: src,
  artifactDir,
  hooks: {
    build: "npm run build\n",
    deploy: "node migrate.js\n",
    postDeploy: "curl -s localhost/warm\n",
  },
  variables: { NODE_ENV: "production" },
  runtimeVariables: { FEATURE: "on" },
  port: 8080,
  ...extra,
});

describe("components (Pulumi mocks)", function () {
  this.timeout(60000);
  before(async () => {
    await setupMocks();
    mod = await import("../../components");
  });

  describe("UpsunApp on the local machine (default target)", () => {
    let src: string;
    let first: Deployment<UpsunT>;
    before(async () => {
      src = tempTree({
        "index.js": "require('http').createServer().listen(process.env.PORT)\n",
        "migrate.js": "\n",
      });
      first = await deploy(() => new mod.UpsunApp("app", upsunBase(src)));
    });

    it("creates exactly one local command per step, named ${name}-${host}-${step}", () => {
      assert.deepEqual(first.names, [
        "app-local-library",
        "app-local-upload",
        "app-local-build",
        "app-local-hook-build",
        "app-local-hook-deploy",
        "app-local-activate",
        "app-local-outcome",
        "app-local-hook-postDeploy",
      ]);
      for (const r of first.resources.values()) {
        assert.equal(r.type, "command:local:Command", r.name);
      }
    });

    it("keeps a stat cache of the source tree next to the artifacts (cheap re-fingerprinting)", () => {
      const caches = fs.readdirSync(artifactDir).filter((f) => f.startsWith("stat-cache-"));
      assert.ok(caches.length >= 1, fs.readdirSync(artifactDir).join(", "));
    });

    it("parents every child to the component", async () => {
      const comp = recorded.find((r) => !r.custom);
      assert.equal(comp?.type, "deployhooks:index:UpsunApp");
      // Child URNs are `…::deployhooks:index:UpsunApp$command:local:Command::<name>`.
      const res = new (await import("@pulumi/command")).local.Command(
        "probe",
        { create: "true" },
        { parent: first.component },
      );
      assert.match(
        await promiseOf(res.urn),
        /deployhooks:index:UpsunApp\$command:local:Command::probe$/,
      );
    });

    it("uses a no-op update, no environment, no previous output in env", () => {
      for (const r of first.resources.values()) {
        assert.equal(r.inputs.update, "true", r.name);
        assert.equal(r.inputs.environment, undefined, r.name);
        assert.equal(r.inputs.addPreviousOutputInEnv, false, r.name);
      }
    });

    it("gives each step readable per-class triggers, published in the steps output", async () => {
      const fp = await promiseOf(first.component.fingerprints);
      assert.match(fp.code, /^sha256:[0-9a-f]{64}$/);
      const hook = first.resources.get("app-local-hook-postDeploy")!.inputs.triggers as string[];
      // One entry per top-level path / configuration key, grouped by class in the normative order.
      const classes = (ts: string[]) => [...new Set(ts.map((t) => t.split(/[:=]/)[0]))];
      assert.deepEqual(classes(hook), ["code", "build", "runtime", "redeploy", "script", "host"]);
      const names = hook.map((t) => t.slice(0, t.indexOf("=")));
      for (const name of [
        "code:index.js",
        "code:migrate.js",
        "build:variables.env.NODE_ENV",
        "runtime:runtimeVariables.FEATURE",
        "runtime:hooks.post_deploy",
      ]) {
        assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
      }
      assert.ok(
        hook.every((t) => /^(script|host|redeploy)=|^[a-z]+:[^=]+=[0-9a-f]{16}$/.test(t)),
        hook.join("\n"),
      );
      assert.ok(hook.includes("host=local"));
      assert.deepEqual(classes(first.resources.get("app-local-hook-build")!.inputs.triggers), [
        "code",
        "build",
        "script",
        "host",
      ]);
      // The `steps` output carries exactly each resource's triggers.
      for (const [n, r] of first.resources) assert.deepEqual(r.inputs.triggers, first.steps[n], n);
      assert.match(await promiseOf(first.component.releaseId), /^[0-9a-f]{16}$/);
    });

    const cases: [string, () => Promise<Deployment<UpsunT>>, string[]][] = [
      ["nothing", () => deploy(() => new mod.UpsunApp("app", upsunBase(src))), []],
      [
        "build variable",
        () =>
          deploy(
            () => new mod.UpsunApp("app", upsunBase(src, { variables: { NODE_ENV: "staging" } })),
          ),
        [
          "app-local-activate",
          "app-local-build",
          "app-local-hook-build",
          "app-local-hook-deploy",
          "app-local-hook-postDeploy",
          "app-local-outcome",
          "app-local-upload",
        ],
      ],
      [
        "runtime variable",
        () =>
          deploy(
            () => new mod.UpsunApp("app", upsunBase(src, { runtimeVariables: { FEATURE: "off" } })),
          ),
        ["app-local-activate", "app-local-hook-postDeploy", "app-local-outcome"],
      ],
      [
        "restart command (a runtime setting)",
        () =>
          deploy(
            () =>
              new mod.UpsunApp("app", upsunBase(src, { restartCommand: "systemctl restart app" })),
          ),
        ["app-local-activate", "app-local-hook-postDeploy", "app-local-outcome"],
      ],
      [
        "postDeploy script",
        () =>
          deploy(
            () =>
              new mod.UpsunApp(
                "app",
                upsunBase(src, {
                  hooks: {
                    build: "npm run build\n",
                    deploy: "node migrate.js\n",
                    postDeploy: "echo other\n",
                  },
                }),
              ),
          ),
        ["app-local-activate", "app-local-hook-postDeploy", "app-local-outcome"],
      ],
      [
        "build hook script",
        () =>
          deploy(
            () =>
              new mod.UpsunApp(
                "app",
                upsunBase(src, {
                  hooks: {
                    build: "npm ci\n",
                    deploy: "node migrate.js\n",
                    postDeploy: "curl -s localhost/warm\n",
                  },
                }),
              ),
          ),
        [
          "app-local-activate",
          "app-local-build",
          "app-local-hook-build",
          "app-local-hook-deploy",
          "app-local-hook-postDeploy",
          "app-local-outcome",
          "app-local-upload",
        ],
      ],
      [
        "redeploy token",
        () => deploy(() => new mod.UpsunApp("app", upsunBase(src, { redeployToken: "2" }))),
        ["app-local-activate", "app-local-hook-postDeploy", "app-local-outcome"],
      ],
    ];
    for (const [what, make, expected] of cases) {
      it(`reruns exactly the steps the engine says after a change of: ${what}`, async () => {
        const next = await make();
        assert.deepEqual(rerun(first, next), expected);
        for (const n of Object.keys(next.steps)) {
          assert.deepEqual(next.resources.get(n)!.inputs.triggers, next.steps[n]);
        }
      });
    }

    it("reruns everything on a code change (new file content in the source tree)", async () => {
      const src2 = tempTree({ "index.js": "// v2\n", "migrate.js": "\n" });
      const next = await deploy(() => new mod.UpsunApp("app", upsunBase(src2)));
      // Everything but the host library, which only a new library version or host reinstalls.
      assert.deepEqual(
        rerun(first, next),
        first.names.filter((n) => n !== "app-local-library").sort(),
      );
      assert.notEqual(
        await promiseOf(next.component.releaseId),
        await promiseOf(first.component.releaseId),
      );
    });
  });

  describe("UpsunApp over SSH (web leader, web, worker)", () => {
    let d: Deployment<UpsunT>;
    const hosts: HostArgs[] = [
      {
        name: "web1",
        connection: {
          host: "10.0.0.1",
          user: "deploy",
          privateKey: pulumi.secret("KEY-MATERIAL"),
          hostKey: "ssh-ed25519 AAAA",
          perDialTimeout: 5,
          dialErrorLimit: 2,
        },
      },
      { name: "web2", connection: { host: "10.0.0.2", proxy: { host: "bastion.example" } } },
      { name: "w1", roles: ["worker"], connection: { host: "10.0.0.3" } },
    ];
    before(async () => {
      const src = tempTree({ "a.txt": "a\n" });
      d = await deploy(
        () =>
          new mod.UpsunApp(
            "shop",
            upsunBase(src, { hosts, secrets: { DB_PASSWORD: pulumi.secret(SECRET) } }),
          ),
      );
    });

    it("types and names: a CopyToRemote transfer per host, remote commands otherwise", () => {
      for (const h of ["web1", "web2", "w1"]) {
        assert.equal(d.resources.get(`shop-${h}-transfer`)?.type, "command:remote:CopyToRemote");
      }
      for (const r of d.resources.values()) {
        if (!r.name.endsWith("-transfer")) assert.equal(r.type, "command:remote:Command", r.name);
      }
    });

    it("runs leader-only hooks once, on the leader; workers get the build hook only", () => {
      assert.deepEqual(
        d.names.filter((n) => n.endsWith("hook-deploy")),
        ["shop-web1-hook-deploy"],
      );
      assert.deepEqual(
        d.names.filter((n) => n.endsWith("hook-postDeploy")),
        ["shop-web1-hook-postDeploy"],
      );
      assert.deepEqual(
        d.names.filter((n) => n.startsWith("shop-w1-")),
        [
          "shop-w1-library",
          "shop-w1-probe",
          "shop-w1-transfer",
          "shop-w1-upload",
          "shop-w1-build",
          "shop-w1-hook-build",
          "shop-w1-activate",
        ],
      );
    });

    it("puts the host identity into every trigger, including the CopyToRemote's", async () => {
      assert.deepEqual(
        d.resources.get("shop-web1-transfer")!.inputs.triggers.at(-1),
        "host=deploy@10.0.0.1:22",
      );
      assert.deepEqual(
        d.resources.get("shop-web2-build")!.inputs.triggers.at(-1),
        "host=root@10.0.0.2:22",
      );
      const remotePath = d.resources.get("shop-web1-transfer")!.inputs.remotePath as string;
      // The tarball keeps its local name, one per code fingerprint.
      const code = (await promiseOf(d.component.fingerprints)).code.slice("sha256:".length);
      assert.equal(remotePath, `/srv/deployhooks/shop/.deployhooks/uploads/code-${code}.tar`);
    });

    it("passes the connection (secret, with proxy and host key) and never `environment`", () => {
      const c = unwrapSecret(d.resources.get("shop-web1-build")!.inputs.connection);
      assert.equal(c.secret, true);
      assert.equal(c.value.hostKey, "ssh-ed25519 AAAA");
      // Bounded dialing: an unreachable host fails in seconds, not minutes.
      assert.equal(c.value.perDialTimeout, 5);
      assert.equal(c.value.dialErrorLimit, 2);
      assert.equal(
        unwrapSecret(d.resources.get("shop-web2-build")!.inputs.connection).value.proxy.host,
        "bastion.example",
      );
      for (const r of d.resources.values()) assert.equal(r.inputs.environment, undefined);
    });

    it("keeps secrets out of command text, triggers and plain inputs; they travel on secret stdin", () => {
      const withStdin: string[] = [];
      for (const r of d.resources.values()) {
        const { connection, stdin, ...plain } = r.inputs;
        void connection;
        const text = JSON.stringify(plain);
        assert.ok(!text.includes(SECRET), `${r.name} leaks the secret`);
        assert.ok(!text.includes("KEY-MATERIAL"), `${r.name} leaks the key`);
        assert.ok(!text.includes(Buffer.from(SECRET).toString("base64")), r.name);
        if (r.name.endsWith("-library")) {
          // The host library: public text on a plain stdin.
          assert.equal(stdin, HOST_LIBRARY.text);
        } else if (stdin !== undefined) {
          const s = unwrapSecret(stdin);
          assert.equal(s.secret, true, `${r.name} stdin must be secret`);
          assert.ok(String(s.value).includes(Buffer.from(SECRET).toString("base64")));
          assert.equal(r.inputs.logging, undefined);
          withStdin.push(r.name);
        }
      }
      // Runtime-visible secret: the deploy-phase hooks, the restart and the outcome step.
      assert.deepEqual(
        withStdin.sort(),
        [
          "shop-web1-activate",
          "shop-web1-hook-deploy",
          "shop-web1-hook-postDeploy",
          "shop-web1-outcome",
          "shop-web2-activate",
          "shop-web2-outcome",
          "shop-w1-activate",
        ].sort(),
      );
    });

    it("marks stdout/stderr secret for steps that receive secrets (resource options)", async () => {
      const { stepResourceOptions } = await import("../../components/deployment");
      const { planDeployment } = await import("../../components/stepPlan");
      const { upsunModel } = await import("../../components/deploymentModel");
      const { structureInputs } = await import("../../components/deployment");
      const plan = planDeployment(
        structureInputs(
          upsunModel("shop", upsunBase("/tmp", { hosts, secrets: { DB_PASSWORD: "x" } })),
        ),
      );
      const parent = d.component;
      for (const s of plan.steps) {
        const o = stepResourceOptions(s, parent, []);
        assert.equal(o.parent, parent);
        assert.deepEqual(
          o.additionalSecretOutputs,
          s.secretNames.length > 0 ? ["stdout", "stderr"] : undefined,
          s.name,
        );
      }
      const deploy1 = plan.steps.find((s) => s.name === "shop-web1-hook-deploy")!;
      assert.deepEqual(deploy1.dependsOn.sort(), [
        "shop-w1-hook-build",
        "shop-web1-hook-build",
        "shop-web1-library",
        "shop-web2-hook-build",
      ]);
    });

    it("a new host only adds steps: the existing hosts' triggers do not change", async () => {
      const src = tempTree({ "a.txt": "a\n" });
      const a = await deploy(() => new mod.UpsunApp("shop", upsunBase(src, { hosts })));
      const b = await deploy(
        () =>
          new mod.UpsunApp(
            "shop",
            upsunBase(src, {
              hosts: [...hosts, { name: "web3", connection: { host: "10.0.0.4" } }],
            }),
          ),
      );
      assert.deepEqual(rerun(a, b), []);
      assert.deepEqual(
        b.names.filter((n) => !a.resources.has(n)),
        [
          "shop-web3-library",
          "shop-web3-probe",
          "shop-web3-transfer",
          "shop-web3-upload",
          "shop-web3-build",
          "shop-web3-hook-build",
          "shop-web3-activate",
          "shop-web3-outcome",
        ],
      );
    });
  });

  describe("CleverCloudApp", () => {
    const cc = (src: string, extra: Partial<CleverCloudAppArgs> = {}): CleverCloudAppArgs => ({
      source: src,
      artifactDir,
      CC_PRE_BUILD_HOOK: "echo pre",
      CC_POST_BUILD_HOOK: "echo post",
      environment: {
        CC_PRE_RUN_HOOK: "echo prerun",
        CC_RUN_SUCCEEDED_HOOK: "echo ok",
        CC_RUN_FAILED_HOOK: "echo ko",
        CC_RUN_COMMAND: "node index.js",
        CC_NODE_VERSION: "20",
        API_URL: "https://x",
      },
      ...extra,
    });
    let src: string;
    let first: Deployment<CleverT>;
    before(async () => {
      src = tempTree({ "index.js": "1\n" });
      first = await deploy(() => new mod.CleverCloudApp("cc", cc(src)));
    });

    it("creates the Clever Cloud lifecycle on every host, outcome hooks inside the outcome step", () => {
      assert.deepEqual(first.names, [
        "cc-local-library",
        "cc-local-app",
        "cc-local-upload",
        "cc-local-hook-preBuild",
        "cc-local-build",
        "cc-local-hook-postBuild",
        "cc-local-hook-preRun",
        "cc-local-activate",
        "cc-local-outcome",
      ]);
      const outcome = first.resources.get("cc-local-outcome")!;
      assert.ok(outcome.inputs.triggers.some((t: string) => t.startsWith("runSucceeded.script=")));
      assert.match(outcome.inputs.create, /8080/);
      // The app process: nothing to create, triggered by the host only, its delete stops the app.
      const appRes = first.resources.get("cc-local-app")!;
      assert.equal(appRes.inputs.create, undefined);
      assert.deepEqual(appRes.inputs.triggers, ["host=local"]);
      assert.match(appRes.inputs.delete, /dh_stop_app/);
    });

    it("a runtime variable reruns preRun, activate and outcome; a build variable (CC_NODE_VERSION) also the build", async () => {
      const rt = await deploy(
        () =>
          new mod.CleverCloudApp(
            "cc",
            cc(src, { environment: { ...cc(src).environment, API_URL: "https://y" } }),
          ),
      );
      assert.deepEqual(rerun(first, rt), [
        "cc-local-activate",
        "cc-local-hook-preBuild",
        "cc-local-hook-preRun",
        "cc-local-outcome",
      ]);
      const bd = await deploy(
        () =>
          new mod.CleverCloudApp(
            "cc",
            cc(src, { environment: { ...cc(src).environment, CC_NODE_VERSION: "22" } }),
          ),
      );
      // Everything reruns but the app process resource, which only a new host replaces.
      assert.deepEqual(
        rerun(first, bd),
        first.names.filter((n) => n !== "cc-local-app" && n !== "cc-local-library").sort(),
      );
    });

    it("rejects hooks other than CC_RUN_SUCCEEDED_HOOK on a Docker app, naming the hook", () => {
      assert.throws(
        () => new mod.CleverCloudApp("cc", { ...cc(src), docker: true }),
        /CC_PRE_RUN_HOOK \(preRun\) is not allowed/,
      );
    });
  });

  describe("Application (custom lifecycle)", () => {
    it("deploys a user-defined lifecycle", async () => {
      const src = tempTree({ x: "1\n" });
      const d = await deploy(
        (): ApplicationT =>
          new mod.Application("gen", {
            profile: "custom",
            source: src,
            artifactDir,
            lifecycle: [
              {
                name: "migrate",
                rerunOn: ["code"],
                stage: "beforeActivate",
                scope: "once",
                roles: ["web"],
              },
              {
                name: "notify",
                rerunOn: ["code", "build", "runtime", "redeploy"],
                stage: "afterActivate",
                failure: "warn",
              },
            ],
            hooks: [
              { name: "migrate", script: "echo m", watch: ["migrations/**"] },
              { name: "notify", script: "echo n" },
            ],
          }),
      );
      assert.deepEqual(d.names, [
        "gen-local-library",
        "gen-local-upload",
        "gen-local-build",
        "gen-local-hook-migrate",
        "gen-local-activate",
        "gen-local-hook-notify",
      ]);
    });
  });

  describe("bad args throw at construction, naming the field", () => {
    const table: [string, () => unknown, RegExp][] = [
      [
        "missing host",
        () =>
          new mod.UpsunApp("a", {
            hosts: [
              { name: "h0", connection: { host: "x" } },
              { name: "h1", connection: { host: "" } },
            ],
          }),
        /hosts\[1\]\.connection\.host/,
      ],
      [
        "bad role",
        // A role outside the enum, as another Pulumi language could send it.
        () => new mod.UpsunApp("a", { hosts: [{ name: "h0", roles: ["db" as never] }] }),
        /hosts\[0\]\.roles\[0\]/,
      ],
      [
        "two leaders",
        () =>
          new mod.UpsunApp("a", {
            hosts: [
              { name: "a", leader: true },
              { name: "b", leader: true },
            ],
          }),
        /hosts\[1\]\.leader/,
      ],
      [
        "duplicate host",
        () => new mod.UpsunApp("a", { hosts: [{ name: "a" }, { name: "a" }] }),
        /hosts\[1\]\.name/,
      ],
      [
        "bad host name",
        () => new mod.UpsunApp("a", { hosts: [{ name: "a b" }] }),
        /hosts\[0\]\.name/,
      ],
      [
        "unknown hook",
        () =>
          new mod.Application("a", {
            profile: "upsun",
            hooks: [{ name: "postdeploy", script: "x" }],
          }),
        /did you mean postDeploy/,
      ],
      ["bad profile", () => new mod.Application("a", { profile: "heroku" as never }), /profile/],
      ["bad variable name", () => new mod.UpsunApp("a", { variables: { "1X": "v" } }), /variables/],
      ["unknown field", () => new mod.UpsunApp("a", { hoks: {} } as never), /hoks/],
    ];
    for (const [what, f, re] of table) it(what, () => assert.throws(f, re));
  });

  describe("migration helpers", () => {
    it("upsunAppArgsFromConfig loads a .upsun/config.yaml", () => {
      const root = tempTree({
        ".upsun/config.yaml":
          "applications:\n  api:\n    type: nodejs:20\n    source:\n      root: api\n    hooks:\n      build: |\n        npm ci\n      post_deploy: echo hi\n    variables:\n      env:\n        A: 1\n    web:\n      commands:\n        start: node server.js\n    mounts:\n      uploads:\n        source: storage\n        source_path: up\n",
        "api/server.js": "1\n",
      });
      const args = mod.upsunAppArgsFromConfig(path.join(root, ".upsun/config.yaml"), {
        port: 3000,
      });
      assert.equal(args.appName, "api");
      assert.equal(args.source, path.join(root, "api"));
      assert.deepEqual(args.hooks, { build: "npm ci\n", postDeploy: "echo hi" });
      assert.deepEqual(args.variables, { A: "1" });
      assert.equal(args.web?.commands?.start, "node server.js");
      assert.deepEqual(args.mounts, { uploads: { source: "storage", sourcePath: "up" } });
      assert.equal(args.type, "nodejs:20");
      assert.equal(args.port, 3000);
    });

    it("cleverCloudAppArgsFromEnvFile loads an env file, secrets by name", async () => {
      const root = tempTree({
        "clever.env":
          'CC_PRE_RUN_HOOK="echo pre"\nCC_RUN_COMMAND=node index.js\nDB_PASSWORD=pw-secret\nA=1\nAPP_FOLDER=app\n',
        "app/index.js": "\n",
      });
      const args = mod.cleverCloudAppArgsFromEnvFile(path.join(root, "clever.env"), {
        secretNames: ["DB_PASSWORD"],
      });
      assert.equal(args.source, path.join(root, "app"));
      assert.deepEqual(args.environment, {
        CC_PRE_RUN_HOOK: "echo pre",
        CC_RUN_COMMAND: "node index.js",
        A: "1",
        APP_FOLDER: "app",
      });
      assert.equal(await pulumi.isSecret(args.secrets!.DB_PASSWORD as pulumi.Output<string>), true);
      assert.throws(
        () =>
          mod.cleverCloudAppArgsFromEnvFile(path.join(root, "clever.env"), {
            secretNames: ["NOPE"],
          }),
        /secretNames/,
      );
      fs.rmSync(root, { recursive: true });
    });
  });
});

describe("components: restartCommand replaces the built-in supervisor", function () {
  this.timeout(60000);
  before(async () => {
    await setupMocks();
    mod = await import("../../components");
  });
  it("the activate step runs the user's restart command, not the supervisor", async () => {
    const src = tempTree({ "server.js": "\n" });
    const d = await deploy(
      () =>
        new mod.UpsunApp("svc", upsunBase(src, { restartCommand: "sudo systemctl restart svc" })),
    );
    const create = d.resources.get("svc-local-activate")!.inputs.create as string;
    assert.match(create, /\nsudo systemctl restart svc\n/);
    assert.match(create, /dh_run '\\''step:restart'\\''/);
  });
});
