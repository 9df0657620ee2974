// Your existing .upsun/config.yaml, deployed unchanged to your own host: a few lines.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { UpsunApp, upsunAppArgsFromConfig } from "deployhooks";

const config = new pulumi.Config();
const host = config.get("host");
const root = config.get("root"); // deployment root (default: ~/.deployhooks/apps locally)
const app = new UpsunApp(
  "api",
  upsunAppArgsFromConfig(path.join(__dirname, ".upsun/config.yaml"), {
    app: "api",
    port: config.getNumber("port") ?? 8781,
    // No host configured: deploy to this machine. Otherwise over SSH.
    hosts: host
      ? [
          {
            name: "vm1",
            connection: {
              host,
              user: config.get("user") ?? "deploy",
              privateKey: config.requireSecret("privateKey"),
            },
          },
        ]
      : [{ name: "local", ...(root ? { root } : {}) }],
  }),
);
export const releaseId = app.releaseId;
export const steps = app.steps;
