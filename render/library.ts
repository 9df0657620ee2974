/**
 * The versioned host library: the bash every step shares (render/host/*.sh) concatenated into one
 * file whose name carries its content digest, installed on each host by its own small step (the
 * `library` resource of the components) and sourced by every step program, so a step's command
 * text is only what is specific to it (its parameters, its non-secret exports, its main call).
 *
 * Adding a fragment: put functions (and constant assignments) into `render/host/<name>.sh` with a
 * `# shellcheck shell=bash` first line, export `hostFile("<name>.sh")` where the TS side lists it
 * in `libraries`; the file is part of the library (every *.sh of the directory, by name), so in
 * host-library mode it is not inlined, and in inline mode it is. The .sh files ship with the
 * package (package.json `files`), read once at load from the source tree or, from `dist/render`,
 * from `../../render/host`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { RenderedStep, toCommand } from "./invoke";
import { appLayout, AppTarget } from "./layout";
import { shellQuote } from "./quote";

/** Where the .sh files are: next to this module (sources) or in the package's render/host (dist). */
function hostDir(): string {
  const candidates = [
    path.join(__dirname, "host"),
    path.join(__dirname, "..", "..", "render", "host"),
  ];
  for (const c of candidates) if (fs.existsSync(path.join(c, "core.sh"))) return c;
  throw new Error(
    `deployhooks: internal error: the host library (render/host/*.sh) is missing; looked in ${candidates.join(", ")}`,
  );
}

const DIR = hostDir();

/** Names of the library's files, in the order they are concatenated. */
export const HOST_LIBRARY_FILES: readonly string[] = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith(".sh"))
  .sort();

const texts = new Map(
  HOST_LIBRARY_FILES.map((f) => [f, fs.readFileSync(path.join(DIR, f), "utf8")]),
);

/** The text of one library file (`core.sh`), as a fragment for `renderProgram({ libraries })`. */
export function hostFile(name: string): string {
  const t = texts.get(name);
  if (t === undefined) throw new Error(`deployhooks: internal error: no host library file ${name}`);
  return t;
}

const fragments = new Set(texts.values());

/** Whether a fragment is one of the library's files (then host-library steps do not inline it). */
export function isInHostLibrary(fragment: string): boolean {
  return fragments.has(fragment);
}

const body = HOST_LIBRARY_FILES.map((f) => `# --- ${f}\n${texts.get(f)!.trim()}\n`).join("");
const digest = createHash("sha256").update(body).digest("hex");

const TEXT = `# deployhooks host library ${digest.slice(0, 16)} (generated from render/host/*.sh; do not edit)\n${body}true\n`;

/** The library as installed on a host (one file), its sha256 (hex) and short version. */
export const HOST_LIBRARY: { text: string; sha256: string; version: string } = {
  text: TEXT,
  sha256: createHash("sha256").update(TEXT).digest("hex"),
  version: digest.slice(0, 16),
};

/** `<app>/.deployhooks/lib/deployhooks-<version>.sh`: where a step sources the library. */
export function hostLibraryPath(target: AppTarget): string {
  return `${appLayout(target).stateDir}/lib/deployhooks-${HOST_LIBRARY.version}.sh`;
}

/** Library versions kept on a host (the newest by mtime); older ones are removed on install. */
export const KEPT_LIBRARY_VERSIONS = 3;

/**
 * The `library` step: writes the library from stdin to `hostLibraryPath(target)` (mode 0600 in the
 * 0700 state dir, through a temp file checked against its sha256 and renamed), unless it is
 * already there; keeps the newest KEPT_LIBRARY_VERSIONS versions. Give it `stdin: HOST_LIBRARY.text`.
 */
export function renderLibraryStep(target: AppTarget): RenderedStep & { stdin: string } {
  const layout = appLayout(target);
  const file = hostLibraryPath(target);
  const program = [
    "# deployhooks step library: installs the host library that every step sources (render/README.md)",
    "set -u -o pipefail",
    "exec 2>&1",
    `app=${shellQuote(layout.appDir)}`,
    `dir=${shellQuote(`${layout.stateDir}/lib`)}`,
    `lib=${shellQuote(file)}`,
    `want=${HOST_LIBRARY.sha256}`,
    'fail() { printf \'::deployhooks::error step=library exit=%s\n\' "$1"; printf \'deployhooks: %s\n\' "$2"; exit "$1"; }',
    'mkdir -p -- "$app" || fail 73 "cannot create $app"',
    '(umask 077 && mkdir -p -- "$dir") && chmod go-rwx -- "${dir%/lib}" "$dir" || fail 73 "cannot create $dir"',
    'got=$({ sha256sum <"$lib"; } 2>/dev/null)',
    'if [ "${got%% *}" = "$want" ]; then',
    "  printf '::deployhooks::library status=present path=%s\n' \"$lib\"",
    "  exit 0",
    "fi",
    'tmp=$(mktemp "$dir/.install.XXXXXX") || fail 73 "cannot create a file in $dir"',
    'cat >"$tmp" || { rm -f -- "$tmp"; fail 73 "cannot write $tmp"; }',
    'got=$(sha256sum <"$tmp")',
    "got=${got%% *}",
    'if [ "$got" != "$want" ]; then',
    '  rm -f -- "$tmp"',
    '  fail 65 "the host library on stdin has sha256 $got, expected $want (stdin truncated?)"',
    "fi",
    'mv -f -- "$tmp" "$lib" || { rm -f -- "$tmp"; fail 73 "cannot rename $tmp to $lib"; }',
    `ls -1t -- "$dir"/deployhooks-*.sh | tail -n +${KEPT_LIBRARY_VERSIONS + 1} | while IFS= read -r old; do rm -f -- "$old"; done`,
    "printf '::deployhooks::library status=installed path=%s\n' \"$lib\"",
    "",
  ].join("\n");
  return { command: toCommand(program), program, secretNames: [], stdin: HOST_LIBRARY.text };
}
