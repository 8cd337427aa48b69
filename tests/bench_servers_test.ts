/**
 * The benchmark's server handling: a paused server is really stopped (so
 * the one measured has the CPUs to itself), serves again once resumed, and
 * shuts down even while paused.
 */
import assert from "node:assert/strict";
import { startServer } from "../bench/servers.ts";

/** The state letter of /proc/PID/stat: R, S, T (stopped)… */
function processState(pid: number): string {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

async function plainGet(url: string): Promise<number> {
  const response = await fetch(url.replace(/^ws/, "http"), {
    signal: AbortSignal.timeout(5000),
  });
  await response.body?.cancel();
  return response.status;
}

Deno.test({
  name: "bench servers pause (SIGSTOP), resume and stop even when paused",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  async fn() {
    const server = await startServer(
      { runtime: "deno", impl: "bare", workers: 1 },
      undefined,
    );
    try {
      assert.equal(await plainGet(server.url), 200);
      server.pause();
      assert.equal(processState(server.pid), "T");
      server.resume();
      assert.notEqual(processState(server.pid), "T");
      assert.equal(await plainGet(server.url), 200);
      server.pause();
    } finally {
      await server.stop();
    }
    assert.equal(server.alive, false);
  },
});
