/**
 * Host side of the incremental upload, second half: the *standby tree*
 * (`.deployhooks/standby/`), an unpacked copy of the base tarball (render/delta.ts) kept beside
 * the releases and never run.
 * - `dh_standby_start TARBALL SHA`: after an upload made TARBALL the base, unpacks it into the
 *   standby tree in the background (low CPU and I/O priority; the step does not wait) and records
 *   the tree's state (`dh_tree_state`: every entry's type, mode, size, inode, mtime, ctime and
 *   link target) in `standby.state` as `<sha> <state>`. `standby.lock` is held meanwhile.
 * - `dh_standby_apply DELTA DIR`: the next incremental upload, once the delta matched its own
 *   checksum, named this artifact and the kept base (delta.ts), holding the lock, checks that the
 *   standby tree is the delta's base and still has the recorded state (anything written, added, removed, chmod-ed or
 *   touched since it was unpacked changes it: then it is dropped), removes the base's entries the
 *   delta does not copy (its `R` list), unpacks the entries it ships, sets the directories' mtime
 *   to the archive's and renames the tree to the new release: the release is what unpacking the
 *   whole tarball gives, without writing 20,000 files. Otherwise the caller unpacks the tarball.
 * No release is ever written into: the standby tree becomes a release only once, and the next one
 * is unpacked afresh.
 * - `dh_standby_after TARBALL SHA DELTA` (the background job after such an upload): writes TARBALL
 *   from the delta and the old base and checks it against the artifact's sha256 before it becomes
 *   the base; a mismatch (the delta did not describe the artifact) removes the release's `.ok`
 *   marker (no later deployment takes it as kept) and keeps no base.
 */
import { hostFile } from "./library";

/** Bash: dh_standby_drop, dh_standby_make, dh_standby_start, dh_standby_apply. */
export const STANDBY_BASH = hostFile("standby.sh");
