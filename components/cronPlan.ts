/**
 * The `cron` resource of a deployment: on the leader host, after its activation (and its outcome
 * step, when it has one), install the app's
 * cron jobs (Upsun `crons`, Clever Cloud `clevercloud/cron.json`); its delete removes them. Same
 * triggers as the leader's activation (every deployment that changes anything reinstalls, so the
 * jobs always run the current release with the current variables).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppSpec } from "../model/app";
import { leaderOf } from "../engine/steps";
import type { StepHost, StepPlan } from "../engine/types";
import { digestValue } from "../fingerprint/digest";
import { cleverCronJobs, upsunCronJobs, type CronJob } from "../profiles/crons";
import { renderCronInstallStep, renderCronRemoveStep } from "../render/cron";
import { appLayout, type AppTarget } from "../render/layout";
import {
  LOCAL_COMMAND,
  NOOP_UPDATE,
  REMOTE_COMMAND,
  type DeploymentModel,
  type PlanHost,
  type StepResourceSpec,
} from "./planTypes";

/** The Clever Cloud cron file, relative to the source root. */
export const CLEVER_CRON_FILE = "clevercloud/cron.json";

/** The app's cron jobs for a host whose app dir is `target` (reads clevercloud/cron.json). */
export function cronJobsOf(app: AppSpec, source: string, target: AppTarget): CronJob[] {
  if (app.profile === "upsun") return upsunCronJobs(app.config, app.name);
  if (app.profile === "cleverCloud") {
    const file = path.join(source, CLEVER_CRON_FILE);
    if (!fs.existsSync(file)) return [];
    return cleverCronJobs(fs.readFileSync(file, "utf8"), appLayout(target).current, file);
  }
  return [];
}

/** The cron resource spec, or none when the app has no cron jobs. */
export function cronResource(input: {
  model: DeploymentModel<string>;
  app: AppSpec;
  releaseId: string;
  steps: StepPlan[];
  stepHosts: StepHost[];
  hosts: Map<string, PlanHost>;
  names: Map<string, string>;
  runtime: { variables: Record<string, string>; secretNames: string[] };
  resourceName: (host: string, stepId: string) => string;
}): StepResourceSpec | undefined {
  const leader = leaderOf(input.stepHosts);
  const host = input.hosts.get(leader.name) as PlanHost;
  const target: AppTarget = { root: host.root, app: input.app.name };
  const jobs = cronJobsOf(input.app, input.model.source, target);
  if (jobs.length === 0) return undefined;
  const activate = input.steps.find((s) => s.kind === "activate" && s.host === leader.name);
  if (!activate) return undefined;
  const cronId = `c-${digestValue({ triggers: activate.triggers, jobs })
    .replace(/^sha256:/, "")
    .slice(0, 24)}`;
  const install = renderCronInstallStep({
    target,
    profile: input.app.profile,
    releaseId: input.releaseId,
    cronId,
    jobs,
    ...input.runtime,
    instanceNumber: host.index,
  });
  return {
    name: input.resourceName(leader.name, "cron"),
    type: host.remote ? REMOTE_COMMAND : LOCAL_COMMAND,
    host: leader.name,
    stepId: "cron",
    kind: "cron",
    triggers: [...activate.triggers, `crons=${digestValue(jobs)}`],
    secretNames: install.secretNames,
    // After the leader's outcome step when there is one (a failed start rolls back first).
    dependsOn: [
      (input.names.get(`${leader.name}/outcome`) ??
        input.names.get(`${leader.name}/activate`)) as string,
    ],
    create: install.command,
    update: NOOP_UPDATE,
    delete: renderCronRemoveStep({ target, cronId }).command,
  };
}
