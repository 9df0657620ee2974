/**
 * A resolved deployment model → one resource spec per engine step ({type, name, create, update,
 * triggers, secretNames, dependsOn, copy}). The component classes only wire these into resources.
 */
import * as path from "node:path";
import { AppSpec } from "../model/app";
import { deploymentSteps, snapshotApp, stepRef } from "../engine";
import { type AppSnapshot, type StepHost, type StepPlan } from "../engine/types";
import { profileFor } from "../profiles/resolve";
import { renderActivateStep, renderStopStep } from "../render/activate";
import { digestValue } from "../fingerprint/digest";
import { renderBuildStep } from "../render/build";
import { AppTarget, uploadPath } from "../render/layout";
import { renderUploadStep } from "../render/upload";
import { renderProbeStep } from "../render/probe";
import type { BuildPhaseOptions } from "../render/releaseCheck";
import type { ChangeClass } from "../model/changeClass";
import { renderHookStep } from "../render/wrapper";
import { renderOutcomeStep } from "../render/outcome";
import { assertShellSafeText } from "../render/quote";
import { ConfigError } from "../model/configError";
import { HOST_LIBRARY, renderLibraryStep } from "../render/library";
import type { ProxyOptions } from "../render/proxy";
import { renderHoldStep } from "../render/proxyHold";
import type { WorkerCommand } from "../render/activate";
import {
  COPY_TO_REMOTE,
  DeploymentModel,
  DeploymentPlan,
  LOCAL_COMMAND,
  NOOP_UPDATE,
  PlanHost,
  REMOTE_COMMAND,
  ResolvedInputs,
  StepResourceSpec,
} from "./planTypes";
import { appSpecOf } from "./deploymentModel";
import { cronResource } from "./cronPlan";

/** Resource name of a step. */
export function resourceName(component: string, host: string, stepId: string): string {
  return `${component}-${host}-${stepId}`;
}

/** Non-secret values and secret names visible to a process of `phase`. */
export function variablesFor(
  model: DeploymentModel<string>,
  phase: "build" | "runtime",
): { variables: Record<string, string>; secretNames: string[] } {
  const visible = model.variables.filter((v) => v.visibility === "both" || v.visibility === phase);
  const variables: Record<string, string> = {};
  const secretNames: string[] = [];
  for (const v of visible) {
    if (v.secret) secretNames.push(v.name);
    else variables[v.name] = v.value;
  }
  return { variables, secretNames: secretNames.sort() };
}

/** Secret values by name (for the stdin of a step). */
export function secretValues(
  model: DeploymentModel<string>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = model.variables.find((x) => x.secret && x.name === n);
    if (v) out[n] = v.value;
  }
  return out;
}

/** Shortest secret value that can be redacted from output (shorter ones match ordinary text). */
export const MIN_SECRET_LENGTH = 4;

/**
 * Checks every secret value before any step runs: no NUL or lone surrogate (it could not reach the
 * process), and empty or at least MIN_SECRET_LENGTH characters (a shorter one could not be
 * redacted from the output without mangling it, so it is refused rather than shown).
 */
export function assertSecretValues(model: DeploymentModel<string>): void {
  for (const v of model.variables) {
    if (!v.secret) continue;
    assertShellSafeText(v.value, v.key);
    const n = [...v.value].length;
    if (n > 0 && n < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        `the secret ${v.name} is ${n} character${n === 1 ? "" : "s"} long; secrets of 1 to ${MIN_SECRET_LENGTH - 1} characters cannot be redacted from hook and app output (they would match ordinary text): use a longer value, or give it as a plain variable if it is not secret`,
        { path: v.key },
      );
    }
  }
}

/** The whole plan: one resource spec per engine step (engine order). */
export function planDeployment(inputs: ResolvedInputs): DeploymentPlan {
  const { model, code, artifact, identities } = inputs;
  assertSecretValues(model);
  const app = appSpecOf(model);
  const snapshot = snapshotApp(app, code);
  const profile = profileFor(app);
  const releaseId = snapshot.releaseId;
  const stepHosts: StepHost[] = model.hosts.map((h) => ({
    name: h.name,
    roles: h.roles,
    leader: h.leader,
    identity: identities[h.name] ?? (h.remote ? `unknown:${h.name}` : "local"),
  }));
  const byName = new Map(model.hosts.map((h) => [h.name, h]));
  const steps = withoutEmptyOutcomes(
    deploymentSteps(snapshot, stepHosts, {
      transfer: (h) => byName.get(h.name)?.remote ?? false,
      healthCheck:
        model.hosts.some((h) => h.url !== undefined) && model.healthCheckPath !== undefined,
      batchSize: model.traffic.maxUnavailable,
      holds: Boolean(model.start) && !model.restartCommand && model.traffic.proxy,
    }),
    (host) => byName.get(host)?.url !== undefined && model.healthCheckPath !== undefined,
  );
  const build = variablesFor(model, "build");
  const runtime = variablesFor(model, "runtime");
  if (
    model.port !== undefined &&
    !("PORT" in runtime.variables) &&
    !runtime.secretNames.includes("PORT")
  ) {
    runtime.variables.PORT = String(model.port);
  }
  const seal = profile.readOnlyRelease ? { mounts: model.mounts } : undefined;
  const names = new Map(
    steps.map((s) => [stepRef(s.host, s.id), resourceName(model.componentName, s.host, s.id)]),
  );
  const lastAfterBuild = new Map<string, string>();
  for (const s of steps) {
    if (s.kind === "build" || (s.kind === "hook" && s.hook?.stage === "afterBuild")) {
      lastAfterBuild.set(s.host, s.id);
    }
  }

  // Hosts whose deployment ends with an outcome step (health check, Clever run outcome hooks): their
  // activation hands a start failure to that step, which runs runFailed and rolls back.
  const withOutcome = new Set(steps.filter((s) => s.kind === "outcome").map((s) => s.host));

  const libraryName = (host: string) => resourceName(model.componentName, host, "library");
  const supervised = Boolean(model.start) && !model.restartCommand;
  const supervisorName = (host: string) => resourceName(model.componentName, host, "app");
  const specs = steps.map((s): StepResourceSpec => {
    const host = byName.get(s.host) as PlanHost;
    const target: AppTarget = { root: host.root, app: app.name };
    // On a remote host the tarball keeps its local name (`code-<fingerprint>.tar`, artifact/).
    const remoteTarball = uploadPath(target, path.basename(artifact.path));
    const common = {
      target,
      profile: app.profile,
      releaseId,
      instanceNumber: host.index,
      hostLibrary: true,
      // One deployment at a time per app: every step claims the app for this release.
      deployment: releaseId,
      // Each hook run reports which of these entries changed since its previous run (its reason).
      triggers: s.triggers,
    };
    // One digest of the step's triggers: recorded in the history, and the activation's identity.
    const fingerprint = digestValue(s.triggers);
    const stepSeal = seal && lastAfterBuild.get(s.host) === s.id ? seal : undefined;
    const buildPhase = buildPhaseOf(s, snapshot, lastAfterBuild.get(s.host) === s.id);
    const base = {
      name: names.get(stepRef(s.host, s.id)) as string,
      host: s.host,
      stepId: s.id,
      kind: s.kind,
      triggers: s.triggers,
      // Every step of a host sources the host library its `library` step installs.
      dependsOn: [libraryName(s.host), ...s.dependsOn.map((d) => names.get(d) as string)],
    };
    const command = host.remote ? REMOTE_COMMAND : LOCAL_COMMAND;
    const rendered = renderStep(s, {
      model,
      snapshot,
      common,
      fingerprint,
      stepSeal,
      buildPhase,
      build,
      runtime,
      host,
      artifact,
      tarball: host.remote ? remoteTarball : artifact.path,
      outcomeFollows: withOutcome.has(s.host),
    });
    if (rendered === "copy") {
      return {
        ...base,
        type: COPY_TO_REMOTE,
        secretNames: [],
        copy: {
          localPath: artifact.path,
          remotePath: remoteTarball,
        },
      };
    }
    return {
      ...base,
      type: command,
      ...(s.hook ? { hook: s.hook.name, failure: s.hook.failure } : {}),
      ...(s.kind === "activate" && supervised
        ? { dependsOn: [...base.dependsOn, supervisorName(s.host)] }
        : {}),
      create: rendered.command,
      update: NOOP_UPDATE,
      secretNames: rendered.secretNames,
    };
  });
  // The app process of each host, as a resource of its own: nothing to create (activate starts the
  // app), triggered only by the host's identity, and its delete stops the app. So `pulumi destroy`
  // (or removing a host) stops the app, while deployments never pay for it.
  if (supervised) {
    for (const s of steps.filter((x) => x.kind === "activate")) {
      const host = byName.get(s.host) as PlanHost;
      specs.unshift({
        name: supervisorName(s.host),
        type: host.remote ? REMOTE_COMMAND : LOCAL_COMMAND,
        host: s.host,
        stepId: "app",
        kind: "app",
        triggers: s.triggers.filter((t) => t.startsWith("host=")),
        secretNames: [],
        dependsOn: [],
        update: NOOP_UPDATE,
        delete: renderStopStep({ target: { root: host.root, app: app.name } }).command,
      });
    }
  }
  // The leader's cron jobs (Upsun crons, Clever Cloud clevercloud/cron.json): installed after its
  // activation, removed by the resource's delete.
  const cron = cronResource({
    model,
    app,
    releaseId,
    steps,
    stepHosts,
    hosts: byName,
    names,
    runtime,
    resourceName: (host, id) => resourceName(model.componentName, host, id),
  });
  if (cron) specs.push(cron);
  // The host library of each host: installed (from stdin, checked against its digest) before any
  // other step of the host; it reruns when the library changes or the host is replaced.
  for (const h of [...model.hosts].reverse()) {
    const hostTrigger = steps
      .find((s) => s.host === h.name)
      ?.triggers.find((t) => t.startsWith("host="));
    if (!hostTrigger) continue;
    const lib = renderLibraryStep({ root: h.root, app: app.name });
    specs.unshift({
      name: libraryName(h.name),
      type: h.remote ? REMOTE_COMMAND : LOCAL_COMMAND,
      host: h.name,
      stepId: "library",
      kind: "library",
      triggers: [`library=sha256:${HOST_LIBRARY.sha256}`, hostTrigger],
      secretNames: [],
      dependsOn: [],
      create: lib.command,
      update: NOOP_UPDATE,
      stdin: lib.stdin,
    });
  }
  const urls = Object.fromEntries(
    model.hosts.map((h) => [
      h.name,
      h.url && model.healthCheckPath !== undefined
        ? new URL(model.healthCheckPath, h.url).toString()
        : "",
    ]),
  );
  return { app, snapshot, releaseId, steps: specs, urls };
}

/**
 * The engine's `healthCheck` option is per app; a host without a URL (a worker) and without outcome
 * hooks gets no outcome step: it is dropped and its dependents wait for what it waited for.
 */
export function withoutEmptyOutcomes(
  steps: StepPlan[],
  hasUrl: (host: string) => boolean,
): StepPlan[] {
  const dropped = new Map<string, string[]>();
  for (const s of steps) {
    if (
      s.kind === "outcome" &&
      !hasUrl(s.host) &&
      !s.triggers.some((t) => /^[a-zA-Z0-9]+\.script=/.test(t))
    ) {
      dropped.set(stepRef(s.host, s.id), s.dependsOn);
    }
  }
  if (dropped.size === 0) return steps;
  const expand = (refs: string[]): string[] =>
    refs.flatMap((r) => (dropped.has(r) ? expand(dropped.get(r) as string[]) : [r]));
  return steps
    .filter((s) => !dropped.has(stepRef(s.host, s.id)))
    .map((s) => ({ ...s, dependsOn: [...new Set(expand(s.dependsOn))] }));
}

const RUNTIME_CLASSES: readonly ChangeClass[] = ["runtime", "redeploy"];

/**
 * Build-phase options of a step (undefined for other steps): the build step and the
 * beforeBuild/afterBuild hooks reuse a release built earlier; those that rerun on runtime or
 * redeploy changes run again on the `current` release; the last one records the built state.
 */
export function buildPhaseOf(
  s: StepPlan,
  snapshot: AppSnapshot,
  last: boolean,
): BuildPhaseOptions | undefined {
  const stage = s.hook?.stage;
  if (
    s.kind !== "build" &&
    !(s.kind === "hook" && (stage === "beforeBuild" || stage === "afterBuild"))
  ) {
    return undefined;
  }
  const rerunOn = s.kind === "build" ? snapshot.buildRerunOn : (s.hook?.rerunOn ?? []);
  return {
    rerunWhenCurrent: rerunOn.some((c) => RUNTIME_CLASSES.includes(c)),
    markBuilt: last,
  };
}

/**
 * The front proxy of a web host's supervised app (render/proxy.ts), or undefined: no start command,
 * a restartCommand, `traffic.proxy: false`, or no public port to listen on. Upsun holds requests
 * (its `deploy` blocks them); every other profile runs blue/green.
 */
export function proxyOf(
  model: DeploymentModel<string>,
  host: PlanHost,
  profile: AppSpec["profile"],
): ProxyOptions | undefined {
  if (!model.start || model.restartCommand || !model.traffic.proxy) return undefined;
  if (!host.roles.includes("web")) return undefined;
  const publicPort = healthPort(host, model.port) ?? model.port;
  if (publicPort === undefined) return undefined;
  return {
    publicPort,
    listenAddress: model.traffic.listenAddress,
    holdSeconds: model.traffic.holdSeconds,
    drainSeconds: model.traffic.drainSeconds,
    mode: profile === "upsun" ? "hold" : "blueGreen",
    healthPath: model.healthCheckPath ?? "/",
    healthTimeoutSeconds: model.healthCheckTimeoutSeconds,
  };
}

/**
 * The supervised workers of an app: Upsun `workers.<name>.commands.start`, Clever Cloud
 * `CC_WORKER_COMMAND` / `CC_WORKER_COMMAND_<n>` (non-secret). They run on worker hosts, or on the web
 * hosts when no host has the worker role.
 */
export function workerCommandsOf(model: DeploymentModel<string>): WorkerCommand[] {
  const out: WorkerCommand[] = [];
  const config = (model.app.config ?? {}) as Record<string, unknown>;
  const workers = config.workers;
  if (workers && typeof workers === "object" && !Array.isArray(workers)) {
    for (const [name, w] of Object.entries(workers as Record<string, unknown>)) {
      const start = (w as { commands?: { start?: unknown } } | null)?.commands?.start;
      if (typeof start === "string" && start.trim() !== "") out.push({ name, command: start });
    }
  }
  for (const v of model.variables) {
    if (!v.secret && /^CC_WORKER_COMMAND(_\w+)?$/.test(v.name) && v.value.trim() !== "") {
      out.push({ name: v.name, command: v.value });
    }
  }
  return out;
}

/** Port probed on the host itself (127.0.0.1): the host URL's port, else the app's port. */
export function healthPort(host: PlanHost, port: number | undefined): number | undefined {
  if (host.url === undefined) return undefined;
  const u = new URL(host.url);
  return u.port ? Number(u.port) : (port ?? (u.protocol === "https:" ? 443 : 80));
}

interface RenderContext {
  model: DeploymentModel<string>;
  snapshot: AppSnapshot;
  common: {
    target: AppTarget;
    profile: AppSpec["profile"];
    releaseId: string;
    instanceNumber: number;
  };
  fingerprint: string;
  stepSeal?: { mounts: string[] };
  /** Build-phase steps (build, beforeBuild/afterBuild hooks): reuse of a built release. */
  buildPhase?: BuildPhaseOptions;
  build: { variables: Record<string, string>; secretNames: string[] };
  runtime: { variables: Record<string, string>; secretNames: string[] };
  host: PlanHost;
  artifact: { path: string; sha256: string };
  tarball: string;
  /** The host has an outcome step after its activation. */
  outcomeFollows: boolean;
}

function renderStep(
  s: StepPlan,
  ctx: RenderContext,
): { command: string; secretNames: string[] } | "copy" {
  const { common, fingerprint } = ctx;
  switch (s.kind) {
    case "upload":
      if (s.id === "transfer") return "copy";
      if (s.id === "probe") {
        return renderProbeStep({ target: common.target, releaseId: common.releaseId });
      }
      return renderUploadStep({
        target: common.target,
        releaseId: common.releaseId,
        tarball: ctx.tarball,
        sha256: ctx.artifact.sha256,
      });
    case "build":
      return renderBuildStep({
        ...common,
        ...ctx.build,
        command: ctx.model.buildCommand,
        fingerprint,
        ...(ctx.stepSeal ? { seal: ctx.stepSeal } : {}),
        ...(ctx.buildPhase ? { buildPhase: ctx.buildPhase } : {}),
      });
    case "hook": {
      const hook = s.hook!;
      const vars = hook.variables === "build" ? ctx.build : ctx.runtime;
      return renderHookStep({
        ...common,
        ...vars,
        hook,
        fingerprint,
        ...(ctx.stepSeal ? { seal: ctx.stepSeal } : {}),
        ...(ctx.buildPhase ? { buildPhase: ctx.buildPhase } : {}),
      });
    }
    case "hold":
      return renderHoldStep({
        target: common.target,
        releaseId: common.releaseId,
        ...(proxyOf(ctx.model, ctx.host, common.profile)
          ? { proxy: proxyOf(ctx.model, ctx.host, common.profile) }
          : {}),
      });
    case "activate": {
      const web = ctx.host.roles.includes("web");
      const workerHosts = ctx.model.hosts.some((h) => h.roles.includes("worker"));
      const workers =
        ctx.host.roles.includes("worker") || (!workerHosts && web)
          ? workerCommandsOf(ctx.model)
          : [];
      const proxy = web ? proxyOf(ctx.model, ctx.host, common.profile) : undefined;
      const publicPort = healthPort(ctx.host, ctx.model.port) ?? ctx.model.port;
      return renderActivateStep({
        ...common,
        activationId: fingerprint,
        keepReleases: ctx.model.keepReleases,
        ...ctx.runtime,
        ...(workers.length > 0 ? { workers } : {}),
        // With an outcome step after it, a start failure is judged there (runFailed, rollback)
        // and the start check need not wait: the health check does.
        ...(ctx.outcomeFollows ? { deferFailure: true } : {}),
        ...(ctx.model.restartCommand
          ? { restartCommand: ctx.model.restartCommand }
          : ctx.model.start && web
            ? {
                start: {
                  command: ctx.model.start,
                  ...(publicPort !== undefined ? { port: publicPort } : {}),
                  ...(ctx.outcomeFollows ? { startCheckSeconds: 0 } : {}),
                },
                ...(proxy ? { proxy } : {}),
              }
            : {}),
      });
    }
    case "outcome": {
      const mine = ctx.snapshot.hooks.filter(
        (h) => h.outcome && s.triggers.some((t) => t.startsWith(`${h.name}.script=`)),
      );
      const port = healthPort(ctx.host, ctx.model.port);
      return renderOutcomeStep({
        ...common,
        ...ctx.runtime,
        ...(port !== undefined && ctx.model.healthCheckPath !== undefined
          ? {
              health: {
                port,
                path: ctx.model.healthCheckPath,
                timeoutSeconds: ctx.model.healthCheckTimeoutSeconds,
              },
            }
          : {}),
        fingerprint,
        succeeded: mine.find((h) => h.outcome === "succeeded"),
        failed: mine.find((h) => h.outcome === "failed"),
      });
    }
  }
}
