/**
 * RFC 6455 server duties, driven with raw frames over TCP on both runtimes.
 *
 * Each bad-input case (tests/helpers/protocol_violations.ts) states what
 * the RFC asks of the server. Where a runtime does something else and our
 * glue cannot step in (the frame parser lives inside the runtime), the case
 * also records what the runtime does today, and the test asserts exactly
 * that under a name that says "KNOWN DENO DEFECT" (see docs/runtimes.md,
 * "Known runtime defects"): if the runtime is fixed, the test fails and the
 * entry can go.
 */
import assert from "node:assert/strict";
import { startServer } from "../helpers/server.ts";
import { builtinEngine, TARGETS } from "../helpers/targets.ts";
import {
  closeCodeOf,
  closePayload,
  frame,
  Opcode,
  RawClient,
} from "../helpers/raw_ws.ts";
import {
  PROTOCOL_VIOLATIONS,
  serverTextFrame,
} from "../helpers/protocol_violations.ts";
import { connect, waitForHealth } from "../helpers/ws.ts";

for (const target of TARGETS) {
  Deno.test(`[${target.name}] bad input closes the connection with the RFC 6455 code`, async (t) => {
    await using server = await startServer(target);
    for (const badInput of PROTOCOL_VIOLATIONS) {
      // Defects belong to a runtime's built-in engine; ours must get it right.
      const engine = builtinEngine(target);
      const defect = engine && badInput.defects?.[engine];
      const name = defect
        ? `${badInput.name} → ${badInput.expected} (KNOWN ${
          engine!.toUpperCase()
        } DEFECT: ${defect.summary})`
        : `${badInput.name} → ${badInput.expected}`;
      await t.step(name, async () => {
        using client = await RawClient.connect(server.port);
        await badInput.send(client);
        // A server that keeps TCP open is only seen by waiting a while.
        const ending = await client.ending(1000);
        assert.deepEqual(
          ending,
          defect?.ending ??
            { closeCode: badInput.expected, tcpClosed: true, dataFrames: [] },
        );
      });
    }
    // None of it crashed the server or leaked a client.
    await waitForHealth(server.http, (h) => h.clients === 0);
  });

  Deno.test(`[${target.name}] a ping is answered with a pong carrying the same payload`, async () => {
    await using server = await startServer(target);
    using client = await RawClient.connect(server.port);
    for (const payload of ["", "ping!", "x".repeat(125)]) {
      await client.send({ opcode: Opcode.ping, payload });
      const pong = await client.next();
      assert.equal(pong?.opcode, Opcode.pong);
      assert.equal(pong?.masked, false, "servers never mask");
      assert.equal(new TextDecoder().decode(pong?.payload), payload);
    }
    // A ping between the fragments of a message is answered at once, and
    // the message still arrives whole.
    await client.send({ opcode: Opcode.text, fin: false, payload: "frag" });
    await client.send({ opcode: Opcode.ping, payload: "mid" });
    const pong = await client.next();
    assert.equal(pong?.opcode, Opcode.pong);
    assert.equal(new TextDecoder().decode(pong?.payload), "mid");
    await client.send({ opcode: Opcode.continuation, payload: "mented" });
    assert.deepEqual(await client.next(), serverTextFrame("fragmented"));
  });

  Deno.test(`[${target.name}] the close handshake completes and the server closes TCP`, async (t) => {
    await using server = await startServer(target);
    for (
      const [label, payload, echoed] of [
        ["1000 with a reason", closePayload(1000, "bye"), 1000],
        ["a registered code, 3000", closePayload(3000), 3000],
        ["a private code, 4999", closePayload(4999), 4999],
        ["no status code", new Uint8Array(0), 1005],
      ] as const
    ) {
      await t.step(
        `${label}: the server answers ${
          echoed === 1005 ? "an empty close" : echoed
        }`,
        async () => {
          using client = await RawClient.connect(server.port);
          await client.send({ opcode: Opcode.close, payload });
          const reply = await client.next();
          assert.equal(reply?.opcode, Opcode.close);
          assert.equal(closeCodeOf(reply!), echoed);
          // The client's payload comes back whole: code and reason.
          assert.deepEqual(reply!.payload, payload);
          assert.ok(await client.closedWithin(2000), "server must close TCP");
        },
      );
    }
    await waitForHealth(server.http, (h) => h.clients === 0);
  });

  Deno.test(`[${target.name}] a frame trickled one byte per write is still echoed`, async () => {
    await using server = await startServer(target);
    using client = await RawClient.connect(server.port);
    const text = "trickled, byte by byte: ü€𝄞";
    await client.trickle(frame({ opcode: Opcode.text, payload: text }), 1);
    assert.deepEqual(await client.next(), serverTextFrame(text));
    // Also a 126-byte frame, whose 16-bit length arrives split.
    const bytes = new Uint8Array(126).map((_, i) => i);
    await client.trickle(frame({ opcode: Opcode.binary, payload: bytes }), 0);
    const echoed = await client.next();
    assert.equal(echoed?.opcode, Opcode.binary);
    assert.deepEqual(echoed?.payload, bytes);
  });

  Deno.test(`[${target.name}] random garbage after the handshake never crashes the server`, async () => {
    await using server = await startServer(target);
    await using steady = await connect(server.url);
    // Seeded, so a failure can be replayed.
    let seed = 0x9e3779b9;
    const random = (bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        bytes[i] = seed & 0xff;
      }
      return bytes;
    };
    for (let round = 0; round < 20; round++) {
      using client = await RawClient.connect(server.port);
      await client.write(random(new Uint8Array(64 + round * 97)));
      // Garbage may happen to announce a long frame and leave the server
      // waiting for it; only the server's health matters here.
      await client.ending(200);
      assert.equal(await steady.echo(`round ${round}`), `round ${round}`);
    }
    // Every garbage connection is gone, forgotten, and the server is up.
    await waitForHealth(server.http, (h) => h.clients === 1);
  });
}
