/**
 * Bash of the platforms' own build steps (profiles/buildFlavor.ts decides which): Upsun's global
 * `dependencies` and build flavors, Clever Cloud's Node.js and PHP dependency install. The result
 * is prepended to the build command of the `build` step, so it runs in the new release with the
 * build-visible variables, is logged and recorded as `step:build`, aborts the deployment on failure
 * and reruns exactly when the build step does (code or build changed).
 *
 * Each step stops the script with its status when it fails (the user's build command after it keeps
 * the platform rule "fails only if its last command fails"). A missing tool exits 127 with a line
 * naming it (`deployhooks: the Upsun nodejs build flavor needs npm on the host …`).
 */
import type { AppSpec } from "../model/app";
import {
  cleverBuildFlavorSteps,
  upsunBuildFlavorSteps,
  type BuildFlavorStep,
  type GlobalPackage,
} from "../profiles/buildFlavor";
import { shellQuote } from "./quote";

/** Defines `dh_need TOOL WHY`: exit 127 with a message naming the missing tool. */
export const NEED_BASH = `dh_need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  printf 'deployhooks: %s needs %s on the host (not found in PATH=%s); install it there\\n' "$2" "$1" "$PATH" >&2
  exit 127
}`;

const GLOBAL_PATH =
  'export PATH="$PLATFORM_APP_DIR/.global/bin:$PLATFORM_APP_DIR/.global/vendor/bin:$PATH"';

function npmSpec(p: GlobalPackage): string {
  return `${p.name}@${p.constraint}`;
}
function composerSpec(p: GlobalPackage): string {
  return p.constraint === "*" ? p.name : `${p.name}:${p.constraint}`;
}
function pipSpec(p: GlobalPackage): string {
  if (p.constraint === "*" || p.constraint === "") return p.name;
  return /^[<>=!~]/.test(p.constraint) ? `${p.name}${p.constraint}` : `${p.name}==${p.constraint}`;
}

/** The package through which Upsun's `dependencies.php` picks the Composer version. */
export const COMPOSER_SELF = "composer/composer";

/**
 * The lowest version and the major a simple Composer constraint allows (`^2`, `^2.7.0`, `~2.2`,
 * `2.*`): any version of that major at or above the floor satisfies it. Undefined for other
 * constraints (ranges, `||`, `<`, dev versions): then Composer itself resolves them.
 */
export function composerVersionFloor(
  constraint: string,
): { major: number; min: string } | undefined {
  const c = constraint.trim();
  const m =
    /^\^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(c) ??
    /^~(\d+)\.(\d+)(?:\.(\d+))?$/.exec(c) ??
    /^(\d+)\.(\*)$/.exec(c);
  if (!m) return undefined;
  const major = Number(m[1]);
  if (c.startsWith("~") && m[3] !== undefined) return undefined; // ~2.2.1 caps the minor: not one major
  const minor = m[2] === undefined || m[2] === "*" ? 0 : Number(m[2]);
  const patch = m[3] === undefined ? 0 : Number(m[3]);
  return { major, min: `${major}.${minor}.${patch}` };
}

/**
 * Upsun `dependencies.php`: `composer global require` into `.global`. `composer/composer` with a
 * constraint of one major (composerVersionFloor) is how Upsun picks the Composer version: the
 * host's Composer is used when it satisfies it (no download), else it is installed like any package.
 */
function composerDependencies(packages: GlobalPackage[]): string {
  const q = (s: string) => shellQuote(s, "dependencies");
  const require = (ps: GlobalPackage[]) =>
    `COMPOSER_HOME="$PLATFORM_APP_DIR/.global" composer global require --no-interaction --no-progress ${ps.map((p) => q(composerSpec(p))).join(" ")} || exit`;
  const lines = [
    "# Upsun dependencies.php: global Composer packages in $PLATFORM_APP_DIR/.global (vendor/bin/ on PATH)",
    "dh_need composer 'Upsun dependencies.php'",
  ];
  const self = packages.find((p) => p.name === COMPOSER_SELF);
  const floor = self ? composerVersionFloor(self.constraint) : undefined;
  if (self && floor) {
    lines.push(
      `dh_composer_version=$(composer --version --no-ansi 2>/dev/null | sed -n 's/^Composer version \\([0-9][0-9.]*\\).*/\\1/p')`,
      `if [ "\${dh_composer_version%%.*}" = ${floor.major} ] && [ "$(printf '%s\\n' ${floor.min} "$dh_composer_version" | sort -V | head -n 1)" = ${floor.min} ]; then`,
      `  printf 'deployhooks: dependencies.php %s: the host\\047s Composer %s satisfies it and is used\\n' ${q(`${self.name} ${self.constraint}`)} "$dh_composer_version"`,
      "else",
      `  ${require([self])}`,
      "fi",
    );
  }
  const rest = self && floor ? packages.filter((p) => p !== self) : packages;
  if (rest.length > 0) lines.push(require(rest));
  return lines.join("\n");
}

/** Bash of one step. */
export function renderFlavorStep(step: BuildFlavorStep): string {
  switch (step.kind) {
    case "upsunDependencies": {
      const q = (s: string) => shellQuote(s, "dependencies");
      if (step.manager === "npm") {
        const specs = step.packages.map((p) => q(npmSpec(p))).join(" ");
        return [
          "# Upsun dependencies.nodejs: global npm packages in $PLATFORM_APP_DIR/.global (bin/ on PATH)",
          "dh_need npm 'Upsun dependencies.nodejs'",
          `npm install --global --no-fund --no-audit --prefix "$PLATFORM_APP_DIR/.global" ${specs} || exit`,
        ].join("\n");
      }
      if (step.manager === "composer") return composerDependencies(step.packages);
      const specs = step.packages.map((p) => q(pipSpec(p))).join(" ");
      return [
        "# Upsun dependencies.python3: pip --user packages with PYTHONUSERBASE=$PLATFORM_APP_DIR/.global",
        "dh_need python3 'Upsun dependencies.python3'",
        `PYTHONUSERBASE="$PLATFORM_APP_DIR/.global" python3 -m pip install --user --no-input ${specs} || exit`,
      ].join("\n");
    }
    case "upsunFlavor":
      if (step.runtime === "nodejs") {
        return [
          "# Upsun build flavor default (nodejs): docs.upsun.com/languages/nodejs.html#dependencies",
          "if [ -f package.json ]; then",
          "  dh_need npm 'the Upsun nodejs build flavor'",
          "  npm prune --userconfig .npmrc && npm install --userconfig .npmrc || exit",
          "fi",
        ].join("\n");
      }
      return [
        "# Upsun build flavor composer (php): docs.upsun.com/languages/php.html#dependencies",
        "if [ -f composer.json ]; then",
        "  dh_need composer 'the Upsun php build flavor'",
        "  composer --no-ansi --no-interaction install --no-progress --prefer-dist --optimize-autoloader || exit",
        "fi",
      ].join("\n");
    case "cleverNode":
      return CLEVER_NODE_BASH;
    case "cleverPhp":
      return CLEVER_PHP_BASH;
  }
}

/**
 * Clever Cloud's Node.js dependency install: `CC_NODE_BUILD_TOOL` (`npm`/`npm-install`, `npm-ci`,
 * `yarn`/`yarn2`, `yarn-berry`, `pnpm`, `bun`, `custom` with `CC_CUSTOM_BUILD_TOOL`), else detected
 * from the lock file (yarn.lock, pnpm-lock.yaml, bun.lock, else npm); `CC_NODE_DEV_DEPENDENCIES=install`
 * adds each tool's flag; npm runs package.json's preinstall/install/postinstall scripts itself.
 * `CC_CACHE_DEPENDENCIES=true` restores node_modules from the app's cache dir before the install
 * and saves it after.
 */
const CLEVER_NODE_BASH = `# Clever Cloud Node.js build: developers.clever-cloud.com/doc/applications/nodejs/
if [ -f package.json ]; then
  dh_tool=\${CC_NODE_BUILD_TOOL:-}
  if [ -z "$dh_tool" ]; then
    if [ -f yarn.lock ]; then
      if grep -Eq '"packageManager"[[:space:]]*:[[:space:]]*"yarn@[34]' package.json; then dh_tool=yarn-berry; else dh_tool=yarn; fi
    elif [ -f pnpm-lock.yaml ]; then
      dh_tool=pnpm
    elif [ -f bun.lock ]; then
      dh_tool=bun
    else
      dh_tool=npm
    fi
  fi
  dh_dev=\${CC_NODE_DEV_DEPENDENCIES:-}
  case $dh_tool in
    npm | npm-install) dh_cmd=(npm install); [ "$dh_dev" = install ] && dh_cmd+=(--production=false) ;;
    npm-ci) dh_cmd=(npm ci); [ "$dh_dev" = install ] && dh_cmd+=(--include=dev) ;;
    yarn | yarn2) dh_cmd=(yarn install); [ "$dh_dev" = install ] && dh_cmd+=(--production=false) ;;
    yarn-berry) dh_cmd=(yarn install) ;;
    pnpm) dh_cmd=(pnpm install); [ "$dh_dev" = install ] && dh_cmd+=(--prod false) ;;
    bun) dh_cmd=(bun install); [ "$dh_dev" = install ] || dh_cmd+=(--omit dev) ;;
    custom)
      if [ -z "\${CC_CUSTOM_BUILD_TOOL:-}" ]; then
        echo "deployhooks: CC_NODE_BUILD_TOOL=custom needs CC_CUSTOM_BUILD_TOOL" >&2
        exit 2
      fi
      dh_cmd=(bash --norc -c "$CC_CUSTOM_BUILD_TOOL")
      ;;
    *)
      echo "deployhooks: CC_NODE_BUILD_TOOL=$dh_tool is not one of npm, npm-install, npm-ci, yarn, yarn2, yarn-berry, pnpm, bun, custom" >&2
      exit 2
      ;;
  esac
  dh_need "\${dh_cmd[0]}" "CC_NODE_BUILD_TOOL=$dh_tool"
  dh_cache="$APP_CACHE_DIR/clever-dependencies"
  if [ "\${CC_CACHE_DEPENDENCIES:-false}" = true ] && [ ! -e node_modules ] && [ -d "$dh_cache/node_modules" ]; then
    echo "deployhooks: CC_CACHE_DEPENDENCIES: node_modules restored from $dh_cache"
    cp -a "$dh_cache/node_modules" node_modules || exit
  fi
  echo "deployhooks: installing dependencies with \${dh_cmd[*]}"
  "\${dh_cmd[@]}" || exit
  if [ "\${CC_CACHE_DEPENDENCIES:-false}" = true ] && [ -d node_modules ]; then
    rm -rf "$dh_cache/node_modules" && mkdir -p "$dh_cache" && cp -a node_modules "$dh_cache/node_modules" || exit
  fi
fi`;

/**
 * Clever Cloud's PHP dependency install: with a composer.json, `composer install` with
 * `CC_PHP_COMPOSER_FLAGS` (default `--no-interaction --no-progress --no-scripts`) plus `--no-dev`
 * unless `CC_PHP_DEV_DEPENDENCIES=install`; a `composer.phar` at the root is used instead of the host's
 * composer. `CC_COMPOSER_VERSION` cannot pick the host's Composer: a differing major is reported.
 */
const CLEVER_PHP_BASH = `# Clever Cloud PHP build: developers.clever-cloud.com/doc/applications/php/composer/
if [ -f composer.json ]; then
  if [ -f composer.phar ]; then
    dh_need php 'composer.phar'
    dh_cmd=(php composer.phar)
  else
    dh_need composer 'the Clever Cloud PHP build'
    dh_cmd=(composer)
  fi
  read -r -a dh_flags <<<"\${CC_PHP_COMPOSER_FLAGS:---no-interaction --no-progress --no-scripts}"
  [ "\${CC_PHP_DEV_DEPENDENCIES:-}" = install ] || dh_flags+=(--no-dev)
  dh_want=\${CC_COMPOSER_VERSION:-2}
  dh_have=$("\${dh_cmd[@]}" --version 2>/dev/null | sed -n 's/^Composer version \\([0-9]*\\).*/\\1/p')
  if [ "$dh_want" != lts ] && [ -n "$dh_have" ] && [ "$dh_have" != "$dh_want" ]; then
    echo "deployhooks: CC_COMPOSER_VERSION=$dh_want but the host's Composer is $dh_have.x (runtimes are the host's)"
  fi
  dh_cache="$APP_CACHE_DIR/clever-dependencies"
  if [ "\${CC_CACHE_DEPENDENCIES:-false}" = true ] && [ ! -e vendor ] && [ -d "$dh_cache/vendor" ]; then
    echo "deployhooks: CC_CACHE_DEPENDENCIES: vendor restored from $dh_cache"
    cp -a "$dh_cache/vendor" vendor || exit
  fi
  echo "deployhooks: installing dependencies with \${dh_cmd[*]} install \${dh_flags[*]}"
  "\${dh_cmd[@]}" install "\${dh_flags[@]}" || exit
  if [ "\${CC_CACHE_DEPENDENCIES:-false}" = true ] && [ -d vendor ]; then
    rm -rf "$dh_cache/vendor" && mkdir -p "$dh_cache" && cp -a vendor "$dh_cache/vendor" || exit
  fi
fi`;

/**
 * Clever Cloud's Node.js start without `CC_RUN_COMMAND`: `npm start` when package.json has
 * `scripts.start`, else `node <main>` (nodejs.md "Mandatory needs": "either has a scripts.start or a
 * main field"; "Custom run command": CC_RUN_COMMAND "takes priority over all other start methods").
 */
export const CLEVER_NODE_START = `if node -e 'process.exit(((require("./package.json").scripts || {}).start) ? 0 : 1)'; then
  exec npm start
fi
exec node "$(node -p 'require("./package.json").main || "index.js"')"`;

/** One named step for `deployhooks explain`. */
export interface NamedFlavorStep {
  /** `dependencies.nodejs`, `build.flavor`, `CC_NODE_BUILD_TOOL`, `composer`. */
  name: string;
  script: string;
}

function stepName(step: BuildFlavorStep): string {
  switch (step.kind) {
    case "upsunDependencies":
      return `dependencies.${step.manager === "npm" ? "nodejs" : step.manager === "composer" ? "php" : "python3"}`;
    case "upsunFlavor":
      return `build.flavor (${step.runtime})`;
    case "cleverNode":
      return "node: dependencies (CC_NODE_BUILD_TOOL)";
    case "cleverPhp":
      return "php: dependencies (composer)";
  }
}

/** The platform build steps of an app, named, with their bash (for `deployhooks explain`). */
export function flavorStepsOf(app: Pick<AppSpec, "profile" | "config">): NamedFlavorStep[] {
  const steps =
    app.profile === "upsun"
      ? upsunBuildFlavorSteps(app.config)
      : app.profile === "cleverCloud"
        ? cleverBuildFlavorSteps(typeof app.config.type === "string" ? app.config.type : undefined)
        : [];
  return steps.map((s) => ({ name: stepName(s), script: renderFlavorStep(s) }));
}

/**
 * The build command with the platform's steps first: `""` when there are none and no command.
 * Upsun steps see the global dependencies on PATH (installed by the first of them).
 */
export function composeBuildCommand(steps: BuildFlavorStep[], command: string): string {
  if (steps.length === 0) return command;
  const upsun = steps.some((s) => s.kind === "upsunDependencies" || s.kind === "upsunFlavor");
  const parts = [
    "# deployhooks: the platform's build steps (render/flavor.ts), then your build command",
    NEED_BASH,
    ...(upsun ? [GLOBAL_PATH] : []),
    ...steps.map(renderFlavorStep),
  ];
  const head = `${parts.join("\n")}\n`;
  return command.trim() === "" ? head : `${head}${command}`;
}
