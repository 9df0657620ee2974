/**
 * Whether a kept release can be used again without a new upload or build, decided ON THE HOST by
 * looking at the release itself, never from a file name or a marker alone.
 *
 * Markers (`.deployhooks/releases/<id>.*`): `.ok` = the upload completed; `.built` = the build
 * phase completed, holding the **tree state** of the release at that moment; `.failed` = a
 * build-phase step of the release failed (the release is pruned by the next upload).
 *
 * Tree state (`dh_tree_state DIR`): sha256 over one record per entry below DIR, sorted by path:
 * path, type, mode, size, inode, mtime and ctime (nanoseconds), link target. Any write to a file
 * (content or size), chmod, replacement (new inode), addition or removal of an entry changes it,
 * and ctime cannot be set back by a user (`touch -d` restores mtime but moves ctime). 20,000
 * entries take about 0.1 s (one `find`, no file content read). Mount symlinks are recorded as
 * links: what the app writes into `shared/` is not part of the release.
 *
 * A build-phase step (the build, `beforeBuild`/`afterBuild` hooks) of a release that is built and
 * whose tree state still matches exits at once with `::deployhooks::reused release=<id>` (it runs
 * when its triggers changed, and says why it did nothing). Exception: a step that reruns on
 * runtime or redeploy changes (Clever Cloud's `preBuild`, "ran every time") runs again when the
 * release is the one `current` points to (a runtime-only change of the running release).
 */
import { hostFile } from "./library";

/** Bash: dh_tree_state, dh_is_current, dh_built_ok, dh_mark_built, dh_release_status, dh_reuse. */
export const RELEASE_BASH = hostFile("release-check.sh");

/** How a build-phase step treats a release that is already built. */
export interface BuildPhaseOptions {
  /**
   * Run again (instead of reporting `reused`) when the release is `current`: for steps that rerun
   * on runtime or redeploy changes (Clever Cloud `preBuild`). Default false.
   */
  rerunWhenCurrent?: boolean;
  /** This is the last build-phase step of the release: record its tree state when it succeeds. */
  markBuilt?: boolean;
}

/** Bash lines opening a build-phase step: exit 0 at once when the release is reused. */
export function renderBuildPhaseStart(options: BuildPhaseOptions): string[] {
  return [
    `if dh_reuse ${options.rerunWhenCurrent ? 1 : 0}; then exit 0; fi`,
    `dh_was_built=0; [ -f "$DH_STATE/releases/$DH_RELEASE.built" ] && dh_was_built=1`,
    `rm -f -- "$DH_STATE/releases/$DH_RELEASE.built"`,
  ];
}

/**
 * Bash lines closing a build-phase step after `dh_status` is set (and after sealing): record the
 * tree state (last step, or a rerun on a release that was built), or mark the release failed.
 */
export function renderBuildPhaseEnd(options: BuildPhaseOptions): string[] {
  return [
    'if [ "$dh_status" -ne 0 ]; then',
    '  dh_is_current || : >"$DH_STATE/releases/$DH_RELEASE.failed"',
    options.markBuilt ? "else" : 'elif [ "$dh_was_built" = 1 ]; then',
    "  dh_mark_built",
    "fi",
  ];
}
