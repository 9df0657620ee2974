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
import { bash } from "./bashTemplate";
import { MARKER_PREFIX as M } from "./messages";

/** Bash: dh_tree_state, dh_is_current, dh_built_ok, dh_mark_built, dh_release_status, dh_reuse. */
export const RELEASE_BASH = bash`
dh_tree_state() {
  local sum
  [ -d "$1" ] || return 1
  sum=$(cd -- "$1" && find . -mindepth 1 -printf '%P\t%y %m %s %i %T@ %C@ %l\0' | LC_ALL=C sort -z | sha256sum) || return 1
  printf '%s\n' "@{sum%% *}"
}
dh_is_current() { [ "$(readlink -- "$DH_APP/current" 2>/dev/null)" = "releases/$DH_RELEASE" ]; }
dh_built_ok() {
  local want='' got
  dh_release_ok && [ -f "$DH_STATE/releases/$DH_RELEASE.built" ] || return 1
  read -r want <"$DH_STATE/releases/$DH_RELEASE.built" || return 1
  got=$(dh_tree_state "$DH_REL") || return 1
  [ -n "$want" ] && [ "$got" = "$want" ]
}
dh_mark_built() {
  local s
  s=$(dh_tree_state "$DH_REL") || dh_fail 74 "cannot read release $DH_RELEASE to record its state"
  printf '%s\n' "$s" >"$DH_STATE/releases/$DH_RELEASE.built" || dh_fail 73 "cannot write $DH_STATE/releases/$DH_RELEASE.built"
  rm -f -- "$DH_STATE/releases/$DH_RELEASE.failed"
  printf '${M}built release=%s\n' "$DH_RELEASE"
}
# What this host has of $DH_RELEASE: DH_RS = reused (built, verified now: no artifact, no build),
# present (complete, not built yet or current: no artifact), rebuild (kept but changed since its
# build, or its build failed: unpacked again from the artifact), missing. DH_RS_WHY says why.
dh_release_status() {
  DH_RS_WHY=
  if ! dh_release_ok; then
    DH_RS=missing DH_RS_WHY="release $DH_RELEASE is not on this host"
  elif [ -f "$DH_STATE/releases/$DH_RELEASE.built" ]; then
    if dh_built_ok; then
      DH_RS=reused DH_RS_WHY="release $DH_RELEASE is kept on this host, built and unchanged (verified)"
    elif dh_is_current; then
      DH_RS=present DH_RS_WHY="release $DH_RELEASE changed on this host since it was built, but current points to it, so it is left as it is"
    else
      DH_RS=rebuild DH_RS_WHY="release $DH_RELEASE changed on this host since it was built (verification failed)"
    fi
  elif [ -f "$DH_STATE/releases/$DH_RELEASE.failed" ] && ! dh_is_current; then
    DH_RS=rebuild DH_RS_WHY="the last build of release $DH_RELEASE on this host failed"
  else
    DH_RS=present DH_RS_WHY="release $DH_RELEASE is on this host"
  fi
}
# dh_reuse RERUN_WHEN_CURRENT(0|1): success (print the reason) when this build-phase step need not run.
dh_reuse() {
  [ -f "$DH_STATE/releases/$DH_RELEASE.built" ] || return 1
  if [ "$1" = 1 ] && dh_is_current; then return 1; fi
  if dh_built_ok; then
    printf '${M}reused release=%s step=%s\n' "$DH_RELEASE" "$DH_STEP"
    dh_say "reused release $DH_RELEASE: it was built earlier and is unchanged on this host (verified), so $DH_STEP does not run again"
    return 0
  fi
  dh_say "release $DH_RELEASE changed on this host since it was built: $DH_STEP runs again"
  rm -f -- "$DH_STATE/releases/$DH_RELEASE.built"
  return 1
}
`;

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
