import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../model/configError";
import { cleverCronJobs, normalizeSchedule, upsunCronJobs } from "../../profiles/crons";
import { encodeSecretsForStdin, type AppTarget } from "../../render";
import { CRON_MATCH_BASH, renderCronInstallStep, renderCronRemoveStep } from "../../render/cron";
import { cleanupRoots, runStep, tmpRoot, uploadRelease } from "./helpers";

/** True while a pid exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const due = (schedule: string, m: number, h: number, d: number, mo: number, wd: number) =>
  spawnSync("bash", [
    "--norc",
    "-c",
    `${CRON_MATCH_BASH}\ndh_cron_due "$@"`,
    "x",
    schedule,
    ...[m, h, d, mo, wd].map(String),
  ]).status === 0;

describe("profiles/crons: schedules and jobs", () => {
  it("normalizes macros, names, H (invariant per job), weekday 7, leading zeros", () => {
    assert.equal(normalizeSchedule("@hourly", "a/b", "k"), "0 * * * *");
    assert.equal(normalizeSchedule("*/5 08 * jan-MAR mon,7", "a/b", "k"), "*/5 8 * 1-3 1,7");
    assert.equal(normalizeSchedule("0 0 * * 7", "a/b", "k"), "0 0 * * 0");
    const h1 = normalizeSchedule("H * * * *", "app/report", "k");
    assert.equal(h1, normalizeSchedule("H * * * *", "app/report", "k"));
    assert.match(h1, /^([0-9]|[1-5][0-9]) \* \* \* \*$/);
    assert.throws(
      () => normalizeSchedule("61 * * * *", "s", "crons.x.spec"),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === "crons.x.spec: '61 * * * *': minute '61' is out of range 0-59",
    );
    assert.throws(() => normalizeSchedule("@reboot", "s", "k"), ConfigError);
  });

  it("Upsun crons: commands.start or cmd, timeout default 86400, shutdown_timeout default 10", () => {
    assert.deepEqual(
      upsunCronJobs(
        {
          crons: {
            a: { spec: "*/19 * * * *", commands: { start: "cd web ; drush core-cron" } },
            b: { spec: "0 5 * * *", cmd: "echo b", timeout: 60, shutdown_timeout: 18 },
          },
        },
        "app",
      ),
      [
        {
          name: "a",
          schedule: "*/19 * * * *",
          command: "cd web ; drush core-cron",
          timeoutSeconds: 86400,
          shutdownTimeoutSeconds: 10,
          key: "crons.a",
        },
        {
          name: "b",
          schedule: "0 5 * * *",
          command: "echo b",
          timeoutSeconds: 60,
          shutdownTimeoutSeconds: 18,
          key: "crons.b",
        },
      ],
    );
  });

  it("Clever cron.json: 5 fields then the command, $ROOT replaced by the app's current dir", () => {
    assert.deepEqual(
      cleverCronJobs(
        '["*/5 * * * * /usr/bin/php $ROOT/cron.php", "@daily $ROOT/x.sh"]',
        "/srv/a/current",
      ).map((j) => [j.name, j.schedule, j.command, j.timeoutSeconds]),
      [
        ["cron-0", "*/5 * * * *", "/usr/bin/php /srv/a/current/cron.php", null],
        ["cron-1", "0 0 * * *", "/srv/a/current/x.sh", null],
      ],
    );
    assert.throws(() => cleverCronJobs('["* * * * *"]', "/r"), ConfigError);
  });

  const table: [string, number[], boolean][] = [
    ["* * * * *", [7, 3, 1, 1, 0], true],
    ["*/5 * * * *", [10, 3, 1, 1, 0], true],
    ["*/5 * * * *", [11, 3, 1, 1, 0], false],
    ["5-10/2 * * * *", [9, 3, 1, 1, 0], true],
    ["5-10/2 * * * *", [8, 3, 1, 1, 0], false],
    ["0 5 * * *", [0, 5, 9, 4, 3], true],
    ["0 5 * * *", [0, 6, 9, 4, 3], false],
    ["1,2,30 * * * *", [30, 0, 1, 1, 0], true],
    ["0 0 * * 1-5", [0, 0, 1, 1, 6], false],
    ["0 0 * * 5-7", [0, 0, 1, 1, 0], true],
    ["0 0 13 * 5", [0, 0, 13, 1, 2], true],
    ["0 0 13 * 5", [0, 0, 14, 1, 5], true],
    ["0 0 13 * 5", [0, 0, 14, 1, 4], false],
    ["0 0 */2 * *", [0, 0, 3, 1, 4], true],
    ["0 0 1 6 *", [0, 0, 1, 7, 4], false],
    ["7/20 * * * *", [47, 0, 1, 1, 0], true],
  ];
  for (const [spec, [m, h, d, mo, wd], want] of table) {
    it(`dh_cron_due '${spec}' at ${m} ${h} ${d} ${mo} ${wd} → ${want}`, () => {
      assert.equal(due(spec, m, h, d, mo, wd), want);
    });
  }
});

describe("render/cron: install, run, remove (real bash)", () => {
  let target: AppTarget;
  const app = () => path.join(target.root, "web");
  const state = () => path.join(app(), ".deployhooks");
  beforeEach(async () => {
    target = { root: tmpRoot(), app: "web" };
    await uploadRelease(target, "r1", { ".environment": "export FROM_DOT_ENV=yes\n" });
    fs.symlinkSync("releases/r1", path.join(app(), "current"));
  });
  afterEach(() => {
    // Stop the scheduler this test started (by its pid file), if any.
    try {
      process.kill(Number(fs.readFileSync(path.join(state(), "cron/scheduler.pid"), "utf8")));
    } catch {
      // none running
    }
    cleanupRoots();
  });

  const jobs = upsunCronJobs(
    {
      crons: {
        report: {
          spec: "0 3 * * *",
          commands: {
            start:
              'echo "run $PLATFORM_ENVIRONMENT $DB_PASSWORD $FROM_DOT_ENV $PWD" > "$APP_CACHE_DIR/report.out"\ncroncape A=1 sh -c \'echo "A=$A"\'\n',
          },
        },
        slow: {
          spec: "*/5 * * * *",
          commands: { start: "sleep 5" },
          timeout: 1,
          shutdown_timeout: 1,
        },
      },
    },
    "web",
  );
  const install = (cronId: string, extraPath?: string) =>
    runStep(
      renderCronInstallStep({
        target,
        profile: "upsun",
        releaseId: "r1",
        cronId,
        jobs,
        variables: { PLATFORM_ENVIRONMENT: "main" },
        secretNames: ["DB_PASSWORD"],
      }),
      encodeSecretsForStdin({ DB_PASSWORD: "hunter22" }),
      extraPath ? { ...process.env, PATH: `${extraPath}:${process.env.PATH}` } : undefined,
    );

  it("without crontab: a scheduler of our own; a run is logged and recorded like a hook", async () => {
    const r = await install("gen1");
    assert.equal(r.status, 0, r.stdout);
    const pid = Number(fs.readFileSync(path.join(state(), "cron/scheduler.pid"), "utf8"));
    assert.match(
      r.stdout,
      new RegExp(`^::deployhooks::cron installed=2 scheduler=deployhooks pid=${pid} id=gen1$`, "m"),
    );
    assert.equal(alive(pid), true);
    assert.equal(fs.readlinkSync(path.join(state(), "cron/active")), "gen1");
    assert.equal(
      (fs.statSync(path.join(state(), "cron/gen1/secrets")).mode & 0o777).toString(8),
      "600",
    );
    // Run the job as the scheduler would.
    const run = spawnSync(
      "bash",
      ["--norc", path.join(state(), "cron/active/runner.sh"), "report"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      fs.readFileSync(path.join(app(), "cache/report.out"), "utf8"),
      `run main hunter22 yes ${app()}/current\n`,
    );
    const log = fs.readFileSync(path.join(app(), "logs/cron-report.log"), "utf8");
    assert.match(log, /^A=1$/m);
    const hist = fs
      .readFileSync(path.join(state(), "history.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      hist.map((h) => [h.hook, h.release, h.exitCode, h.outcome]),
      [["cron:report", "r1", 0, "ok"]],
    );
    // A timeout is reported as such.
    const slow = spawnSync("bash", ["--norc", path.join(state(), "cron/active/runner.sh"), "slow"]);
    assert.equal(slow.status, 124);
    const last = fs
      .readFileSync(path.join(state(), "history.jsonl"), "utf8")
      .trim()
      .split("\n")
      .pop()!;
    assert.equal((JSON.parse(last) as { outcome: string }).outcome, "timedOut");
  });

  it("a new generation replaces the old one; the old delete is skipped; the own delete removes everything", async () => {
    assert.equal((await install("gen1")).status, 0);
    const pid = Number(fs.readFileSync(path.join(state(), "cron/scheduler.pid"), "utf8"));
    assert.equal((await install("gen2")).status, 0);
    assert.equal(Number(fs.readFileSync(path.join(state(), "cron/scheduler.pid"), "utf8")), pid);
    assert.deepEqual(
      fs.readdirSync(path.join(state(), "cron")).filter((d) => d.startsWith("gen")),
      ["gen2"],
    );
    const old = await runStep(renderCronRemoveStep({ target, cronId: "gen1" }));
    assert.equal(old.status, 0);
    assert.match(old.stdout, /^::deployhooks::cron remove skipped: another generation is active$/m);
    assert.equal(alive(pid), true);
    const own = await runStep(renderCronRemoveStep({ target, cronId: "gen2" }));
    assert.equal(own.status, 0, own.stdout);
    assert.match(own.stdout, /^::deployhooks::cron removed id=gen2$/m);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pid), false, "the scheduler is stopped");
    assert.equal(fs.existsSync(path.join(state(), "cron")), false);
  });

  it("with crontab on PATH: a managed block in the user's crontab, other lines kept, removed on delete", async () => {
    const bin = path.join(target.root, "bin");
    fs.mkdirSync(bin);
    const tab = path.join(target.root, "crontab.txt");
    fs.writeFileSync(tab, "MAILTO=me\n17 * * * * /usr/bin/true\n");
    fs.writeFileSync(
      path.join(bin, "crontab"),
      `#!/bin/bash\ncase "$1" in -l) cat ${tab} ;; -r) rm -f ${tab} ;; -) cat > ${tab} ;; esac\n`,
      { mode: 0o755 },
    );
    const r = await install("gen1", bin);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /^::deployhooks::cron installed=2 scheduler=crontab id=gen1$/m);
    assert.equal(
      fs.readFileSync(tab, "utf8"),
      [
        "MAILTO=me",
        "17 * * * * /usr/bin/true",
        `# deployhooks-begin ${app()}`,
        `0 3 * * * bash --norc ${state()}/cron/active/runner.sh report`,
        `*/5 * * * * bash --norc ${state()}/cron/active/runner.sh slow`,
        `# deployhooks-end ${app()}`,
        "",
      ].join("\n"),
    );
    assert.equal(fs.existsSync(path.join(state(), "cron/scheduler.pid")), false);
    const rm = await runStep(renderCronRemoveStep({ target, cronId: "gen1" }), "", {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
    });
    assert.equal(rm.status, 0, rm.stdout);
    assert.equal(fs.readFileSync(tab, "utf8"), "MAILTO=me\n17 * * * * /usr/bin/true\n");
  });

  it("the install program, the runner and the scheduler are shellcheck-clean", async () => {
    assert.equal((await install("gen1")).status, 0);
    const step = renderCronInstallStep({
      target,
      profile: "upsun",
      releaseId: "r1",
      cronId: "g",
      jobs,
    });
    const file = path.join(target.root, "install.sh");
    fs.writeFileSync(file, `#!/bin/bash\n${step.program}`);
    const sc = spawnSync(
      "shellcheck",
      [
        "-s",
        "bash",
        "-e",
        "SC2016,SC1090,SC1091,SC2317,SC2034",
        file,
        path.join(state(), "cron/gen1/runner.sh"),
        path.join(state(), "cron/scheduler.sh"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(sc.stdout, "");
  });
});
