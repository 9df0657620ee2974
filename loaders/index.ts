/** Configuration loaders: Platform.sh/Upsun YAML, Clever Cloud env files and legacy JSON → AppSpec[]. */
export { loadConfig } from "./loadConfig";
export type { LoadedConfig, LoadOptions, LoaderProfile } from "./loadConfig";
export { parseUpsunYaml } from "./upsun";
export type { UpsunForm, UpsunParseOptions } from "./upsun";
export { parseCleverEnv, parseCleverCloudJson } from "./cleverCloud";
export type { CleverEnvOptions } from "./cleverCloud";
export { parseEnvText, parseCleverCliText } from "./dotenv";
export type { EnvAssignment } from "./dotenv";
export type { FileReader } from "./yamlSource";
export { closestName } from "../model/suggest";
