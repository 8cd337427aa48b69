/**
 * The console client's handshake options against the real server's
 * --protocol, --origin and --permessage-deflate, and its Ctrl-C, --version
 * and --help, on each runtime.
 */
import assert from "node:assert/strict";
import { helpHint, startServer } from "../helpers/server.ts";
import {
  connectLine,
  runClient,
  startClient,
  stderrBesidesConnect,
} from "../helpers/client.ts";
import { BUN, RUNTIME_TARGETS } from "../helpers/targets.ts";

for (const target of RUNTIME_TARGETS) {
  const runtime = target.runtime;
  Deno.test(`[${target.name}] client --protocol: the connect line names the server's choice, --debug shows the response headers`, async () => {
    await using server = await startServer(target, {
      args: ["--protocol", "chat"],
    });
    const run = await runClient(
      runtime,
      [server.url, "--protocol", "chat", "--debug", "-m", "hi"],
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "hi\n");
    const lines = run.stderr.split("\n");
    assert.ok(lines.some((line) => connectLine(server.url, "chat").test(line)));
    const headers = lines.filter((line) => line.includes("wsecho.client: < "))
      .map((line) => line.split("wsecho.client: < ")[1].toLowerCase());
    assert.equal(headers[0], "http/1.1 101 switching protocols");
    assert.ok(headers.includes("sec-websocket-protocol: chat"), run.stderr);
    assert.ok(headers.some((h) => h.startsWith("sec-websocket-accept: ")));
  });

  // Deno's upgradeWebSocket splits the offer at ", " only, so it refuses
  // `x,chat` (what ws sends) with 400: the two-protocol offer is made to
  // the Bun server.
  Deno.test(`[${runtime} client, bun server] client --protocol is repeatable: the first offer the server speaks wins`, async () => {
    await using server = await startServer(BUN, {
      args: ["--protocol", "chat"],
    });
    const run = await runClient(
      runtime,
      [server.url, "--protocol", "x", "--protocol", "chat", "-m", "hi"],
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr.trimEnd(), connectLine(server.url, "chat"));
  });

  Deno.test(`[${runtime} client, bun server] client: the connect line shows permessage-deflate when negotiated`, async () => {
    await using server = await startServer(BUN, {
      args: ["--permessage-deflate"],
    });
    const run = await runClient(runtime, [server.url, "-m", "hi"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /extensions permessage-deflate/);
  });

  Deno.test(`[${target.name}] client --origin: a refused origin is the server's 403, one line, exit 1`, async () => {
    await using server = await startServer(target, {
      args: ["--origin", "https://a.example"],
    });
    const refused = await runClient(
      runtime,
      [server.url, "--origin", "https://b.example", "-m", "hi"],
    );
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      `wsecho client: cannot connect to ${server.url}: the server refused the handshake with HTTP 403 Forbidden: "Origin not allowed"\n`,
    );
    const allowed = await runClient(
      runtime,
      [server.url, "--origin", "https://A.example:443", "-m", "hi"],
    );
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, "hi\n");
  });

  Deno.test(`[${target.name}] client -H: headers reach the server as given; a bad one is a usage error`, async () => {
    // The real server does not show request headers, so a bare Deno server
    // records them.
    let seen: Headers | undefined;
    await using recorder = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        seen = new Headers(request.headers); // Read after the request ends.
        const { socket, response } = Deno.upgradeWebSocket(request);
        socket.onmessage = ({ data }) => socket.send(data);
        return response;
      },
    );
    const url = `ws://127.0.0.1:${recorder.addr.port}/`;
    const run = await runClient(runtime, [
      url,
      "-H",
      "X-Test: one two",
      "--header",
      "Authorization:Bearer abc",
      "--origin",
      "https://a.example",
      "-m",
      "hi",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(seen?.get("x-test"), "one two");
    assert.equal(seen?.get("authorization"), "Bearer abc");
    assert.equal(seen?.get("origin"), "https://a.example");

    const cases: Array<[string, string]> = [
      ["nocolon", "-H/--header must look like 'Name: value', got 'nocolon'"],
      [
        "Bad Name: x",
        "-H/--header must look like 'Name: value', got 'Bad Name: x'",
      ],
      [
        "Sec-WebSocket-Protocol: chat",
        "-H/--header cannot set Sec-WebSocket-Protocol: the client sends it itself (use --protocol)",
      ],
    ];
    for (const [header, message] of cases) {
      const bad = await runClient(runtime, [url, "-H", header]);
      assert.equal(bad.code, 2, header);
      assert.equal(
        bad.stderr,
        `wsecho: ${message} ${helpHint(runtime, "client")}\n`,
      );
    }
  });

  Deno.test(`[${target.name}] client: Ctrl-C closes with 1001 and waits for the server's close (the server logs 1001, not 1006)`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    const client = startClient(runtime, [server.url]);
    await client.stdin.write(new TextEncoder().encode("before ^C\n"));
    await client.stdout.waitFor((line) => line === "before ^C");
    client.child.kill("SIGINT");
    const { code } = await client.child.status;
    await Promise.all([client.stdout.done, client.stderr.done]);
    await client.stdin.close().catch(() => {});
    assert.equal(code, 130);
    assert.deepEqual(stderrBesidesConnect(client.stderr.text), []);
    const bye = await server.waitForLog("disconnected");
    assert.equal(bye.properties.code, 1001);
    assert.equal(bye.properties.reason, "interrupted");
  });

  Deno.test(`[${target.name}] client --version and --help; the client's errors point to its own help`, async () => {
    const version = await runClient(runtime, ["--version"]);
    assert.equal(version.code, 0);
    assert.match(
      version.stdout,
      new RegExp(`^wsecho \\S+ \\(${runtime} \\S+\\)\\n$`),
    );
    const help = await runClient(runtime, ["-h"]);
    assert.equal(help.code, 0);
    for (
      const option of [
        "--insecure",
        "--ca FILE",
        "--hex",
        "--file PATH",
        "--header",
        "--protocol NAME",
        "--origin ORIGIN",
        "--version",
      ]
    ) {
      assert.ok(help.stdout.includes(option), option);
    }
    const bad = await runClient(runtime, ["ws://h/", "--hex", "--binary"]);
    assert.equal(bad.code, 2);
    assert.ok(
      bad.stderr.endsWith(` ${helpHint(runtime, "client")}\n`),
      bad.stderr,
    );
  });
}
