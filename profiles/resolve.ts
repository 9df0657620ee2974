/**
 * Resolving an app's hooks against its profile: the profile's rule row, overridden field by field
 * by what the user wrote, validated, in lifecycle order.
 */
import type { AppSpec } from "../model/app";
import { orderClasses } from "../model/changeClass";
import { ConfigError } from "../model/configError";
import { closestName } from "../model/suggest";
import type { ResolvedHook } from "../engine/types";
import { cleverCloud } from "./cleverCloud";
import { customProfile } from "./custom";
import type { Profile } from "./profile";
import { upsun } from "./upsun";

/** The profile an app follows. */
export function profileFor(app: AppSpec): Profile {
  switch (app.profile) {
    case "upsun":
      return upsun;
    case "cleverCloud":
      return cleverCloud;
    case "custom":
      if (!app.lifecycle || app.lifecycle.length === 0) {
        throw new ConfigError("the custom profile needs a lifecycle (at least one hook rule)", {
          file: app.origin?.file,
          path: `${app.name}.lifecycle`,
        });
      }
      return customProfile(app.lifecycle);
  }
}

/** The app's hooks with every rule resolved, in lifecycle order. Throws ConfigError on bad hooks. */
export function resolveHooks(app: AppSpec, profile: Profile = profileFor(app)): ResolvedHook[] {
  const known = profile.hooks.map((h) => h.name);
  const allowed = profile.allowedHooks(app);
  const seen = new Map<string, number>();
  const resolved: ResolvedHook[] = [];
  app.hooks.forEach((hook, i) => {
    const where = {
      file: hook.origin?.file ?? app.origin?.file,
      line: hook.origin?.line,
      path: hook.origin?.key ?? `hooks[${i}]`,
    };
    const rule = profile.hooks.find((r) => r.name === hook.name);
    if (!rule) {
      const near = closestName(hook.name, known);
      const hint = near ? `; did you mean ${near}?` : "";
      throw new ConfigError(
        `unknown hook '${hook.name}' for profile ${profile.name} (known: ${known.join(", ")})${hint}`,
        where,
      );
    }
    if (seen.has(hook.name)) {
      throw new ConfigError(`hook '${hook.name}' is defined twice`, where);
    }
    seen.set(hook.name, i);
    if (allowed && !allowed.includes(hook.name)) {
      throw new ConfigError(
        `Clever Cloud Docker applications accept only ${allowed.map((n) => profile.hooks.find((r) => r.name === n)?.platformName ?? n).join(", ")}; ${rule.platformName} (${hook.name}) is not allowed (seeds/001, "Exceptions / Docker")`,
        where,
      );
    }
    const rerunOn = orderClasses(hook.rerunOn ?? rule.rerunOn);
    const watch = hook.watch ?? [];
    if (watch.length > 0 && !rerunOn.includes("code")) {
      throw new ConfigError(
        `watch has no effect unless rerunOn includes code (rerunOn: ${rerunOn.join(", ") || "none"})`,
        where,
      );
    }
    resolved.push({
      name: rule.name,
      script: hook.script,
      failure: hook.failure ?? rule.failure,
      timeoutSeconds: hook.timeoutSeconds === undefined ? rule.timeoutSeconds : hook.timeoutSeconds,
      scope: hook.scope ?? rule.scope,
      roles: [...(hook.roles ?? rule.roles)],
      rerunOn,
      watch: [...watch],
      phase: rule.phase,
      stage: rule.stage,
      variables: rule.variables,
      ...(rule.outcome ? { outcome: rule.outcome } : {}),
      ...((hook.blocksRequests ?? rule.blocksRequests) ? { blocksRequests: true as const } : {}),
      key: hook.origin?.key ?? rule.key,
    });
  });
  return resolved.sort((a, b) => known.indexOf(a.name) - known.indexOf(b.name));
}
