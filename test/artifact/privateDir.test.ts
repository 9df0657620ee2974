import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  defaultArtifactDir,
  privateDirProblem,
  resolveArtifactDir,
} from "../../artifact/privateDir";
import { tempDirs } from "../helpers/tmpDirs";

const tmp = tempDirs();

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Runs `f` with environment variables set (restored afterwards). */
function withEnv<T>(vars: Record<string, string>, f: () => T): T {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("artifact/privateDir", () => {
  it("the default is under $XDG_CACHE_HOME, else ~/.cache, never the shared temporary directory", () => {
    withEnv({ XDG_CACHE_HOME: "/x/cache" }, () =>
      assert.equal(defaultArtifactDir(), "/x/cache/deployhooks/artifacts"),
    );
    withEnv({ XDG_CACHE_HOME: "relative" }, () =>
      assert.equal(defaultArtifactDir(), path.join(os.homedir(), ".cache/deployhooks/artifacts")),
    );
    assert.ok(!defaultArtifactDir().startsWith(os.tmpdir() + path.sep));
  });

  it("creates missing directories with mode 0700", () => {
    const base = tmp("dh-priv-");
    const dir = path.join(base, "a", "b");
    const old = process.umask(0);
    try {
      assert.equal(resolveArtifactDir(dir), dir);
    } finally {
      process.umask(old);
    }
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(base, "a")).mode & 0o777, 0o700);
  });

  // Each row: how the explicit directory is prepared, and the refusal expected.
  const unsafe: [string, (dir: string) => void, RegExp, boolean][] = [
    [
      "world-writable",
      (d) => fs.chmodSync(d, 0o777),
      /writable by its group or by others \(mode 777\)/,
      false,
    ],
    [
      "group-writable",
      (d) => fs.chmodSync(d, 0o770),
      /writable by its group or by others \(mode 770\)/,
      false,
    ],
    [
      "a symbolic link",
      (d) => {
        const real = tmp("dh-real-");
        fs.rmdirSync(d);
        fs.symlinkSync(real, d);
      },
      /is a symbolic link/,
      false,
    ],
    [
      "a file",
      (d) => {
        fs.rmdirSync(d);
        fs.writeFileSync(d, "");
      },
      /is not a directory/,
      false,
    ],
    ["owned by another user", (d) => fs.chownSync(d, NOBODY, NOBODY), /owned by uid 65534/, true],
    [
      "inside a directory others can write (no sticky bit)",
      (d) => fs.chmodSync(path.dirname(d), 0o777),
      /writable by others without the sticky bit/,
      false,
    ],
    [
      "inside a directory of another user",
      (d) => fs.chownSync(path.dirname(d), NOBODY, NOBODY),
      /owned by uid 65534 \(neither/,
      true,
    ],
  ];
  for (const [what, prepare, message, needsRoot] of unsafe) {
    it(`an explicit directory that is ${what} is refused, and nothing is written in it`, function () {
      if (needsRoot && !isRoot) {
        console.log("      (skipped: needs root to chown)");
        this.skip();
      }
      const parent = path.join(tmp("dh-priv-"), "parent");
      fs.mkdirSync(parent, { mode: 0o700 });
      const dir = path.join(parent, "artifacts");
      fs.mkdirSync(dir, { mode: 0o700 });
      prepare(dir);
      assert.throws(
        () => resolveArtifactDir(dir),
        (e: Error) => {
          assert.match(e.message, message);
          assert.ok(e.message.includes(dir), e.message);
          return true;
        },
      );
      assert.ok(privateDirProblem(dir) !== undefined);
    });
  }

  it("a sticky world-writable parent (/tmp) is fine", () => {
    const sticky = tmp("dh-sticky-");
    fs.chmodSync(sticky, 0o1777);
    const inside = path.join(sticky, "mine");
    assert.equal(resolveArtifactDir(inside), inside);
  });

  it("the default directory is tightened to 0700 when it is ours", () => {
    const cache = tmp("dh-xdg-");
    withEnv({ XDG_CACHE_HOME: cache }, () => {
      const dir = defaultArtifactDir();
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      fs.chmodSync(dir, 0o777);
      assert.equal(resolveArtifactDir(dir), dir);
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    });
  });

  it("a default directory planted by another user is avoided: per-uid temp dir, then a fresh one", function () {
    if (!isRoot) {
      console.log("      (skipped: needs root to chown)");
      this.skip();
    }
    const cache = tmp("dh-xdg-");
    const tmpdir = tmp("dh-tmpdir-");
    fs.chmodSync(tmpdir, 0o1777);
    withEnv({ XDG_CACHE_HOME: cache, TMPDIR: tmpdir }, () => {
      const planted = defaultArtifactDir();
      fs.mkdirSync(planted, { recursive: true, mode: 0o700 });
      fs.chownSync(planted, NOBODY, NOBODY);
      const second = path.join(tmpdir, "deployhooks-0", "artifacts");
      assert.equal(resolveArtifactDir(planted), second);
      assert.equal(fs.statSync(second).mode & 0o777, 0o700);
      fs.chownSync(path.dirname(second), NOBODY, NOBODY);
      const warnings: string[] = [];
      const fresh = resolveArtifactDir(planted, (m) => warnings.push(m));
      assert.ok(fresh.startsWith(path.join(tmpdir, "deployhooks-artifacts-")), fresh);
      assert.equal(fs.statSync(fresh).mode & 0o777, 0o700);
      assert.equal(fs.statSync(fresh).uid, 0);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /owned by uid 65534/);
    });
  });
});
