import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertSourceDirectory } from "../../components/sourceDir";

describe("components/sourceDir: the source option is checked at construction", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dh-source-"));
    fs.mkdirSync(path.join(dir, "app"));
    fs.writeFileSync(path.join(dir, "file.txt"), "x");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("accepts a readable directory", () => {
    assert.doesNotThrow(() => assertSourceDirectory(path.join(dir, "app")));
  });

  const cases: Array<[string, string, (d: string) => string]> = [
    ["missing", "does not exist", (d) => `source: directory ${d} does not exist`],
    ["file.txt", "is a file", (d) => `source: ${d} is not a directory`],
  ];
  for (const [name, what, message] of cases) {
    it(`rejects a source that ${what}, naming the option and the resolved path`, () => {
      const resolved = path.join(dir, name);
      assert.throws(
        () => assertSourceDirectory(resolved),
        (e: Error) => e.name === "ConfigError" && e.message === message(resolved),
      );
    });
  }

  it("rejects an unreadable directory (not as root, who reads everything)", function () {
    if (process.getuid?.() === 0) {
      console.log("    (skipped: running as root, mode 000 does not stop reads)");
      this.skip();
    }
    const locked = path.join(dir, "locked");
    fs.mkdirSync(locked, { mode: 0o000 });
    assert.throws(
      () => assertSourceDirectory(locked),
      (e: Error) => e.message === `source: directory ${locked} cannot be read (EACCES)`,
    );
  });
});
