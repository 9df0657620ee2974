import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderActivateStep, renderHookStep, renderStopStep, shellQuote } from "../../render";
import type { AppTarget, HookStepInput, RenderedStep } from "../../render";
import { cleanupRoots, hook, runCommand, runStep, sleep, tmpRoot, uploadRelease } from "./helpers";

/**
 * Bash started by sshd reads ~/.bashrc even when non-interactive: Debian's bash (SSH_SOURCE_BASHRC)
 * does so when SSH_CLIENT or SSH2_CLIENT is set and SHLVL < 2 (SHLVL unset in the environment, or 0).
 * We reproduce exactly that without sshd: HOME with a .bashrc that appends `$0` to a marker file,
 * SSH_CLIENT set, SHLVL removed for the outer bash; the hook and the app get `SHLVL=0` through
 * their variables so that the inner bash processes would read it too. Measured (bash 5.2): only
 * `bash -c` reads it (the check requires a command string), so the outer step and the app are
 * affected, while `bash <file>` (hook bodies) is not; hooks get `--norc` anyway, for uniformity.
 */
describe("render: every bash deployhooks starts uses --norc (sshd-like environment)", function () {
  this.timeout(20000);
  let target: AppTarget;
  let home: string;
  let marker: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    target = { root: tmpRoot(), app: "site" };
    home = tmpRoot();
    marker = path.join(home, "bashrc-ran");
    fs.writeFileSync(path.join(home, ".bashrc"), `echo "$0" >> ${shellQuote(marker)}\n`);
    env = { ...process.env, HOME: home, SSH_CLIENT: "192.0.2.1 50000 22" };
    delete env.SHLVL;
    await uploadRelease(target, "r1");
  });
  // Stop the app left by the activate step.
  afterEach(() => runStep(renderStopStep({ target, stopGraceSeconds: 1 })));
  after(cleanupRoots);

  const ran = (): string[] =>
    fs.existsSync(marker) ? fs.readFileSync(marker, "utf8").trim().split("\n") : [];
  /** The same step as it would be without --norc anywhere (the control). */
  const withoutNorc = (step: RenderedStep): string => {
    const program = step.program.replaceAll(" --norc", "");
    return `exec bash -c ${shellQuote(program)} deployhooks`;
  };
  const hookStep = (h: HookStepInput["hook"], variables?: Record<string, string>) =>
    renderHookStep({ target, profile: "upsun", releaseId: "r1", hook: h, variables });
  const steps = (): RenderedStep[] => [
    hookStep(hook({ script: "echo hook", timeoutSeconds: 30 }), { SHLVL: "0" }),
    hookStep(hook({ name: "post_deploy", script: "echo hook" }), { SHLVL: "0" }),
    renderActivateStep({
      target,
      profile: "upsun",
      releaseId: "r1",
      start: { command: "exec sleep 30.777", stopGraceSeconds: 1, startCheckSeconds: 0 },
      variables: { SHLVL: "0" },
    }),
  ];

  it("control: without --norc this environment makes the step's bash and the app read ~/.bashrc", async () => {
    for (const step of steps()) {
      assert.equal((await runCommand(withoutNorc(step), "", env)).status, 0);
    }
    await sleep(300);
    const seen = ran();
    assert.ok(seen.includes("deployhooks"), `outer bash: ${seen.join(",")}`);
    assert.ok(seen.includes("deployhooks-app"), "the app");
    assert.ok(!seen.some((s) => s.endsWith(".sh")), "bash <file> does not read it (no -c)");
  });

  it("the rendered steps never run ~/.bashrc; PATH is still inherited", async () => {
    for (const step of steps()) {
      const r = await runStep(step, "", env);
      assert.equal(r.status, 0, r.stdout);
    }
    await sleep(300);
    assert.deepEqual(ran(), []);
    const cmds = steps().map((s) => s.command);
    assert.ok(cmds.every((c) => c.startsWith("exec bash --norc -c '")));
    assert.match(cmds[0], /exec timeout --kill-after=10s "\$tmo" bash --norc -- "\$file"/);
    assert.match(cmds[0], /exec bash --norc -- "\$file"/);
    assert.match(cmds[2], /exec setsid nohup bash --norc -c "\$cmd" deployhooks-app/);
    const pathSeen = await runStep(
      hookStep(hook({ script: 'echo "PATH=$PATH" > "$APP_CACHE_DIR/path"' })),
      "",
      { ...env, PATH: `/opt/dh-test-bin:${process.env.PATH ?? ""}` },
    );
    assert.equal(pathSeen.status, 0, pathSeen.stdout);
    assert.match(
      fs.readFileSync(path.join(target.root, "site/cache/path"), "utf8"),
      /^PATH=\/opt\/dh-test-bin:/,
    );
  });
});
