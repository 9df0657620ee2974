/**
 * What an activation did to traffic, for `pulumi up`'s output: which host was switched to which
 * release (and how), or a warning when the host has no front proxy (with the install command).
 */
import { parseStepOutput } from "./parse";
import { PROXY_INSTALL_COMMAND } from "./proxy";

/** The info line and/or warning of one activate step's stdout (both absent: nothing to say). */
export function activationReport(
  stdout: string | undefined,
  host: string,
): { info?: string; warning?: string } {
  const out = parseStepOutput(stdout ?? "");
  const find = (kind: string) => out.markers.filter((m) => m.kind === kind).pop()?.fields;
  const report: { info?: string; warning?: string } = {};
  if (find("proxy")?.status === "missing") {
    report.warning = `host ${host}: the front proxy (caddy) is not installed, so the activation stopped the old app before starting the new one and requests were refused meanwhile; install it on the host with \`${PROXY_INSTALL_COMMAND}\` for zero-downtime activations`;
  }
  const activated = out.activated;
  if (activated) {
    const route = find("route");
    const how = route ? ` (traffic on private port ${route.port})` : "";
    report.info = `host ${host}: switched to release ${activated.release}${activated.previous ? ` from ${activated.previous}` : ""}${how}`;
  } else if (find("candidate")?.status === "failed") {
    report.info = `host ${host}: not switched (the new app failed its start or health check; the previous app keeps serving)`;
  }
  return report;
}
