/**
 * Secrets travel on stdin, never in command text (which lands in error messages and state) and
 * never through SSH `environment` (needs AcceptEnv). Format, one item per line:
 *
 *   deployhooks-secrets v1
 *   <NAME> <base64 of the UTF-8 value>      (one line per secret; empty value → nothing after the space)
 *   .end
 *
 * The program decodes each value with `base64 -d` into a bash associative array (no value ever
 * becomes a command argument: `printf` is a builtin) and exports them only into the environment of
 * the hook or app process that needs them.
 */
import { ConfigError } from "../model/configError";
import { hostFile } from "./library";
import { assertShellSafeText, assertVariableName } from "./quote";

export const SECRETS_HEADER = "deployhooks-secrets v1";
export const SECRETS_END = ".end";

/**
 * Encodes secrets for the `stdin` of a step. Names are sorted so the text is stable. Returns ""
 * for no secrets (the provider attaches no stdin then). Mark the resulting input secret in Pulumi
 * (`pulumi.secret`), as `stdin` is stored in state.
 */
export function encodeSecretsForStdin(secrets: Record<string, string>): string {
  const names = Object.keys(secrets).sort();
  if (names.length === 0) return "";
  const lines = names.map((name) => {
    assertVariableName(name, `secrets.${name}`);
    const value = secrets[name];
    if (typeof value !== "string") {
      throw new ConfigError("must be a string", { path: `secrets.${name}` });
    }
    assertShellSafeText(value, `secrets.${name}`);
    return `${name} ${Buffer.from(value, "utf8").toString("base64")}`;
  });
  return [SECRETS_HEADER, ...lines, SECRETS_END, ""].join("\n");
}

/** Validates the secret names a step expects (sorted, de-duplicated). */
export function normalizeSecretNames(names: readonly string[] | undefined): string[] {
  const sorted = [...new Set(names ?? [])].sort();
  sorted.forEach((n) => assertVariableName(n, `secretNames.${n}`));
  return sorted;
}

/** Bash: `dh_read_secrets NAME...` fills `dh_secrets` from stdin and checks every name arrived (render/host/secrets.sh). */
export const SECRETS_BASH = hostFile("secrets.sh");
