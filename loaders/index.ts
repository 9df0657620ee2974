/** Configuration loaders: Platform.sh/Upsun YAML, Clever Cloud env files and legacy JSON → AppSpec[]. */
export { loadConfig, loadUpsunDirectory } from "./loadConfig";
export type { LoadedConfig, LoadOptions, LoaderProfile } from "./loadConfig";
export { parseUpsunYaml, readUpsunDocument, configRootFor, UPSUN_HOOK_KEYS } from "./upsun";
export type { UpsunForm, UpsunParseOptions } from "./upsun";
export {
  parseCleverEnv,
  parseCleverCloudJson,
  cleverAppFromAssignments,
  CLEVER_HOOK_VARS,
  CLEVER_APP_NAME,
  LEGACY_POST_DEPLOY_WARNING,
} from "./cleverCloud";
export type { CleverEnvOptions } from "./cleverCloud";
export { parseEnvText, parseCleverCliText, looksLikeCleverCli } from "./dotenv";
export type { EnvAssignment } from "./dotenv";
export { parseYaml, newContext, readFileFromDisk } from "./yamlSource";
export type { FileReader, LoadContext } from "./yamlSource";
export { closestName } from "./suggest";
