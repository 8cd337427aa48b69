/**
 * What the logs show, on both runtimes: `--debug` previews escape what could
 * reorder or hide text in an operator's terminal (Unicode format and bidi
 * controls, category Cf), not only C0/C1 controls; the connect line shows
 * what the handshake said; the close reason is a field of its own in JSON
 * Lines and quoted in text lines.
 */
import assert from "node:assert/strict";
import {
  serverCommand,
  ServerProcess,
  startServer,
} from "../helpers/server.ts";
import {
  closeCodeOf,
  closePayload,
  Opcode,
  RawClient,
} from "../helpers/raw_ws.ts";
import { connect } from "../helpers/ws.ts";
import { type Target, TARGETS } from "../helpers/targets.ts";

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --debug previews escape bidi and format controls`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    await using client = await connect(server.url);
    const text = "evil\u202etxt.exe\u2066x\u2069\u200b\ufeff";
    assert.equal(await client.echo(text), text);
    const record = await server.waitForLog("echoed text message");
    assert.equal(
      record.properties.preview,
      '"evil\\u202etxt.exe\\u2066x\\u2069\\u200b\\ufeff"',
    );
  });

  Deno.test(`[${target.name}] --debug connect line: path, Origin, subprotocol, User-Agent, X-Forwarded-For, escaped and cut`, async () => {
    await using server = await startServer(target, {
      args: ["--debug", "--protocol", "chat"],
    });
    const userAgent = 'tester/1.0 "quoted" ' + "x".repeat(40);
    using _client = await RawClient.connect(server.port, {
      path: "/room/1?x=y",
      headers: {
        "Origin": "http://page.example",
        "Sec-WebSocket-Protocol": "other, chat",
        "User-Agent": userAgent,
        "X-Forwarded-For": "203.0.113.7, 10.0.0.1",
      },
    });
    const record = await server.waitForLog("connected from");
    const remote = String(record.properties.remote);
    assert.match(remote, /^127\.0\.0\.1:\d+$/);
    assert.equal(
      record.message,
      `#1 connected from ${remote} (1 connected): path "/room/1?x=y", ` +
        `origin "http://page.example", protocol "chat", ` +
        `user-agent "tester/1.0 \\"quoted\\" xxxxxxxxxxxx"…, ` +
        `x-forwarded-for "203.0.113.7, 10.0.0.1"`,
    );
    // JSON Lines: each one a plain field, cut like the preview.
    assert.deepEqual(record.properties, {
      id: 1,
      remote,
      clients: 1,
      path: "/room/1?x=y",
      origin: "http://page.example",
      protocol: "chat",
      userAgent: 'tester/1.0 "quoted" xxxxxxxxxxxx…',
      forwardedFor: "203.0.113.7, 10.0.0.1",
    });
  });

  Deno.test(`[${target.name}] --debug connect line without the optional headers: the path alone`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    using _client = await RawClient.connect(server.port, {
      headers: { "Sec-WebSocket-Protocol": "chat" }, // offered, not spoken
    });
    const record = await server.waitForLog("connected from");
    assert.equal(
      record.message,
      `#1 connected from ${record.properties.remote} (1 connected): path "/"`,
    );
  });

  Deno.test(`[${target.name}] JSON Lines: the close reason is a plain field, bidi controls escaped in the line`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    const reason = 'bye \u202e"now"';
    {
      await using client = await connect(server.url);
      await client.close(4000, reason);
    }
    const line = await server.stderr.waitFor((l) => l.includes("disconnected"));
    assert.ok(line.includes("\\u202e") && !line.includes("\u202e"), line);
    const record = JSON.parse(line);
    assert.equal(record.properties.reason, reason);
    assert.equal(record.properties.code, 4000);
    assert.equal(
      record.message,
      `#1 disconnected from ${record.properties.remote}: code 4000 "bye \\u202e\\"now\\"" (0 connected)`,
    );
  });

  Deno.test(`[${target.name}] JSON Lines: a close without a reason has an empty reason field`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    {
      await using client = await connect(server.url);
      await client.close(1000);
    }
    const record = await server.waitForLog("disconnected");
    assert.equal(record.properties.reason, "");
    assert.equal(
      record.message,
      `#1 disconnected from ${record.properties.remote}: code 1000 (0 connected)`,
    );
  });

  Deno.test(`[${target.name}] a client answering our close with its own code: the disconnect line pairs its code with its own reason`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    using client = await RawClient.connect(server.port);
    await server.waitForLog("connected from");
    // Shutdown: our 1001 with our reason; the client answers with another.
    server.child.kill("SIGTERM");
    const ours = await client.next();
    assert.equal(ours?.opcode, Opcode.close);
    assert.equal(closeCodeOf(ours!), 1001);
    const ourReason = new TextDecoder().decode(ours!.payload.subarray(2));
    assert.notEqual(ourReason, "client's own reason");
    await client.send({
      opcode: Opcode.close,
      payload: closePayload(4001, "client's own reason"),
    });
    const record = await server.waitForLog("disconnected");
    const { code, reason } = record.properties;
    // A code always with the reason of its own frame. Deno reports the
    // client's answer (and so does our engine, like it); Bun, our close.
    if (target.runtime === "bun") {
      assert.deepEqual([code, reason], [1001, ourReason]);
    } else {
      assert.deepEqual([code, reason], [4001, "client's own reason"]);
    }
  });

  Deno.test(`[${target.name}] text logs quote the close reason`, async () => {
    await using server = await startPretty(target, ["--debug"]);
    {
      await using client = await connect(server.url);
      await client.close(1000, "done\nforged");
    }
    const line = await server.stderr.waitFor((l) => l.includes("disconnected"));
    assert.match(
      line,
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[DBG\] wsecho\.echo: #1 disconnected from 127\.0\.0\.1:\d+: code 1000 "done\\nforged" \(0 connected\)$/,
    );
  });
}

/** The server with its default text logs, once it listens. */
async function startPretty(
  target: Target,
  args: string[],
): Promise<ServerProcess> {
  const [command, fullArgs] = serverCommand(target.runtime, [
    "--port",
    "0",
    ...target.args,
    ...args,
  ]);
  const child = new Deno.Command(command, {
    args: fullArgs,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new ServerProcess(target, child);
  try {
    const line = await server.stderr.waitFor((l) => l.includes("listening on"));
    server.port = Number(/:(\d+)\/ /.exec(line)![1]);
    server.url = `ws://127.0.0.1:${server.port}/`;
    server.http = `http://127.0.0.1:${server.port}`;
  } catch (error) {
    await server.stop("SIGKILL");
    throw error;
  }
  return server;
}
