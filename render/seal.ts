/**
 * Upsun's read-only release: after the last build-phase run, every mount becomes a symlink into
 * `shared/<mount>/` (replacing what the build left at that path, as a platform mount hides it) and
 * the release is made read-only with `chmod -R a-w` (symlinks are not followed, so mounts stay
 * writable). Root ignores file modes: a hook running as root can still write; `chattr +i` would
 * be needed for that and is out of scope. A `.sealed` marker lets a rerun of a build-phase step on
 * the same release make it writable again first (`dh_unseal`).
 */
import { ConfigError } from "../model/configError";
import { hostFile } from "./library";
import { shellQuote } from "./quote";

/** Mount options of a build-phase step. */
export interface SealOptions {
  /** Mount paths relative to the app dir (`web/uploads`, `/var`: a leading `/` is ignored). */
  mounts: string[];
}

/** Bash: dh_unseal, dh_seal MOUNT LINKTARGET .... */
export const SEAL_BASH = hostFile("seal.sh");

const SEGMENT = /^[A-Za-z0-9._@+-]+$/;

/** Normalized mount path (`web/uploads`) or a ConfigError. */
export function normalizeMount(mount: string, index: number): string {
  const m = mount.replace(/^\/+/, "").replace(/\/+$/, "");
  const segments = m.split("/");
  if (m === "" || segments.some((s) => !SEGMENT.test(s) || s === "." || s === "..")) {
    throw new ConfigError(
      `${JSON.stringify(mount)} must be a path inside the app of letters, digits and . _ @ + - (no "." or ".." segments)`,
      { path: `mounts[${index}]` },
    );
  }
  return m;
}

/** The `dh_seal` call: each mount with its relative link target (`../../shared/<m>` at depth 1). */
export function renderSealCall(options: SealOptions): string {
  const args = options.mounts.map((raw, i) => {
    const m = normalizeMount(raw, i);
    const depth = m.split("/").length;
    return `${shellQuote(m)} ${shellQuote(`${"../".repeat(depth + 1)}shared/${m}`)}`;
  });
  return ["dh_seal", ...args].join(" ");
}
