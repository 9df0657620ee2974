/**
 * Waiting for the hosts' background jobs: after an upload step returns, the host keeps working on
 * the next incremental upload's base (render/standby.ts: writing the new tarball, unpacking it into
 * the standby copy) while it holds `<app>/.deployhooks/standby.lock`. A test or a benchmark that
 * removes a host's root, or times a deployment on an idle host, waits for those jobs first.
 */
import { spawnSync } from "node:child_process";

/** Waits until no standby lock below `dir` is held (`flock` on each `.deployhooks/standby.lock`). */
export function awaitStandby(dir: string): void {
  const found = spawnSync(
    "find",
    [dir, "-path", "*/.deployhooks/standby.lock", "-type", "f", "-print0"],
    { encoding: "utf8" },
  );
  for (const lock of (found.stdout ?? "").split("\0").filter(Boolean)) {
    spawnSync("flock", [lock, "true"], { stdio: "ignore" });
  }
}
