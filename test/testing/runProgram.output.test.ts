import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as command from "@pulumi/command";
import { runProgram, type SshdHandle } from "../../testing";
import { isHandshakeFailure, runRemote } from "../../testing/exec";
import { sshdOrSkip, tempDir } from "./helpers";

type Line = { line: string; stream: string; at: number };

/** Runs one command resource and records the onOutput lines with their arrival times. */
async function outputOf(make: () => void, stateFile: string): Promise<Line[]> {
  const lines: Line[] = [];
  const report = await runProgram(make, {
    stateFile,
    onOutput: (line, stream) => lines.push({ line, stream, at: Date.now() }),
  });
  assert.equal(report.failed, false, report.error);
  return lines;
}

/** A TCP front for sshd that drops the first `drops` connections before the SSH banner. */
function droppingProxy(target: number, drops: number): Promise<{ port: number; close(): void }> {
  let seen = 0;
  const server = net.createServer((socket) => {
    if (seen++ < drops) {
      socket.destroy(); // what sshd does beyond MaxStartups
      return;
    }
    const upstream = net.connect(target, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ port: typeof a === "object" && a ? a.port : 0, close: () => server.close() });
    }),
  );
}

describe("testing/runProgram: command output (logging, live lines) and SSH handshake retries", function () {
  this.timeout(60_000);
  let sshd: SshdHandle | undefined;
  let dir: string;

  before(async function () {
    sshd = await sshdOrSkip(this);
  });
  after(async () => sshd?.stop());
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const script = "echo out-line; echo err-line >&2";
  const cases: Array<[string | undefined, string[]]> = [
    [undefined, ["stdout:out-line", "stderr:err-line"]],
    ["stdoutAndStderr", ["stdout:out-line", "stderr:err-line"]],
    ["stdout", ["stdout:out-line"]],
    ["stderr", ["stderr:err-line"]],
    ["none", []],
  ];
  for (const [logging, expected] of cases) {
    it(`logging ${logging ?? "(default)"}: onOutput gets ${expected.length ? expected.join(", ") : "nothing"}; capture is unaffected`, async () => {
      let stdout: unknown;
      const lines = await outputOf(
        () => {
          const c = new command.local.Command("c", {
            create: script,
            ...(logging ? { logging: logging as command.types.enums.local.Logging } : {}),
          });
          stdout = c.stdout;
        },
        path.join(dir, "state.json"),
      );
      assert.deepEqual(lines.map((l) => `${l.stream}:${l.line}`).sort(), [...expected].sort());
      void stdout;
      const state = JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as {
        resources: Array<{ outputs: { stdout: string; stderr: string } }>;
      };
      assert.deepEqual(state.resources[0]!.outputs, { stdout: "out-line", stderr: "err-line" });
    });
  }

  for (const where of ["local", "remote"] as const) {
    it(`${where}: a line reaches onOutput when printed, not when the command ends`, async () => {
      const create = "echo first; sleep 3; echo second";
      const lines = await outputOf(
        () => {
          if (where === "local") new command.local.Command("live", { create });
          else new command.remote.Command("live", { create, connection: sshd!.connection });
        },
        path.join(dir, "state.json"),
      );
      const first = lines.find((l) => l.line === "first");
      const second = lines.find((l) => l.line === "second");
      assert.ok(first && second, JSON.stringify(lines));
      assert.ok(
        second.at - first.at >= 2000,
        `first line ${second.at - first.at} ms before second`,
      );
    });
  }

  it("a connection dropped before the SSH banner (sshd MaxStartups) is dialled again", async () => {
    const proxy = await droppingProxy(sshd!.port, 3);
    try {
      const r = await runRemote({
        // The provider's default limit (the fixture's connection says 2).
        connection: { ...sshd!.connection, port: proxy.port, dialErrorLimit: 10 },
        command: "echo reached",
      });
      assert.equal(r.stdout, "reached\n", r.stderr);
    } finally {
      proxy.close();
    }
  });

  it("handshake failures count against dialErrorLimit (limit 1: the third drop fails)", async () => {
    const proxy = await droppingProxy(sshd!.port, 3);
    try {
      const r = await runRemote({
        connection: { ...sshd!.connection, port: proxy.port, dialErrorLimit: 1 },
        command: "echo reached",
      });
      assert.equal(isHandshakeFailure(r), true, `${r.exitCode} ${r.stderr}`);
    } finally {
      proxy.close();
    }
  });
});
