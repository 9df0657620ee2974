/**
 * The thin shell shared by the three components: resolves Inputs (variable values, host
 * identities, the source tree's fingerprint and tarball), calls the pure planner, and creates one
 * `@pulumi/command` resource per step. Internal: not exported from the package index.
 */
import * as command from "@pulumi/command";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../fingerprint/digest";
import { claimAppPlace } from "./appsOnHosts";
import { fingerprintTree } from "../fingerprint/tree";
import { assertSourceDirectory } from "./sourceDir";
import { encodeSecretsForStdin } from "../render/secrets";
import type { HostArgs, SshConnectionArgs } from "./args";
import { resolveArtifactDir } from "../artifact/privateDir";
import { planArtifact } from "../artifact/plannedArtifact";
import { artifactFileName } from "../artifact/tarball";
import { parseStepOutput } from "../render/parse";
import { activationReport } from "../render/proxyReport";
import {
  COPY_TO_REMOTE,
  DeploymentModel,
  DeploymentPlan,
  LOCAL_COMMAND,
  ModelVariable,
  ResolvedInputs,
  StepResourceSpec,
} from "./planTypes";
import { assertSecretValues, planDeployment, secretValues } from "./stepPlan";
import { knownOr, releaseKept, transferRemotePath, transferSource } from "./transfer";
import {
  journalPath,
  reactivationNote,
  readJournal,
  recordRelease,
  uploadNote,
} from "./releaseJournal";

/** The outputs every component exposes. */
export interface DeploymentOutputs {
  releaseId: pulumi.Output<string>;
  fingerprints: pulumi.Output<Record<string, string>>;
  urls: pulumi.Output<Record<string, string>>;
  health: pulumi.Output<Record<string, string>>;
  steps: pulumi.Output<Record<string, string[]>>;
  summary: pulumi.Output<HookRunSummary[]>;
}

const ZERO = "sha256:" + "0".repeat(64);

/** The deployment's plan and the inputs it was made from, once resolved. */
interface Resolved {
  plan: DeploymentPlan;
  inputs: ResolvedInputs;
}

/** The placeholder inputs used to plan the structure (names, types, dependsOn) at construction. */
export function structureInputs(model: DeploymentModel<unknown>): ResolvedInputs {
  return {
    model: {
      ...model,
      // An Output may turn out secret (known only once resolved): plan its steps with a stdin.
      variables: model.variables.map((v) => ({
        ...v,
        value: "",
        secret: v.secret || pulumi.Output.isInstance(v.value),
      })),
    },
    code: { fingerprint: ZERO },
    artifact: { path: "/deployhooks-placeholder.tar", sha256: ZERO },
    identities: {},
  };
}

/**
 * Resource options of one step (pure, so tests can check what mocks never see): parentage,
 * ordering, and the secret marking of outputs of steps that receive secrets.
 */
export function stepResourceOptions(
  spec: StepResourceSpec,
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[],
): pulumi.CustomResourceOptions {
  return {
    parent,
    ...(dependsOn.length > 0 ? { dependsOn } : {}),
    ...(spec.secretNames.length > 0 ? { additionalSecretOutputs: ["stdout", "stderr"] } : {}),
  };
}

/**
 * Extra command inputs of a step: never `environment`; no previous output in env. Steps that
 * receive secrets stream their output like the others: the host redacts every line before it
 * leaves (render/README.md §3), so they need no `logging: "none"`.
 */
export function stepCommandInputs(spec: StepResourceSpec): { addPreviousOutputInEnv: boolean } {
  void spec;
  return { addPreviousOutputInEnv: false };
}

function identityOf(c: SshConnectionArgs): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.interpolate`${c.user ?? "root"}@${c.host}:${c.port ?? 22}`);
}

function connectionOf(c: SshConnectionArgs): command.types.input.remote.ConnectionArgs {
  const hop = (h: SshConnectionArgs) => ({
    host: h.host,
    ...(h.port !== undefined ? { port: h.port } : {}),
    ...(h.user !== undefined ? { user: h.user } : {}),
    ...(h.privateKey !== undefined ? { privateKey: pulumi.secret(h.privateKey) } : {}),
    ...(h.password !== undefined ? { password: pulumi.secret(h.password) } : {}),
    ...(h.hostKey !== undefined ? { hostKey: h.hostKey } : {}),
    ...(h.perDialTimeout !== undefined ? { perDialTimeout: h.perDialTimeout } : {}),
    ...(h.dialErrorLimit !== undefined ? { dialErrorLimit: h.dialErrorLimit } : {}),
  });
  return { ...hop(c), ...(c.proxy ? { proxy: hop(c.proxy) } : {}) };
}

/** Warning texts (naming the hook and its exit code) of the `warn` hooks that failed in a step's stdout. */
export function hookWarnings(stdout: string | undefined): string[] {
  return parseStepOutput(stdout ?? "").warnings.map((w) => w.message);
}

/** Warning for an activation whose app died at once (the outcome step then runs runFailed and rolls back). */
export function startWarning(stdout: string | undefined, host: string): string | undefined {
  return parseStepOutput(stdout ?? "").startFailed
    ? `the app failed to start on host ${host}; the outcome step runs runFailed (if defined), rolls back to the previous release and fails the deployment`
    : undefined;
}

/** Whether a step's stdout comes from a run that started at or after `since` (ms, epoch). */
export function ranSince(stdout: string | undefined, since: number): boolean {
  const step = parseStepOutput(stdout ?? "").step;
  return step !== undefined && step.at >= since;
}

/**
 * Health result of an outcome step's stdout: `ok`, `failed`, or `unknown` (not run in this
 * deployment — its output is kept from an earlier run — or a preview).
 */
export function healthOf(stdout: string | undefined, since = 0): string {
  if (!ranSince(stdout, since)) return "unknown";
  const h = parseStepOutput(stdout ?? "").health;
  return h === undefined ? "unknown" : h.healthy ? "ok" : "failed";
}

/** One hook (or build / restart command) run of this deployment (the `summary` output). */
export interface HookRunSummary {
  /** Host name. */
  host: string;
  /** Step resource name (`${name}-${host}-${step}`). */
  step: string;
  /** Hook name, or `step:build` / `step:restart`. */
  hook: string;
  exitCode: number;
  /** `ok`, `failed`, `warned` or `timedOut`. */
  outcome: string;
  seconds: number;
  /** Trigger keys that changed since its previous run on the host (`runtime:GREETING`), `first` or `retry`. */
  reason: string;
}

/**
 * The hook runs of this deployment, in step order: from the stdout of each step that ran at or
 * after `since` (outputs kept from earlier runs are left out).
 */
export function summaryOf(
  steps: ReadonlyArray<{ name: string; host: string }>,
  stdouts: Record<string, string | undefined>,
  since: number,
): HookRunSummary[] {
  const out: HookRunSummary[] = [];
  for (const s of steps) {
    const stdout = stdouts[s.name];
    if (!ranSince(stdout, since)) continue;
    for (const r of parseStepOutput(stdout ?? "").runs) {
      out.push({
        host: s.host,
        step: s.name,
        hook: r.hook,
        exitCode: r.exitCode,
        outcome: r.outcome,
        seconds: r.seconds,
        reason: r.reason,
      });
    }
  }
  return out;
}

/** The info line of one host at the end of a deployment. */
export function summaryLine(host: string, runs: HookRunSummary[]): string {
  if (runs.length === 0) return `deployhooks: host ${host}: no hook ran in this deployment`;
  const each = runs.map(
    (r) => `${r.hook} exit ${r.exitCode} ${r.outcome} ${r.seconds} s (${r.reason})`,
  );
  return `deployhooks: host ${host}: ${each.join("; ")}`;
}

/** Creates every step resource of `model` as children of `self`. */
export function wireDeployment(
  self: pulumi.ComponentResource,
  model: DeploymentModel<pulumi.Input<string>>,
  hosts: readonly HostArgs[] | undefined,
): DeploymentOutputs {
  // Steps whose start marker is older than this ran in an earlier deployment (their outputs are
  // kept in state): they are left out of `summary` and make `health` unknown. Not an input.
  const since = Date.now();
  // 1. Structure, validated now (bad args throw at construction), with the secret values that are
  // plain strings (Outputs are checked once resolved, still before any step runs).
  assertSecretValues({
    ...model,
    variables: model.variables.filter(
      (v): v is ModelVariable<string> => typeof v.value === "string",
    ),
  });
  const structure = planDeployment(structureInputs(model));
  assertSourceDirectory(model.source);

  // 2. Resolved plan: code fingerprint + tarball, variable values, host identities.
  const connections = new Map<string, SshConnectionArgs>();
  for (const h of hosts ?? []) if (h.connection) connections.set(h.name, h.connection);
  // The stat cache (one per source tree, next to the artifacts) makes re-fingerprinting an
  // unchanged tree on every preview/up cost a stat walk instead of reading every file.
  // Checked private to the deploying user (a planted tarball or cache must never be used); the
  // default directory falls back to another private one when it cannot be used.
  const artifactDir = resolveArtifactDir(model.artifactDir, (m) => void pulumi.log.warn(m, self));
  // A revert to a release deployed before from this machine: say what `up` will do (a hint; the
  // hosts decide). During `up`, remember the release.
  const journal = journalPath(artifactDir, model.componentName, structure.app.name);
  const cacheFile = path.join(artifactDir, `stat-cache-${sha256(model.source).slice(7, 23)}.bin`);
  // The tarball is planned with (its sha256), and verified only before it is sent: a deployment
  // whose hosts all keep the release reads none of it (artifact/plannedArtifact.ts). A local host's
  // upload step reads it directly, so with one the tarball is verified before anything runs.
  const lazyArtifact = model.hosts.every((h) => h.remote);
  const fingerprinted = fingerprintTree(model.source, { cacheFile }).then((tree) => ({
    tree,
    code: { fingerprint: tree.fingerprint, files: tree.files },
    artifactPath: path.join(path.resolve(artifactDir), artifactFileName(tree.fingerprint)),
  }));
  // With remote hosts only, the steps before the copy (the probes) need the fingerprint, not the
  // artifact: it is planned on a later turn of the event loop, once they are on their way.
  const artifactPromise = fingerprinted.then(async ({ tree, artifactPath }) => {
    if (lazyArtifact) await new Promise((r) => setTimeout(r, 0));
    const artifact = await planArtifact(model.source, tree, artifactDir, lazyArtifact);
    if (artifact.path !== artifactPath) {
      throw new Error(
        `deployhooks: internal error: the artifact ${artifact.path} is not ${artifactPath}`,
      );
    }
    return artifact;
  });
  artifactPromise.catch(() => undefined);
  const codePromise = lazyArtifact ? fingerprinted : artifactPromise.then(() => fingerprinted);
  const identities = pulumi.all(
    Object.fromEntries([...connections].map(([n, c]) => [n, identityOf(c)])),
  );
  const values = pulumi.all(model.variables.map((v) => v.value));
  // A variable whose value is a secret Output is a secret, whatever map it was given in: its value
  // goes on stdin only, never into command text, triggers or the host's rollback record.
  const secretOutputs = pulumi.all(
    model.variables.map((v) =>
      pulumi.Output.isInstance(v.value)
        ? pulumi.output(pulumi.isSecret(v.value as pulumi.Output<string>))
        : pulumi.output(false),
    ),
  );
  // The SDK walks and copies every value an Output carries, and waits for the promises inside
  // (outputRec, containsUnknowns): the plan and its inputs hold the tree's file digests (20,000
  // entries for a large app) and the planned artifact its checksum (a promise the probe steps must
  // not wait for), so they travel as functions, which the SDK takes as leaves.
  const resolved: pulumi.Output<() => Resolved> = pulumi
    .all([
      pulumi.output(
        codePromise.then((ca) => () => ({ code: ca.code, artifactPath: ca.artifactPath })),
      ),
      values,
      identities,
      secretOutputs,
    ])
    .apply(([codeOf, vals, ids, secretFlags]) => {
      const ca = codeOf();
      const inputs: ResolvedInputs = {
        model: {
          ...model,
          variables: model.variables.map((v, i) => ({
            ...v,
            value: String(vals[i]),
            secret: v.secret || secretFlags[i] === true,
          })),
        },
        code: ca.code,
        // The checksum is only in the upload steps' command, rendered below once it is known.
        artifact: { path: ca.artifactPath, sha256: ZERO },
        identities: ids as Record<string, string>,
      };
      const plan = planDeployment(inputs);
      for (const h of model.hosts) {
        const identity = h.remote ? ((ids as Record<string, string>)[h.name] ?? h.name) : "local";
        claimAppPlace(
          `${pulumi.getProject()}/${pulumi.getStack()}`,
          { identity, root: h.root, app: plan.app.name },
          model.componentName,
        );
      }
      plan.steps.forEach((s, i) => {
        if (s.name !== structure.steps[i]?.name) {
          throw new Error(
            `deployhooks: internal error: step ${s.name} differs from the planned ${structure.steps[i]?.name}`,
          );
        }
      });
      const value: Resolved = { plan, inputs };
      return () => value;
    });
  resolved.apply((get) => {
    const r = get();
    if (pulumi.runtime.isDryRun()) {
      const note = reactivationNote(r.plan.releaseId, readJournal(journal));
      if (note) void pulumi.log.info(note, self);
    } else {
      recordRelease(journal, r.plan.releaseId);
    }
  });
  // Triggers, command text and the release id never contain secret values (secrets are digested
  // with a KDF and delivered on stdin), so they are deliberately kept readable for preview diffs.
  const plain = <T>(f: (p: DeploymentPlan) => T): pulumi.Output<T> =>
    pulumi.unsecret(resolved.apply((get) => f(get().plan)));
  // The tarball's checksum: known at once, or, for a tarball planned without being written, once
  // a worker thread has hashed it (artifact/virtualArtifact.ts). Only the upload steps wait for it
  // (their command checks the tarball against it), so the probe steps run meanwhile.
  const checksum = pulumi.output(artifactPromise.then((a) => a.sha256));
  const planWithChecksum = pulumi.unsecret(
    pulumi.all([resolved, checksum]).apply(([get, sha]) => {
      const { inputs } = get();
      const plan = planDeployment({ ...inputs, artifact: { ...inputs.artifact, sha256: sha } });
      return () => plan;
    }),
  );

  // 3. One resource per step.
  const created = new Map<string, pulumi.CustomResource>();
  const stdouts: Record<string, pulumi.Output<string>> = {};
  structure.steps.forEach((spec, i) => {
    const opts = stepResourceOptions(
      spec,
      self,
      spec.dependsOn.map((d) => created.get(d) as pulumi.CustomResource),
    );
    const triggers = plain((p) => p.steps[i].triggers);
    let res: pulumi.CustomResource;
    if (spec.type === COPY_TO_REMOTE) {
      // The probe step (just before) says whether the host keeps the release: then nothing of the
      // artifact is sent, a placeholder is (components/transfer.ts).
      const probe = structure.steps.find((s) => s.host === spec.host && s.stepId === "probe");
      const source = pulumi
        .all([
          plain((p) => p.releaseId),
          probe ? knownOr(stdouts[probe.name]!, "") : pulumi.output(""),
        ])
        .apply(async ([releaseId, out]) => {
          const artifact = await artifactPromise;
          if (releaseKept(out)) return transferSource(artifact.path, releaseId, out);
          // A tarball planned without being written: a delta from its plan when the host has a base.
          // A tarball planned without being written: a delta from its plan when the host has a
          // base (its checksum may still be being computed: only the upload step waits for it).
          if (artifact.virtual) {
            const src = transferSource(artifact.path, releaseId, out, artifact.virtual);
            if ("delta" in src) return src;
          }
          // What is sent (the artifact, or a delta made from it) is read only once verified.
          await artifact.ready();
          return transferSource(artifact.path, releaseId, out);
        });
      const asset = source.apply((src) =>
        "placeholder" in src
          ? new pulumi.asset.StringAsset(src.placeholder)
          : new pulumi.asset.FileAsset("delta" in src ? src.delta : src.artifact),
      );
      res = new command.remote.CopyToRemote(
        spec.name,
        {
          connection: connectionOf(connections.get(spec.host) as SshConnectionArgs),
          source: asset,
          remotePath: pulumi
            .all([plain((p) => p.steps[i].copy!.remotePath), source])
            .apply(([remote, src]) => transferRemotePath(remote, src)),
          triggers,
        },
        opts,
      );
    } else {
      const stdin =
        spec.secretNames.length > 0
          ? pulumi.secret(
              resolved.apply((get) =>
                encodeSecretsForStdin(
                  secretValues(get().inputs.model, get().plan.steps[i].secretNames),
                ),
              ),
            )
          : spec.stdin;
      const inputs = {
        create:
          spec.stepId === "upload"
            ? planWithChecksum.apply((get) => get().steps[i].create as string)
            : plain((p) => p.steps[i].create as string),
        update: spec.update as string,
        ...(spec.delete !== undefined ? { delete: plain((p) => p.steps[i].delete as string) } : {}),
        triggers,
        ...(stdin ? { stdin } : {}),
        ...stepCommandInputs(spec),
      };
      const cmd =
        spec.type === LOCAL_COMMAND
          ? new command.local.Command(spec.name, inputs, opts)
          : new command.remote.Command(
              spec.name,
              {
                ...inputs,
                connection: connectionOf(connections.get(spec.host) as SshConnectionArgs),
              },
              opts,
            );
      res = cmd;
      stdouts[spec.name] = cmd.stdout;
      if (spec.kind === "activate") {
        cmd.stdout.apply((out) => {
          // Output kept from an earlier deployment was reported then.
          if (!ranSince(out, since)) return;
          const w = startWarning(out, spec.host);
          if (w) pulumi.log.warn(w, self);
          const t = activationReport(out, spec.host);
          if (t.warning) pulumi.log.warn(t.warning, self);
          if (t.info) pulumi.log.info(t.info, self);
        });
      }
      if (spec.stepId === "upload") {
        pulumi.all([cmd.stdout, plain((p) => p.releaseId)]).apply(([out, id]) => {
          const note = uploadNote(spec.host, id, parseStepOutput(out ?? "").upload, out ?? "");
          if (note) pulumi.log[note.level](note.message, self);
        });
      }
      if (spec.kind === "hook" || spec.kind === "outcome") {
        cmd.stdout.apply((out) => {
          if (!ranSince(out, since)) return;
          for (const w of hookWarnings(out)) {
            pulumi.log.warn(
              `${w} on host ${spec.host}; the deployment continued (failure policy: warn)`,
              self,
            );
          }
        });
      }
    }
    created.set(spec.name, res);
  });

  const outcomeOf = (host: string) =>
    structure.steps.find((s) => s.host === host && s.kind === "outcome");
  const health = pulumi.unsecret(
    pulumi
      .all(
        Object.fromEntries(
          model.hosts.map((h) => [
            h.name,
            outcomeOf(h.name) ? stdouts[outcomeOf(h.name)!.name] : pulumi.output(""),
          ]),
        ),
      )
      .apply((outs) =>
        Object.fromEntries(
          model.hosts.map((h) => [
            h.name,
            outcomeOf(h.name) ? healthOf(outs[h.name], since) : "skipped",
          ]),
        ),
      ),
  );
  const commandSteps = structure.steps.filter((st) => stdouts[st.name] !== undefined);
  const summary = pulumi.unsecret(
    pulumi
      .all(Object.fromEntries(commandSteps.map((st) => [st.name, stdouts[st.name]])))
      .apply((outs) => summaryOf(commandSteps, outs as Record<string, string>, since)),
  );
  summary.apply((runs) => {
    if (pulumi.runtime.isDryRun()) return;
    for (const h of model.hosts) {
      pulumi.log.info(
        summaryLine(
          h.name,
          runs.filter((r) => r.host === h.name),
        ),
        self,
      );
    }
  });
  return {
    releaseId: plain((p) => p.releaseId),
    fingerprints: plain((p): Record<string, string> => ({
      code: p.snapshot.code.fingerprint,
      build: p.snapshot.build.fingerprint,
      runtime: p.snapshot.runtime.fingerprint,
      redeploy: p.snapshot.redeploy,
    })),
    urls: plain((p) => p.urls),
    health,
    steps: plain((p) => Object.fromEntries(p.steps.map((s) => [s.name, s.triggers]))),
    summary,
  };
}
