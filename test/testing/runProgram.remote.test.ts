import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, sshOptions, type SshdHandle } from "../../testing";
import { ops, sshdOrSkip, tempDir } from "./helpers";
import { PROVIDER_KEX, providerKexOption } from "../../testing/exec";

describe("testing/runProgram: remote commands against a real sshd", function () {
  this.timeout(30000);
  let sshd: SshdHandle | undefined;
  let dir: string;
  let stateFile: string;

  before(async function () {
    sshd = await sshdOrSkip(this, { acceptEnv: ["APP_*"] });
  });
  after(async () => sshd?.stop());
  beforeEach(() => {
    dir = tempDir();
    stateFile = path.join(dir, "state.json");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("offers the provider's key exchanges (Go x/crypto's defaults, in order), never OpenSSH's sntrup761 first", () => {
    const opt = providerKexOption();
    assert.ok(opt, "this OpenSSH client knows at least curve25519-sha256");
    const offered = opt!.replace(/^KexAlgorithms=/, "").split(",");
    assert.ok(offered.includes("curve25519-sha256"));
    assert.ok(!offered.some((k) => k.startsWith("sntrup")));
    assert.deepEqual(
      offered,
      PROVIDER_KEX.filter((k) => offered.includes(k)),
      "same order as the provider",
    );
    const verbose = spawnSync(
      "ssh",
      ["-v", ...sshOptions(sshd!), "-o", opt!, `${sshd!.user}@127.0.0.1`, "true"],
      { encoding: "utf8" },
    );
    assert.equal(verbose.status, 0, verbose.stderr);
    assert.match(verbose.stderr, /kex: algorithm: curve25519-sha256\r?\n/);
  });

  it("the fixture accepts logins with sshOptions() and pins its host key", () => {
    const r = spawnSync("ssh", [...sshOptions(sshd!), `${sshd!.user}@127.0.0.1`, "echo ok"], {
      encoding: "utf8",
    });
    assert.equal(r.stdout, "ok\n", r.stderr);
    assert.match(sshd!.hostKey, /^ssh-ed25519 AAAA\S+$/);
    // The key is generated at run time; its armour line is spelled out in parts so that no file of
    // the repository ever contains what looks like a committed private key.
    assert.ok(
      sshd!.privateKey.startsWith(["-----BEGIN", "OPENSSH", "PRIVATE", "KEY-----"].join(" ")),
    );
  });

  it("runs create remotely with stdin; same on rerun; update when create changes", async () => {
    const out = path.join(dir, "remote-out");
    const prog = (v: string) => () => {
      const c = new command.remote.Command("hook", {
        connection: sshd!.connection,
        create: `cat > ${out}; echo ${v} >> ${out}; cat ${out}`,
        stdin: "line from stdin\n",
      });
      return { out: c.stdout };
    };
    const r1 = await runProgram(prog("v1"), { stateFile });
    assert.equal(r1.failed, false, r1.error);
    assert.deepEqual(r1.outputs, { out: "line from stdin\nv1" });
    assert.deepEqual(ops(r1), [["hook", "create"]]);
    const r2 = await runProgram(prog("v1"), { stateFile });
    assert.deepEqual(ops(r2), [["hook", "same"]]);
    assert.deepEqual(r2.outputs, { out: "line from stdin\nv1" });
    const r3 = await runProgram(prog("v2"), { stateFile });
    assert.deepEqual(ops(r3), [["hook", "update"]]);
    assert.deepEqual(r3.outputs, { out: "line from stdin\nv2" });
  });

  it("a non-zero remote exit fails with the provider's text and exit code; dependents do not run", async () => {
    const marker = path.join(dir, "dependent");
    const r = await runProgram(
      () => {
        const a = new command.remote.Command("fails", {
          connection: sshd!.connection,
          create: "echo before; exit 42",
        });
        new command.remote.Command(
          "after",
          { connection: sshd!.connection, create: `touch ${marker}` },
          { dependsOn: [a] },
        );
      },
      { stateFile },
    );
    assert.equal(r.failed, true);
    assert.deepEqual(ops(r), [["fails", "create"]]);
    assert.equal(r.steps[0]!.exitCode, 42);
    assert.equal(
      r.steps[0]!.error,
      'Process exited with status 42: running "echo before; exit 42":\nbefore\n',
    );
    assert.equal(fs.existsSync(marker), false);
  });

  it("environment is sent with SendEnv (accepted names only, like sshd AcceptEnv)", async () => {
    const r = await runProgram(
      () => {
        const c = new command.remote.Command("env", {
          connection: sshd!.connection,
          create: 'echo "$APP_MODE|${OTHER:-unset}"',
          environment: { APP_MODE: "blue green", OTHER: "dropped" },
        });
        return { out: c.stdout };
      },
      { stateFile },
    );
    assert.equal(r.failed, false, r.error);
    assert.deepEqual(r.outputs, { out: "blue green|unset" });
  });

  it("host key pinning: a wrong pinned key fails; no hostKey means no verification", async () => {
    const other = path.join(dir, "other_key");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const wrongKey = fs.readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    const marker = path.join(dir, "ran-with-wrong-key");
    const bad = await runProgram(
      () => {
        new command.remote.Command("pinned", {
          connection: { ...sshd!.connection, hostKey: wrongKey },
          create: `touch ${marker}`,
        });
      },
      { stateFile },
    );
    assert.equal(bad.failed, true);
    assert.match(
      bad.steps[0]!.error!,
      /^ssh: .*(Host key verification failed|REMOTE HOST IDENTIFICATION)/s,
    );
    assert.equal(fs.existsSync(marker), false);
    const { hostKey: _pinned, ...unpinned } = sshd!.connection;
    void _pinned;
    const ok = await runProgram(
      () => {
        new command.remote.Command("unpinned", { connection: unpinned, create: "true" });
      },
      { stateFile: path.join(dir, "s2.json") },
    );
    assert.equal(ok.failed, false, ok.error);
  });

  it("connection-only change updates (runs create again on the new connection), delete uses the stored connection", async () => {
    const log = path.join(dir, "log");
    const prog =
      (perDialTimeout: number, declared = true) =>
      () => {
        if (!declared) return;
        new command.remote.Command("c", {
          connection: { ...sshd!.connection, perDialTimeout },
          create: `echo create >> ${log}`,
          delete: `echo delete >> ${log}`,
        });
      };
    await runProgram(prog(5), { stateFile });
    const r2 = await runProgram(prog(6), { stateFile });
    assert.deepEqual(ops(r2), [["c", "update"]]);
    const r3 = await runProgram(prog(6, false), { stateFile });
    assert.equal(r3.failed, false, r3.error);
    assert.deepEqual(ops(r3), [["c", "delete"]]);
    assert.equal(fs.readFileSync(log, "utf8"), "create\ncreate\ndelete\n");
  });

  it("CopyToRemote copies a FileAsset (parents created); copies again on content change; not on connection-only change", async () => {
    const src = path.join(dir, "app.env");
    const dest = path.join(dir, "remote", "deep", "nested", "app.env");
    const prog =
      (perDialTimeout = 5, triggers?: string[]) =>
      () => {
        new command.remote.CopyToRemote("env", {
          connection: { ...sshd!.connection, perDialTimeout },
          source: new pulumi.asset.FileAsset(src),
          remotePath: dest,
          ...(triggers ? { triggers } : {}),
        });
      };
    fs.writeFileSync(src, "A=1\n");
    const r1 = await runProgram(prog(), { stateFile });
    assert.equal(r1.failed, false, r1.error);
    assert.deepEqual(ops(r1), [["env", "create"]]);
    assert.equal(r1.steps[0]!.executed, true);
    assert.equal(fs.readFileSync(dest, "utf8"), "A=1\n");

    const r2 = await runProgram(prog(), { stateFile });
    assert.deepEqual(ops(r2), [["env", "same"]]);

    fs.writeFileSync(src, "A=2\n");
    const r3 = await runProgram(prog(), { stateFile });
    assert.deepEqual(ops(r3), [["env", "update"]]);
    assert.equal(r3.steps[0]!.executed, true);
    assert.equal(fs.readFileSync(dest, "utf8"), "A=2\n");

    // 1.2.1: a connection-only change is an update that does NOT copy.
    fs.writeFileSync(dest, "changed remotely\n");
    const r4 = await runProgram(prog(7), { stateFile });
    assert.deepEqual(ops(r4), [["env", "update"]]);
    assert.equal(r4.steps[0]!.executed, false);
    assert.equal(fs.readFileSync(dest, "utf8"), "changed remotely\n");

    // Triggers replace and copy.
    const r5 = await runProgram(prog(7, ["host-2"]), { stateFile });
    assert.deepEqual(ops(r5), [
      ["env", "replace"],
      ["env", "delete!"],
    ]);
    assert.equal(r5.steps[0]!.executed, true);
    assert.equal(r5.steps[1]!.executed, false, "CopyToRemote delete is a no-op");
    assert.equal(fs.readFileSync(dest, "utf8"), "A=2\n");
  });

  it("CopyToRemote copies a StringAsset and a directory archive (dir → dest/dir)", async () => {
    const tree = path.join(dir, "site");
    fs.mkdirSync(path.join(tree, "css"), { recursive: true });
    fs.writeFileSync(path.join(tree, "index.html"), "<h1>hi</h1>");
    fs.writeFileSync(path.join(tree, "css", "a.css"), "a{}");
    const dest = path.join(dir, "www");
    const r = await runProgram(
      () => {
        new command.remote.CopyToRemote("text", {
          connection: sshd!.connection,
          source: new pulumi.asset.StringAsset("hello text"),
          remotePath: path.join(dir, "t", "hello.txt"),
        });
        new command.remote.CopyToRemote("tree", {
          connection: sshd!.connection,
          source: new pulumi.asset.FileArchive(tree),
          remotePath: dest,
        });
      },
      { stateFile },
    );
    assert.equal(r.failed, false, r.error);
    assert.equal(fs.readFileSync(path.join(dir, "t", "hello.txt"), "utf8"), "hello text");
    assert.equal(fs.readFileSync(path.join(dest, "site", "css", "a.css"), "utf8"), "a{}");
  });

  it("CopyToRemote copies paths with spaces (one sftp session) and with quotes or glob characters (ssh mkdir + scp)", async () => {
    for (const name of ["with space", `it's "odd" [x]*`]) {
      const tree = path.join(dir, name, "site");
      fs.mkdirSync(path.join(tree, "css"), { recursive: true });
      fs.writeFileSync(path.join(tree, "css", "a.css"), `a{} ${name}`);
      fs.writeFileSync(path.join(dir, name, "f.txt"), name);
      const dest = path.join(dir, "out", name);
      const r = await runProgram(
        () => {
          new command.remote.CopyToRemote("file", {
            connection: sshd!.connection,
            source: new pulumi.asset.FileAsset(path.join(dir, name, "f.txt")),
            remotePath: path.join(dest, "deep", "f.txt"),
          });
          new command.remote.CopyToRemote("tree", {
            connection: sshd!.connection,
            source: new pulumi.asset.FileArchive(tree),
            remotePath: path.join(dest, "www"),
          });
        },
        { stateFile: path.join(dir, `state-${name.length}.json`) },
      );
      assert.equal(r.failed, false, r.error);
      // Parents that exist are no error: nothing on stderr.
      assert.deepEqual(
        r.steps.map((s) => [s.name, s.stderr]),
        [
          ["file", ""],
          ["tree", ""],
        ],
      );
      assert.equal(fs.readFileSync(path.join(dest, "deep", "f.txt"), "utf8"), name);
      assert.equal(
        fs.readFileSync(path.join(dest, "www", "site", "css", "a.css"), "utf8"),
        `a{} ${name}`,
      );
    }
  });
});
