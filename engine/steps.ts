/**
 * The deployment steps of one app over its hosts (SPEC §4, §5): per host upload → build → hooks →
 * activate → outcome, each with the triggers the engine derives, ordered across hosts so that
 * builds happen everywhere, then `once` pre-activation hooks on the leader, then the switch on
 * every host, then `once` post-activation hooks on the leader.
 */
import { CHANGE_CLASSES } from "../model/changeClass";
import type { HookStage } from "../model/app";
import { ConfigError } from "../model/configError";
import { classTrigger, hookTriggers, hostTrigger, stepTriggers } from "./triggers";
import type { AppSnapshot, ResolvedHook, StepHost, StepPlan } from "./types";

/** `host/id`, the way StepPlan.dependsOn names a step. */
export const stepRef = (host: string, id: string): string => `${host}/${id}`;

function servesRole(hook: ResolvedHook, host: StepHost): boolean {
  return hook.roles.some((r) => host.roles.includes(r));
}

/** The leader: the host flagged `leader`, which must be a web host; exactly one. */
export function leaderOf(hosts: readonly StepHost[]): StepHost {
  const flagged = hosts.filter((h) => h.leader);
  if (flagged.length > 1) {
    throw new ConfigError(
      `only one host can be the leader (${flagged.map((h) => h.name).join(", ")})`,
      { path: "hosts" },
    );
  }
  const leader = flagged[0] ?? hosts.find((h) => h.roles.includes("web"));
  if (!leader) throw new ConfigError("at least one host must have the web role", { path: "hosts" });
  if (!leader.roles.includes("web")) {
    throw new ConfigError(`the leader ${leader.name} must have the web role`, { path: "hosts" });
  }
  return leader;
}

/** Options of the step planner. */
export interface StepOptions {
  /** Add a `transfer` step per remote host (the artifact copy); false for the local machine. */
  transfer?: (host: StepHost) => boolean;
  /** Add an `outcome` step (health check + run outcome hooks) even without outcome hooks. */
  healthCheck?: boolean;
}

/**
 * All steps of one app on `hosts`, in a valid execution order. Hooks run on a host only when their
 * roles include one of the host's roles; `once` hooks run on the leader only.
 */
export function deploymentSteps(
  snapshot: AppSnapshot,
  hosts: readonly StepHost[],
  options: StepOptions = {},
): StepPlan[] {
  if (hosts.length === 0) {
    throw new ConfigError("an app needs at least one host", { path: "hosts" });
  }
  const names = new Set<string>();
  for (const h of hosts) {
    if (names.has(h.name)) {
      throw new ConfigError(`host name '${h.name}' is used twice`, { path: "hosts" });
    }
    names.add(h.name);
  }
  const leader = leaderOf(hosts);
  const steps: StepPlan[] = [];
  const byStage = (stage: HookStage) =>
    snapshot.hooks.filter((h) => h.stage === stage && !h.outcome);
  const hookStep = (hook: ResolvedHook, host: StepHost, dependsOn: string[]): StepPlan => ({
    id: `hook-${hook.name}`,
    kind: "hook",
    host: host.name,
    hook,
    triggers: hookTriggers(snapshot, hook, host),
    dependsOn,
  });
  const runsOn = (hook: ResolvedHook, host: StepHost) =>
    servesRole(hook, host) && (hook.scope === "everyHost" || host.name === leader.name);

  // 1. Per host: transfer → upload → beforeBuild hooks → build → afterBuild hooks → everyHost beforeActivate hooks.
  const lastOf = new Map<string, string>();
  for (const host of hosts) {
    let last: string[] = [];
    const push = (step: StepPlan) => {
      steps.push(step);
      last = [stepRef(host.name, step.id)];
    };
    if (options.transfer?.(host)) {
      push({
        id: "transfer",
        kind: "upload",
        host: host.name,
        triggers: [classTrigger(snapshot, "code"), hostTrigger(host)],
        dependsOn: [],
      });
    }
    // A new release directory exists per code+build fingerprint (releaseId), so unpacking reruns on either.
    push({
      id: "upload",
      kind: "upload",
      host: host.name,
      triggers: stepTriggers(snapshot, ["code", "build"], host),
      dependsOn: last,
    });
    for (const hook of byStage("beforeBuild").filter((h) => runsOn(h, host))) {
      push(hookStep(hook, host, last));
    }
    push({
      id: "build",
      kind: "build",
      host: host.name,
      triggers: stepTriggers(snapshot, snapshot.buildRerunOn, host),
      dependsOn: last,
    });
    for (const hook of byStage("afterBuild").filter((h) => runsOn(h, host))) {
      push(hookStep(hook, host, last));
    }
    for (const hook of byStage("beforeActivate").filter(
      (h) => h.scope === "everyHost" && runsOn(h, host),
    )) {
      push(hookStep(hook, host, last));
    }
    lastOf.set(host.name, last[0]);
  }
  const allBuilt = hosts.map((h) => lastOf.get(h.name) as string);

  // 2. `once` beforeActivate hooks on the leader, after every host is built (Upsun deploy).
  let barrier = allBuilt;
  for (const hook of byStage("beforeActivate").filter(
    (h) => h.scope === "once" && runsOn(h, leader),
  )) {
    const step = hookStep(hook, leader, barrier);
    steps.push(step);
    barrier = [stepRef(leader.name, step.id)];
  }

  // 3. Switch `current` and restart on every host (every deployment: the restart of a redeploy).
  for (const host of hosts) {
    steps.push({
      id: "activate",
      kind: "activate",
      host: host.name,
      triggers: stepTriggers(snapshot, CHANGE_CLASSES, host),
      dependsOn: [...barrier],
    });
  }

  // 4. Per host: everyHost afterActivate hooks; the outcome step (health check + run outcome hooks).
  const outcomeHooks = snapshot.hooks.filter((h) => h.outcome);
  const done: string[] = [];
  for (const host of hosts) {
    let last = [stepRef(host.name, "activate")];
    for (const hook of byStage("afterActivate").filter(
      (h) => h.scope === "everyHost" && runsOn(h, host),
    )) {
      const step = hookStep(hook, host, last);
      steps.push(step);
      last = [stepRef(host.name, step.id)];
    }
    const mine = outcomeHooks.filter((h) => runsOn(h, host));
    if (mine.length > 0 || options.healthCheck) {
      steps.push({
        id: "outcome",
        kind: "outcome",
        host: host.name,
        triggers: [
          ...stepTriggers(snapshot, CHANGE_CLASSES),
          ...mine.map((h) => `${h.name}.script=${snapshot.scripts[h.name]}`),
          hostTrigger(host),
        ],
        dependsOn: last,
      });
      last = [stepRef(host.name, "outcome")];
    }
    done.push(...last);
  }

  // 5. `once` afterActivate hooks on the leader, after every host switched and passed its outcome
  //    step (Upsun postDeploy).
  let after = [...done];
  for (const hook of byStage("afterActivate").filter(
    (h) => h.scope === "once" && runsOn(h, leader),
  )) {
    const step = hookStep(hook, leader, after);
    steps.push(step);
    after = [stepRef(leader.name, step.id)];
  }
  return steps;
}
