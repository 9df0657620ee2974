import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  encodeSecretsForStdin,
  parseStepOutput,
  renderActivateStep,
  renderHookStep,
  renderOutcomeStep,
} from "../../render";
import type { AppTarget, HookStepInput } from "../../render";
import {
  HOST_LIBRARY,
  HOST_LIBRARY_FILES,
  hostLibraryPath,
  renderLibraryStep,
} from "../../render/library";
import { HINT_126, HINT_127, MARKER_PREFIX } from "../../render/messages";
import { HOLD_IDLE_SECONDS } from "../../render/proxyHold";
import { SECRETS_END, SECRETS_HEADER } from "../../render/secrets";
import { cleanupRoots, hook, runStep, tmpRoot, uploadRelease } from "./helpers";

const HOST_DIR = path.join(__dirname, "..", "..", "render", "host");

function mode(p: string): string {
  return (fs.statSync(p).mode & 0o777).toString(8);
}

describe("render: the versioned host library (real bash)", function () {
  this.timeout(20000);
  let target: AppTarget;
  beforeEach(() => {
    target = { root: tmpRoot(), app: "web" };
  });
  after(cleanupRoots);

  it("every render/host/*.sh file is shellcheck-clean (and so is the concatenated library)", function () {
    const files = HOST_LIBRARY_FILES.map((f) => path.join(HOST_DIR, f));
    assert.deepEqual(HOST_LIBRARY_FILES, [
      "core.sh",
      "delta.sh",
      "detach.sh",
      "health.sh",
      "hold.sh",
      "outcome.sh",
      "proxy-activate.sh",
      "proxy.sh",
      "prune.sh",
      "release-check.sh",
      "run.sh",
      "seal.sh",
      "secrets.sh",
      "standby.sh",
      "supervisor.sh",
      "upload.sh",
      "workers.sh",
    ]);
    execFileSync("shellcheck", ["--severity=style", ...files], { stdio: "pipe" });
    const whole = path.join(tmpRoot(), "lib.sh");
    fs.writeFileSync(whole, HOST_LIBRARY.text);
    execFileSync("shellcheck", ["--severity=style", "-s", "bash", whole], { stdio: "pipe" });
  });

  it("the .sh files spell the markers, hints and stdin format exactly as the TypeScript side", () => {
    const run = fs.readFileSync(path.join(HOST_DIR, "run.sh"), "utf8");
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    assert.ok(run.includes(`DH_HINT_126=${quote(HINT_126)}\n`));
    assert.ok(run.includes(`DH_HINT_127=${quote(HINT_127)}\n`));
    const markers = [...run.matchAll(/'(::[a-z]+::)[a-z]+ /g)].map((m) => m[1]);
    assert.equal(markers.length, 4);
    assert.deepEqual([...new Set(markers)], [MARKER_PREFIX]);
    // Every marker any library file prints uses the same prefix as render/messages.ts.
    const all = HOST_LIBRARY_FILES.flatMap((f) => [
      ...fs.readFileSync(path.join(HOST_DIR, f), "utf8").matchAll(/'(::[a-z]+::)[a-zA-Z]+ /g),
    ]).map((m) => m[1]);
    assert.ok(all.length >= 40, `${all.length} markers`);
    assert.deepEqual([...new Set(all)], [MARKER_PREFIX]);
    const hold = fs.readFileSync(path.join(HOST_DIR, "hold.sh"), "utf8");
    assert.ok(hold.includes(`    idle=${HOLD_IDLE_SECONDS}\n`), "hold.sh idle = HOLD_IDLE_SECONDS");
    const secrets = fs.readFileSync(path.join(HOST_DIR, "secrets.sh"), "utf8");
    assert.ok(secrets.includes(`[ "$line" != '${SECRETS_HEADER}' ]`));
    assert.ok(secrets.includes(`[ "$line" = '${SECRETS_END}' ]`));
  });

  it("activate and outcome steps behind the proxy source their functions from the library (render/README.md §1a sizes)", () => {
    const t = { root: "/srv/dh", app: "web" };
    const proxy = {
      publicPort: 8080,
      listenAddress: "127.0.0.1",
      mode: "hold" as const,
      holdSeconds: 60,
      drainSeconds: 10,
      healthTimeoutSeconds: 30,
    };
    const sizes = [true, false].map((hostLibrary) => [
      renderActivateStep({
        target: t,
        profile: "upsun",
        releaseId: "r1",
        hostLibrary,
        start: { command: "node server.js", port: 8080 },
        proxy,
      }).command.length,
      renderOutcomeStep({
        target: t,
        profile: "upsun",
        releaseId: "r1",
        hostLibrary,
        health: { port: 8080, path: "/" },
      }).command.length,
    ]);
    const [[activate, outcome], [activateInline, outcomeInline]] = sizes;
    assert.ok(activate! < 6000 && activateInline! > 25000, JSON.stringify(sizes));
    assert.ok(outcome! < 3000 && outcomeInline! > 10000, JSON.stringify(sizes));
  });

  it("the package ships render/host (package.json files)", () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"),
    ) as { files: string[] };
    assert.ok(pkg.files.includes("render/host"), JSON.stringify(pkg.files));
  });

  it("the library step installs it atomically (0600 in a 0700 dir), once; a bad stdin installs nothing", async () => {
    const step = renderLibraryStep(target);
    const file = hostLibraryPath(target);
    assert.equal(path.basename(file), `deployhooks-${HOST_LIBRARY.version}.sh`);
    assert.match(HOST_LIBRARY.version, /^[0-9a-f]{16}$/);
    assert.ok(step.command.length < 2500, `${step.command.length} bytes`);
    assert.equal(step.stdin, HOST_LIBRARY.text);

    const bad = await runStep(step, HOST_LIBRARY.text.slice(0, 100));
    assert.equal(bad.status, 65, bad.stdout);
    assert.match(bad.stdout, /^::deployhooks::error step=library exit=65$/m);
    assert.equal(fs.existsSync(file), false);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), []);

    const r = await runStep(step, step.stdin);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, `::deployhooks::library status=installed path=${file}\n`);
    assert.equal(fs.readFileSync(file, "utf8"), HOST_LIBRARY.text);
    assert.equal(mode(file), "600");
    assert.equal(mode(path.dirname(file)), "700");
    assert.equal(mode(path.join(target.root, "web", ".deployhooks")), "700");

    const again = await runStep(step, step.stdin);
    assert.equal(again.stdout, `::deployhooks::library status=present path=${file}\n`);
  });

  it("keeps the 3 newest library versions", async () => {
    const dir = path.dirname(hostLibraryPath(target));
    fs.mkdirSync(dir, { recursive: true });
    for (const [i, v] of ["a", "b", "c", "d"].entries()) {
      const f = path.join(dir, `deployhooks-${v.repeat(16)}.sh`);
      fs.writeFileSync(f, "true\n");
      fs.utimesSync(f, 1000 + i, 1000 + i);
    }
    const step = renderLibraryStep(target);
    assert.equal((await runStep(step, step.stdin)).status, 0);
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      [
        path.basename(hostLibraryPath(target)),
        `deployhooks-${"c".repeat(16)}.sh`,
        `deployhooks-${"d".repeat(16)}.sh`,
      ].sort(),
    );
  });

  describe("a step in host-library mode", () => {
    const base = (over: Partial<HookStepInput> = {}): HookStepInput => ({
      target,
      profile: "upsun",
      releaseId: "r1",
      hook: hook({ script: 'echo "token=$TOKEN greeting=$GREETING"' }),
      variables: { GREETING: "hello" },
      secretNames: ["TOKEN"],
      fingerprint: "sha256:abc",
      hostLibrary: true,
      ...over,
    });
    const stdin = encodeSecretsForStdin({ TOKEN: "s3cr3t-value" });

    it("sources the library: a short command text that behaves like the inline one", async () => {
      await uploadRelease(target, "r1");
      const inline = renderHookStep({ ...base(), hostLibrary: false });
      const step = renderHookStep(base());
      assert.ok(!step.program.includes("dh_run() {"));
      assert.ok(inline.program.includes("dh_run() {"));
      assert.ok(
        step.command.length < 2500 && inline.command.length > 5000,
        `${step.command.length} / ${inline.command.length}`,
      );
      assert.ok(step.program.includes(`. '${hostLibraryPath(target)}' || {`));
      const lib = renderLibraryStep(target);
      assert.equal((await runStep(lib, lib.stdin)).status, 0);
      const r = await runStep(step, stdin);
      assert.equal(r.status, 0, r.stdout);
      const out = parseStepOutput(r.stdout);
      assert.deepEqual(out.tail, ["token=[redacted:TOKEN] greeting=hello"]);
      assert.equal(out.runs[0].outcome, "ok");
    });

    it("fails with exit 66 and a clear message when the library is missing", async () => {
      await uploadRelease(target, "r1");
      const r = await runStep(renderHookStep(base()), stdin);
      assert.equal(r.status, 66, r.stdout);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines[lines.length - 2], "::deployhooks::error step=hook:deploy exit=66");
      assert.equal(
        lines[lines.length - 1],
        `deployhooks: cannot read the host library ${hostLibraryPath(target)}; it is installed by the library step of this host (to reinstall it: pulumi up --target-replace the resource <component>-<host>-library)`,
      );
    });
  });
});
