/**
 * Command-line parsing for `deployhooks` (SPEC §7). Pure: argv in, a command or a UsageError out.
 */
import { parseArgs } from "node:util";

/** `--profile` values: the SPEC's `upsun|clever`, plus the profile's own name `cleverCloud`. */
const PROFILE_FLAGS: Record<string, "upsun" | "cleverCloud"> = {
  upsun: "upsun",
  clever: "cleverCloud",
  cleverCloud: "cleverCloud",
};

export const USAGE = `usage:
  deployhooks explain <config> [--app NAME] [--profile upsun|clever] [--json [--details]]
  deployhooks diff <old-config> <new-config> [--code-changed] [--app NAME] [--profile upsun|clever] [--json]
  deployhooks diff --program <prev.json> <next.json> [--code-changed] [--app NAME] [--json]

<config>: .platform.app.yaml, .platform/applications.yaml, .upsun/config.yaml or the .upsun/
directory, a Clever Cloud env file (*.env), or a legacy clevercloud/*.json.
--program: two JSON files of a Pulumi program's component args ({"component": "UpsunApp",
"name": "api", "args": {...}} or a list), or two \`pulumi stack output steps --json\` / stack exports.
Exit codes: 0 success, 2 bad input, 1 internal error.`;

/** A mistake in the command line itself (exit 2, with the usage). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CommonOptions {
  app?: string;
  profile?: "upsun" | "cleverCloud";
  json: boolean;
}
export type Command =
  | ({
      kind: "explain";
      config: string;
      /** `--json --details`: add each app's workers, crons, build steps and variables. */
      details: boolean;
    } & CommonOptions)
  | ({
      kind: "diff";
      oldConfig: string;
      newConfig: string;
      codeChanged: boolean;
      /** The two files are a Pulumi program's component args or `steps` outputs (cli/program.ts). */
      program: boolean;
    } & CommonOptions)
  | { kind: "help" };

/** Parses argv (without `node` and the script). */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        app: { type: "string" },
        profile: { type: "string" },
        json: { type: "boolean", default: false },
        "code-changed": { type: "boolean", default: false },
        program: { type: "boolean", default: false },
        details: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === "help") return { kind: "help" };
  const [verb, ...files] = positionals;
  let profile: CommonOptions["profile"];
  if (values.profile !== undefined) {
    if (!Object.prototype.hasOwnProperty.call(PROFILE_FLAGS, values.profile)) {
      throw new UsageError(`--profile must be upsun or clever, not '${values.profile}'`);
    }
    profile = PROFILE_FLAGS[values.profile];
  }
  if (values.app === "") throw new UsageError("--app needs a name");
  const common: CommonOptions = { app: values.app, profile, json: values.json ?? false };
  switch (verb) {
    case "explain":
      if (values["code-changed"]) throw new UsageError("--code-changed only applies to diff");
      if (values.program) throw new UsageError("--program only applies to diff");
      if (files.length !== 1) {
        throw new UsageError(`explain takes one <config>, got ${files.length}`);
      }
      if (values.details && !values.json) {
        throw new UsageError("--details only applies to --json (the readable report has them)");
      }
      return { kind: "explain", config: files[0], details: values.details ?? false, ...common };
    case "diff":
      if (files.length !== 2) {
        throw new UsageError(
          values.program
            ? `diff --program takes <prev.json> <next.json>, got ${files.length} file(s)`
            : `diff takes <old-config> <new-config>, got ${files.length} file(s)`,
        );
      }
      if (values.details) throw new UsageError("--details only applies to explain");
      if (values.program && profile !== undefined) {
        throw new UsageError("--profile does not apply to --program (the component says it)");
      }
      return {
        kind: "diff",
        oldConfig: files[0],
        newConfig: files[1],
        codeChanged: values["code-changed"] ?? false,
        program: values.program ?? false,
        ...common,
      };
    case undefined:
      throw new UsageError("missing command (explain or diff)");
    default:
      throw new UsageError(`unknown command '${verb}' (explain or diff)`);
  }
}
