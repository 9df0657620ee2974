/**
 * The start command of a PHP app that has no start command of its own: an Upsun app without
 * `web.commands.start` (served by nginx and PHP-FPM from `web.locations["/"]` on the platform) and
 * a Clever Cloud PHP app without `CC_RUN_COMMAND` (served by Apache from `CC_WEBROOT`). On your
 * hosts, PHP's built-in server (`php -S`) does the same through one small router script:
 * - an existing file under the document root: served by the built-in server (a `.php` file runs);
 *   a directory with an `index.php`: that script;
 * - anything else: the passthru script (`SCRIPT_NAME`, `SCRIPT_FILENAME` and `PHP_SELF` set to it,
 *   run from its directory), or 404 when there is none. Upsun's passthru is the location's;
 *   Clever Cloud's is `/index.php` when the web root's `.htaccess` rewrites to it.
 * `PHP_CLI_SERVER_WORKERS` (default 4) worker processes serve requests in parallel. The router is
 * written into the cache directory by the start command itself, so nothing is added to the release.
 */
import { upsunRuntime } from "../profiles/buildFlavor";
import { documentRoot } from "../profiles/upsunEnvironment";
import { shellQuote } from "./quote";

/** `web.locations["/"]` of an Upsun app, as far as serving PHP needs it. */
export interface PhpWebLocation {
  /** Document root relative to the app (`web`, or "" for the app's root). */
  root: string;
  /** Front controller path with a leading `/` (`/index.php`), or "" for none. */
  passthru: string;
}

/** PHP's built-in server router (it travels verbatim in a quoted here-document ending at DEPLOYHOOKS_PHP_ROUTER). */
export const PHP_ROUTER = `<?php
// deployhooks: a PHP app served by PHP's built-in server (render/phpServer.ts).
$root = rtrim($_SERVER["DOCUMENT_ROOT"], "/");
$path = rawurldecode((string) parse_url($_SERVER["REQUEST_URI"], PHP_URL_PATH));
// No ".." segment: the path stays under the root (symbolic links in it, such as mounts, are
// followed, as nginx does).
if (!preg_match("#(^|/)\\.\\.(/|$)#", $path) && strpos($path, "\\0") === false) {
    $file = $root . "/" . ltrim($path, "/");
    if (is_file($file)) {
        return false;
    }
    if (is_dir($file) && is_file(rtrim($file, "/") . "/index.php")) {
        return false;
    }
}
$passthru = (string) getenv("DEPLOYHOOKS_PHP_PASSTHRU");
if ($passthru === "" || !is_file($root . $passthru)) {
    http_response_code(404);
    echo "Not Found\\n";
    return true;
}
$_SERVER["SCRIPT_NAME"] = $passthru;
$_SERVER["PHP_SELF"] = $passthru;
$_SERVER["SCRIPT_FILENAME"] = $root . $passthru;
chdir(dirname($root . $passthru));
require $root . $passthru;
`;

/** The `passthru` of a location: a path, `true` (the PHP default front controller), or none. */
export function phpPassthru(value: unknown): string {
  if (value === true) return "/index.php";
  if (typeof value === "string" && value !== "") return value.startsWith("/") ? value : `/${value}`;
  return "";
}

/**
 * Bash that writes the router into `cacheDir` (an expression), sets the passthru (bash lines that
 * export DEPLOYHOOKS_PHP_PASSTHRU) and serves `rootExpr` with `php -S` on `127.0.0.1:$PORT`.
 */
function phpServe(
  comment: string[],
  cacheDir: string,
  passthru: string[],
  rootExpr: string,
): string {
  return [
    ...comment,
    `dh_router="${cacheDir}/deployhooks-php-router.php"`,
    "cat >\"$dh_router.$$\" <<'DEPLOYHOOKS_PHP_ROUTER' || exit 73",
    PHP_ROUTER.trimEnd(),
    "DEPLOYHOOKS_PHP_ROUTER",
    'mv -f -- "$dh_router.$$" "$dh_router" || exit 73',
    ...passthru,
    'export PHP_CLI_SERVER_WORKERS="${PHP_CLI_SERVER_WORKERS:-4}"',
    `exec php -S "127.0.0.1:$PORT" -t ${rootExpr} "$dh_router"`,
  ].join("\n");
}

/** The bash start command serving `location` with `php -S` on `127.0.0.1:$PORT`. */
export function upsunPhpStart(location: PhpWebLocation): string {
  const passthru = shellQuote(location.passthru, "web.locations./.passthru");
  return phpServe(
    [
      `# deployhooks: Upsun serves PHP with nginx + PHP-FPM (web.locations["/"]: root ${JSON.stringify(location.root || "/")}, passthru ${location.passthru ? JSON.stringify(location.passthru) : "none"});`,
      "# here PHP's built-in server with a router does the same (render/phpServer.ts).",
    ],
    "${PLATFORM_CACHE_DIR:-${TMPDIR:-/tmp}}",
    [`export DEPLOYHOOKS_PHP_PASSTHRU=${passthru}`],
    '"${PLATFORM_DOCUMENT_ROOT:-.}"',
  );
}

/**
 * The start command of a Clever Cloud PHP app without `CC_RUN_COMMAND`. Clever Cloud serves PHP with
 * Apache from `CC_WEBROOT` (default: the app's root), and frameworks route through a front
 * controller with an `.htaccess` rewrite (Laravel's and Symfony's `public/.htaccess`): here PHP's
 * built-in server serves the web root, and a `RewriteRule` to `index.php` in its `.htaccess` makes
 * `/index.php` the passthru. Other `.htaccess` rules are not applied.
 */
export const CLEVER_PHP_START = phpServe(
  [
    "# deployhooks: Clever Cloud serves PHP with Apache from CC_WEBROOT; here PHP's built-in server with",
    "# a router (render/phpServer.ts); an .htaccess RewriteRule to index.php makes it the front controller.",
  ],
  "${APP_CACHE_DIR:-${TMPDIR:-/tmp}}",
  [
    "dh_webroot=${CC_WEBROOT:-}",
    'dh_webroot="$PWD/${dh_webroot#/}"',
    "export DEPLOYHOOKS_PHP_PASSTHRU=",
    "if grep -qsiE '^[[:space:]]*RewriteRule[[:space:]].*index\\.php' \"$dh_webroot/.htaccess\"; then",
    "  DEPLOYHOOKS_PHP_PASSTHRU=/index.php",
    "fi",
  ],
  '"$dh_webroot"',
);

/** The `web.locations["/"]` a PHP app without `web.commands.start` is served from, if any. */
export function upsunPhpLocation(config: Record<string, unknown>): PhpWebLocation | undefined {
  if (upsunRuntime(config) !== "php") return undefined;
  const web = config.web as
    | { commands?: { start?: unknown }; locations?: Record<string, { passthru?: unknown }> }
    | undefined;
  if (typeof web?.commands?.start === "string") return undefined;
  const location = web?.locations?.["/"];
  if (!location) return undefined;
  return { root: documentRoot(config), passthru: phpPassthru(location.passthru) };
}

/**
 * The start command of an Upsun app without `web.commands.start`: a PHP app is served from its
 * `web.locations["/"]`, as the platform's nginx + PHP-FPM would; other runtimes have none (no
 * process is managed).
 */
export function upsunDefaultStart(config: Record<string, unknown>): string {
  const location = upsunPhpLocation(config);
  return location ? upsunPhpStart(location) : "";
}
