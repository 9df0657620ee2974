/**
 * The `upload` step: turns an uploaded deterministic tarball into `releases/<id>`.
 * - What the host already has decides first (`dh_release_status`, releaseCheck.ts): a release kept,
 *   built and verified unchanged → `upload status=reused` (its `.ok` mtime refreshed: it counts as
 *   recently deployed); a complete release not built yet, or `current` → `status=present`; in both
 *   cases the tarball is not needed (a remote host got none: see the probe step). A kept release
 *   that changed since its build, or whose build failed, is removed and unpacked again
 *   (`status=rebuilt`, with the reason on a line of its own).
 * - Before unpacking, failed builds of other releases, interrupted uploads and stale upload files
 *   are pruned (prune.ts), and the free space is checked against the tarball's size.
 * - Incremental upload: when `<name>.delta` is there instead of `<name>.tar`, the tarball is first
 *   rebuilt from the kept base (render/delta.ts) and its checksum checked; then the standby copy
 *   of the base becomes the release with only the delta's entries changed (render/standby.ts), or,
 *   without a usable one, the rebuilt tarball is unpacked as below.
 * - Otherwise leftovers of an interrupted run (`releases/<id>` without marker,
 *   `releases/<id>.tmp-*`) are removed, the tarball is unpacked into a fresh
 *   `releases/<id>.tmp-XXXXXX` while its sha256 is computed in parallel (a mismatch removes the
 *   temp dir and fails), renamed to `releases/<id>` (`mv -T`, atomic), then the marker is
 *   written. A crash at any point leaves either nothing usable or a complete release. A full disk
 *   is reported as `no space left on device` with the path. `.deployhooks/uploads/` keeps only the last
 *   unpacked tarball (a build-only change of the same code unpacks it again without a new copy);
 *   the placeholder a re-activation received instead of the tarball (`<name>.kept`) is removed;
 *   the kept tarball is unpacked into the standby tree in the background (render/standby.ts).
 * The same text works for a local deployment: `tarball` is then a path on the local machine (never
 * removed).
 */
import { ConfigError } from "../model/configError";
import { hostFile } from "./library";
import { RenderedStep, toCommand } from "./invoke";
import { AppTarget } from "./layout";
import { CommonStepOptions, renderProgram } from "./program";
import { shellQuote } from "./quote";
import { PRUNE_BASH } from "./prune";
import { RELEASE_BASH } from "./releaseCheck";
import { DELTA_BASH } from "./delta";
import { STANDBY_BASH } from "./standby";

export interface UploadStepInput extends CommonStepOptions {
  target: AppTarget;
  releaseId: string;
  /** Absolute path of the tarball on the host (remote: `uploadPath(target, name)`). */
  tarball: string;
  /** `sha256:<64 hex>` or bare hex of the tarball. */
  sha256: string;
}

const ABSOLUTE = /^(\/[A-Za-z0-9._@+-]+)+$/;

/** Lower-case hex digest from `sha256:<hex>` or `<hex>`. */
export function normalizeSha256(value: string): string {
  const hex = value.replace(/^sha256:/, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ConfigError(`${JSON.stringify(value)} is not a sha256 digest (sha256:<64 hex>)`, {
      path: "sha256",
    });
  }
  return hex;
}

const UPLOAD_BASH = hostFile("upload.sh");

/** The `upload` step. */
export function renderUploadStep(input: UploadStepInput): RenderedStep {
  if (
    !ABSOLUTE.test(input.tarball) ||
    input.tarball.split("/").some((s) => s === "." || s === "..")
  ) {
    throw new ConfigError(
      `${JSON.stringify(input.tarball)} must be an absolute path of letters, digits and . _ @ + -`,
      {
        path: "tarball",
      },
    );
  }
  const main = `dh_upload ${shellQuote(input.tarball)} ${normalizeSha256(input.sha256)}\nexit $?`;
  const program = renderProgram({
    ...input,
    step: "upload",
    secretNames: [],
    libraries: [RELEASE_BASH, PRUNE_BASH, DELTA_BASH, STANDBY_BASH, UPLOAD_BASH],
    main,
  });
  return { command: toCommand(program), program, secretNames: [] };
}
