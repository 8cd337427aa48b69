/**
 * End-to-end echo tests: the real server on each runtime, real WebSocket
 * clients over loopback.
 */
import assert from "node:assert/strict";
import { startServer } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import { connect, pattern, waitForHealth } from "../helpers/ws.ts";

const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20];

for (const target of TARGETS) {
  Deno.test(`[${target.name}] echoes text and binary of every frame-length class`, async (t) => {
    await using server = await startServer(target);
    await using client = await connect(server.url);
    for (const size of SIZES) {
      await t.step(`text, ${size} bytes`, async () => {
        const text = "x".repeat(size);
        const echoed = await client.echo(text);
        assert.equal(typeof echoed, "string");
        assert.equal(echoed, text);
      });
      await t.step(`binary, ${size} bytes`, async () => {
        const bytes = pattern(size, size);
        const echoed = await client.echo(bytes);
        assert.ok(echoed instanceof Uint8Array, "binary must come back binary");
        assert.deepEqual(echoed, bytes);
      });
    }
  });

  Deno.test(`[${target.name}] echoes multi-byte UTF-8 text unchanged`, async () => {
    await using server = await startServer(target);
    await using client = await connect(server.url);
    for (
      const text of [
        "héllo wörld",
        "日本語のテキスト",
        "emoji 🦕🥟 and 𝄞",
        "\u0000 nul and \u{10ffff}",
      ]
    ) {
      assert.equal(await client.echo(text), text);
    }
  });

  Deno.test(`[${target.name}] keeps frame types: text stays text, bytes of text stay binary`, async () => {
    await using server = await startServer(target);
    await using client = await connect(server.url);
    const asBytes = new TextEncoder().encode("looks like text");
    const echoedBytes = await client.echo(asBytes);
    assert.ok(echoedBytes instanceof Uint8Array);
    assert.deepEqual(echoedBytes, asBytes);
    assert.equal(await client.echo("looks like text"), "looks like text");
  });

  Deno.test(`[${target.name}] echoes 1000 pipelined messages in order`, async () => {
    await using server = await startServer(target);
    await using client = await connect(server.url);
    const count = 1000;
    for (let i = 0; i < count; i++) {
      client.send(i % 2 ? `message ${i}` : pattern(i % 300, i));
    }
    for (let i = 0; i < count; i++) {
      const echoed = await client.next();
      if (i % 2) assert.equal(echoed, `message ${i}`);
      else assert.deepEqual(echoed, pattern(i % 300, i));
    }
  });

  Deno.test(`[${target.name}] 100 concurrent clients each get only their own messages`, async () => {
    await using server = await startServer(target);
    const clients = await Promise.all(
      Array.from({ length: 100 }, () => connect(server.url)),
    );
    try {
      await waitForHealth(server.http, (h) => h.clients === 100);
      clients.forEach((client, n) => {
        for (let i = 0; i < 5; i++) client.send(`client ${n} message ${i}`);
      });
      await Promise.all(clients.map(async (client, n) => {
        for (let i = 0; i < 5; i++) {
          assert.equal(await client.next(), `client ${n} message ${i}`);
        }
      }));
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
    // Forgotten on disconnect: the count drops back to zero.
    const health = await waitForHealth(server.http, (h) => h.clients === 0);
    assert.equal(health.connectionsTotal, 100);
  });

  Deno.test(`[${target.name}] /healthz counts messages and bytes per direction and type`, async () => {
    await using server = await startServer(target);
    {
      await using client = await connect(server.url);
      await client.echo("héllo"); // 6 bytes of UTF-8
      await client.echo(pattern(10));
      await client.echo(pattern(5));
      const health = await waitForHealth(server.http, () => true);
      assert.equal(health.status, "ok");
      assert.equal(health.runtime, target.runtime);
      assert.equal(health.clients, 1);
      assert.deepEqual(health.messagesIn, { text: 1, binary: 2 });
      assert.deepEqual(health.messagesOut, { text: 1, binary: 2 });
      assert.deepEqual(health.bytesIn, { text: 6, binary: 15 });
      assert.deepEqual(health.bytesOut, { text: 6, binary: 15 });
    }
    await waitForHealth(server.http, (h) => h.clients === 0);
  });

  Deno.test(`[${target.name}] a client that vanishes is forgotten and others keep working`, async () => {
    await using server = await startServer(target);
    await using steady = await connect(server.url);
    const conn = await Deno.connect({
      port: server.port,
      hostname: "127.0.0.1",
    });
    const key = btoa("0123456789abcdef");
    await conn.write(new TextEncoder().encode(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    assert.match(
      new TextDecoder().decode(buffer.subarray(0, n!)),
      /^HTTP\/1\.1 101/,
    );
    await waitForHealth(server.http, (h) => h.clients === 2);
    conn.close(); // TCP gone without a close frame.
    await waitForHealth(server.http, (h) => h.clients === 1);
    assert.equal(await steady.echo("still here"), "still here");
  });
}
