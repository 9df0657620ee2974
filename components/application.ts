/**
 * Application: a generic deployment with a profile (`upsun`, `cleverCloud`, or `custom` with its own lifecycle) and its hooks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ApplicationArgs } from "./args";
import { wireDeployment, type HookRunSummary } from "./deployment";
import { argsForState } from "./stateArgs";
import { applicationModel } from "./deploymentModel";

/**
 * Deploys an application to hosts (SSH) or to the local machine with a profile's hook lifecycle.
 * One command resource per step per host; a step reruns exactly when the engine's triggers change.
 */
export class Application extends pulumi.ComponentResource {
  /** Release id on the hosts (`releases/<id>`): derived from the code and build fingerprints. */
  public readonly releaseId: pulumi.Output<string>;
  /** Current fingerprint per change class: `code`, `build`, `runtime`, `redeploy`. */
  public readonly fingerprints: pulumi.Output<{ [key: string]: string }>;
  /** Per host: the URL probed by the health check ("" when none). */
  public readonly urls: pulumi.Output<{ [key: string]: string }>;
  /** Per host: health check result of this deployment's outcome step (`ok`, `failed`, `skipped`; `unknown` when it did not run in this deployment, or in a preview). */
  public readonly health: pulumi.Output<{ [key: string]: string }>;
  /** Per step resource name (`${name}-${host}-${step}`): its trigger entries (`code:src/=…`, `runtime:web.commands.start=…`, `script=…`, `host=…`; engine/triggers.ts). */
  public readonly steps: pulumi.Output<{ [key: string]: string[] }>;
  /** The hook runs of this deployment (host, step, hook, exit code, outcome, seconds, reason); also logged per host at the end of `up`. */
  public readonly summary: pulumi.Output<HookRunSummary[]>;

  constructor(name: string, args: ApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("deployhooks:index:Application", name, argsForState(args), opts);
    const out = wireDeployment(
      this,
      applicationModel<pulumi.Input<string>>(name, args),
      args.hosts,
    );
    this.releaseId = out.releaseId;
    this.fingerprints = out.fingerprints;
    this.urls = out.urls;
    this.health = out.health;
    this.steps = out.steps;
    this.summary = out.summary;
    this.registerOutputs({
      releaseId: this.releaseId,
      fingerprints: this.fingerprints,
      urls: this.urls,
      health: this.health,
      steps: this.steps,
      summary: this.summary,
    });
  }
}
