/**
 * What Deno Deploy does with this project, locally: it runs the entrypoint
 * main.ts under `deno serve`-style hosting with no flags of ours, sends
 * SIGINT to stop an instance and kills it 5 s later. Here: `deno serve` with
 * nothing but a port (no permissions, no script arguments, default logs).
 */
import assert from "node:assert/strict";
import {
  DEFAULT_SHUTDOWN_TIMEOUT,
  drainTimeoutMs,
} from "../../lib/config/options.ts";
import { MAIN, ServerProcess } from "../helpers/server.ts";
import { DENO } from "../helpers/targets.ts";
import { connect, pattern } from "../helpers/ws.ts";

/** `deno serve --port 0 main.ts`, nothing else; resolves once it serves. */
async function startBareServe(): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "--port", "0", MAIN],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new ServerProcess(DENO, child);
  return await server.untilListening(async () => {
    // The default, human-readable log line.
    const line = await server.stderr.waitFor((l) => l.includes("serving on"));
    const port = /serving on ws:\/\/[^/]*:(\d+)\//.exec(line)?.[1];
    assert.ok(port, `no port in: ${line}`);
    return Number(port);
  });
}

/**
 * Nothing but our own information lines: no permission errors, no Deno
 * warnings and no warnings of ours (the docs promise none on Deploy).
 */
function assertOnlyLogLines(server: ServerProcess): void {
  for (const line of server.stderr.lines) {
    assert.match(line, /^\d{4}-\d\d-\d\d [\d:.]+ \[INF\] wsecho/);
  }
}

Deno.test("[deno] Deno Deploy: deno serve main.ts with no flags serves echo, / and /healthz", async () => {
  await using server = await startBareServe();
  {
    await using client = await connect(server.url);
    assert.equal(await client.echo("Hello, world!"), "Hello, world!");
    assert.deepEqual(await client.echo(pattern(1000)), pattern(1000));
  }
  const page = await fetch(`${server.http}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>wsecho/);
  const health = await (await fetch(`${server.http}/healthz`)).json();
  assert.equal(health.status, "ok");
  assert.equal(health.runtime, "deno");
  assertOnlyLogLines(server);
});

Deno.test("[deno] Deno Deploy: SIGINT closes clients with 1001 and exits 0 within 5 s", async () => {
  await using server = await startBareServe();
  const clients = await Promise.all([1, 2, 3].map(() => connect(server.url)));
  for (const client of clients) assert.equal(await client.echo("hi"), "hi");
  const started = performance.now();
  // Deploy kills an instance 5 s after SIGINT; so does this test, so that
  // a shutdown that hangs fails it rather than holding up the suite.
  const kill = setTimeout(() => server.child.kill("SIGKILL"), 5000);
  const status = await server.stop("SIGINT");
  clearTimeout(kill);
  const elapsed = performance.now() - started;
  assert.equal(status.code, 0);
  assert.ok(elapsed < 5000, `took ${elapsed} ms, Deploy kills at 5 s`);
  for (const client of clients) {
    const closed = await client.closed;
    assert.equal(closed.code, 1001);
    assert.match(closed.reason, /^server shutting down$/i);
  }
  assertOnlyLogLines(server);
  // Our drain ran, to its end (Deno closes sockets with 1001 under
  // `deno serve` too, so the close codes alone cannot tell), and nobody was
  // left behind: no "did not close in time" warning.
  const messages = server.stderr.lines.map((line) =>
    line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ /, "")
  );
  assert.deepEqual(messages.slice(1), [
    `[INF] wsecho.shutdown: SIGINT: closing 3 client(s) with 1001, waiting up to ${
      drainTimeoutMs(DEFAULT_SHUTDOWN_TIMEOUT)
    } ms`,
    "[INF] wsecho.shutdown: stopped",
  ]);
});
