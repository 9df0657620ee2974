/**
 * The artifact a deployment plans with, and the tarball it sends only once verified.
 *
 * A deployment needs the tarball's sha256 to plan (the upload step checks the file it receives
 * against it), but needs the tarball's bytes only for a host it is sent to. When every host keeps
 * the release (a re-activation) nothing is sent, and reading 200 MB to verify a tarball nobody
 * receives would cost half a second of a rollback. So:
 * - when the tarball of this tree exists and has a sum file (`artifactSum.ts`), the plan uses the
 *   sum's sha256 at once; when the tarball still has the inode, mtime and ctime recorded with the
 *   sum, its bytes are the ones built or verified then and `ready()` returns at once; otherwise the
 *   tarball is verified (or rebuilt) by `ready()`, which the transfer of the artifact or of a delta
 *   awaits before reading it;
 * - when there is no tarball of this tree yet but an earlier one with a trusted index, the tarball
 *   is planned without being written (`virtualArtifact.ts`): its sha256 is known once a worker
 *   thread has hashed the planned bytes (the deployment's probe steps run meanwhile), a host with a
 *   base gets a delta made from the plan, and `ready()` writes the tarball for a host that needs
 *   all of it;
 * - otherwise the tarball is built or verified first (`buildArtifact`), as `ready()` would.
 * `ready()` runs the verification once, and fails when the verified (or rebuilt) tarball's sha256
 * differs from the one planned with, so a wrong sum can make a deployment fail, never ship bytes
 * that are not the archive of the tree.
 */
import * as path from "node:path";
import type { TreeFingerprint } from "../fingerprint/tree";
import { readArtifactSum, touchArtifactSum } from "./artifactSum";
import { pruneArtifacts } from "./prune";
import { privateDirProblem } from "./privateDir";
import { artifactFileName, buildArtifact, type Artifact } from "./tarball";
import { planVirtualArtifact, type VirtualArtifact } from "./virtualArtifact";

/** An artifact to plan with. */
export interface PlannedArtifact {
  /** Absolute path of the tarball (`<artifactDir>/code-<fingerprint hex>.tar`). */
  path: string;
  /**
   * `sha256:<hex>` the deployment is planned with: known at once, except for a tarball planned
   * without being written (then when its worker thread has hashed it).
   */
  sha256: Promise<string>;
  /** The verified tarball (built again when it does not verify); its sha256 is the planned one. */
  ready(): Promise<Artifact>;
  /** When the tarball was planned without being written (virtualArtifact.ts): its plan. */
  virtual?: VirtualArtifact;
}

/**
 * The artifact of `tree` in `outDir`: from the tarball's sum when it has one (verified later, on
 * `ready()`), else built or verified now. `lazy: false` always verifies now.
 */
export async function planArtifact(
  root: string,
  tree: TreeFingerprint,
  outDir: string,
  lazy = true,
): Promise<PlannedArtifact> {
  const dir = path.resolve(outDir);
  const target = path.join(dir, artifactFileName(tree.fingerprint));
  const sum = lazy && !privateDirProblem(dir) ? readArtifactSum(target) : undefined;
  if (!sum) {
    const planned =
      lazy && !privateDirProblem(dir) ? planVirtualArtifact(root, tree, dir) : undefined;
    if (planned) {
      const sha256 = planned.sha256.then((hex) => `sha256:${hex}`);
      sha256.catch(() => undefined);
      let written: Promise<Artifact> | undefined;
      return {
        path: target,
        sha256,
        virtual: planned,
        // Once hashed (the plan's index and virtual sum are written then): the tarball written
        // now replaces them with its own.
        ready: () =>
          (written ??= planned.indexed.then(async () => {
            const want = await sha256;
            const a = await buildArtifact(root, tree, outDir);
            if (a.sha256 !== want) {
              throw new Error(
                `deployhooks: the tarball ${a.path} is ${a.sha256}, not ${want} as planned from the earlier tarball; nothing was sent; run the deployment again`,
              );
            }
            return a;
          })),
      };
    }
    const built = await buildArtifact(root, tree, outDir);
    return { path: built.path, sha256: Promise.resolve(built.sha256), ready: async () => built };
  }
  // Counts as a use for the pruning rule (artifact/prune.ts), as a verified reuse would; the
  // tarball itself is not touched (its ctime is what proves it unchanged).
  touchArtifactSum(target);
  if (sum.unchanged) {
    pruneArtifacts(dir, path.basename(target));
    const artifact: Artifact = {
      path: target,
      sha256: sum.sha256,
      bytes: sum.bytes,
      files: tree.fileCount,
      reused: true,
    };
    const done = Promise.resolve(artifact);
    return { path: target, sha256: Promise.resolve(sum.sha256), ready: () => done };
  }
  let verification: Promise<Artifact> | undefined;
  return {
    path: target,
    sha256: Promise.resolve(sum.sha256),
    ready: () =>
      (verification ??= buildArtifact(root, tree, outDir).then((a) => {
        if (a.sha256 !== sum.sha256) {
          throw new Error(
            `deployhooks: the tarball ${a.path} is ${a.sha256}, not ${sum.sha256} as its sum file said when this deployment was planned; nothing was sent; run the deployment again`,
          );
        }
        return a;
      })),
  };
}
