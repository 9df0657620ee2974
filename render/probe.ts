/**
 * The `probe` step (remote hosts, before the artifact is copied): tells what this host has of the
 * release, so that the copy sends the artifact only when the host needs it. It prints
 * `::deployhooks::probe release=<id> status=reused|present|rebuild|missing` (releaseCheck.ts) and
 * a line with the reason; `reused`/`present` → the component copies a placeholder of a few bytes
 * instead of the tarball. It changes nothing on the host (besides creating the layout).
 */
import { RenderedStep, toCommand } from "./invoke";
import { AppTarget } from "./layout";
import { MARKER_PREFIX as M } from "./messages";
import { CommonStepOptions, renderProgram } from "./program";
import { RELEASE_BASH } from "./releaseCheck";

export interface ProbeStepInput extends CommonStepOptions {
  target: AppTarget;
  releaseId: string;
}

/** Probe statuses for which the host needs no artifact. */
export const KEPT_STATUSES: readonly string[] = ["reused", "present"];

/** The `probe` step. */
export function renderProbeStep(input: ProbeStepInput): RenderedStep {
  const main = [
    "dh_release_status",
    `printf '${M}probe release=%s status=%s\\n' "$DH_RELEASE" "$DH_RS"`,
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
    libraries: [RELEASE_BASH],
    main,
  });
  return { command: toCommand(program), program, secretNames: [] };
}

/** The status a probe step printed (`undefined` when its stdout holds no probe marker). */
export function probeStatus(stdout: string): string | undefined {
  const m = /^::deployhooks::probe release=\S+ status=([a-z]+)$/m.exec(stdout);
  return m?.[1];
}
