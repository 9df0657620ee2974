/**
 * One app directory per host has one owner: two components of one program that deploy the same
 * app name under the same root of the same host would stop each other's app (each activation and
 * each destroy acts on `<root>/<app>`). The second one is refused when its hosts are known, before
 * any of its steps runs.
 */
import { ConfigError } from "../model/configError";

/** Where an app lives: the host's identity (`user@host:port`, or `local`), the root, the app name. */
export interface AppPlace {
  identity: string;
  root: string;
  app: string;
}

/** The places claimed in this process, by program (project/stack) — place → component name. */
const claimed = new Map<string, string>();

/**
 * Claims `place` for `component` within the program `program` (`<project>/<stack>`). Claiming a
 * place again for the same component is fine (a program can run preview then up in one process);
 * a place claimed by another component of the same program is a ConfigError naming both.
 */
export function claimAppPlace(program: string, place: AppPlace, component: string): void {
  const key = JSON.stringify([program, place.identity, place.root, place.app]);
  const owner = claimed.get(key);
  if (owner !== undefined && owner !== component) {
    throw new ConfigError(
      `app "${place.app}" under ${place.root} on ${place.identity} is already deployed by component "${owner}" of this program; give "${component}" another appName or root (two components on one app directory stop each other's app)`,
      { path: "appName" },
    );
  }
  claimed.set(key, component);
}
