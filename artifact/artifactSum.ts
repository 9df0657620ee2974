/**
 * The sum file of a tarball: `<tarball>.sum`, one line `sha256:<hex> <bytes>`, written by
 * `buildArtifact` after it built or verified the tarball.
 *
 * It lets a deployment plan with the tarball's sha256 before reading the tarball
 * (`plannedArtifact.ts`). It is never a proof: whatever the sum says, the tarball's own bytes are
 * verified against the tree before it is sent anywhere, and a sum that disagrees with them fails
 * the deployment. A sum is read only when it is the deploying user's own regular file (not a link),
 * writable by nobody else, and names the tarball's current size.
 */
import * as fs from "node:fs";

/** What a sum file records. */
export interface ArtifactSum {
  /** `sha256:<hex>` of the tarball. */
  sha256: string;
  /** Size of the tarball in bytes. */
  bytes: number;
}

/** Path of the sum file of `tarball`. */
export function artifactSumPath(tarball: string): string {
  return `${tarball}.sum`;
}

/** Writes the sum of `tarball` (atomically, mode 0600). A failure only costs the next verification. */
export function writeArtifactSum(tarball: string, sum: ArtifactSum): void {
  const file = artifactSumPath(tarball);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, `${sum.sha256} ${sum.bytes}\n`, { mode: 0o600, flag: "wx" });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** The sum of `tarball`, or undefined when there is none usable (see the module documentation). */
export function readArtifactSum(tarball: string): ArtifactSum | undefined {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  try {
    const file = artifactSumPath(tarball);
    const st = fs.lstatSync(file);
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022) return undefined;
    const tar = fs.lstatSync(tarball);
    if (!tar.isFile() || (uid !== undefined && tar.uid !== uid)) return undefined;
    const m = /^(sha256:[0-9a-f]{64}) (\d+)\n$/.exec(fs.readFileSync(file, "utf8"));
    if (!m || Number(m[2]) !== tar.size) return undefined;
    return { sha256: m[1]!, bytes: tar.size };
  } catch {
    return undefined;
  }
}
