import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeSecretsForStdin, renderHookStep, type AppTarget } from "../../render";
import { cleanupRoots, hook, runStep, tmpRoot, uploadRelease } from "./helpers";

/** The Upsun runtime additions of the env function (render/env.ts), through real bash. */
describe("render/env: .environment, PLATFORM_DOCUMENT_ROOT and .global on PATH (real bash)", () => {
  let target: AppTarget;
  const app = () => path.join(target.root, "web");
  const runtime = { PLATFORM_ENVIRONMENT: "main", PLATFORM_DOCUMENT_ROOT: "public" };

  beforeEach(async () => {
    target = { root: tmpRoot(), app: "web" };
    await uploadRelease(target, "r1", {
      ".environment":
        'export FROM_ENV_FILE="seen:$PLATFORM_ENVIRONMENT"\nexport GREETING=overridden\n',
      ".global/bin/globaltool": "#!/bin/sh\necho global-tool-ran\n",
    });
    fs.chmodSync(path.join(app(), "releases/r1/.global/bin/globaltool"), 0o755);
  });
  afterEach(cleanupRoots);

  const dump =
    'printf "%s|" "${FROM_ENV_FILE-unset}" "$GREETING" "${PLATFORM_DOCUMENT_ROOT-unset}" "$(globaltool 2>/dev/null || echo none)" > "$APP_CACHE_DIR/env-$HOOK"';
  const read = (h: string) =>
    fs.readFileSync(path.join(app(), `cache/env-${h}`), "utf8").split("|");

  it("runtime hooks source .environment last (it overrides variables); the build does not", async () => {
    const deploy = await runStep(
      renderHookStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        variables: { ...runtime, GREETING: "hello" },
        hook: hook({ name: "deploy", script: `HOOK=deploy; ${dump}` }),
      }),
    );
    assert.equal(deploy.status, 0, deploy.stdout);
    assert.deepEqual(read("deploy").slice(0, 4), [
      "seen:main",
      "overridden",
      `${app()}/releases/r1/public`,
      "global-tool-ran",
    ]);
    const build = await runStep(
      renderHookStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        variables: { GREETING: "hello" },
        hook: hook({ name: "build", script: `HOOK=build; ${dump}`, variables: "build" }),
      }),
    );
    assert.equal(build.status, 0, build.stdout);
    // Build: no .environment, no document root; the global dependencies are on PATH.
    assert.deepEqual(read("build").slice(0, 4), ["unset", "hello", "unset", "global-tool-ran"]);
  });

  it(".environment runs with set -u lifted, and the hook still sees a secret PLATFORM_RELATIONSHIPS", async () => {
    fs.writeFileSync(
      path.join(app(), "releases/r1/.environment"),
      'export DB_HOST="$(echo "$PLATFORM_RELATIONSHIPS" | base64 -d | sed -e \'s/.*"host":"\\([^"]*\\)".*/\\1/\')"\nexport UNSET_SEEN="[$NOT_SET_ANYWHERE]"\n',
    );
    const rel = Buffer.from(JSON.stringify({ database: [{ host: "db.internal" }] })).toString(
      "base64",
    );
    const step = renderHookStep({
      target,
      profile: "upsun",
      releaseId: "r1",
      variables: runtime,
      secretNames: ["PLATFORM_RELATIONSHIPS"],
      hook: hook({ script: 'printf "%s|%s" "$DB_HOST" "$UNSET_SEEN" > "$APP_CACHE_DIR/db"' }),
    });
    const r = await runStep(step, encodeSecretsForStdin({ PLATFORM_RELATIONSHIPS: rel }));
    assert.equal(r.status, 0, r.stdout);
    assert.equal(fs.readFileSync(path.join(app(), "cache/db"), "utf8"), "db.internal|[]");
    assert.equal(step.command.includes(rel), false, "the secret is not in the command text");
  });

  it("Clever Cloud processes get none of it", async () => {
    const r = await runStep(
      renderHookStep({
        target,
        profile: "cleverCloud",
        releaseId: "r1",
        variables: { ...runtime, GREETING: "hello" },
        hook: hook({ name: "preRun", script: `HOOK=cc; ${dump}` }),
      }),
    );
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(read("cc").slice(0, 4), ["unset", "hello", "public", "none"]);
  });
});
