/**
 * The `activate` step: switch `current` to the release atomically (a fresh relative symlink
 * `releases/<id>` renamed over `current` with `mv -T`), then (re)start the app:
 * - built-in minimal supervisor (`start`): stop the previous process group recorded in
 *   `.deployhooks/app.pid` (`<pid> <starttime>`; the start time guards against pid reuse) with TERM,
 *   then KILL after the grace period; start `setsid nohup bash --norc -c <start>` in `current` with the
 *   runtime variables (+ PORT), stdin /dev/null, output to `logs/app.log`, lock fd closed, so the
 *   SSH channel closes; check it is still alive after `startCheckSeconds`. It does not restart a
 *   crashed app: use `restartCommand` with systemd (or similar) for that.
 * - a failed start (or restart) rolls back to the last confirmed activation (`app.good.sh`, a
 *   record without secret values) and restarts its app; with `deferFailure` the start failure is
 *   reported (`startFailed`) and left to the outcome step, which confirms or rolls back.
 * - or a user `restartCommand` (e.g. `sudo systemctl restart app`), run like a hook (`step:restart`,
 *   abort, logged, in history).
 * Finally releases uploaded before this one beyond `keepReleases` are pruned (by the mtime of their
 * `.ok` marker); releases uploaded after it (another deployment in flight) are never touched.
 */
import type { ProfileName } from "../model/app";
import { ConfigError } from "../model/configError";
import { hostFile } from "./library";
import { platformVariables, renderEnvFunction } from "./env";
import { RenderedStep, toCommand } from "./invoke";
import { appLayout, AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { assertFingerprint, assertInteger, shellQuote } from "./quote";
import { heredocDelimiter, renderRun, RUN_BASH } from "./run";
import { normalizeSecretNames } from "./secrets";
import { PRUNE_BASH } from "./prune";
import type { InstanceInfo, ProcessVariables } from "./wrapper";
import { HEALTH_BASH } from "./health";
import {
  caddyConfig,
  PROXY_BASH,
  PROXY_INSTALL_COMMAND,
  ProxyOptions,
  proxySettings,
} from "./proxy";

export const RESTART_LABEL = "step:restart";

/** The built-in supervisor's settings. */
export interface StartOptions {
  /** Shell text that runs the app in the foreground (`node server.js`). */
  command: string;
  /** Exported as PORT. */
  port?: number;
  /** Seconds between TERM and KILL when stopping the previous process group. Default 10. */
  stopGraceSeconds?: number;
  /** Seconds after the start at which the app must still be running. Default 1. */
  startCheckSeconds?: number;
}

/**
 * The rollback record each activation writes (what a rollback restart needs, no secret values);
 * renamed to `app.good.sh` once the activation is confirmed (dh_promote).
 */
const RECORD_PENDING = "app.pending.sh";

export interface ActivateStepInput extends CommonStepOptions, InstanceInfo, ProcessVariables {
  target: AppTarget;
  profile: ProfileName;
  releaseId: string;
  /** Built-in supervisor. Exclusive with restartCommand; neither = only switch `current`. */
  start?: StartOptions;
  /** Your own restart (systemd, …), run in `current` with the runtime variables. */
  restartCommand?: string;
  /** Default 300. */
  restartTimeoutSeconds?: number;
  /** Releases kept on the host, including the new one; 0 = never prune. Default 5. */
  keepReleases?: number;
  /**
   * Identity of this activation (e.g. a digest of the step's triggers), recorded in the pid file so
   * that only the matching stop program (the resource's `delete`) stops the app. Default "".
   */
  activationId?: string;
  /**
   * An outcome step follows and judges the start (give it whenever the app has an outcome step).
   * Then an app that dies within `startCheckSeconds` does not fail this step: it prints
   * `::deployhooks::startFailed pid=<pid>` and the tail of `app.log`, skips pruning and exits 0,
   * so the outcome step runs `runFailed`, rolls back and fails the deployment. And this activation
   * becomes the rollback target of later deployments only once the outcome step found it healthy.
   * Default false: the start check failing rolls back and fails this step.
   */
  deferFailure?: boolean;
  /**
   * Front proxy (with `start` only): when `caddy` is installed on the host, the app runs behind it
   * on a private port per activation and traffic moves per `proxy.mode` (render/proxy.ts); without
   * `caddy` the activation falls back to stop-then-start on `start.port` and says so
   * (`::deployhooks::proxy status=missing`).
   */
  proxy?: ProxyOptions;
  /**
   * Supervised workers (Upsun `workers.*.commands.start`, Clever `CC_WORKER_COMMAND*`): each is
   * stopped and started again (its own process group, in `current`, runtime variables, output in
   * `logs/worker-<name>.log`, pid in `.deployhooks/worker-<name>.pid`) right after `current`
   * switched. Default none.
   */
  workers?: WorkerCommand[];
}

/** One supervised worker. */
export interface WorkerCommand {
  /** `[A-Za-z0-9_.-]+` (file names). */
  name: string;
  command: string;
}

/** Bash: dh_restart_worker NAME COMMAND. */
export const WORKER_BASH = hostFile("workers.sh");

/** Bash: group liveness, switch, stop, start, prune. */
export const SUPERVISOR_BASH = hostFile("supervisor.sh");

/**
 * Bash: the activation runs detached from the step's channel (issue 8 item 6). `dh_detached FN`
 * runs FN in a background process group of its own (job control on for that one fork), output to
 * `.deployhooks/activation.out`, holding the lock (fd 9) until it ends; the step's own process
 * waits for `activation.result`, copies the output to its stdout and only then writes
 * `activation.ack`. FN publishes its result with `dh_commit CODE`, which returns 0 once the step
 * acknowledged it and 1 when the step is gone first (its process ended, or was re-parented: the SSH
 * session or the runner died) — FN then rolls back to the last confirmed activation instead of
 * leaving a release that `pulumi up` never recorded (a cancel followed by a revert converges).
 */
export const DETACH_BASH = hostFile("detach.sh");

/**
 * Bash: the activation behind the proxy (needs PROXY_BASH, HEALTH_BASH, SUPERVISOR_BASH,
 * DETACH_BASH and the DH_* settings the renderer writes).
 */
export const PROXY_ACTIVATE_BASH = hostFile("proxy-activate.sh");

/** The `activate` step. */
export function renderActivateStep(input: ActivateStepInput): RenderedStep {
  if (input.start && input.restartCommand !== undefined) {
    throw new ConfigError("give either start or restartCommand, not both", {
      path: "restartCommand",
    });
  }
  const layout = appLayout(input.target);
  const secretNames = normalizeSecretNames(input.secretNames);
  const activationId = input.activationId ?? "";
  assertFingerprint(activationId, "activationId");
  const keep = input.keepReleases ?? 5;
  assertInteger(keep, 0, 1000, "keepReleases");
  const variables = { ...(input.variables ?? {}) };
  const start = input.start;
  if (start?.port !== undefined) {
    assertInteger(start.port, 1, 65535, "start.port");
    variables.PORT = String(start.port);
  }
  const grace = start?.stopGraceSeconds ?? 10;
  assertInteger(grace, 0, 3600, "start.stopGraceSeconds");
  const check = start?.startCheckSeconds ?? 1;
  assertInteger(check, 0, 600, "start.startCheckSeconds");
  const env = renderEnvFunction(
    "dh_env",
    variables,
    secretNames,
    platformVariables({ ...input, appDir: layout.current, buildPhase: false }),
  );
  const defer = input.deferFailure ?? false;
  // The legacy (no proxy) activation: stop-then-start in `current`; published with dh_commit, and
  // confirmed (promoted, pruned) only once the step acknowledged the result.
  const confirm = [
    "if dh_commit 0; then",
    ...(defer ? [] : ["  dh_promote"]),
    `  dh_prune ${keep}`,
    "else",
    '  dh_say "the step\'s channel was lost before it read the result: rolling back"',
    "  dh_rollback",
    "fi",
    "return 0",
  ];
  let legacy: string[] = [];
  if (start) {
    const failed = "the app exited within $DH_START_CHECK s of its start; see $DH_APP/logs/app.log";
    legacy = [
      "dh_switch",
      "dh_restart_workers",
      "dh_stop_app",
      'if ! dh_start_app dh_env "$DH_START_CMD" "$DH_START_CHECK" "$DH_ACTIVATION"; then',
      ...(defer
        ? [
            `  printf '${M}startFailed pid=%s\\n' "$DH_STARTED_PID"`,
            `  dh_say "${failed}; the outcome step reports the failure, runs runFailed and rolls back"`,
            "  dh_commit 0 || dh_rollback",
            "  return 0",
          ]
        : ["  dh_rollback", `  dh_fail 1 "${failed}"`]),
      "fi",
      ...confirm,
    ];
  } else if (input.restartCommand !== undefined) {
    legacy = [
      "dh_switch",
      "dh_restart_workers",
      "dh_forget_dead_app",
      renderRun({
        label: RESTART_LABEL,
        script: input.restartCommand,
        cwd: layout.current,
        timeoutSeconds: input.restartTimeoutSeconds ?? 300,
        failure: "abort",
        fingerprint: "",
        envFunction: "dh_env",
        abortNote: "",
      }),
      'dh_status=$?; if [ "$dh_status" -ne 0 ]; then dh_rollback; exit "$dh_status"; fi',
      ...confirm,
    ];
  } else {
    legacy = ["dh_switch", "dh_restart_workers", "dh_forget_dead_app", ...confirm];
  }
  const record = [
    `DH_RB_RELEASE=${input.releaseId}`,
    `DH_RB_ACTIVATION=${shellQuote(activationId)}`,
    `DH_RB_KIND=${start ? "start" : input.restartCommand !== undefined ? "restart" : "none"}`,
    `DH_RB_START_CMD=${shellQuote(start?.command ?? "")}`,
    `DH_RB_CHECK=${check}`,
    `DH_RB_GRACE=${grace}`,
    `DH_RB_SECRETS=(${secretNames.join(" ")})`,
    env.replace(/^dh_env\(\) \{/, "dh_rb_env() {"),
    "",
  ].join("\n");
  const delimiter = heredocDelimiter(record);
  const pending = `$DH_STATE/${RECORD_PENDING}`;
  const proxy = start && input.proxy ? proxySettings(input.proxy) : undefined;
  const proxyVars = proxy
    ? [
        renderEnvFunction(
          "dh_env_rel",
          variables,
          secretNames,
          platformVariables({
            ...input,
            appDir: `${layout.releasesDir}/${input.releaseId}`,
            buildPhase: false,
          }),
        ),
        `DH_PX=${shellQuote(`${layout.stateDir}/proxy`)}`,
        `DH_PX_CONFIG=${shellQuote(caddyConfig(`${layout.stateDir}/proxy`, proxy))}`,
        `DH_PX_PUBLIC=${proxy.publicPort}`,
        `DH_DRAIN=${proxy.drainSeconds}`,
        `DH_MODE=${proxy.mode}`,
        `DH_HEALTH_PATH=${shellQuote(proxy.healthPath)}`,
        `DH_HEALTH_TIMEOUT=${proxy.healthTimeoutSeconds}`,
        `DH_DEFER=${defer ? 1 : 0}`,
        `DH_KEEP=${keep}`,
        "declare -a DH_PORTS=()",
      ]
    : [];
  const missing = `the front proxy (caddy) is not installed on this host, so the activation stops the old app before starting the new one (requests are refused meanwhile); install it with: ${PROXY_INSTALL_COMMAND}`;
  const body = proxy
    ? [
        "if dh_px_have; then",
        "  dh_px_activation",
        "  return 0",
        "fi",
        `printf '${M}proxy status=missing install=%s\\n' ${shellQuote(PROXY_INSTALL_COMMAND)}`,
        `dh_say ${shellQuote(missing)}`,
        ...legacy,
      ]
    : legacy;
  const workers = input.workers ?? [];
  for (const w of workers) {
    if (!/^[A-Za-z0-9_.-]+$/.test(w.name) || w.name.length > 64) {
      throw new ConfigError(`${JSON.stringify(w.name)} must be letters, digits, . _ -`, {
        path: `workers.${w.name}`,
      });
    }
  }
  const restartWorkers = [
    "dh_restart_workers() {",
    ...workers.map(
      (w) => `  dh_restart_worker ${w.name} ${shellQuote(w.command, `workers.${w.name}`)}`,
    ),
    "  return 0",
    "}",
  ].join("\n");
  const main = [
    env,
    restartWorkers,
    `DH_PIDFILE=${shellQuote(layout.pidFile)}`,
    `DH_ACTIVATION=${shellQuote(activationId)}`,
    `DH_GRACE=${grace}`,
    `DH_START_CHECK=${check}`,
    ...(start ? [`DH_START_CMD=${shellQuote(start.command, "start.command")}`] : []),
    ...proxyVars,
    "dh_require_release",
    `(umask 077 && cat >"${pending}.tmp" <<'${delimiter}'`,
    `${record}${delimiter}`,
    `) && mv -f -- "${pending}.tmp" "${pending}" || dh_fail 73 "cannot write ${pending}"`,
    "dh_activation() {",
    ...body.map((l) => `  ${l}`),
    "}",
    "dh_detached dh_activation",
  ].join("\n");
  const program = renderProgram({
    ...input,
    step: "activate",
    secretNames,
    libraries: [
      SUPERVISOR_BASH,
      PRUNE_BASH,
      DETACH_BASH,
      WORKER_BASH,
      ...(proxy ? [PROXY_BASH, HEALTH_BASH, PROXY_ACTIVATE_BASH] : []),
      ...(input.restartCommand !== undefined ? [RUN_BASH] : []),
    ],
    main,
  });
  return { command: toCommand(program), program, secretNames };
}

/** Input of the stop program. */
export interface StopStepInput extends CommonStepOptions {
  target: AppTarget;
  /**
   * The activation whose app this program may stop (see ActivateStepInput.activationId); absent:
   * stop whatever app the supervisor runs for this app on the host.
   */
  activationId?: string;
  /** Seconds between TERM and KILL. Default 10. */
  stopGraceSeconds?: number;
}

/**
 * The stop program: the `delete` that stops the app started by the built-in supervisor (the
 * components put it on a per-host `app` resource that is only deleted by `pulumi destroy` or when
 * the host is removed). With `activationId`, it stops the app only when the pid file still names
 * that activation (safe as the delete of a resource that is replaced create-before-delete).
 * Missing app directory: nothing to do, and no layout is created.
 */
export function renderStopStep(input: StopStepInput): RenderedStep {
  if (input.activationId !== undefined) assertFingerprint(input.activationId, "activationId");
  const grace = input.stopGraceSeconds ?? 10;
  assertInteger(grace, 0, 3600, "stopGraceSeconds");
  const layout = appLayout(input.target);
  // Without an activation id: stop whatever the pid file names. With one: only that activation's
  // app (the pid file's third field); a pid file naming another activation is left alone.
  const stop =
    input.activationId === undefined
      ? [
          "dh_stop_app",
          'DH_PIDFILE="$DH_STATE/slot-0.pid" dh_stop_app',
          'DH_PIDFILE="$DH_STATE/slot-1.pid" dh_stop_app',
          'for dh_w in "$DH_STATE"/worker-*.pid; do [ -f "$dh_w" ] && DH_PIDFILE=$dh_w dh_stop_app; done',
          `DH_PX=${shellQuote(`${layout.stateDir}/proxy`)}`,
          "dh_px_stop",
        ]
      : [
          'if [ -f "$DH_PIDFILE" ]; then',
          '  dh_got=; read -r _ _ dh_got <"$DH_PIDFILE"',
          `  if [ "$dh_got" = ${shellQuote(input.activationId)} ]; then dh_stop_app`,
          `  else printf '${M}stop skipped: the running app belongs to another activation\\n'`,
          "  fi",
          "fi",
        ];
  const main = [
    `DH_PIDFILE=${shellQuote(layout.pidFile)}`,
    `DH_GRACE=${grace}`,
    ...stop,
    "exit 0",
  ].join("\n");
  const program = renderProgram({
    ...input,
    releaseId: "stop",
    step: "stop",
    secretNames: [],
    libraries: [SUPERVISOR_BASH, ...(input.activationId === undefined ? [PROXY_BASH] : [])],
    main,
  });
  // A host whose app directory is gone has nothing to stop (and must not get a fresh layout).
  const guarded = `[ -d ${shellQuote(layout.appDir)} ] || exit 0\n${program}`;
  return { command: toCommand(guarded), program: guarded, secretNames: [] };
}
