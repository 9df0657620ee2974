#!/usr/bin/env node
// The `deployhooks` command. In a source checkout it runs the TypeScript sources through ts-node
// (so `npm run -s deployhooks` never runs a stale build); an installed package runs the compiled
// CLI from dist/. Both paths run the same `main` and exit with its code.
"use strict";
const fs = require("fs");
const path = require("path");
const source = path.join(__dirname, "..", "cli", "main.ts");
let entry;
if (fs.existsSync(source)) {
  require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
  entry = source;
} else {
  entry = path.join(__dirname, "..", "dist", "cli", "main.js");
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
