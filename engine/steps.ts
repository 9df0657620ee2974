/**
 * The deployment steps of one app over its hosts (SPEC §4, §5): per host upload → build → hooks →
 * activate → outcome, each with the triggers the engine derives, ordered across hosts so that
 * builds happen everywhere, then `once` pre-activation hooks on the leader, then the switch on
 * every host, then `once` post-activation hooks on the leader.
 */
import { CHANGE_CLASSES } from "../model/changeClass";
import type { HookScope, HookStage } from "../model/app";
import { ConfigError } from "../model/configError";
import { hookTriggers, hostTrigger, stepTriggers } from "./triggers";
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
  /**
   * Add a `probe` step (what the host keeps of the release) and a `transfer` step (the artifact
   * copy) per remote host; false for the local machine.
   */
  transfer?: (host: StepHost) => boolean;
  /** Add an `outcome` step (health check + run outcome hooks) even without outcome hooks. */
  healthCheck?: boolean;
  /**
   * Hosts activated at once: activations go in batches of this size, in host order, and a batch
   * starts only after the previous one passed its outcome step (rolling activation). Default 1.
   */
  batchSize?: number;
  /**
   * Add a `hold` step on every web host before each request-blocking `once` hook (Upsun `deploy`):
   * the front proxy holds requests from before the hook until the new app answers. Default false.
   */
  holds?: boolean;
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
  const runsOn = (hook: ResolvedHook, host: StepHost) =>
    servesRole(hook, host) && (hook.scope === "everyHost" || host.name === leader.name);

  const steps: StepPlan[] = [];
  /** Appends a step that waits for `after`; returns what the next step waits for. */
  const add = (step: Omit<StepPlan, "dependsOn">, after: readonly string[]): string[] => {
    steps.push({ ...step, dependsOn: [...after] });
    return [stepRef(step.host, step.id)];
  };
  /** Appends, one after the other, the `stage` hooks (of `scope` when given) that run on `host`. */
  const addHooks = (
    stage: HookStage,
    host: StepHost,
    after: readonly string[],
    scope?: HookScope,
  ): readonly string[] => {
    for (const hook of snapshot.hooks) {
      if (hook.stage !== stage || hook.outcome || !runsOn(hook, host)) continue;
      if (scope !== undefined && hook.scope !== scope) continue;
      const triggers = hookTriggers(snapshot, hook, host);
      after = add(
        { id: `hook-${hook.name}`, kind: "hook", host: host.name, hook, triggers },
        after,
      );
    }
    return after;
  };

  // 1. Per host: transfer → upload → beforeBuild hooks → build → afterBuild hooks → everyHost
  //    beforeActivate hooks.
  const built: string[] = [];
  for (const host of hosts) {
    let last: readonly string[] = [];
    if (options.transfer?.(host)) {
      // The probe tells what the host keeps of the release, so the transfer copies the artifact
      // only when the host needs it (a kept release is re-activated without an upload).
      // The probe follows the release id (code + build); the copy follows the code only (the host
      // keeps the last unpacked tarball, so a build-only change needs no new copy).
      const probeTriggers = stepTriggers(snapshot, ["code", "build"], host);
      last = add({ id: "probe", kind: "upload", host: host.name, triggers: probeTriggers }, last);
      const triggers = stepTriggers(snapshot, ["code"], host);
      last = add({ id: "transfer", kind: "upload", host: host.name, triggers }, last);
    }
    // A new release directory exists per code+build fingerprint (releaseId), so unpacking reruns on either.
    const uploadTriggers = stepTriggers(snapshot, ["code", "build"], host);
    last = add({ id: "upload", kind: "upload", host: host.name, triggers: uploadTriggers }, last);
    last = addHooks("beforeBuild", host, last);
    const buildTriggers = stepTriggers(snapshot, snapshot.buildRerunOn, host);
    last = add({ id: "build", kind: "build", host: host.name, triggers: buildTriggers }, last);
    last = addHooks("afterBuild", host, last);
    built.push(...addHooks("beforeActivate", host, last, "everyHost"));
  }

  // 2. `once` beforeActivate hooks on the leader, after every host is built (Upsun deploy). A hook
  //    that blocks requests first gets a `hold` step on every web host (same triggers as the hook,
  //    with the host's identity), so requests wait from before it until the activation.
  let ready: readonly string[] = built;
  for (const hook of snapshot.hooks) {
    if (hook.stage !== "beforeActivate" || hook.outcome || hook.scope !== "once") continue;
    if (!runsOn(hook, leader)) continue;
    if (options.holds && hook.blocksRequests) {
      const held: string[] = [];
      for (const host of hosts.filter((h) => h.roles.includes("web"))) {
        const triggers = hookTriggers(snapshot, hook, host);
        held.push(
          ...add({ id: `hold-${hook.name}`, kind: "hold", host: host.name, triggers }, ready),
        );
      }
      ready = held;
    }
    const triggers = hookTriggers(snapshot, hook, leader);
    ready = add(
      { id: `hook-${hook.name}`, kind: "hook", host: leader.name, hook, triggers },
      ready,
    );
  }

  // 3+4. Rolling activation: per batch of hosts, switch `current` and restart (every deployment: the
  //    restart of a redeploy), then everyHost afterActivate hooks and the outcome step (health check
  //    + run outcome hooks); the next batch waits for this one's last steps.
  const batch = Math.max(1, Math.floor(options.batchSize ?? 1));
  const outcomeHooks = snapshot.hooks.filter((h) => h.outcome);
  const done: string[] = [];
  let gate: readonly string[] = ready;
  for (let i = 0; i < hosts.length; i += batch) {
    const finished: string[] = [];
    for (const host of hosts.slice(i, i + batch)) {
      const triggers = stepTriggers(snapshot, CHANGE_CLASSES, host);
      let last: readonly string[] = add(
        { id: "activate", kind: "activate", host: host.name, triggers },
        gate,
      );
      last = addHooks("afterActivate", host, last, "everyHost");
      const mine = outcomeHooks.filter((h) => runsOn(h, host));
      if (mine.length > 0 || options.healthCheck) {
        const outcomeTriggers = [
          ...stepTriggers(snapshot, CHANGE_CLASSES),
          ...mine.map((h) => `${h.name}.script=${snapshot.scripts[h.name]}`),
          hostTrigger(host),
        ];
        last = add(
          { id: "outcome", kind: "outcome", host: host.name, triggers: outcomeTriggers },
          last,
        );
      }
      finished.push(...last);
    }
    done.push(...finished);
    gate = finished;
  }

  // 5. `once` afterActivate hooks on the leader, after every host switched and passed its outcome
  //    step (Upsun postDeploy).
  addHooks("afterActivate", leader, done, "once");
  return steps;
}
