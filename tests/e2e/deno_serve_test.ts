/**
 * `deno serve main.ts`: Deno listens and runs the default export; main.ts
 * must not start a second server of its own.
 */
import assert from "node:assert/strict";
import { startDenoServe } from "../helpers/deno_serve.ts";
import { MAIN, ROOT } from "../helpers/server.ts";
import { connect, pattern } from "../helpers/ws.ts";

for (
  const [label, flags] of [
    ["with no permission flags", []],
    ["with -A", ["-A"]],
  ] as const
) {
  Deno.test(`[deno serve] ${label}: serves the page, /healthz and echo`, async () => {
    const server = await startDenoServe({ flags: [...flags] });
    try {
      const health = await (await fetch(`${server.http}/healthz`)).json();
      assert.equal(health.runtime, "deno");
      await using client = await connect(server.url);
      assert.equal(await client.echo("via deno serve"), "via deno serve");
      assert.deepEqual(await client.echo(pattern(70_000)), pattern(70_000));
      const page = await fetch(`${server.http}/`);
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

Deno.test("[deno serve] script arguments still configure logging (--debug)", async () => {
  const server = await startDenoServe({ args: ["--debug"] });
  try {
    await using client = await connect(server.url);
    await client.echo("logged");
    const record = await server.waitForLog("echoed text message");
    assert.equal(record.message, '#1 echoed text message, 6 bytes: "logged"');
  } finally {
    await server.stop();
  }
});

Deno.test("[deno serve] --engine wsecho without -A exits 2 with one line, rather than serving with the built-in engine", async () => {
  // Without -A main.ts cannot read its command line, so this launch is
  // "serve, unconfirmed"; it used to serve with Deno's engine, silently.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "--port", "0", MAIN, "--engine", "wsecho"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Bounded: a server that starts would run until killed.
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code, stderr } = await child.output();
  clearTimeout(timer);
  const lines = new TextDecoder().decode(stderr).trimEnd().split("\n");
  assert.equal(code, 2, lines.join("\n"));
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0],
    /^wsecho: --engine wsecho cannot be used under 'deno serve' \(Deno listens there\); use 'deno run' instead: deno run --allow-net --allow-env --allow-read --allow-sys \S*main\.ts --engine wsecho /,
  );
});
