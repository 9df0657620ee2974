import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fingerprintTree } from "../../fingerprint/tree";
import { loadStatCache, saveStatCache } from "../../fingerprint/statCache";
import { scopedFingerprint } from "../../fingerprint/watch";
import { compareCodePoints, sha256 } from "../../fingerprint/digest";

function tmpTree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dh-tree-"));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const r = tmpTree(files);
  roots.push(r);
  return r;
}
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const BASE = {
  "index.js": "console.log(1)\n",
  "lib/a.js": "a\n",
  "lib/b.js": "b\n",
  "bin/run": "#!/bin/sh\n",
};

describe("fingerprint/tree", () => {
  it("records files with POSIX relative paths, digests over mode and content, sorted", async () => {
    const root = tree({ ...BASE, "a-b": "x", "a/c": "y" });
    fs.chmodSync(path.join(root, "bin/run"), 0o755);
    const t = await fingerprintTree(root);
    const keys = Object.keys(t.files);
    assert.deepEqual(keys, ["a-b", "a/c", "bin/run", "index.js", "lib/a.js", "lib/b.js"]);
    assert.deepEqual([...keys].sort(compareCodePoints), keys);
    assert.equal(t.files["lib/a.js"], sha256("-\0a\n"));
    assert.equal(t.files["bin/run"], sha256("x\0#!/bin/sh\n"));
    assert.equal(t.modes["bin/run"], "x");
    assert.equal(t.fileCount, 6);
    const lines = keys.map((k) => `${k}\0${t.modes[k]}\0${t.files[k]}\n`).join("");
    assert.equal(t.fingerprint, sha256(lines));
  });

  it("content change, chmod +x, rename, add and remove each change the fingerprint", async () => {
    const root = tree(BASE);
    const seen = new Set<string>();
    const step = async () => {
      const fp = (await fingerprintTree(root)).fingerprint;
      assert.ok(!seen.has(fp), "fingerprint repeated");
      seen.add(fp);
    };
    await step();
    fs.writeFileSync(path.join(root, "lib/a.js"), "a2\n");
    await step();
    fs.chmodSync(path.join(root, "lib/a.js"), 0o755);
    await step();
    fs.renameSync(path.join(root, "lib/b.js"), path.join(root, "lib/c.js"));
    await step();
    fs.writeFileSync(path.join(root, "new.txt"), "");
    await step();
    fs.rmSync(path.join(root, "index.js"));
    await step();
  });

  it("same tree written in another order with other mtimes gives the same fingerprint", async () => {
    const a = tree(BASE);
    const b = tree(Object.fromEntries(Object.entries(BASE).reverse()));
    fs.utimesSync(path.join(b, "lib/a.js"), 1000, 1000);
    assert.equal((await fingerprintTree(a)).fingerprint, (await fingerprintTree(b)).fingerprint);
  });

  it("ignored files, VCS folders and platform configuration do not count", async () => {
    const root = tree({ ...BASE, ".gitignore": "*.log\n/build/\n" });
    const before = (await fingerprintTree(root)).fingerprint;
    const extra: Record<string, string> = {
      "debug.log": "x",
      "lib/deep.log": "x",
      "build/out.js": "x",
      ".git/HEAD": "ref",
      "lib/.git/config": "x",
      ".hg/store": "x",
      ".svn/entries": "x",
      ".platform.app.yaml": "name: app",
      "sub/.platform.app.yaml": "name: sub",
      ".platform/routes.yaml": "x",
      ".upsun/config.yaml": "x",
      "clevercloud/php.json": "{}",
    };
    for (const [rel, c] of Object.entries(extra)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), c);
    }
    const t = await fingerprintTree(root);
    assert.equal(t.fingerprint, before);
    // Not left out: same names deeper, and non-JSON files of clevercloud/.
    fs.mkdirSync(path.join(root, "lib/.platform"), { recursive: true });
    fs.writeFileSync(path.join(root, "lib/.platform/x"), "x");
    fs.writeFileSync(path.join(root, "clevercloud/notes.md"), "x");
    const t2 = await fingerprintTree(root);
    assert.deepEqual(Object.keys(t2.files), [
      ".gitignore",
      "bin/run",
      "clevercloud/notes.md",
      "index.js",
      "lib/.platform/x",
      "lib/a.js",
      "lib/b.js",
    ]);
  });

  it("nested .gitignore: relative to its directory, deeper wins, negation, ignored dirs not entered", async () => {
    const root = tree({
      ".gitignore": "*.log\nsecret/\n/top.txt\n",
      "top.txt": "x",
      "a/top.txt": "kept: /top.txt is anchored at the root",
      "a/.gitignore": "!keep.log\n/local.txt\n",
      "a/keep.log": "kept by negation",
      "a/other.log": "ignored",
      "a/local.txt": "ignored",
      "a/b/local.txt": "kept: /local.txt is anchored at a/",
      "a/b/keep.log": "kept: negation applies below a/ too",
      "secret/.gitignore": "!*\n",
      "secret/x.txt": "ignored: the directory is not entered",
      ".deployhooksignore": "*.tmp\n",
      "c/x.tmp": "ignored",
      "c/.deployhooksignore": "!x.tmp\n",
      "d/x.tmp": "ignored",
    });
    const t = await fingerprintTree(root);
    assert.deepEqual(Object.keys(t.files), [
      ".deployhooksignore",
      ".gitignore",
      "a/.gitignore",
      "a/b/keep.log",
      "a/b/local.txt",
      "a/keep.log",
      "a/top.txt",
      "c/.deployhooksignore",
      "c/x.tmp",
    ]);
  });

  it("a directory excluded by an outer file and re-included by an inner one is entered", async () => {
    const root = tree({
      ".gitignore": "gen/\n",
      "a/.gitignore": "!gen/\n",
      "a/gen/x.js": "x",
      "gen/y.js": "y",
    });
    const t = await fingerprintTree(root);
    assert.deepEqual(Object.keys(t.files), [".gitignore", "a/.gitignore", "a/gen/x.js"]);
  });

  it("exclude globs, symlinks as links (never followed)", async () => {
    const root = tree({ ...BASE, "node_modules/x/index.js": "x", "docs/a.md": "a" });
    fs.symlinkSync("../outside/nowhere", path.join(root, "lib/link"));
    fs.symlinkSync("lib", path.join(root, "libdir"));
    const t = await fingerprintTree(root, { exclude: ["node_modules", "**/*.md"] });
    assert.deepEqual(t.modes, {
      "bin/run": "-",
      "index.js": "-",
      "lib/a.js": "-",
      "lib/b.js": "-",
      "lib/link": "l",
      libdir: "l",
    });
    assert.equal(t.files["lib/link"], sha256("l\0../outside/nowhere"));
    assert.equal(t.files["libdir"], sha256("l\0lib"));
  });

  it("long and unicode paths", async () => {
    const long = "d".repeat(60) + "/" + "e".repeat(60) + "/f.txt";
    const root = tree({ [long]: "x", "é/ü😀.txt": "u" });
    const t = await fingerprintTree(root);
    assert.deepEqual(Object.keys(t.files), [long, "é/ü😀.txt"]);
  });
});

describe("fingerprint/tree stat cache", () => {
  const PAST = Date.now() / 1000 - 3600;
  /** Sets every file's and directory's mtime an hour back (out of the racy window). */
  function age(root: string) {
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) fs.utimesSync(p, PAST, PAST);
        else if (e.isSymbolicLink()) fs.lutimesSync(p, PAST, PAST);
      }
      fs.utimesSync(d, PAST, PAST);
    };
    walk(root);
  }

  it("an unchanged tree is not read again; results equal a cold run", async () => {
    const root = tree(BASE);
    age(root);
    const cacheFile = path.join(root, ".cache/fp.bin");
    const cold = await fingerprintTree(root, { cacheFile });
    assert.equal(cold.stats.hashed, 4);
    assert.ok(!Object.keys(cold.files).some((k) => k.startsWith(".cache")), "cache file left out");
    const warm = await fingerprintTree(root, { cacheFile });
    assert.equal(warm.stats.hashed, 0);
    assert.equal(warm.stats.walked, true, "a cache inside the tree: directories are read");
    assert.equal(warm.stats.cacheWritten, false);
    assert.deepEqual(warm.files, cold.files);
    assert.equal(warm.fingerprint, cold.fingerprint);
  });

  it("after random edits the cached result equals a cold run (20 rounds)", async () => {
    const root = tree({});
    const cacheFile = path.join(os.tmpdir(), `dh-cache-${process.pid}-${Date.now()}.bin`);
    roots.push(cacheFile);
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const names = ["a", "b", "c/d", "c/e", "f/g/h", "i"];
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 3; k++) {
        const p = path.join(root, names[rand(names.length)]);
        const op = rand(4);
        if (op === 0) fs.rmSync(p, { force: true });
        else if (op === 1 && fs.existsSync(p)) fs.chmodSync(p, fs.statSync(p).mode ^ 0o100);
        else {
          fs.mkdirSync(path.dirname(p), { recursive: true });
          fs.writeFileSync(p, "v" + rand(3)); // often the same size
        }
      }
      if (rand(2)) age(root);
      const cached = await fingerprintTree(root, { cacheFile });
      const cold = await fingerprintTree(root);
      assert.equal(cached.fingerprint, cold.fingerprint, `round ${round}`);
      assert.deepEqual(cached.files, cold.files);
    }
  });

  /** A cache file outside the tree (removed after the tests). */
  function outsideCache(): string {
    const f = path.join(
      os.tmpdir(),
      `dh-cache-${process.pid}-${Math.random().toString(36).slice(2)}.bin`,
    );
    roots.push(f);
    return f;
  }

  it("an unchanged tree with the cache outside it: no directory read, nothing hashed, nothing written", async () => {
    const root = tree({ ...BASE, ".gitignore": "*.log\n", "lib/.deployhooksignore": "x\n" });
    age(root);
    const cacheFile = outsideCache();
    const cold = await fingerprintTree(root, { cacheFile });
    const warm = await fingerprintTree(root, { cacheFile });
    assert.deepEqual(
      { ...warm.stats, seconds: 0 },
      {
        hashed: 0,
        hashedBytes: 0,
        cached: 6,
        racy: 0,
        walked: false,
        cacheWritten: false,
        seconds: 0,
      },
    );
    assert.equal(warm.fingerprint, cold.fingerprint);
    assert.deepEqual(warm.files, cold.files);
    assert.deepEqual(warm.modes, cold.modes);
  });

  // Each row: a change to a cached (aged) tree, and whether it changes a directory's listing.
  const CHANGES: [string, (root: string) => void, boolean][] = [
    [
      "one byte, same size, mtime put back",
      (r) => {
        const p = path.join(r, "lib/a.js");
        fs.writeFileSync(p, "A\n");
        fs.utimesSync(p, PAST, PAST);
      },
      false,
    ],
    ["the exec bit", (r) => fs.chmodSync(path.join(r, "lib/b.js"), 0o755), false],
    ["a rename", (r) => fs.renameSync(path.join(r, "lib/a.js"), path.join(r, "lib/c.js")), true],
    [
      "a file replaced by a rename onto it (editors, git checkout: its directory's mtime changes, not its listing)",
      (r) => {
        fs.writeFileSync(path.join(r, "lib/a.js.tmp"), "replaced\n");
        fs.renameSync(path.join(r, "lib/a.js.tmp"), path.join(r, "lib/a.js"));
      },
      false,
    ],
    [
      "a file replaced by a directory of the same name",
      (r) => {
        fs.rmSync(path.join(r, "lib/b.js"));
        fs.mkdirSync(path.join(r, "lib/b.js"));
        fs.writeFileSync(path.join(r, "lib/b.js/in.js"), "in\n");
      },
      true,
    ],
    [
      "an ignored file added beside a changed one (the listing changed: the tree is walked)",
      (r) => {
        fs.writeFileSync(path.join(r, "debug.log"), "log\n");
        fs.writeFileSync(path.join(r, "lib/a.js"), "A2\n");
      },
      true,
    ],
    [
      "a file added in a subdirectory",
      (r) => fs.writeFileSync(path.join(r, "lib/new.js"), "n\n"),
      true,
    ],
    ["a file deleted", (r) => fs.rmSync(path.join(r, "bin/run")), true],
    [
      "a new directory",
      (r) => {
        fs.mkdirSync(path.join(r, "lib/deep/er"), { recursive: true });
        fs.writeFileSync(path.join(r, "lib/deep/er/x.js"), "x");
      },
      true,
    ],
    [
      "a file replaced by a symlink",
      (r) => {
        fs.rmSync(path.join(r, "index.js"));
        fs.symlinkSync("lib/a.js", path.join(r, "index.js"));
      },
      true,
    ],
    [
      ".gitignore edited in place (same directory listing)",
      (r) => {
        fs.appendFileSync(path.join(r, ".gitignore"), "lib/b.js\n");
      },
      false,
    ],
    [
      "a self-ignored ignore file edited in place",
      (r) => {
        fs.writeFileSync(path.join(r, "lib/.deployhooksignore"), ".deployhooksignore\na.js\n");
      },
      false,
    ],
  ];
  for (const [what, change, listing] of CHANGES) {
    it(`cached tree, then ${what}: a new fingerprint, equal to a cold run`, async () => {
      const root = tree({
        ...BASE,
        ".gitignore": "*.log\n",
        "lib/.deployhooksignore": ".deployhooksignore\n",
      });
      age(root);
      const cacheFile = outsideCache();
      const before = await fingerprintTree(root, { cacheFile });
      assert.equal((await fingerprintTree(root, { cacheFile })).stats.walked, false);
      change(root);
      const after = await fingerprintTree(root, { cacheFile });
      const cold = await fingerprintTree(root);
      assert.notEqual(after.fingerprint, before.fingerprint);
      assert.equal(after.fingerprint, cold.fingerprint);
      assert.deepEqual(after.files, cold.files);
      assert.deepEqual(after.modes, cold.modes);
      // An ignore file's change is seen through its own stat, a listing change through its directory's.
      const ignoreFileChange = what.includes("ignore");
      assert.equal(after.stats.walked, listing || ignoreFileChange, "walked");
      // And the next run is warm again once the changed directories are out of the racy window.
      age(root);
      const next = await fingerprintTree(root, { cacheFile });
      const again = await fingerprintTree(root, { cacheFile });
      assert.equal(next.fingerprint, cold.fingerprint);
      assert.equal(again.stats.walked, false);
      assert.equal(again.stats.hashed, 0);
    });
  }

  it("racy directory: a listing change that left the directory's stat unchanged is still seen when recent", async () => {
    // Simulates a coarse-timestamp file system: the cache says lib/ has exactly its current stat.
    const run = async (writtenAtOffsetMs: number) => {
      const root = tree(BASE);
      age(root);
      const cacheFile = outsideCache();
      await fingerprintTree(root, { cacheFile });
      fs.writeFileSync(path.join(root, "lib/new.js"), "n\n");
      const lib = fs.lstatSync(path.join(root, "lib"));
      const cache = loadStatCache(cacheFile, path.resolve(root))!;
      const k = cache.dirs.paths.indexOf("lib");
      cache.dirs.nums.set([lib.size, lib.mtimeMs, lib.ctimeMs, lib.ino, lib.mode], k * 5);
      cache.writtenAt = lib.mtimeMs + writtenAtOffsetMs;
      saveStatCache(cacheFile, cache);
      return fingerprintTree(root, { cacheFile });
    };
    const recent = await run(0);
    assert.equal(recent.stats.walked, true);
    assert.ok("lib/new.js" in recent.files);
    // Control: the same forged cache written long after the change is trusted (so the rule above
    // is what made the difference).
    const old = await run(60_000);
    assert.equal(old.stats.walked, false);
    assert.ok(!("lib/new.js" in old.files));
  });

  it("racy entry: same size, same mtime, same ctime in the cache is still rehashed when recent", async () => {
    const root = tree({ "f.txt": "aaaa" });
    const cacheFile = path.join(root, "..", path.basename(root) + ".cache");
    roots.push(cacheFile);
    await fingerprintTree(root, { cacheFile });
    const p = path.join(root, "f.txt");
    const st = fs.statSync(p);
    fs.writeFileSync(p, "bbbb");
    fs.utimesSync(p, st.atime, st.mtime);
    // Simulate a coarse-timestamp filesystem, where the edit left ctime unchanged too.
    const cache = loadStatCache(cacheFile, path.resolve(root))!;
    assert.ok(cache);
    // (utimes through Date objects may also round the mtime: copy both from the new stat.)
    cache.nums[1] = fs.statSync(p).mtimeMs;
    cache.nums[2] = fs.statSync(p).ctimeMs;
    saveStatCache(cacheFile, cache);
    const t = await fingerprintTree(root, { cacheFile });
    assert.equal(t.files["f.txt"], sha256("-\0bbbb"));
    assert.equal(t.stats.racy, 1);
  });

  it("an old entry with matching stat is trusted (the cache is really used)", async () => {
    const root = tree({ "f.txt": "aaaa" });
    age(root);
    const cacheFile = path.join(root, "..", path.basename(root) + ".cache2");
    roots.push(cacheFile);
    const first = await fingerprintTree(root, { cacheFile });
    const cache = loadStatCache(cacheFile, path.resolve(root))!;
    cache.digests = cache.digests.replace(first.files["f.txt"], sha256("planted"));
    saveStatCache(cacheFile, cache);
    const t = await fingerprintTree(root, { cacheFile });
    assert.equal(t.files["f.txt"], sha256("planted"));
  });

  it("a cache file others could have written is not trusted; caches are written 0600", async () => {
    const cases: [string, (cacheFile: string) => string, boolean][] = [
      ["world-writable", (f) => (fs.chmodSync(f, 0o666), f), false],
      ["group-writable", (f) => (fs.chmodSync(f, 0o620), f), false],
      ["owned by another user", (f) => (fs.chownSync(f, 65534, 65534), f), true],
      [
        "a symbolic link to a good cache",
        (f) => {
          fs.renameSync(f, f + ".real");
          fs.symlinkSync(f + ".real", f);
          return f;
        },
        false,
      ],
    ];
    for (const [what, plant, needsRoot] of cases) {
      if (needsRoot && process.getuid?.() !== 0) {
        console.log(`      (case "${what}" skipped: needs root to chown)`);
        continue;
      }
      const root = tree({ "f.txt": "aaaa" });
      age(root);
      const cacheFile = path.join(root, "..", path.basename(root) + ".cache3");
      roots.push(cacheFile, cacheFile + ".real");
      const old = process.umask(0);
      let first;
      try {
        first = await fingerprintTree(root, { cacheFile });
      } finally {
        process.umask(old);
      }
      assert.equal(fs.statSync(cacheFile).mode & 0o777, 0o600, what);
      const cache = loadStatCache(cacheFile, path.resolve(root))!;
      cache.digests = cache.digests.replace(first.files["f.txt"], sha256("planted"));
      saveStatCache(cacheFile, cache);
      plant(cacheFile);
      const t = await fingerprintTree(root, { cacheFile });
      assert.equal(t.files["f.txt"], sha256("-\0aaaa"), what);
      assert.equal(t.stats.hashed, 1, what);
    }
  });

  it("a corrupt cache file is ignored", async () => {
    const root = tree(BASE);
    const cacheFile = path.join(root, "..", path.basename(root) + ".bad");
    roots.push(cacheFile);
    fs.writeFileSync(cacheFile, "garbage");
    const t = await fingerprintTree(root, { cacheFile });
    assert.equal(t.stats.hashed, 4);
    assert.equal(t.fingerprint, (await fingerprintTree(root)).fingerprint);
  });

  it("files and modes are plain data on the result (built on first access)", async () => {
    const root = tree(BASE);
    const t = await fingerprintTree(root);
    const viaJson = JSON.parse(JSON.stringify(t)) as { files: unknown; modes: unknown };
    assert.deepEqual(viaJson.files, { ...t.files });
    assert.deepEqual(Object.keys({ ...t }).sort(), [
      "bytes",
      "fileCount",
      "files",
      "fingerprint",
      "modes",
      "stats",
    ]);
    assert.equal(Object.getPrototypeOf(t.files), Object.prototype);
    assert.equal(t.files, t.files, "built once");
    assert.equal(typeof Object.getOwnPropertyDescriptor(t, "files")!.value, "object");
    t.modes = {};
    assert.deepEqual(t.modes, {});
    assert.deepEqual(structuredClone(t).files, t.files);
  });

  it("a cold run with a cache file (hashing workers started during the walk) equals one without", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2100; i++) files[`d${i % 13}/f${i}.txt`] = `content ${i}\n`.repeat(i % 7);
    const root = tree(files);
    const cacheFile = path.join(os.tmpdir(), `dh-cache-${process.pid}-cold.bin`);
    roots.push(cacheFile);
    const withCache = await fingerprintTree(root, { cacheFile });
    const without = await fingerprintTree(root, { threads: 1 });
    assert.equal(withCache.stats.hashed, 2100);
    assert.equal(withCache.fingerprint, without.fingerprint);
    assert.deepEqual(withCache.files, without.files);
  });

  it("hashes large trees with worker threads identically to one thread", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2100; i++) files[`d${i % 13}/f${i}.txt`] = `content ${i}\n`.repeat(i % 7);
    const root = tree(files);
    const multi = await fingerprintTree(root, { threads: 2 });
    const single = await fingerprintTree(root, { threads: 1 });
    assert.equal(multi.fingerprint, single.fingerprint);
    assert.equal(multi.files["d1/f1.txt"], sha256("-\0content 1\n"));
  });
});

describe("fingerprint/watch", () => {
  const files = {
    "migrations/001.sql": sha256("1"),
    "migrations/sub/002.sql": sha256("2"),
    "src/app.ts": sha256("3"),
    "schema.sql": sha256("4"),
    ".env.example": sha256("5"),
  };
  it("digest over matching entries only", () => {
    const a = scopedFingerprint(files, ["migrations/**"]);
    assert.equal(
      a,
      sha256(
        `migrations/001.sql\0${files["migrations/001.sql"]}\nmigrations/sub/002.sql\0${files["migrations/sub/002.sql"]}\n`,
      ),
    );
    assert.equal(
      scopedFingerprint({ ...files, "src/app.ts": sha256("changed") }, ["migrations/**"]),
      a,
    );
    assert.notEqual(
      scopedFingerprint({ ...files, "migrations/003.sql": sha256("3") }, ["migrations/**"]),
      a,
    );
    assert.notEqual(
      scopedFingerprint({ ...files, "migrations/001.sql": sha256("x") }, ["migrations/**"]),
      a,
    );
    assert.equal(scopedFingerprint(files, ["./migrations/**"]), a);
  });
  it("glob semantics: * stays in one segment, ** crosses, dot files match", () => {
    assert.equal(
      scopedFingerprint(files, ["*.sql"]),
      scopedFingerprint({ "schema.sql": files["schema.sql"] }, ["**"]),
    );
    assert.equal(
      scopedFingerprint(files, ["**/*.sql"]),
      scopedFingerprint({ ...files, "src/app.ts": "other", ".env.example": "other" }, ["**/*.sql"]),
    );
    assert.notEqual(scopedFingerprint(files, [".env*"]), scopedFingerprint({}, ["x"]));
    assert.equal(scopedFingerprint(files, ["nomatch/**"]), sha256(""));
  });
  it("[] is rejected", () => assert.throws(() => scopedFingerprint(files, []), TypeError));
});
