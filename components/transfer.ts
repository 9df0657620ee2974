/**
 * What the `transfer` step (CopyToRemote) of a remote host copies, from the host's `probe` step:
 * - the release is kept there (`reused`, `present`): a placeholder of a few bytes (`<name>.kept`),
 *   nothing of the artifact is sent (a re-activation);
 * - the host has a verified base tarball that this machine also has (same file name, same
 *   sha256): a delta (`<name>.delta`, artifact/delta.ts) that the upload step turns into the
 *   artifact on the host, checked against its sha256 (an incremental upload);
 * - otherwise the artifact (`<name>.tar`).
 * The upload step removes the placeholder and the delta once used.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import {
  buildDelta,
  buildDeltaFromIndex,
  DELTA_MAGIC,
  deltaFileName,
  type DeltaTarget,
  fileSha256,
} from "../artifact/delta";
import { readTarIndex } from "../artifact/tarIndex";
import { KEPT_STATUSES, probeResult } from "../render/probe";

/** The source of a transfer. */
export type TransferSource =
  { artifact: string } | { placeholder: string } | { delta: string; base: string };

/** Remote path of the placeholder copied instead of `<name>.tar` (the upload step removes it). */
export function placeholderPath(remoteTarball: string): string {
  return remoteTarball.replace(/\.tar$/, "") + ".kept";
}

/** Remote path of the delta copied instead of `<name>.tar`. */
export function deltaPath(remoteTarball: string): string {
  return remoteTarball.replace(/\.tar$/, "") + ".delta";
}

/** Remote path of what `source` copies, given the remote path of the tarball. */
export function transferRemotePath(remoteTarball: string, source: TransferSource): string {
  if ("placeholder" in source) return placeholderPath(remoteTarball);
  if ("delta" in source) return deltaPath(remoteTarball);
  return remoteTarball;
}

/** Whether the probe's stdout says the host keeps the release (nothing of the artifact is sent). */
export function releaseKept(probeStdout: string | undefined): boolean {
  const probe = probeResult(probeStdout ?? "");
  return Boolean(probe && KEPT_STATUSES.includes(probe.status));
}

/**
 * The transfer source for the probe's stdout (no probe output: the artifact). The base is looked
 * up next to the artifact. `planned`: the artifact is planned without being written
 * (artifact/virtualArtifact.ts); without it, the artifact at `artifactPath` is verified.
 */
export function transferSource(
  artifactPath: string,
  releaseId: string,
  probeStdout: string | undefined,
  planned?: DeltaTarget,
): TransferSource {
  const probe = probeResult(probeStdout ?? "");
  if (probe && KEPT_STATUSES.includes(probe.status)) {
    return {
      placeholder: `deployhooks: release ${releaseId} is kept on this host (probe: ${probe.status}); the artifact is not sent\n`,
    };
  }
  const name = path.basename(artifactPath);
  if (probe?.base && probe.base.name !== name) {
    const dir = path.dirname(artifactPath);
    const existing = path.join(dir, deltaFileName(probe.base.sha256, name));
    if (isDelta(existing)) return { delta: existing, base: probe.base.name };
    const baseTar = path.join(dir, probe.base.name);
    if (planned) {
      // A tarball planned without being written: a delta from the two indexes, or the artifact
      // (which the caller then writes, and asks again).
      const baseIndex = readTarIndex(baseTar, probe.base.sha256, true);
      const d = baseIndex && buildDeltaFromIndex(baseIndex, planned, dir);
      return d ? { delta: d.path, base: probe.base.name } : { artifact: artifactPath };
    }
    try {
      // The base is usable when its index is trusted (its tarball written here and unchanged
      // since, or only planned), or when its bytes here are the host's base (sha256): the host
      // turns its copy of the base into the release with what the delta ships and removes, so
      // the delta must be made from the very bytes the host has.
      const usable =
        readTarIndex(baseTar, probe.base.sha256, true) !== undefined ||
        (fs.existsSync(baseTar) && fileSha256(baseTar) === probe.base.sha256);
      const d = usable && buildDelta(baseTar, probe.base.sha256, artifactPath, dir);
      if (d) return { delta: d.path, base: probe.base.name };
    } catch {
      // no usable base here: the full artifact
    }
  }
  return { artifact: artifactPath };
}

/** Whether `file` is a delta in the format this version writes (artifact/delta.ts). */
function isDelta(file: string): boolean {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const head = Buffer.alloc(DELTA_MAGIC.length);
      fs.readSync(fd, head, 0, head.length, 0);
      return head.toString("latin1") === DELTA_MAGIC;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The value of `o` when it is known, else `fallback`. The transfer's source must be known at
 * preview (@pulumi/command 1.2.1's Check refuses an unknown CopyToRemote source), and the probe's
 * stdout is unknown in a preview where the probe reruns: that preview shows the artifact; `up`
 * waits for the probe and copies what it says. Uses the SDK's `isKnown`/`promise()` of an Output.
 */
export function knownOr(o: pulumi.Output<string>, fallback: string): pulumi.Output<string> {
  const impl = o as unknown as { isKnown: Promise<boolean>; promise(): Promise<string> };
  return pulumi.output(
    (async (): Promise<string> => ((await impl.isKnown) ? await impl.promise() : fallback))(),
  );
}
