/**
 * The `probe` step (remote hosts, before the artifact is copied): tells what this host has of the
 * release, so that the copy sends the artifact only when the host needs it. It prints
 * `::deployhooks::probe release=<id> status=reused|present|rebuild|missing[ base=<name>:<sha256>]`
 * (releaseCheck.ts; `base`: the kept tarball an incremental upload can start from, delta.ts, read
 * once the previous upload's background job is done with it, standby.ts) and
 * a line with the reason; `reused`/`present` → the component copies a placeholder of a few bytes
 * instead of the tarball. It changes nothing on the host (besides creating the layout).
 */
import { RenderedStep, toCommand } from "./invoke";
import { AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { RELEASE_BASH } from "./releaseCheck";
import { DELTA_BASH } from "./delta";

export interface ProbeStepInput extends CommonStepOptions {
  target: AppTarget;
  releaseId: string;
}

/** Probe statuses for which the host needs no artifact. */
export const KEPT_STATUSES: readonly string[] = ["reused", "present"];

/** The `probe` step. */
export function renderProbeStep(input: ProbeStepInput): RenderedStep {
  const main = [
    "dh_release_status 0",
    "dh_b=",
    'case $DH_RS in missing | rebuild) read -r dh_bn dh_bs < <(dh_base_settled) && dh_b=" base=$dh_bn:$dh_bs" ;; esac',
    `printf '${M}probe release=%s status=%s%s\\n' "$DH_RELEASE" "$DH_RS" "$dh_b"`,
    "case $DH_RS in",
    '  reused) dh_say "$DH_RS_WHY: the artifact is not sent; the deployment re-activates it" ;;',
    '  rebuild) dh_say "$DH_RS_WHY: it is rebuilt on this host from the artifact" ;;',
    '  *) dh_say "$DH_RS_WHY" ;;',
    "esac",
    "exit 0",
  ].join("\n");
  const program = renderProgram({
    ...input,
    step: "probe",
    secretNames: [],
    libraries: [RELEASE_BASH, DELTA_BASH],
    main,
  });
  return { command: toCommand(program), program, secretNames: [] };
}

/** The status a probe step printed (`undefined` when its stdout holds no probe marker). */
export function probeStatus(stdout: string): string | undefined {
  return probeResult(stdout)?.status;
}

/** The probe's status and, when the host has a verified base tarball, its file name and sha256 hex. */
export function probeResult(
  stdout: string,
): { status: string; base?: { name: string; sha256: string } } | undefined {
  const m =
    /^::deployhooks::probe release=\S+ status=([a-z]+)(?: base=([A-Za-z0-9._-]+):([0-9a-f]{64}))?$/m.exec(
      stdout,
    );
  if (!m) return undefined;
  return { status: m[1]!, ...(m[2] ? { base: { name: m[2], sha256: m[3]! } } : {}) };
}
