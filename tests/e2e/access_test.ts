/**
 * Access control on both runtimes, over real sockets: `--origin` (403),
 * `--protocol` negotiation, `--max-clients` (503 with `Retry-After`), and
 * that a refusal never disturbs clients that are already connected.
 */
import assert from "node:assert/strict";
import { type ServerProcess, startServer } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import { startDenoServe } from "../helpers/deno_serve.ts";
import { connect, waitForHealth } from "../helpers/ws.ts";
import {
  handshakeHead,
  rawRequest,
  type RawResponse,
} from "../helpers/raw_http.ts";

/** A handshake with `headers` added; the 101 connection is closed at once. */
async function handshake(
  server: ServerProcess,
  headers: string[] = [],
): Promise<RawResponse> {
  const response = await rawRequest(server.port, handshakeHead({}, headers));
  if (response.status === 101) response.conn.close();
  return response;
}

/** Retries a handshake until it is answered with 101, for up to `ms`. */
async function handshakeUntilAdmitted(
  server: ServerProcess,
  ms = 5000,
): Promise<RawResponse> {
  const deadline = Date.now() + ms;
  while (true) {
    const response = await rawRequest(server.port, handshakeHead());
    if (response.status === 101) return response;
    if (Date.now() > deadline) {
      throw new Error(`still refused with ${response.status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ORIGIN_ARGS = [
  "--origin",
  "https://good.example",
  "--origin",
  "http://localhost:8080",
];

/** What a server started with ORIGIN_ARGS must do with each Origin. */
async function checkOrigins(
  server: ServerProcess,
  t: Deno.TestContext,
): Promise<void> {
  await using steady = await connect(server.url); // sends no Origin

  for (
    const origin of [
      "https://good.example",
      "HTTPS://Good.Example:443",
      "http://localhost:8080",
    ]
  ) {
    await t.step(`Origin: ${origin} → 101`, async () => {
      assert.equal(
        (await handshake(server, [`Origin: ${origin}`])).status,
        101,
      );
    });
  }
  for (
    const origin of [
      "https://evil.example",
      "https://good.example.evil.example",
      "http://good.example",
      "http://localhost:8081",
      "null",
      "not an origin",
    ]
  ) {
    await t.step(`Origin: ${origin} → 403`, async () => {
      const response = await handshake(server, [`Origin: ${origin}`]);
      assert.equal(response.status, 403);
      assert.equal(response.body, "Origin not allowed\n");
      assert.equal(response.headers.get("sec-websocket-accept"), null);
    });
  }
  await t.step("no Origin header → 101", async () => {
    assert.equal((await handshake(server)).status, 101);
  });
  await t.step(
    "the connected client still echoes; 6 refusals counted",
    async () => {
      assert.equal(await steady.echo("still here"), "still here");
      const health = await waitForHealth(server.http, (h) => h.clients === 1);
      assert.equal(
        (health.refusedUpgrades as Record<string, number>).origin,
        6,
      );
    },
  );
}

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --origin: listed origins get in, others 403, no Origin allowed by default`, async (t) => {
    await using server = await startServer(target, { args: ORIGIN_ARGS });
    await checkOrigins(server, t);
  });

  Deno.test(`[${target.name}] --require-origin: a handshake without Origin gets 403`, async () => {
    await using server = await startServer(target, {
      args: ["--origin", "https://good.example", "--require-origin"],
    });
    const missing = await handshake(server);
    assert.equal(missing.status, 403);
    assert.equal(missing.body, "Origin header required\n");
    const listed = await handshake(server, ["Origin: https://good.example"]);
    assert.equal(listed.status, 101);
  });

  Deno.test(`[${target.name}] --protocol: answers the client's first supported offer, never an unoffered one`, async (t) => {
    await using server = await startServer(target, {
      args: ["--protocol", "chat.v2", "--protocol", "chat.v1"],
    });
    const cases: Array<[offer: string | undefined, answer: string | null]> = [
      ["chat.v1, chat.v2", "chat.v1"], // the client's order, not ours
      ["chat.v2, chat.v1", "chat.v2"],
      ["other, chat.v2", "chat.v2"],
      ["other, another", null],
      ["CHAT.V1", null], // names are case-sensitive
      [undefined, null],
    ];
    for (const [offer, answer] of cases) {
      await t.step(
        `offer ${offer ?? "(none)"} → ${answer ?? "(none)"}`,
        async () => {
          const response = await handshake(
            server,
            offer === undefined ? [] : [`Sec-WebSocket-Protocol: ${offer}`],
          );
          assert.equal(response.status, 101);
          assert.equal(response.headers.get("sec-websocket-protocol"), answer);
        },
      );
    }
    await t.step("split across two header lines", async () => {
      const response = await handshake(server, [
        "Sec-WebSocket-Protocol: other",
        "Sec-WebSocket-Protocol: chat.v1",
      ]);
      assert.equal(response.headers.get("sec-websocket-protocol"), "chat.v1");
    });
    await t.step(
      "a WebSocket client sees the negotiated protocol and echoes",
      async () => {
        await using client = await connect(server.url, ["x", "chat.v1"]);
        assert.equal(client.socket.protocol, "chat.v1");
        assert.equal(await client.echo("over chat.v1"), "over chat.v1");
      },
    );
  });

  Deno.test(`[${target.name}] without --protocol no subprotocol is answered, even when offered`, async () => {
    // Bun would answer the first offered one by itself.
    await using server = await startServer(target);
    const response = await handshake(server, ["Sec-WebSocket-Protocol: a, b"]);
    assert.equal(response.status, 101);
    assert.equal(response.headers.get("sec-websocket-protocol"), null);
  });

  Deno.test(`[${target.name}] --max-clients: when full, 503 with Retry-After; existing clients keep echoing`, async () => {
    await using server = await startServer(target, {
      args: ["--max-clients", "2"],
    });
    await using first = await connect(server.url);
    const second = await connect(server.url);

    const refused = await handshake(server);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "5");
    assert.equal(refused.body, "Server full (2 clients)\n");
    assert.equal(await first.echo("one"), "one");
    assert.equal(await second.echo("two"), "two");

    // A client that leaves frees its slot for the next one.
    await second.close();
    const admitted = await handshakeUntilAdmitted(server);
    admitted.conn.close();
    const health = await waitForHealth(server.http, (h) => h.clients === 1);
    assert.equal(
      (health.refusedUpgrades as Record<string, number>).capacity,
      1,
    );
  });

  Deno.test(`[${target.name}] --max-clients: a burst of handshakes admits exactly the limit`, async () => {
    await using server = await startServer(target, {
      args: ["--max-clients", "2"],
    });
    // All five are in flight together, before any socket has opened.
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => rawRequest(server.port, handshakeHead())),
    );
    try {
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [101, 101, 503, 503, 503]);
      await waitForHealth(server.http, (h) => h.clients === 2);
    } finally {
      for (const response of responses) {
        if (response.status === 101) response.conn.close();
      }
    }
  });

  Deno.test(`[${target.name}] --max-clients: a client that drops TCP mid-handshake gives its slot back`, async () => {
    await using server = await startServer(target, {
      args: ["--max-clients", "1"],
    });
    // Send the handshake and vanish without reading the 101.
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await conn.write(new TextEncoder().encode(handshakeHead()));
    conn.close();
    // It was admitted (it took the one slot and its socket was counted),
    // so the slot the next client gets is the one it gave back.
    await waitForHealth(server.http, (h) => h.connectionsTotal === 1);
    const admitted = await handshakeUntilAdmitted(server);
    admitted.conn.close();
    const health = await waitForHealth(server.http, (h) => h.clients === 0);
    assert.equal(health.connectionsTotal, 2);
  });
}

// The runtime matrix (docs/runtimes.md) says origin checks work under
// `deno serve` too: the same checks, on the default export.
Deno.test("[deno serve] --origin: listed origins get in, others 403, no Origin allowed by default", async (t) => {
  await using server = await startDenoServe({ args: ORIGIN_ARGS });
  await checkOrigins(server, t);
});
