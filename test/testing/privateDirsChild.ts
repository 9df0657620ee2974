// Child process of privateDirs.test.ts: makes a private temp dir with a key in it, prints its path,
// then ends the way argv[2] says: "exit" (process.exit), "throw" (uncaught exception), or waits for
// a signal ("signal").
import * as fs from "node:fs";
import * as path from "node:path";
import { makePrivateTempDir } from "../../testing/privateDirs";

const dir = makePrivateTempDir("deployhooks-ssh-");
fs.writeFileSync(path.join(dir, "key"), "not a real key\n", { mode: 0o600 });
process.stdout.write(dir + "\n");
const how = process.argv[2];
if (how === "exit") process.exit(3);
if (how === "throw") {
  setTimeout(() => {
    throw new Error("boom");
  }, 10);
}
if (how === "signal") setInterval(() => undefined, 1000);
