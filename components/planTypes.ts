/**
 * Plain types and constants of a deployment plan: the resource types, the model of a deployment
 * (variables, hosts, settings) and one resource spec per step. No Pulumi runtime.
 */
import * as os from "node:os";
import * as path from "node:path";
import { AppSpec, AppSpecInput } from "../model/app";
import { type AppSnapshot, type CodeState, type StepKind } from "../engine/types";

/** Resource types the components create. */
export const LOCAL_COMMAND = "command:local:Command";
export const REMOTE_COMMAND = "command:remote:Command";
export const COPY_TO_REMOTE = "command:remote:CopyToRemote";
export type StepResourceType = typeof LOCAL_COMMAND | typeof REMOTE_COMMAND | typeof COPY_TO_REMOTE;

/** The no-op `update` of every command: only `triggers` (a replace) rerun a step (SPEC §5). */
export const NOOP_UPDATE = "true";
/** Releases kept per host by default (the new one included). */
export const DEFAULT_KEEP_RELEASES = 5;
/** Default remote deployment root. */
export const DEFAULT_REMOTE_ROOT = "/srv/deployhooks";
/** Default local deployment root. */
export function defaultLocalRoot(): string {
  return path.join(os.homedir(), ".deployhooks", "apps");
}
/** Default directory of release tarballs: private to the user (artifact/privateDir.ts). */
export { defaultArtifactDir } from "../artifact/privateDir";

/** A variable whose value may still be an Input (V) or is resolved (string). */
export interface ModelVariable<V> {
  name: string;
  value: V;
  secret: boolean;
  visibility: "build" | "runtime" | "both";
  buildAffecting?: boolean;
  /** Configuration key (`variables.env.X`, `CC_NODE_VERSION`). */
  key: string;
}

/** A host as planned: plain data (the connection stays in the component). */
export interface PlanHost {
  name: string;
  roles: ("web" | "worker")[];
  leader: boolean;
  remote: boolean;
  root: string;
  /** URL probed by the health check, on the host itself. */
  url?: string;
  /** Index in the hosts list (INSTANCE_NUMBER). */
  index: number;
}

/** TrafficArgs with every default applied. */
export interface TrafficSettings {
  proxy: boolean;
  holdSeconds: number;
  drainSeconds: number;
  listenAddress: string;
  maxUnavailable: number;
}

/** Everything a deployment needs, with variable values of type V (Input, then string). */
export interface DeploymentModel<V> {
  componentName: string;
  /** The app without its variables (those are in `variables`). */
  app: Omit<AppSpecInput, "variables">;
  variables: ModelVariable<V>[];
  hosts: PlanHost[];
  source: string;
  artifactDir: string;
  /** Releases kept per host (activate's prune); 0 = never prune. */
  keepReleases: number;
  buildCommand: string;
  start: string;
  /** Your own restart command (systemd, …) instead of the built-in supervisor. */
  restartCommand?: string;
  port?: number;
  healthCheckPath?: string;
  healthCheckTimeoutSeconds: number;
  mounts: string[];
  /** Traffic settings (TrafficArgs with defaults). */
  traffic: TrafficSettings;
}

/** One resource to create. */
export interface StepResourceSpec {
  /** `${component}-${host}-${stepId}`. */
  name: string;
  type: StepResourceType;
  host: string;
  stepId: string;
  /**
   * An engine step kind, `app`: the app process of a host (no create; its delete stops it),
   * `cron`: the leader's cron jobs (components/cronPlan.ts), or `library`: installs the versioned
   * host library every other step of the host sources.
   */
  kind: StepKind | "app" | "cron" | "library";
  /** Hook name for hook steps. */
  hook?: string;
  /** Hook failure policy (hook steps). */
  failure?: string;
  /** Command text (secret-free). Absent for CopyToRemote. */
  create?: string;
  /** The no-op update (absent for CopyToRemote). */
  update?: string;
  /** Teardown (the `app` resource): stops the app on the host. */
  delete?: string;
  triggers: string[];
  /** Secrets the step expects on stdin (values never in `create`). */
  secretNames: string[];
  /** Non-secret stdin (the `library` step: the host library's text). */
  stdin?: string;
  /** Names of resources that must finish first. */
  dependsOn: string[];
  /** CopyToRemote: local tarball → remote path. */
  copy?: { localPath: string; remotePath: string };
}

/** The full plan of one deployment. */
export interface DeploymentPlan {
  app: AppSpec;
  snapshot: AppSnapshot;
  releaseId: string;
  steps: StepResourceSpec[];
  /** Host name → health URL ("" when none). */
  urls: Record<string, string>;
}

/** The resolved inputs of planDeployment. */
export interface ResolvedInputs {
  model: DeploymentModel<string>;
  code: CodeState;
  /** Local tarball of the code fingerprint. */
  artifact: { path: string; sha256: string };
  /** Host name → identity (`user@host:port`, `local`). */
  identities: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Validation of args (zod, field paths in messages).
