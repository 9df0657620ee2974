// Your Clever Cloud environment (clever env > clever.env), deployed to your own host.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CleverCloudApp, cleverCloudAppArgsFromEnvFile } from "deployhooks";

const config = new pulumi.Config();
const host = config.get("host");
const root = config.get("root"); // deployment root (default: ~/.deployhooks/apps locally)
const app = new CleverCloudApp(
  "cc",
  cleverCloudAppArgsFromEnvFile(path.join(__dirname, "clever.env"), {
    source: path.join(__dirname, "app"),
    port: config.getNumber("port") ?? 8782,
    secretNames: ["DB_PASSWORD"], // on stdin only; never in command text, triggers or logs
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
export const health = app.health;
export const steps = app.steps;
