/**
 * Serves the `@pulumi/command` 1.2.1 double (testing/commandProvider.ts) as the engine's
 * `pulumi-resource-command` plugin: `@pulumi/pulumi/provider`'s `main`, plus a client of the engine's
 * log service so command output reaches `pulumi up` as the real provider's does.
 */
import * as grpc from "@grpc/grpc-js";
import { main } from "@pulumi/pulumi/provider";
import { commandProvider, type EngineLog } from "./commandProvider";

/* eslint-disable @typescript-eslint/no-require-imports */
const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as {
  EngineClient: new (
    addr: string,
    creds: grpc.ChannelCredentials,
  ) => {
    log(req: unknown, cb: () => void): void;
  };
};
const engproto = require("@pulumi/pulumi/proto/engine_pb") as {
  LogRequest: new () => {
    setSeverity(s: number): void;
    setMessage(m: string): void;
    setUrn(u: string): void;
    setEphemeral(e: boolean): void;
  };
  LogSeverity: { INFO: number };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The engine's address: the first argument that is not a flag (`--logtostderr`, `-v=N`, `--tracing X`). */
export function engineAddress(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--tracing") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** Ephemeral info messages on the resource, delivered in order. */
function engineLog(address: string): EngineLog {
  const client = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
  let last: Promise<void> = Promise.resolve();
  return (urn, line) => {
    last = last.then(
      () =>
        new Promise<void>((resolve) => {
          const req = new engproto.LogRequest();
          req.setSeverity(engproto.LogSeverity.INFO);
          req.setMessage(line);
          req.setUrn(urn);
          req.setEphemeral(true);
          client.log(req, () => resolve());
        }),
    );
  };
}

/** Starts the plugin (prints its port for the engine, then serves until the engine stops it). */
export function serveCommandProvider(args: string[]): Promise<void> {
  const address = engineAddress(args);
  return main(commandProvider(address ? engineLog(address) : undefined), args);
}
