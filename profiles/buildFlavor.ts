/**
 * What the platforms run before your build hooks, as plain data: Upsun's `build.flavor` and
 * `dependencies`, Clever Cloud's dependency install of its Node.js and PHP runtimes. render/flavor.ts
 * turns each step into bash. Runtimes are the host's: a step needs its tool (npm, composer, …) on
 * the host's PATH and fails naming it otherwise.
 *
 * Sources (platformsh/platformsh-docs, sites/upsun/src):
 * - `create-apps/app-reference/single-runtime-image.md` "build": flavors are per language, `none`
 *   does nothing and is the default "for any language other than PHP and Node.js"; "dependencies":
 *   global packages per language (`php` Composer, `python`/`python2`/`python3` pip, `ruby` Bundler,
 *   `nodejs` npm), "available in the PATH during the build process and in the runtime environment",
 *   installed "before the build hook runs".
 * - `languages/nodejs/_index.md` "Dependencies": with a `package.json`, the default flavor runs
 *   `npm prune --userconfig .npmrc && npm install --userconfig .npmrc`.
 * - `languages/php/_index.md` "Dependencies": with a `composer.json`, the default flavor runs
 *   `composer --no-ansi --no-interaction install --no-progress --prefer-dist --optimize-autoloader`;
 *   "To use Composer 2.x … add the dependency `composer/composer: '^2'`", which only works when the
 *   dependencies are installed before the flavor: that is our order (the hooks page lists the flavor
 *   first; the PHP page's advice decides).
 * - `create-apps/app-reference/composable-image.md`: composable images (`stack`) have no flavor.
 * Clever Cloud (CleverCloud/documentation, content/doc): `applications/nodejs.md` ("Supported package
 * managers", "Automatic detection", "Development Dependencies", "Custom run command"),
 * `applications/php/composer.md`, `reference/reference-environment-variables.md`
 * ("CC_CACHE_DEPENDENCIES", "CC_COMPOSER_VERSION").
 */
import { ConfigError } from "../model/configError";

/** One global dependency: a package and its version constraint, as written in the configuration. */
export interface GlobalPackage {
  name: string;
  constraint: string;
}

/** One build-phase step the platform runs before the build hooks. */
export type BuildFlavorStep =
  | { kind: "upsunDependencies"; manager: "npm" | "composer" | "pip"; packages: GlobalPackage[] }
  | { kind: "upsunFlavor"; runtime: "nodejs" | "php" }
  | { kind: "cleverNode" }
  | { kind: "cleverPhp" };

/** The language of an Upsun `type` (`nodejs:20` → `nodejs`); "" for a composable image. */
export function upsunRuntime(config: Record<string, unknown>): string {
  const type = typeof config.type === "string" ? config.type : "";
  return type.split(":")[0];
}

const DEPENDENCY_MANAGERS: Record<string, "npm" | "composer" | "pip"> = {
  nodejs: "npm",
  php: "composer",
  python: "pip",
  python2: "pip",
  python3: "pip",
};

/** The Upsun build flavor in effect: `build.flavor`, else `default` for nodejs/php, else `none`. */
export function upsunFlavor(config: Record<string, unknown>): string {
  const build = config.build as { flavor?: unknown } | undefined;
  const flavor = build?.flavor;
  if (flavor !== undefined && flavor !== null) return String(flavor);
  const runtime = upsunRuntime(config);
  return runtime === "nodejs" || runtime === "php" ? "default" : "none";
}

/**
 * Upsun's steps before the build hook: the `dependencies` (one step per package manager, in the
 * configuration's order), then the flavor. Throws ConfigError for a flavor or a dependency
 * language we do not emulate (naming the key).
 */
export function upsunBuildFlavorSteps(config: Record<string, unknown>): BuildFlavorStep[] {
  const steps: BuildFlavorStep[] = [];
  const deps = config.dependencies;
  if (deps !== undefined && deps !== null) {
    if (typeof deps !== "object" || Array.isArray(deps)) {
      throw new ConfigError("must be a mapping of language → {package: constraint}", {
        path: "dependencies",
      });
    }
    for (const [lang, pkgs] of Object.entries(deps as Record<string, unknown>)) {
      const manager = DEPENDENCY_MANAGERS[lang];
      if (!manager) {
        throw new ConfigError(
          `global dependencies for '${lang}' are not emulated (supported: ${Object.keys(DEPENDENCY_MANAGERS).join(", ")})`,
          { path: `dependencies.${lang}` },
        );
      }
      const packages = Object.entries((pkgs ?? {}) as Record<string, unknown>).map(([name, c]) => ({
        name,
        constraint: c === null || c === undefined ? "*" : String(c),
      }));
      if (packages.length > 0) steps.push({ kind: "upsunDependencies", manager, packages });
    }
  }
  const flavor = upsunFlavor(config);
  const runtime = upsunRuntime(config);
  if (flavor === "none") return steps;
  if (runtime === "nodejs" && flavor === "default") {
    steps.push({ kind: "upsunFlavor", runtime: "nodejs" });
  } else if (runtime === "php" && (flavor === "default" || flavor === "composer")) {
    steps.push({ kind: "upsunFlavor", runtime: "php" });
  } else if (flavor !== "default") {
    throw new ConfigError(
      `build flavor '${flavor}' is not emulated for type '${String(config.type ?? "")}' (supported: none; default for nodejs and php; composer for php)`,
      { path: "build.flavor" },
    );
  }
  return steps;
}

/** Clever Cloud application types whose build we run (`clever create --type`). */
export const CLEVER_BUILD_TYPES = ["node", "php"] as const;

/** Clever Cloud's dependency install of an application type; none for other types. */
export function cleverBuildFlavorSteps(type: string | undefined): BuildFlavorStep[] {
  if (type === undefined || type === "") return [];
  if (type === "node") return [{ kind: "cleverNode" }];
  if (type === "php") return [{ kind: "cleverPhp" }];
  throw new ConfigError(
    `application type '${type}' has no emulated build (supported: ${CLEVER_BUILD_TYPES.join(", ")}; leave it unset and use CC_BUILD_COMMAND)`,
    { path: "type" },
  );
}
