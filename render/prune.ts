/**
 * Bounded disk on the host: which releases, uploads and logs are removed, and when.
 *
 * - `dh_remove_release ID`: removes `releases/<id>` (made writable first: sealed releases are
 *   read-only), its markers (`.ok`, `.sealed`, `.built`, `.failed`), its hook files and its logs
 *   (`logs/<id>-*.log`). Never `current`'s release: refused.
 * - `dh_prune_failed` (the upload step, before it unpacks, under the lock): removes releases whose
 *   build failed (`.failed`), release directories without `.ok` (an interrupted upload) and
 *   `releases/*.tmp-*` leftovers. `uploads/` is bounded by the upload step itself (it keeps the last unpacked tarball
 *   only). The release being deployed, `current` and the rollback target stay.
 * - `dh_prune KEEP` (the activate step, after a successful switch): keeps the KEEP most recently
 *   deployed releases (by the mtime of their `.ok` marker, refreshed when a kept release is
 *   reused), the new one included; never removes `current`, the release `current` pointed to before
 *   this activation, the last confirmed activation (the rollback target, `app.good.sh`), or a
 *   release deployed after this one (another deployment in flight). KEEP 0 = never prune.
 */
import { hostFile } from "./library";

/** Bash: dh_rollback_target, dh_remove_release, dh_prune_failed, dh_prune. */
export const PRUNE_BASH = hostFile("prune.sh");
