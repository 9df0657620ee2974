#!/usr/bin/env node
// pulumi-resource-deployhooks: this package's component provider (every exported component:
// Application, UpsunApp, CleverCloudApp) for the Pulumi engine, started like @pulumi/pulumi's plugin
// runner (cmd/run-plugin) does: the package's exports → getPulumiComponents → componentProviderHost,
// whose schema comes from the TypeScript sources. Differences from run-plugin: the sources run through
// ts-node (no dist/ build needed, no type-check at start) and the working directory is left alone:
// the engine starts plugins in the program's directory, so `source: ./app` resolves there.
// `npm run -s engine:bin` puts a launcher for it, naming this checkout by absolute path, into the
// engine directory.
"use strict";
const fs = require("fs");
const path = require("path");
const repo = path.resolve(path.dirname(fs.realpathSync(__filename)), "..");
require(path.join(repo, "node_modules", "ts-node")).register({
  transpileOnly: true,
  project: path.join(repo, "tsconfig.json"),
  compilerOptions: { module: "commonjs" },
});
const { componentProviderHost, getPulumiComponents } = require(
  path.join(repo, "node_modules", "@pulumi", "pulumi", "provider", "experimental", "provider"),
);
const pkg = require(path.join(repo, "index.ts"));
componentProviderHost({
  name: "deployhooks",
  dirname: repo,
  components: getPulumiComponents(pkg),
}).catch((e) => {
  process.stderr.write(`pulumi-resource-deployhooks: ${e.message}\n`);
  process.exit(1);
});
