/**
 * `deno serve main.ts`: Deno listens and runs the default export; main.ts
 * must not start a second server of its own.
 */
import assert from "node:assert/strict";
import { LineCollector, MAIN } from "./helpers/server.ts";
import { connect, pattern } from "./helpers/ws.ts";

async function denoServe(flags: string[], args: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      ...flags,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      MAIN,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new LineCollector(child.stderr);
  const stdout = new LineCollector(child.stdout);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await Promise.all([child.status, stderr.done, stdout.done]);
  };
  try {
    // Deno prints its own "Listening on" line; ours follows from onListen.
    const line = await stderr.waitFor((l) => l.includes("serving on ws://"));
    const port = Number(/:(\d+)\//.exec(line)![1]);
    return { child, stderr, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

for (
  const [label, flags] of [
    ["with no permission flags", []],
    ["with -A", ["-A"]],
  ] as const
) {
  Deno.test(`[deno serve] ${label}: serves the page, /healthz and echo`, async () => {
    const server = await denoServe([...flags]);
    try {
      const health =
        await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json();
      assert.equal(health.runtime, "deno");
      await using client = await connect(`ws://127.0.0.1:${server.port}/`);
      assert.equal(await client.echo("via deno serve"), "via deno serve");
      assert.deepEqual(await client.echo(pattern(70_000)), pattern(70_000));
      const page = await fetch(`http://127.0.0.1:${server.port}/`);
      assert.match(await page.text(), /WebSocket echo client/);
    } finally {
      await server.stop();
    }
    const text = server.stderr.text;
    assert.ok(
      !text.includes("listening on"),
      `main.ts started its own server:\n${text}`,
    );
    assert.ok(!text.includes("did you mean"), text);
  });
}

Deno.test("[deno serve] script arguments still configure logging (--debug, json)", async () => {
  const server = await denoServe([], ["--debug", "--log-format", "json"]);
  try {
    await using client = await connect(`ws://127.0.0.1:${server.port}/`);
    await client.echo("logged");
    const line = await server.stderr.waitFor((l) =>
      l.includes("echoed text message")
    );
    assert.equal(
      JSON.parse(line).message,
      '#1 echoed text message, 6 bytes: "logged"',
    );
  } finally {
    await server.stop();
  }
});
