/**
 * UpsunApp: an Upsun / Platform.sh application (hooks build, deploy, post_deploy) on your own hosts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { UpsunAppArgs } from "./args";
import { wireDeployment, type HookRunSummary } from "./deployment";
import { argsForState } from "./stateArgs";
import { upsunModel } from "./deploymentModel";

/**
 * Deploys an Upsun / Platform.sh application (its `hooks`, `variables`, `web.commands.start`,
 * `mounts`) to your own hosts, with Upsun's hook semantics.
 */
// The three component classes repeat the same outputs on purpose: Pulumi's component analyzer (used
// by `pulumi package add` for other languages) needs classes that directly extend
// ComponentResource and declare their outputs as properties, so a shared base class or getters
// would hide them from the schema. The shared work lives in deployment.ts (wireDeployment).
export class UpsunApp extends pulumi.ComponentResource {
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

  constructor(name: string, args: UpsunAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("deployhooks:index:UpsunApp", name, argsForState(args), opts);
    const out = wireDeployment(this, upsunModel<pulumi.Input<string>>(name, args), args.hosts);
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
