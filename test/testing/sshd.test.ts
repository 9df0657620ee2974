import assert from "node:assert/strict";
import * as fs from "node:fs";
import { startSshd, SshdUnavailable } from "../../testing";

describe("testing/sshd fixture", function () {
  this.timeout(20000);

  it("a missing sshd is SshdUnavailable (a skip reason) without CI, a loud Error with CI", async () => {
    const saved = process.env.CI;
    try {
      delete process.env.CI;
      await assert.rejects(
        startSshd({ sshdPath: "/nonexistent/sshd" }),
        (e: unknown) => e instanceof SshdUnavailable,
      );
      process.env.CI = "true";
      await assert.rejects(
        startSshd({ sshdPath: "/nonexistent/sshd" }),
        (e: unknown) => !(e instanceof SshdUnavailable) && /CI is set/.test((e as Error).message),
      );
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });

  it("stop() kills sshd and removes every generated key", async function () {
    let h;
    try {
      h = await startSshd();
    } catch (e) {
      if (e instanceof SshdUnavailable) {
        console.log(`    skipped: sshd fixture unavailable: ${e.message}`);
        return this.skip();
      }
      throw e;
    }
    assert.equal(fs.statSync(h.privateKeyPath).mode & 0o777, 0o600);
    assert.deepEqual(h.connection, {
      host: "127.0.0.1",
      port: h.port,
      user: h.user,
      privateKey: h.privateKey,
      hostKey: h.hostKey,
      perDialTimeout: 5,
      dialErrorLimit: 2,
    });
    await h.stop();
    assert.equal(fs.existsSync(h.dir), false);
    await h.stop(); // idempotent
  });
});
