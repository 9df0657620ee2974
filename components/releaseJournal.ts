/**
 * The releases this machine planned for an app (newest last), kept in the private artifact
 * directory as `releases-<digest of the component and app name>.json` (mode 0600). It is only a
 * hint for `pulumi preview` and `deployhooks explain`: whether a release is really kept is decided
 * on each host, by the probe and upload steps (render/releaseCheck.ts). At most 20 ids are kept.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256 } from "../fingerprint/digest";

/** Ids remembered per app. */
export const JOURNAL_LENGTH = 20;

/** Path of the journal of `component`'s app `app` in `artifactDir`. */
export function journalPath(artifactDir: string, component: string, app: string): string {
  return path.join(artifactDir, `releases-${sha256(`${component}\0${app}`).slice(7, 23)}.json`);
}

/** The remembered release ids, oldest first ([] when none or unreadable). */
export function readJournal(file: string): string[] {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** Appends `releaseId` (moved to the end when already there); best effort. */
export function recordRelease(file: string, releaseId: string): void {
  const ids = [...readJournal(file).filter((x) => x !== releaseId), releaseId].slice(
    -JOURNAL_LENGTH,
  );
  try {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(ids) + "\n", { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    // only a hint
  }
}

/**
 * The line a preview (or `deployhooks explain`) shows when `releaseId` was deployed before but is
 * not the last one: a revert. `undefined` otherwise.
 */
export function reactivationNote(
  releaseId: string,
  journal: readonly string[],
): string | undefined {
  if (journal.length === 0 || journal.at(-1) === releaseId || !journal.includes(releaseId)) {
    return undefined;
  }
  return `release ${releaseId} was deployed before: pulumi up will re-activate it on every host that still keeps it (verified there: no upload, no build; the activation hooks run again), else rebuild it`;
}

/** What a deployment's upload step did, as a line for the Pulumi log (`undefined`: nothing to say). */
export function uploadNote(
  host: string,
  releaseId: string,
  status: string | undefined,
  stdout: string,
): { level: "info" | "warn"; message: string } | undefined {
  if (status === "reused") {
    return {
      level: "info",
      message: `host ${host}: re-activated release ${releaseId}, kept on the host and verified there: no upload, no build`,
    };
  }
  if (status === "rebuilt") {
    const why = /^deployhooks: (.*: rebuilding it from the artifact)$/m.exec(stdout)?.[1];
    return { level: "warn", message: `host ${host}: ${why ?? `release ${releaseId} was rebuilt`}` };
  }
  return undefined;
}
