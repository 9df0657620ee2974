// Deploys app/ to one VM over SSH with Upsun-style hooks.
// pulumi config set host 203.0.113.10; pulumi config set user deploy
// pulumi config set --secret privateKey "$(cat ~/.ssh/id_ed25519)"
// pulumi config set hostKey "ssh-ed25519 AAAA…"   (ssh-keyscan -t ed25519 <host>)
import * as pulumi from "@pulumi/pulumi";
import { UpsunApp } from "deployhooks";

const config = new pulumi.Config();
const bastion = config.get("bastion");
const app = new UpsunApp("web", {
  source: "./app",
  hooks: {
    build: "set -e\nmkdir -p public\ndate -u > public/build.txt\n",
    deploy: "echo migrations would run here\n",
    postDeploy: "echo deployed $APP_RELEASE_ID\n",
  },
  web: { commands: { start: "node server.js" } },
  port: config.getNumber("port") ?? 8780,
  secrets: { API_TOKEN: config.requireSecret("apiToken") },
  hosts: [
    {
      name: "vm1",
      root: config.get("root") ?? "/srv/deployhooks",
      connection: {
        host: config.require("host"),
        port: config.getNumber("sshPort") ?? 22,
        user: config.get("user") ?? "deploy",
        privateKey: config.requireSecret("privateKey"),
        hostKey: config.get("hostKey"),
        ...(bastion
          ? {
              proxy: {
                host: bastion,
                user: config.get("bastionUser") ?? "deploy",
                privateKey: config.requireSecret("privateKey"),
              },
            }
          : {}),
      },
    },
  ],
});
export const releaseId = app.releaseId;
export const health = app.health;
export const steps = app.steps;
