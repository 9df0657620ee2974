export { Application } from "./application";
export { UpsunApp } from "./upsunApp";
export { CleverCloudApp } from "./cleverCloudApp";
export * from "./args";
export { upsunAppArgsFromConfig, cleverCloudAppArgsFromEnvFile } from "./fromConfig";
export type { UpsunConfigOptions, CleverCloudEnvOptions } from "./fromConfig";
export type { HookRunSummary } from "./deployment";
