/**
 * The console client's `--file` against a server whose --max-message is
 * smaller than the file: what the user sees is one line naming the close
 * code and the server's reason, and that the echo never came (exit 1).
 * The server's side (1009 at the header on the engine and Bun, once the
 * message is whole on Deno) is the same as for any client: limits_test.ts.
 */
import assert from "node:assert/strict";
import { runClient } from "../helpers/client.ts";
import { startServer } from "../helpers/server.ts";
import { builtinEngine, TARGETS } from "../helpers/targets.ts";
import { waitForHealth } from "../helpers/ws.ts";

const tmp = await Deno.makeTempDir({ prefix: "wsecho-client-file-limit-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(tmp, { recursive: true }),
);

const LIMIT = 64 * 1024;

for (const target of TARGETS) {
  // uWebSockets closes the connection itself at Bun's maxPayloadLength,
  // with its own words; the glue never sees the message.
  const reason = builtinEngine(target) === "bun"
    ? "Received too big message"
    : `message exceeds ${LIMIT} bytes`;
  Deno.test(`[${target.name}] client --file larger than --max-message: one line with 1009 "${reason}" and the missing echo, exit 1`, async () => {
    await using server = await startServer(target, {
      args: ["--max-message", String(LIMIT)],
    });
    const path = `${tmp}/${target.name}.bin`;
    // Several times the limit: on the engine the 1009 comes while the
    // client is still sending.
    await Deno.writeFile(path, new Uint8Array(5 * LIMIT).map((_, i) => i));
    const run = await runClient(target.runtime, ["--file", path, server.url]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.match(lines[0], /wsecho\.client: connected to /);
    assert.deepEqual(lines.slice(1), [
      `wsecho client: connection closed by the server (code 1009 "${reason}"); 1 echo(es) never arrived`,
    ]);
    const health = await waitForHealth(server.http, (h) => h.clients === 0);
    assert.deepEqual(health.messagesOut, { text: 0, binary: 0 });
  });
}
