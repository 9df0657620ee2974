/**
 * Real public template apps deployed with their own files unchanged (test/fixtures/apps, see each
 * SOURCE.md): the Upsun Koa template (`.platform.app.yaml` read by upsunAppArgsFromConfig; default
 * nodejs build flavor; the app connects to a real MariaDB through PLATFORM_RELATIONSHIPS, password
 * secret) with a cron on schedule and a deploy hook decoding $PLATFORM_RELATIONSHIPS; and a Clever
 * Cloud Node.js example built with CC_NODE_BUILD_TOOL=npm-ci and started with its `npm start`; and the
 * Upsun PHP template (composer flavor from its lock file, served from `web.locations` by PHP's
 * built-in server, a worker, a cron, its own config-reader reading PLATFORM_RELATIONSHIPS).
 * Needs npm's registry (npm ci), for the Koa app MariaDB (`mariadbd`), for the PHP app `php`,
 * `composer`, `zip` and `unzip`; a test skips with the reason when one is missing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CleverCloudApp, UpsunApp } from "../../components";
import { upsunAppArgsFromConfig } from "../../components/fromConfig";
import type { SshdHandle } from "../../testing";
import { runProgram } from "../../testing";
import {
  alive,
  executed,
  freePort,
  hooksOf,
  processesUnder,
  Scenario,
  sleep,
  sshdOrSkip,
  summary,
} from "./harness";

const FIXTURES = path.resolve(__dirname, "..", "fixtures", "apps");

/** A private MariaDB on a free loopback port, with database `main` and user `app`. */
interface Db {
  port: number;
  proc: ChildProcess;
  dir: string;
}

async function startMariaDb(password: string): Promise<Db> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-mariadb-"));
  const port = await freePort();
  execFileSync(
    "mariadb-install-db",
    [
      "--no-defaults",
      `--datadir=${dir}/data`,
      "--user=root",
      "--skip-test-db",
      "--auth-root-authentication-method=normal",
    ],
    { stdio: "ignore" },
  );
  const proc = spawn(
    "mariadbd",
    [
      "--no-defaults",
      `--datadir=${dir}/data`,
      `--socket=${dir}/sock`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      "--user=root",
      `--pid-file=${dir}/pid`,
      "--skip-log-bin",
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100 && !fs.existsSync(`${dir}/sock`); i++) await sleep(100);
  execFileSync("mariadb", [
    "--no-defaults",
    `--socket=${dir}/sock`,
    "-uroot",
    "-e",
    `CREATE DATABASE main; CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL ON main.* TO 'app'@'127.0.0.1';`,
  ]);
  return { port, proc, dir };
}

function has(cmd: string): boolean {
  return spawnSync("bash", ["-c", `command -v ${cmd}`]).status === 0;
}

/** Waits until `f()` is true or `ms` elapsed. */
async function until(f: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return true;
    await sleep(500);
  }
  return f();
}

describe("e2e fidelity: real template apps, configuration unchanged", function () {
  this.timeout(300_000);
  let sshd: SshdHandle | undefined;
  const scenarios: Scenario[] = [];
  before(async function () {
    sshd = await sshdOrSkip(this);
  });
  after(async () => {
    for (const s of scenarios) s.cleanup();
    await sshd?.stop();
  });

  /** A scenario whose source tree is a copy of a fixture app. */
  async function appScenario(profile: "upsun" | "cleverCloud", fixture: string): Promise<Scenario> {
    const s = new Scenario(profile, fixture.replace(/[^a-z0-9]/g, ""));
    scenarios.push(s);
    fs.rmSync(s.src, { recursive: true, force: true });
    fs.cpSync(path.join(FIXTURES, fixture), s.src, { recursive: true });
    fs.rmSync(path.join(s.src, "SOURCE.md"));
    await s.addHost("h1", sshd);
    return s;
  }

  const hostsOf = (s: Scenario) =>
    s.hosts.map((h) => ({
      name: h.name,
      root: h.root,
      url: `http://127.0.0.1:${h.httpPort}`,
      connection: {
        host: "127.0.0.1",
        port: h.sshd!.port,
        user: h.sshd!.user,
        privateKey: h.sshd!.privateKey,
        hostKey: h.sshd!.hostKey,
      },
    }));
  const run = (s: Scenario, program: () => Record<string, unknown>) =>
    runProgram(program, { stateFile: s.stateFile, project: "fidelity", stack: s.config.name });

  it("Upsun Koa template: default nodejs flavor, PLATFORM_RELATIONSHIPS to a real MariaDB, a cron on schedule, removed on destroy", async function () {
    if (!has("mariadbd") || !has("mariadb-install-db")) {
      console.log(
        "    skipped: MariaDB (mariadbd) is not installed; .ci/run installs mariadb-server",
      );
      this.skip();
    }
    const password = "s3cret-Pw-42";
    const db = await startMariaDb(password);
    try {
      const s = await appScenario("upsun", "upsun-koa");
      // A .environment next to the template's own files: Upsun sources it for the app's processes.
      fs.writeFileSync(
        path.join(s.src, ".environment"),
        'export FROM_DOT_ENVIRONMENT="db=$DATABASE_HOST"\n',
      );
      const h = s.host();
      const config = upsunAppArgsFromConfig(path.join(s.src, ".platform.app.yaml"), {
        hosts: hostsOf(s),
        port: h.httpPort,
        artifactDir: s.artifactDir,
      });
      s.config.name = config.appName as string; // `name: app` of the template
      const program = (withCron: boolean) => () => {
        const app = new UpsunApp("koa", {
          ...config,
          relationships: {
            database: {
              host: "127.0.0.1",
              port: db.port,
              scheme: "mysql",
              username: "app",
              password: pulumi.secret(password),
              path: "main",
            },
          },
          platform: { environmentType: "staging" },
          hooks: {
            ...config.hooks,
            deploy:
              'echo "$PLATFORM_RELATIONSHIPS" | base64 -d | node -e \'const d = JSON.parse(require("fs").readFileSync(0, "utf8")).database[0]; console.log(`db ${d.scheme}://${d.host}:${d.port}/${d.path} rel=${d.rel} service=${d.service}`)\' > "$APP_CACHE_DIR/relationship.txt"\n',
          },
          config: {
            ...config.config,
            ...(withCron
              ? {
                  crons: {
                    tick: {
                      spec: "* * * * *",
                      commands: {
                        start:
                          'echo "tick $PLATFORM_ENVIRONMENT_TYPE $DATABASE_HOST" >> "$APP_CACHE_DIR/ticks"',
                      },
                    },
                  },
                }
              : {}),
          },
        });
        return { health: app.health };
      };
      const r = await run(s, program(true));
      assert.equal(r.failed, false, summary(r));
      // The steps of this area, in order (the traffic and release steps around them are theirs).
      const mine = (steps: string[]) =>
        steps.filter((x) =>
          ["upload", "build", "hook-deploy", "activate", "outcome", "cron"].includes(x),
        );
      assert.deepEqual(mine(executed(r, "koa", "h1")), [
        "upload",
        "build",
        "hook-deploy",
        "activate",
        "outcome",
        "cron",
      ]);
      const app = s.appDir(h);
      // The default flavor installed the template's dependencies.
      const buildLog = fs.readFileSync(
        path.join(app, `logs/${s.current(h)}-step:build.log`),
        "utf8",
      );
      assert.equal(
        fs.existsSync(path.join(app, "current/node_modules/koa/package.json")),
        true,
        buildLog,
      );
      // npm prune (which installs from the lock file), then npm install (nothing left to do).
      assert.match(buildLog, /added \d+ packages[\s\S]*up to date/);
      // The deploy hook decoded the declared endpoint; the secret never reached the command text or state.
      assert.equal(
        fs.readFileSync(path.join(app, "cache/relationship.txt"), "utf8"),
        `db mysql://127.0.0.1:${db.port}/main rel=mysql service=db\n`,
      );
      assert.equal(fs.readFileSync(s.stateFile, "utf8").includes(password), false);
      // The template itself connects through platformsh-config and answers.
      const body = await s.http(h);
      assert.match(body, /^Hello, World! - A simple Koa web framework template for Platform.sh/);
      assert.match(body, /Username \(platform\): platform/);
      // The app's process saw .environment (sourced after the platform variables).
      const envs = processesUnder(s.appDir(h)).map((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        } catch {
          return [];
        }
      });
      assert.equal(
        envs.some((e) => e.includes("FROM_DOT_ENVIRONMENT=db=127.0.0.1")),
        true,
        "an app process has FROM_DOT_ENVIRONMENT",
      );
      // The cron fires at the next minute boundary, with the runtime environment, logged like a hook.
      const fired = await until(() => hooksOf(s.history(h)).includes("cron:tick"), 75_000);
      assert.equal(fired, true, "cron:tick ran within 75 s");
      assert.equal(
        fs.readFileSync(path.join(app, "cache/ticks"), "utf8").split("\n")[0],
        "tick staging 127.0.0.1",
      );
      const pid = Number(
        fs.readFileSync(path.join(app, ".deployhooks/cron/scheduler.pid"), "utf8"),
      );
      assert.equal(alive(pid), true);
      // The cron removed from the configuration: its resource's delete removes the jobs.
      const noCron = await run(s, program(false));
      assert.equal(noCron.failed, false, summary(noCron));
      assert.equal(await until(() => !alive(pid), 5000), true, "scheduler stopped");
      assert.equal(fs.existsSync(path.join(app, ".deployhooks/cron")), false);
      // Back again, then destroy (an empty program): the cron jobs and the scheduler are gone.
      const again = await run(s, program(true));
      assert.equal(again.failed, false, summary(again));
      const pid2 = Number(
        fs.readFileSync(path.join(app, ".deployhooks/cron/scheduler.pid"), "utf8"),
      );
      assert.equal(alive(pid2), true);
      const d = await run(s, () => ({}));
      assert.equal(d.failed, false, summary(d));
      assert.equal(await until(() => !alive(pid2), 5000), true, "scheduler stopped");
      assert.equal(fs.existsSync(path.join(app, ".deployhooks/cron")), false);
    } finally {
      db.proc.kill("SIGKILL");
      fs.rmSync(db.dir, { recursive: true, force: true });
    }
  });

  it("Upsun PHP template: composer flavor from the lock file (Composer's cache, no network), composer/composer '^2' met by the host's Composer, web.locations served with passthru, a worker, a cron, PLATFORM_RELATIONSHIPS read by the template's own config-reader", async function () {
    for (const tool of ["php", "composer", "zip", "unzip"]) {
      if (!has(tool)) {
        console.log(
          `    skipped: ${tool} is not installed; .ci/run installs php-cli, composer, zip and unzip`,
        );
        this.skip();
      }
    }
    const s = await appScenario("upsun", "upsun-php");
    const h = s.host();
    // Composer's cache holds the locked package's dist (its GitHub zipball, built from the committed
    // copy in test/fixtures/composer): `composer install` reads the lock file and installs from the
    // cache with the network disabled. Nothing of the template's own files changes.
    const cache = path.join(s.dir, "composer-cache");
    const lock = JSON.parse(fs.readFileSync(path.join(s.src, "composer.lock"), "utf8"));
    const pkg = lock.packages[0] as { name: string; dist: { url: string; reference: string } };
    const zipDir = path.join(
      s.dir,
      "zip",
      `platformsh-config-reader-php-${pkg.dist.reference.slice(0, 7)}`,
    );
    fs.mkdirSync(zipDir, { recursive: true });
    fs.cpSync(path.join(FIXTURES, "..", "composer", "platformsh-config-reader-2.4.0"), zipDir, {
      recursive: true,
    });
    fs.rmSync(path.join(zipDir, "SOURCE.md"));
    const key = createHash("sha1").update(pkg.dist.url).digest("hex");
    fs.mkdirSync(path.join(cache, "files", pkg.name), { recursive: true });
    execFileSync(
      "zip",
      ["-qr", path.join(cache, "files", pkg.name, `${key}.zip`), path.basename(zipDir)],
      {
        cwd: path.dirname(zipDir),
      },
    );
    const config = upsunAppArgsFromConfig(path.join(s.src, ".platform.app.yaml"), {
      hosts: hostsOf(s),
      port: h.httpPort,
      artifactDir: s.artifactDir,
    });
    s.config.name = config.appName as string; // `name: app` of the template
    assert.equal(config.web, undefined, "the template has no web.commands.start");
    const password = "php-Pw-7";
    const r = await run(s, () => {
      const app = new UpsunApp("php", {
        ...config,
        variables: {
          ...config.variables,
          COMPOSER_CACHE_DIR: cache,
          COMPOSER_DISABLE_NETWORK: "1",
        },
        relationships: {
          database: {
            host: "127.0.0.1",
            port: 3306,
            scheme: "mysql",
            username: "user",
            password: pulumi.secret(password),
            path: "main",
          },
        },
        hooks: {
          ...config.hooks,
          // The template's own dependency reads the relationship, as a PHP app on the platform does.
          deploy:
            'set -e\nphp -r \'require "vendor/autoload.php"; $c = (new Platformsh\\ConfigReader\\Config())->credentials("database"); echo "db {$c["scheme"]}://{$c["host"]}:{$c["port"]}/{$c["path"]} user={$c["username"]}\\n";\' > "$PLATFORM_CACHE_DIR/relationship.txt"\n',
        },
        config: {
          ...config.config,
          workers: {
            queue: {
              commands: {
                start:
                  'echo "worker $PLATFORM_APPLICATION_NAME $(pwd -P)" > "$PLATFORM_CACHE_DIR/worker.out"; exec sleep 600',
              },
            },
          },
          crons: {
            report: {
              spec: "*/10 * * * *",
              commands: {
                start:
                  'php -r \'echo "cron ", getenv("PLATFORM_ENVIRONMENT_TYPE"), "\\n";\' > "$PLATFORM_CACHE_DIR/cron.out"',
              },
            },
          },
        },
      });
      return { health: app.health };
    });
    assert.equal(r.failed, false, summary(r));
    const app = s.appDir(h);
    const release = s.current(h);
    const buildLog = fs.readFileSync(path.join(app, `logs/${release}-step:build.log`), "utf8");
    assert.match(
      buildLog,
      /^deployhooks: dependencies\.php composer\/composer \^2: the host's Composer 2\.\d+\.\d+ satisfies it and is used$/m,
    );
    assert.match(buildLog, /Installing platformsh\/config-reader \(2\.4\.0\)/);
    assert.equal(fs.existsSync(path.join(app, "current/vendor/autoload.php")), true, buildLog);
    // web.locations["/"]: root web, passthru /index.php.
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${h.httpPort}${p}`);
      return { status: res.status, body: await res.text() };
    };
    const hello = "<h1>Hello World</h1>\n<p>With love from Platform.sh</p>\n";
    assert.deepEqual(await get("/"), { status: 200, body: hello });
    assert.deepEqual(await get("/any/route?x=1"), { status: 200, body: hello });
    // The document root is web/, not the app: src/Messages.php is not a file there (served, it
    // would run and print nothing), so the front controller answers.
    assert.deepEqual(await get("/src/Messages.php"), { status: 200, body: hello });
    // The mount web/uploads (shared/uploads) is served as files under the document root.
    const uploads = path.join(app, "current/web/uploads");
    assert.equal(fs.lstatSync(uploads).isSymbolicLink(), true);
    const shared = fs.realpathSync(uploads);
    assert.equal(shared.startsWith(fs.realpathSync(path.join(app, "shared")) + "/"), true, shared);
    fs.writeFileSync(path.join(shared, "note.txt"), "uploaded\n");
    assert.deepEqual(await get("/uploads/note.txt"), { status: 200, body: "uploaded\n" });
    // The deploy hook read PLATFORM_RELATIONSHIPS through config-reader; the password stayed secret.
    assert.equal(
      fs.readFileSync(path.join(app, "cache/relationship.txt"), "utf8"),
      "db mysql://127.0.0.1:3306/main user=user\n",
    );
    assert.equal(fs.readFileSync(s.stateFile, "utf8").includes(password), false);
    // The worker runs supervised in the release, with the platform variables.
    const workerOut = path.join(app, "cache/worker.out");
    const realRelease = fs.realpathSync(path.join(app, "current"));
    assert.equal(
      await until(
        () =>
          fs.existsSync(workerOut) &&
          fs.readFileSync(workerOut, "utf8") === `worker app ${realRelease}\n`,
        10_000,
      ),
      true,
    );
    // The cron job is installed; run it as the scheduler would.
    assert.equal(
      fs.readFileSync(path.join(app, ".deployhooks/cron/active/jobs"), "utf8").split("\t")[1],
      "*/10 * * * *",
    );
    const cron = spawnSync("bash", [
      "--norc",
      path.join(app, ".deployhooks/cron/active/runner.sh"),
      "report",
    ]);
    assert.equal(cron.status, 0, String(cron.stdout) + String(cron.stderr));
    assert.equal(fs.readFileSync(path.join(app, "cache/cron.out"), "utf8"), "cron production\n");
  });

  it("Clever Cloud Node.js example: CC_NODE_BUILD_TOOL=npm-ci, npm start by default, a CC_WORKER_COMMAND worker; a runtime change keeps the dependencies and restarts the worker", async () => {
    const s = await appScenario("cleverCloud", "clever-node-tcp-chat");
    const h = s.host();
    const tcpPort = await freePort();
    // A clevercloud/cron.json added next to the app's own files.
    fs.mkdirSync(path.join(s.src, "clevercloud"));
    fs.writeFileSync(
      path.join(s.src, "clevercloud/cron.json"),
      '["*/5 * * * * echo \\"cron $INSTANCE_TYPE $ROOT\\" > $APP_CACHE_DIR/cron.out"]\n',
    );
    // The app also listens on TCP_PORT: each deployment gives it a fresh one, since the new instance
    // starts beside the old one on the same host (blue/green) before traffic moves.
    const program = (greeting: string, tcp: number) => () => {
      const app = new CleverCloudApp("chat", {
        appName: s.config.name,
        source: s.src,
        artifactDir: s.artifactDir,
        type: "node",
        environment: {
          CC_NODE_BUILD_TOOL: "npm-ci",
          NODE_ENV: "production",
          TCP_PORT: String(tcp),
          GREETING: greeting,
          // A worker as Clever Cloud runs it: the app's variables, in the app's directory.
          CC_WORKER_COMMAND:
            'echo "worker $GREETING $INSTANCE_TYPE $(pwd -P)" > "$APP_CACHE_DIR/worker.out"; exec sleep 600',
        },
        port: h.httpPort,
        hosts: hostsOf(s),
      });
      return { health: app.health };
    };
    const r = await run(s, program("hello", tcpPort));
    assert.equal(r.failed, false, summary(r));
    const app = s.appDir(h);
    const release = s.current(h);
    const log = fs.readFileSync(path.join(app, `logs/${release}-step:build.log`), "utf8");
    assert.match(log, /^deployhooks: installing dependencies with npm ci$/m);
    assert.equal(
      fs.existsSync(path.join(app, "current/node_modules/ansi-escapes/package.json")),
      true,
    );
    assert.equal(
      fs.existsSync(path.join(app, "current/node_modules/nodemon")),
      false,
      "NODE_ENV=production: no dev dependencies",
    );
    assert.match(await s.http(h), /<h1>TCP Chat demo<\/h1>/);
    assert.match(
      fs.readFileSync(path.join(app, "logs/app.log"), "utf8"),
      /HTTP server running at port/,
    );
    // The worker runs supervised, with the runtime variables, in the release.
    const workerOut = path.join(app, "cache/worker.out");
    const workerSays = (text: string) =>
      until(() => fs.existsSync(workerOut) && fs.readFileSync(workerOut, "utf8") === text, 10_000);
    const realRelease = fs.realpathSync(path.join(app, "current"));
    assert.equal(await workerSays(`worker hello production ${realRelease}\n`), true);
    const workerPid = () =>
      Number(
        fs
          .readFileSync(path.join(app, ".deployhooks/worker-CC_WORKER_COMMAND.pid"), "utf8")
          .split(" ")[0],
      );
    const worker1 = workerPid();
    assert.equal(alive(worker1), true, "the worker runs");
    // The cron job is installed with $ROOT resolved; run it as the scheduler would.
    assert.equal(
      fs.readFileSync(path.join(app, ".deployhooks/cron/active/jobs"), "utf8"),
      "cron-0\t*/5 * * * *\tnone\t10\n",
    );
    const cron = spawnSync("bash", [
      "--norc",
      path.join(app, ".deployhooks/cron/active/runner.sh"),
      "cron-0",
    ]);
    assert.equal(cron.status, 0);
    assert.equal(
      fs.readFileSync(path.join(app, "cache/cron.out"), "utf8"),
      `cron production ${app}/current\n`,
    );
    assert.deepEqual(hooksOf(s.history(h)).slice(-1), ["cron:cron-0"]);
    // Runtime-only change: a deployment from cache; no build; node_modules still there.
    const r2 = await run(s, program("bonjour", await freePort()));
    assert.equal(r2.failed, false, summary(r2));
    const ran = executed(r2, "chat", "h1");
    assert.deepEqual(
      ran.filter((x) => ["upload", "build", "activate", "outcome", "cron"].includes(x)),
      ["activate", "outcome", "cron"],
    );
    assert.equal(s.current(h), release);
    assert.equal(
      fs.existsSync(path.join(app, "current/node_modules/ansi-escapes/package.json")),
      true,
    );
    assert.match(await s.http(h), /TCP Chat demo/);
    // The worker was restarted with the new configuration; the old one is gone.
    assert.equal(await workerSays(`worker bonjour production ${realRelease}\n`), true);
    assert.notEqual(workerPid(), worker1);
    assert.equal(await until(() => !alive(worker1), 5000), true, "the old worker stopped");
    assert.equal(alive(workerPid()), true);
  });
});
