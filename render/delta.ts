/**
 * Host side of the incremental upload (artifact/delta.ts): the *base* is the last tarball the
 * upload step unpacked and kept in `.deployhooks/uploads/`, recorded in `.deployhooks/base.state`
 * as `<name> <sha256 hex> <size> <inode> <mtime> <ctime>` once its checksum matched.
 * - `dh_base`: prints `<name> <sha>` of the base if it is still that file: same size, inode,
 *   mtime and ctime, else its sha256 is computed again and must match (a changed base is dropped
 *   and never used).
 * - `dh_record_base TARBALL SHA`: after a successful unpack.
 * - `dh_delta_open DELTA`: its format (`deployhooks-delta 3`), and its base must be the kept base.
 * - `dh_delta_check DELTA`: its bytes after the first line must have the sha256 that line records
 *   (8 KB for a one-file change: the 225 MB tarball is not read).
 * - `dh_apply_delta DELTA OUT`: rebuilds the new tarball from the base with `dd` (copy ranges of the
 *   base, ranges of the shipped bytes); the upload then checks its sha256 against the artifact's,
 *   as for a full upload.
 * - `dh_sha256 FILE`: `openssl dgst -sha256` when installed (the CPU's SHA instructions: 0.2 s for
 *   the 215 MB bench tarball here, against 0.87 s for coreutils' `sha256sum`), else `sha256sum`.
 */
import { hostFile } from "./library";

/** Bash: dh_sha256, dh_file_state, dh_base, dh_record_base, dh_delta_open, dh_delta_check, dh_apply_delta. */
export const DELTA_BASH = hostFile("delta.sh");
