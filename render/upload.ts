/**
 * The `upload` step: turns an uploaded deterministic tarball into `releases/<id>`.
 * - A release with its `.deployhooks/releases/<id>.ok` marker is complete: nothing to do (the
 *   tarball need not exist any more).
 * - Otherwise leftovers of an interrupted run (`releases/<id>` without marker,
 *   `releases/<id>.tmp-*`) are removed, the tarball is unpacked into a fresh
 *   `releases/<id>.tmp-XXXXXX` while its sha256 is computed in parallel (a mismatch removes the
 *   temp dir and fails), renamed to `releases/<id>` (`mv -T`, atomic), then the marker is
 *   written. A crash at any point leaves either nothing usable or a complete release.
 * The same text works for a local deployment: `tarball` is then a path on the local machine.
 */
import { ConfigError } from "../model/configError";
import { bash } from "./bashTemplate";
import { RenderedStep, toCommand } from "./invoke";
import { AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { shellQuote } from "./quote";

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

const UPLOAD_BASH = bash`
dh_upload() {
  local tarball=$1 want=$2 got tmp d spid trc src
  if dh_release_ok; then
    printf '${M}upload release=%s status=present\n' "$DH_RELEASE"
    return 0
  fi
  [ -f "$tarball" ] || dh_fail 66 "upload of release $DH_RELEASE: tarball $tarball not found (was it copied to the host?)"
  for d in "$DH_REL" "$DH_REL".tmp-*; do
    [ -e "$d" ] || [ -L "$d" ] || continue
    dh_say "removing leftover $d of an interrupted upload"
    chmod -R u+w -- "$d" 2>/dev/null
    rm -rf -- "$d" || dh_fail 73 "cannot remove $d"
  done
  tmp=$(mktemp -d "$DH_REL.tmp-XXXXXX") || dh_fail 73 "cannot create a directory under $DH_APP/releases"
  # The checksum is computed while tar unpacks (both read the file once, in parallel); nothing is
  # renamed into place before it matched.
  sha256sum -- "$tarball" >"$tmp.sha256" 2>&1 &
  spid=$!
  tar -x --no-same-owner -f "$tarball" -C "$tmp"
  trc=$?
  wait "$spid"
  src=$?
  got=$(cat -- "$tmp.sha256" 2>/dev/null)
  rm -f -- "$tmp.sha256"
  got=@{got%% *}
  if [ "$src" -ne 0 ] || [ "$got" != "$want" ]; then
    chmod -R u+w -- "$tmp" 2>/dev/null
    rm -rf -- "$tmp"
    [ "$src" -eq 0 ] || dh_fail 74 "cannot read $tarball"
    dh_fail 65 "upload of release $DH_RELEASE: checksum mismatch for $tarball: expected sha256:$want, got sha256:$got"
  fi
  [ "$trc" -eq 0 ] || { chmod -R u+w -- "$tmp" 2>/dev/null; rm -rf -- "$tmp"; dh_fail 74 "cannot unpack $tarball"; }
  chmod u=rwx,go=rx -- "$tmp"
  mv -T -- "$tmp" "$DH_REL" || dh_fail 73 "cannot rename $tmp to $DH_REL"
  printf 'sha256:%s\n' "$want" >"$DH_STATE/releases/$DH_RELEASE.ok" || dh_fail 73 "cannot write the release marker"
  printf '${M}upload release=%s status=unpacked\n' "$DH_RELEASE"
}
`;

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
    libraries: [UPLOAD_BASH],
    main,
  });
  return { command: toCommand(program), program, secretNames: [] };
}
