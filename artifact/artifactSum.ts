/**
 * The sum file of a tarball: `<tarball>.sum`, one line
 * `sha256:<hex> <bytes> <inode> <mtime ns> <ctime ns> <boot id> idx:<hex>`, written by
 * `buildArtifact` right after it built or verified the tarball (inode, mtime and ctime: the
 * tarball's `lstat` at that moment; the boot id: this boot of the machine; `idx:`: the sha256 of
 * the index written just before, tarIndex.ts, which is used only while it still has that digest).
 *
 * It lets a deployment plan with the tarball's sha256 before reading the tarball
 * (`plannedArtifact.ts`). A sum is read only when it is the deploying user's own regular file (not
 * a link), writable by nobody else, and names the tarball's current size. It proves the tarball's
 * bytes only while the tarball keeps the recorded inode, mtime and ctime, in the same boot of the
 * machine (`unchanged`; after a crash the bytes of a file never fsync-ed may be lost): any write,
 * truncation, `touch`, chmod, rename over it or replacement changes its ctime, which no user
 * process can set back, so the bytes are still the ones built or verified (the same kind of proof
 * the stat cache gives for the source tree). Otherwise the tarball is verified against the tree
 * before it is sent anywhere, and a sum that disagrees with its bytes fails the deployment.
 * A sum of an earlier version (two fields) plans but never proves.
 *
 * A tarball planned but not written (virtualArtifact.ts) has a *virtual* sum instead:
 * `sha256:<hex> <bytes> virtual idx:<hex>`, read only by `readVirtualSum` (its index describes the
 * tarball a host rebuilt from a delta, the base of the next delta); it never plans a deployment.
 */
import * as fs from "node:fs";

/** What a sum file records. */
export interface ArtifactSum {
  /** `sha256:<hex>` of the tarball. */
  sha256: string;
  /** Size of the tarball in bytes. */
  bytes: number;
  /** sha256 hex of the tarball's index file (tarIndex.ts), when one was written. */
  index?: string;
}

/** A sum as read back. */
export interface ReadArtifactSum extends ArtifactSum {
  /** The tarball has the inode, mtime and ctime recorded with the sum: its bytes are the summed ones. */
  unchanged: boolean;
}

/** Path of the sum file of `tarball`. */
export function artifactSumPath(tarball: string): string {
  return `${tarball}.sum`;
}

/**
 * This boot of the machine (Linux; `-` elsewhere). A tarball is never fsync-ed: after a crash its
 * inode, mtime and ctime may have reached the disk and its bytes not, so a sum proves nothing
 * across a reboot (the tarball is then verified once, and its sum written again).
 */
function bootId(): string {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || "-";
  } catch {
    return "-";
  }
}
const BOOT = bootId();

function statLine(tarball: string): string {
  const st = fs.lstatSync(tarball, { bigint: true });
  return `${st.ino} ${st.mtimeNs} ${st.ctimeNs} ${BOOT}`;
}

/** Writes `line` as the sum file of `tarball` (atomically, mode 0600); a failure only costs speed. */
function writeSumLine(tarball: string, line: string): void {
  const file = artifactSumPath(tarball);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, `${line}\n`, { mode: 0o600, flag: "wx" });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** The sum file's text when it is the deploying user's own regular file, writable by nobody else. */
function ownSumText(tarball: string): string | undefined {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const file = artifactSumPath(tarball);
  const st = fs.lstatSync(file);
  if (!st.isFile() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022) return undefined;
  return fs.readFileSync(file, "utf8");
}

/** Writes the sum of `tarball`. A failure only costs the next verification. */
export function writeArtifactSum(tarball: string, sum: ArtifactSum): void {
  const index = sum.index ? ` idx:${sum.index}` : "";
  writeSumLine(tarball, `${sum.sha256} ${sum.bytes} ${statLine(tarball)}${index}`);
}

/** The sum of `tarball`, or undefined when there is none usable (see the module documentation). */
export function readArtifactSum(tarball: string): ReadArtifactSum | undefined {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  try {
    const text = ownSumText(tarball);
    if (text === undefined) return undefined;
    const tar = fs.lstatSync(tarball, { bigint: true });
    if (!tar.isFile() || (uid !== undefined && Number(tar.uid) !== uid)) return undefined;
    const m =
      /^(sha256:[0-9a-f]{64}) (\d+)(?: (\d+ \d+ \d+ [0-9a-f-]+)(?: idx:([0-9a-f]{64}))?)?\n$/.exec(
        text,
      );
    if (!m || BigInt(m[2]!) !== tar.size) return undefined;
    const unchanged = BOOT !== "-" && m[3] === `${tar.ino} ${tar.mtimeNs} ${tar.ctimeNs} ${BOOT}`;
    return { sha256: m[1]!, bytes: Number(tar.size), unchanged, ...(m[4] ? { index: m[4] } : {}) };
  } catch {
    return undefined;
  }
}

/** Writes the virtual sum of the unwritten `tarball`. */
export function writeVirtualSum(tarball: string, sum: ArtifactSum): void {
  writeSumLine(tarball, `${sum.sha256} ${sum.bytes} virtual idx:${sum.index ?? ""}`);
}

/** The virtual sum of `tarball` (which must not exist), or undefined. */
export function readVirtualSum(tarball: string): ArtifactSum | undefined {
  try {
    if (fs.existsSync(tarball)) return undefined;
    const m = /^(sha256:[0-9a-f]{64}) (\d+) virtual idx:([0-9a-f]{64})\n$/.exec(
      ownSumText(tarball) ?? "",
    );
    return m ? { sha256: m[1]!, bytes: Number(m[2]), index: m[3]! } : undefined;
  } catch {
    return undefined;
  }
}

/** Marks the tarball as just used (the sum file's mtime: prune.ts), without touching the tarball. */
export function touchArtifactSum(tarball: string): void {
  try {
    const now = new Date();
    fs.utimesSync(artifactSumPath(tarball), now, now);
  } catch {
    // no sum: the tarball's own mtime stays its last use
  }
}
