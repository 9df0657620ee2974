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
let cli;
try {
  cli = require(entry);
} catch (e) {
  // A broken installation is an internal error (exit 1), never a stack trace on the user's screen.
  process.stderr.write(
    `deployhooks: internal error: ${e && e.message ? e.message.split("\n")[0] : e}\n`,
  );
  if (process.env.DEPLOYHOOKS_DEBUG) process.stderr.write(`${e && e.stack}\n`);
  process.exit(1);
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
