/**
 * What the `transfer` step (CopyToRemote) of a remote host copies: the artifact, unless the host's
 * `probe` step found the release kept there (a re-activation: `reused`, or `present`), in which
 * case it copies a placeholder of a few bytes and nothing of the artifact is sent. The upload step
 * removes the placeholder (and an unpacked tarball) from `.deployhooks/uploads/`.
 */
import { KEPT_STATUSES, probeStatus } from "../render/probe";

/** The source of a transfer: the artifact's path, or the placeholder text. */
export type TransferSource = { artifact: string } | { placeholder: string };

/** Remote path of the placeholder copied instead of `<name>.tar` (the upload step removes it). */
export function placeholderPath(remoteTarball: string): string {
  return remoteTarball.replace(/\.tar$/, "") + ".kept";
}

/** The transfer source for the probe's stdout (no probe output: the artifact). */
export function transferSource(
  artifactPath: string,
  releaseId: string,
  probeStdout: string | undefined,
): TransferSource {
  const status = probeStatus(probeStdout ?? "");
  if (status !== undefined && KEPT_STATUSES.includes(status)) {
    return {
      placeholder: `deployhooks: release ${releaseId} is kept on this host (probe: ${status}); the artifact is not sent\n`,
    };
  }
  return { artifact: artifactPath };
}
