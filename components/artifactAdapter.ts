/**
 * Local adapter for the release tarball while `artifact/buildArtifact` is being written by a
 * colleague (same contract: one deterministic tarball per code fingerprint, reused when present).
 * Entries are the fingerprinted files in sorted order, with a fixed mtime and no owner names
 * (`portable`). Replace with `artifact/buildArtifact` once it lands.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tar from "tar";

/** A built tarball. */
export interface BuiltArtifact {
  /** Absolute path of the tarball on the machine running Pulumi. */
  path: string;
  /** `sha256:<hex>` of the tarball bytes. */
  sha256: string;
  bytes: number;
}

/** Builds (or reuses) `<outDir>/<code hex>.tar` from `files` (relative POSIX paths) under `root`. */
export function buildArtifactSync(root: string, codeFingerprint: string, files: readonly string[], outDir: string): BuiltArtifact {
  const hex = codeFingerprint.replace(/^sha256:/, "");
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.resolve(outDir, `${hex}.tar`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    const sorted = [...files].sort();
    tar.create({ sync: true, file: tmp, cwd: path.resolve(root), portable: true, mtime: new Date(0), noDirRecurse: true }, sorted.length > 0 ? sorted : []);
    if (sorted.length === 0) fs.writeFileSync(tmp, Buffer.alloc(1024));
    fs.renameSync(tmp, file);
  }
  const data = fs.readFileSync(file);
  return { path: file, sha256: "sha256:" + crypto.createHash("sha256").update(data).digest("hex"), bytes: data.length };
}
