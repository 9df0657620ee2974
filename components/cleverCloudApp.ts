/**
 * CleverCloudApp: a Clever Cloud application (CC_*_HOOK variables) on your own hosts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CleverCloudAppArgs } from "./args";
import { wireDeployment, type HookRunSummary } from "./deployment";
import { argsForState } from "./stateArgs";
import { cleverCloudModel } from "./deploymentModel";

/**
 * Deploys a Clever Cloud application (its `CC_*_HOOK` variables, `CC_RUN_COMMAND`,
 * `CC_HEALTH_CHECK_PATH`, environment) to your own hosts, with Clever Cloud's hook semantics.
 */
export class CleverCloudApp extends pulumi.ComponentResource {
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

  constructor(name: string, args: CleverCloudAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("deployhooks:index:CleverCloudApp", name, argsForState(args), opts);
    const out = wireDeployment(
      this,
      cleverCloudModel<pulumi.Input<string>>(name, args),
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
