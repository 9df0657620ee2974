/**
 * Upsun's read-only release: after the last build-phase run, every mount becomes a symlink into
 * `shared/<mount>/` (replacing what the build left at that path, as a platform mount hides it) and
 * the release is made read-only with `chmod -R a-w` (symlinks are not followed, so mounts stay
 * writable). Root ignores file modes: a hook running as root can still write; `chattr +i` would
 * be needed for that and is out of scope. A `.sealed` marker lets a rerun of a build-phase step on
 * the same release make it writable again first (`dh_unseal`).
 */
import { ConfigError } from "../model/configError";
import { bash } from "./bashTemplate";
import { MARKER_PREFIX as M } from "./messages";
import { shellQuote } from "./quote";

/** Mount options of a build-phase step. */
export interface SealOptions {
  /** Mount paths relative to the app dir (`web/uploads`, `/var`: a leading `/` is ignored). */
  mounts: string[];
}

/** Bash: dh_unseal, dh_seal MOUNT LINKTARGET .... */
export const SEAL_BASH = bash`
dh_unseal() {
  [ -f "$DH_STATE/releases/$DH_RELEASE.sealed" ] || return 0
  chmod -R u+w -- "$DH_REL" || dh_fail 73 "cannot make release $DH_RELEASE writable again"
  rm -f -- "$DH_STATE/releases/$DH_RELEASE.sealed"
}
dh_seal() {
  local m target count=0
  dh_unseal
  while [ "$#" -gt 1 ]; do
    m=$1 target=$2
    shift 2
    mkdir -p -- "$DH_APP/shared/$m" || dh_fail 73 "cannot create mount $DH_APP/shared/$m"
    if [ ! -L "$DH_REL/$m" ]; then
      chmod -R u+w -- "$DH_REL/$m" 2>/dev/null
      rm -rf -- "@{DH_REL:?}/$m"
      mkdir -p -- "$(dirname -- "$DH_REL/$m")" && ln -s -- "$target" "$DH_REL/$m" \
        || dh_fail 73 "cannot link mount $m into release $DH_RELEASE"
    fi
    count=$((count + 1))
  done
  chmod -R a-w -- "$DH_REL" || dh_fail 73 "cannot make release $DH_RELEASE read-only"
  : >"$DH_STATE/releases/$DH_RELEASE.sealed"
  printf '${M}sealed release=%s mounts=%s\n' "$DH_RELEASE" "$count"
}
`;

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
