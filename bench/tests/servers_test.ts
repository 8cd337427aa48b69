/**
 * The benchmark's server handling: a paused server is really stopped (so
 * the one measured has the CPUs to itself), serves again once resumed, and
 * shuts down even while paused.
 */
import assert from "node:assert/strict";
import { parseStat } from "../proc.ts";
import { startServer } from "../servers.ts";

/** The state letter of /proc/PID/stat: R, S, T (stopped)… */
function processState(pid: number): string {
  return parseStat(Deno.readTextFileSync(`/proc/${pid}/stat`)).state;
}

/**
 * Polls until the process's state does (or does not) read `state`: signals
 * are delivered asynchronously, and a busy machine may take a moment.
 */
async function waitForState(pid: number, state: string, wanted: boolean) {
  const deadline = Date.now() + 5000;
  while ((processState(pid) === state) !== wanted) {
    if (Date.now() > deadline) {
      assert.fail(
        `state ${processState(pid)}, wanted ${wanted ? "" : "not "}${state}`,
      );
    }
    await new Promise((done) => setTimeout(done, 10));
  }
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
      await waitForState(server.pid, "T", true);
      server.resume();
      await waitForState(server.pid, "T", false);
      assert.equal(await plainGet(server.url), 200);
      server.pause();
    } finally {
      await server.stop();
    }
    assert.equal(server.alive, false);
  },
});
