#!/usr/bin/env node
// pulumi-resource-command: deployhooks' DOUBLE of the @pulumi/command 1.2.1 provider plugin, for the
// real Pulumi engine in this repository's tests (test/real-engine). The real provider's Go module is
// refused by this project's Go proxy; this double runs the same decision and execution code as
// deployhooks/testing (testing/commandProvider.ts). `npm run -s engine:bin` puts a launcher for it,
// naming this checkout by absolute path, into the engine directory. Never chdir: plugins run in the
// program's directory.
"use strict";
const fs = require("fs");
const path = require("path");
const repo = path.resolve(path.dirname(fs.realpathSync(__filename)), "..");
require(path.join(repo, "node_modules", "ts-node")).register({
  transpileOnly: true,
  project: path.join(repo, "tsconfig.json"),
  compilerOptions: { module: "commonjs" },
});
require(path.join(repo, "testing", "commandProviderServer.ts"))
  .serveCommandProvider(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`pulumi-resource-command (deployhooks double): ${e.message}\n`);
    process.exit(1);
  });
