import * as assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { cleverCloudModel, upsunModel } from "../../components/deploymentModel";
import { CLEVER_PHP_START, phpPassthru, upsunPhpStart } from "../../render/phpServer";
import { freePort } from "../e2e/harness";

const hasPhp = spawnSync("php", ["--version"]).status === 0;

/** GET with the path sent as written (fetch would resolve `..` and `%2e%2e` before sending). */
function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: p, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

async function waitUp(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`php exited: ${log()}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`php did not answer: ${log()}`);
}

describe("render/phpServer: Upsun web.locations served by PHP's built-in server (real bash and php)", function () {
  this.timeout(30000);
  let dir: string;
  const children: ChildProcess[] = [];

  before(function () {
    if (!hasPhp) {
      console.log("    (skipped: no php on PATH; install php-cli)");
      this.skip();
    }
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-php-"));
    const app = path.join(dir, "app");
    fs.mkdirSync(path.join(app, "web", "admin"), { recursive: true });
    fs.mkdirSync(path.join(app, "src"), { recursive: true });
    fs.writeFileSync(
      path.join(app, "web", "index.php"),
      '<?php echo "front ", $_SERVER["SCRIPT_NAME"], " ", parse_url($_SERVER["REQUEST_URI"], PHP_URL_PATH), " ", getcwd() === __DIR__ ? "cwd-ok" : "cwd-bad";\n',
    );
    fs.writeFileSync(path.join(app, "web", "info.php"), '<?php echo "info ", PHP_VERSION;\n');
    fs.writeFileSync(path.join(app, "web", "style.css"), "body{}\n");
    fs.writeFileSync(path.join(app, "web", "admin", "index.php"), '<?php echo "admin";\n');
    fs.writeFileSync(path.join(app, "src", "secret.php"), '<?php echo "never served";\n');
    fs.mkdirSync(path.join(dir, "cache"));
  });
  afterEach(() => {
    // The workers (PHP_CLI_SERVER_WORKERS) are children of the server: stop the whole group.
    for (const c of children.splice(0)) if (c.pid) process.kill(-c.pid, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function serve(root: string, passthru: string): Promise<number> {
    const app = path.join(dir, "app");
    return start(upsunPhpStart({ root, passthru }), {
      PLATFORM_DOCUMENT_ROOT: root ? path.join(app, root) : app,
      PLATFORM_CACHE_DIR: path.join(dir, "cache"),
    });
  }

  async function start(script: string, vars: Record<string, string>): Promise<number> {
    const port = await freePort();
    const app = path.join(dir, "app");
    let log = "";
    const child = spawn("bash", ["--norc", "-c", script], {
      cwd: app,
      env: { PATH: process.env.PATH, PORT: String(port), ...vars },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    children.push(child);
    await waitUp(port, child, () => log);
    return port;
  }

  it("files are served, scripts run, missing paths go to the passthru, nothing outside the root", async () => {
    const port = await serve("web", "/index.php");
    assert.deepEqual(await get(port, "/style.css"), { status: 200, body: "body{}\n" });
    assert.match((await get(port, "/info.php")).body, /^info 8\./);
    assert.deepEqual(await get(port, "/admin/"), { status: 200, body: "admin" });
    assert.deepEqual(await get(port, "/"), {
      status: 200,
      body: "front /index.php / cwd-ok",
    });
    assert.deepEqual(await get(port, "/blog/2024/hello?x=1"), {
      status: 200,
      body: "front /index.php /blog/2024/hello cwd-ok",
    });
    // A path with a `..` segment, however written, is never looked up as a file: the front
    // controller gets it (PHP's own server would answer 404; the script outside the root never runs).
    for (const p of [
      "/../src/secret.php",
      "/%2e%2e/src/secret.php",
      "/admin/../../src/secret.php",
    ]) {
      assert.deepEqual(
        await get(port, p),
        { status: 200, body: `front /index.php ${p} cwd-ok` },
        p,
      );
    }
    fs.symlinkSync(path.join(dir, "cache"), path.join(dir, "app", "web", "linked"));
    fs.writeFileSync(path.join(dir, "cache", "mounted.txt"), "through a link\n");
    assert.deepEqual(await get(port, "/linked/mounted.txt"), {
      status: 200,
      body: "through a link\n",
    });
    // The router lives in the cache directory, not in the release.
    assert.ok(fs.existsSync(path.join(dir, "cache", "deployhooks-php-router.php")));
    assert.deepEqual(fs.readdirSync(path.join(dir, "app")).sort(), ["src", "web"]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "app", "web")).sort(), [
      "admin",
      "index.php",
      "info.php",
      "linked",
      "style.css",
    ]);
  });

  it("requests are served in parallel (PHP_CLI_SERVER_WORKERS, default 4): one waiting on another does not block it", async () => {
    const flag = path.join(dir, "cache", "flag");
    fs.writeFileSync(
      path.join(dir, "app", "web", "wait.php"),
      `<?php for ($i = 0; $i < 200 && !file_exists(${JSON.stringify(flag)}); $i++) usleep(50000); echo file_exists(${JSON.stringify(flag)}) ? "released" : "alone";\n`,
    );
    fs.writeFileSync(
      path.join(dir, "app", "web", "release.php"),
      `<?php touch(${JSON.stringify(flag)}); echo "set";\n`,
    );
    const port = await serve("web", "/index.php");
    const waiting = get(port, "/wait.php");
    await new Promise((r) => setTimeout(r, 300));
    // With one worker, release.php would queue behind wait.php, which would then time out alone.
    assert.deepEqual(await get(port, "/release.php"), { status: 200, body: "set" });
    assert.deepEqual(await waiting, { status: 200, body: "released" });
  });

  it("a location without passthru answers 404 for missing paths, still serves files", async () => {
    const port = await serve("web", "");
    assert.equal((await get(port, "/missing")).status, 404);
    assert.equal((await get(port, "/style.css")).status, 200);
  });

  it("the start command is shellcheck-clean bash", function () {
    if (spawnSync("shellcheck", ["--version"]).status !== 0) {
      console.log("    (skipped: no shellcheck on PATH)");
      this.skip();
    }
    const file = path.join(dir, "start.sh");
    fs.writeFileSync(
      file,
      "#!/bin/bash\n" + upsunPhpStart({ root: "web", passthru: "/index.php" }) + "\n",
    );
    const r = spawnSync("shellcheck", [file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout);
  });

  it("Clever Cloud PHP: CC_WEBROOT is the root; an .htaccess front-controller rewrite (Laravel's) is the passthru", async () => {
    const app = path.join(dir, "app");
    fs.writeFileSync(
      path.join(app, "web", ".htaccess"),
      [
        "<IfModule mod_rewrite.c>",
        "    RewriteEngine On",
        "    # Send Requests To Front Controller...",
        "    RewriteCond %{REQUEST_FILENAME} !-d",
        "    RewriteCond %{REQUEST_FILENAME} !-f",
        "    RewriteRule ^ index.php [L]",
        "</IfModule>",
        "",
      ].join("\n"),
    );
    const env = { APP_CACHE_DIR: path.join(dir, "cache") };
    const laravel = await start(CLEVER_PHP_START, { ...env, CC_WEBROOT: "/web" });
    assert.deepEqual(await get(laravel, "/style.css"), { status: 200, body: "body{}\n" });
    assert.deepEqual(await get(laravel, "/users/7"), {
      status: 200,
      body: "front /index.php /users/7 cwd-ok",
    });
    // Without the rewrite, Apache answers 404 for a missing path: so does the stand-in.
    fs.rmSync(path.join(app, "web", ".htaccess"));
    const plain = await start(CLEVER_PHP_START, { ...env, CC_WEBROOT: "web" });
    assert.equal((await get(plain, "/users/7")).status, 404);
    assert.equal((await get(plain, "/")).status, 200);
    // No CC_WEBROOT: the app's root.
    const rootServed = await start(CLEVER_PHP_START, env);
    assert.match((await get(rootServed, "/web/info.php")).body, /^info 8\./);
    assert.equal(cleverCloudModel("app", { source: dir, type: "php" }).start, CLEVER_PHP_START);
    assert.equal(
      cleverCloudModel("app", {
        source: dir,
        type: "php",
        environment: { CC_RUN_COMMAND: "php-fpm" },
      }).start,
      "php-fpm",
    );
  });

  it("passthru forms: a path, true (index.php), false or absent (none)", () => {
    assert.equal(phpPassthru("/app.php"), "/app.php");
    assert.equal(phpPassthru("app.php"), "/app.php");
    assert.equal(phpPassthru(true), "/index.php");
    assert.equal(phpPassthru(false), "");
    assert.equal(phpPassthru(undefined), "");
  });

  it("an Upsun php app without web.commands.start gets this start command; with one, or another runtime, not", () => {
    const base = {
      source: dir,
      config: { web: { locations: { "/": { root: "web", passthru: "/index.php" } } } },
    };
    const php = upsunModel("app", { ...base, type: "php:8.2" });
    assert.equal(php.start, upsunPhpStart({ root: "web", passthru: "/index.php" }));
    const own = upsunModel("app", {
      ...base,
      type: "php:8.2",
      web: { commands: { start: "php-fpm" } },
    });
    assert.equal(own.start, "php-fpm");
    assert.equal(upsunModel("app", { ...base, type: "nodejs:20" }).start, "");
  });
});
