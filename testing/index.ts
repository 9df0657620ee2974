/**
 * `deployhooks/testing`: run a Pulumi program under the SDK's mocks and execute its `@pulumi/command`
 * resources for real, following `@pulumi/command` 1.2.1's documented replace/update rules. Not the
 * Pulumi engine; a real `pulumi up` remains the product's path. See testing/README.md.
 */
export { runProgram } from "./runProgram";
export { awaitStandby } from "./standby";
export type { Program, RunOptions, RunReport, RunStep, StepOp } from "./types";
export type { StateFile, StoredResource, SecretMarker } from "./state";
export { startSshd, sshOptions, SshdUnavailable } from "./sshd";
export type { SshdHandle, SshdOptions, SshConnection } from "./sshd";
