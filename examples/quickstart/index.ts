// Pulumi entry of the quickstart: `pulumi up` here (or at the repository root) runs it.
import * as pulumi from "@pulumi/pulumi";
import { quickstart } from "./program";

const config = new pulumi.Config();
const out = quickstart({
  port: config.getNumber("port"),
  greeting: config.get("greeting"),
  root: config.get("root"),
  redeployToken: config.get("redeployToken"),
});
export const releaseId = out.releaseId;
export const fingerprints = out.fingerprints;
export const urls = out.urls;
export const health = out.health;
export const steps = out.steps;
