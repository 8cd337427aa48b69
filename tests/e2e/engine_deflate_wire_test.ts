/**
 * The engine's permessage-deflate (`--engine wsecho --permessage-deflate`)
 * checked frame by frame on raw TCP: what the negotiated context rules
 * mean for the bytes both ways, the close codes for data that does not
 * inflate or is not UTF-8 once inflated, RSV1 where it may not be, a
 * compressed message in fragments, and control frames kept in order
 * while zlib works. The client compresses with node:zlib
 * (tests/helpers/client_deflate.ts) and inflates the echoes with the
 * reference inflater, not with the engine's codec. (The ws-client round
 * trip and the bomb are in engine_test.ts; the seeded mix of all of this
 * in wire_fuzz_test.ts.)
 */
import assert from "node:assert/strict";
import { ContextDeflater, deflateAlone } from "../helpers/client_deflate.ts";
import { concat } from "../helpers/client_frames.ts";
import { ReferenceInflater } from "../helpers/reference_receiver.ts";
import {
  closeCodeOf,
  closePayload,
  type Frame,
  frame,
  Opcode,
  RawClient,
} from "../helpers/raw_ws.ts";
import { type ServerProcess, startServer } from "../helpers/server.ts";
import { DENO_WSECHO } from "../helpers/targets.ts";
import { waitForHealth } from "../helpers/ws.ts";

const encoder = new TextEncoder();
const RSV1 = 0b100;
/** Long enough to be compressed by the engine (its threshold is 64 bytes). */
const FIRST = encoder.encode(
  "the quick brown fox jumps over the lazy dog; ".repeat(4),
);
/** Shares most of its bytes with FIRST: compressed after it, it refers back. */
const SECOND = encoder.encode(
  "the quick brown fox jumps over the lazy dog; again and again and again",
);

async function withEngine(
  test: (server: ServerProcess) => Promise<void>,
): Promise<void> {
  await using server = await startServer(DENO_WSECHO, {
    args: ["--permessage-deflate", "--max-message", "64KiB"],
  });
  await test(server);
  // Every connection above is over and nothing went wrong on the way.
  await waitForHealth(server.http, (h) => h.clients === 0);
  await server.stop();
  const problems = server.records().filter((r) =>
    r.level !== "INFO" && r.level !== "DEBUG"
  );
  assert.deepEqual(problems, [], "no warning or error logged");
}

/** Opens a connection offering `offer`; the answer must be `response`. */
async function open(
  server: ServerProcess,
  offer: string,
  response = offer,
): Promise<RawClient> {
  const client = await RawClient.open(server.port);
  const head = await client.handshake({
    headers: { "Sec-WebSocket-Extensions": offer },
  });
  assert.equal(head.status, 101);
  assert.equal(head.headers.get("sec-websocket-extensions"), response);
  return client;
}

/** Sends a compressed message in one frame (RSV1, FIN). */
function sendCompressed(
  client: RawClient,
  opcode: number,
  data: Uint8Array,
): Promise<void> {
  return client.send({ opcode, payload: data, rsv: RSV1 });
}

/** The next frame, which must be a compressed, final, unmasked `opcode` frame. */
async function nextCompressed(
  client: RawClient,
  opcode: number,
): Promise<Uint8Array> {
  const reply = await client.next();
  assert.ok(reply, "TCP ended instead of an echo");
  assert.deepEqual(
    {
      fin: reply.fin,
      rsv: reply.rsv,
      opcode: reply.opcode,
      masked: reply.masked,
    },
    { fin: true, rsv: RSV1, opcode, masked: false },
  );
  return reply.payload;
}

function inflateAlone(data: Uint8Array) {
  return new ReferenceInflater(false).inflate(data, 1 << 20);
}

/** Reads to the end: the server's close code, and that TCP then ended. */
async function closedWith(client: RawClient): Promise<number | undefined> {
  const ending = await client.ending(3000);
  assert.ok(ending.tcpClosed, "TCP still open after the close");
  assert.deepEqual(ending.dataFrames, [], "no echo after the violation");
  return ending.closeCode;
}

Deno.test("[deno-wsecho] permessage-deflate, context takeover (the default): the second message refers back into the first both ways", async () => {
  await withEngine(async (server) => {
    using client = await open(server, "permessage-deflate");
    const deflater = new ContextDeflater();
    const first = await deflater.message(FIRST);
    const second = await deflater.message(SECOND);
    deflater.close();
    // The premise: on its own, the second message's data does not inflate.
    assert.equal(inflateAlone(second).ok, false);
    await sendCompressed(client, Opcode.text, first);
    await sendCompressed(client, Opcode.text, second);
    const echoes = [
      await nextCompressed(client, Opcode.text),
      await nextCompressed(client, Opcode.text),
    ];
    // The engine's echo of the second refers back into its first echo too.
    assert.equal(inflateAlone(echoes[1]).ok, false);
    const inflater = new ReferenceInflater(true);
    assert.deepEqual(inflater.inflate(echoes[0], 1 << 20), {
      ok: true,
      data: FIRST,
    });
    assert.deepEqual(inflater.inflate(echoes[1], 1 << 20), {
      ok: true,
      data: SECOND,
    });
    assert.ok(
      echoes[1].length < inflateAloneSize(SECOND),
      "the second echo is smaller than SECOND compressed alone",
    );
    await client.send({ opcode: Opcode.close, payload: closePayload(1000) });
    assert.equal(closeCodeOf((await client.next())!), 1000);
  });
});

function inflateAloneSize(plain: Uint8Array): number {
  return deflateAlone(plain).length;
}

Deno.test("[deno-wsecho] permessage-deflate, server_no_context_takeover: each echo inflates on its own, the same message the same bytes", async () => {
  await withEngine(async (server) => {
    const offer = "permessage-deflate; server_no_context_takeover";
    using client = await open(server, offer);
    const deflater = new ContextDeflater();
    // The client keeps its context: the second FIRST is a back-reference.
    await sendCompressed(client, Opcode.text, await deflater.message(FIRST));
    await sendCompressed(client, Opcode.text, await deflater.message(FIRST));
    deflater.close();
    const echoes = [
      await nextCompressed(client, Opcode.text),
      await nextCompressed(client, Opcode.text),
    ];
    assert.deepEqual(echoes[1], echoes[0]);
    assert.deepEqual(inflateAlone(echoes[1]), { ok: true, data: FIRST });
  });
});

Deno.test("[deno-wsecho] permessage-deflate, client_no_context_takeover: messages compressed alone are echoed; one that refers back is corrupt data, 1007", async () => {
  await withEngine(async (server) => {
    const offer = "permessage-deflate; client_no_context_takeover";
    using client = await open(server, offer);
    await sendCompressed(client, Opcode.text, deflateAlone(FIRST));
    await sendCompressed(client, Opcode.text, deflateAlone(SECOND));
    const inflater = new ReferenceInflater(true); // the server keeps its own
    for (const plain of [FIRST, SECOND]) {
      const echo = await nextCompressed(client, Opcode.text);
      assert.deepEqual(inflater.inflate(echo, 1 << 20), {
        ok: true,
        data: plain,
      });
    }
    // A client that breaks its promise: SECOND compressed after FIRST.
    const deflater = new ContextDeflater();
    await deflater.message(FIRST);
    const referring = await deflater.message(SECOND);
    deflater.close();
    await sendCompressed(client, Opcode.text, referring);
    assert.equal(await closedWith(client), 1007);
  });
});

Deno.test("[deno-wsecho] permessage-deflate: data that does not inflate, and text not UTF-8 once inflated, close with 1007", async (t) => {
  await withEngine(async (server) => {
    const cases: [string, number, Uint8Array][] = [
      // BTYPE 11 (reserved): zlib's "invalid block type".
      ["a reserved block type", Opcode.binary, new Uint8Array([0x07, 0x00])],
      // A stored block whose length and its complement disagree.
      [
        "a stored block with a bad length",
        Opcode.binary,
        new Uint8Array([0x00, 0x05, 0x00, 0x00, 0x00]),
      ],
      [
        "text that inflates to C3 28",
        Opcode.text,
        deflateAlone(new Uint8Array([0x61, 0xc3, 0x28])),
      ],
    ];
    for (const [name, opcode, data] of cases) {
      await t.step(name, async () => {
        using client = await open(server, "permessage-deflate");
        // A good message first: the failure is the bad one's alone.
        await sendCompressed(client, Opcode.binary, deflateAlone(FIRST));
        await nextCompressed(client, Opcode.binary);
        await sendCompressed(client, opcode, data);
        assert.equal(await closedWith(client), 1007);
      });
    }
  });
});

Deno.test("[deno-wsecho] permessage-deflate: RSV1 on a continuation, a ping or a close frame closes with 1002", async (t) => {
  await withEngine(async (server) => {
    const compressed = deflateAlone(FIRST);
    const cases: [string, (c: RawClient) => Promise<void>][] = [
      ["a continuation", async (c) => {
        await c.send({
          opcode: Opcode.text,
          payload: compressed.subarray(0, 10),
          rsv: RSV1,
          fin: false,
        });
        await c.send({
          opcode: Opcode.continuation,
          payload: compressed.subarray(10),
          rsv: RSV1,
        });
      }],
      [
        "a ping",
        (c) => c.send({ opcode: Opcode.ping, payload: "p", rsv: RSV1 }),
      ],
      ["a close", (c) =>
        c.send({
          opcode: Opcode.close,
          payload: closePayload(1000),
          rsv: RSV1,
        })],
    ];
    for (const [name, send] of cases) {
      await t.step(name, async () => {
        using client = await open(server, "permessage-deflate");
        await send(client);
        assert.equal(await closedWith(client), 1002);
      });
    }
  });
});

Deno.test("[deno-wsecho] permessage-deflate: a compressed message in three fragments, a ping between them, is one compressed echo after the pong", async () => {
  await withEngine(async (server) => {
    using client = await open(server, "permessage-deflate");
    const message = concat(FIRST, SECOND, FIRST);
    const data = deflateAlone(message);
    const cut = [0, 7, Math.floor(data.length / 2), data.length];
    await client.send({
      opcode: Opcode.binary,
      payload: data.subarray(cut[0], cut[1]),
      rsv: RSV1,
      fin: false,
    });
    await client.send({ opcode: Opcode.ping, payload: "between" });
    await client.send({
      opcode: Opcode.continuation,
      payload: data.subarray(cut[1], cut[2]),
      fin: false,
    });
    await client.send({
      opcode: Opcode.continuation,
      payload: data.subarray(cut[2], cut[3]),
    });
    const pong = await client.next();
    assert.deepEqual(frameSummary(pong), {
      opcode: Opcode.pong,
      rsv: 0,
      payload: "between",
    });
    const echo = await nextCompressed(client, Opcode.binary);
    assert.deepEqual(inflateAlone(echo), { ok: true, data: message });
  });
});

Deno.test("[deno-wsecho] permessage-deflate: a ping and a close sent right behind a message that takes a while to inflate wait for its echo", async () => {
  await withEngine(async (server) => {
    using client = await open(server, "permessage-deflate");
    // 60 KiB that compress to a few hundred bytes: zlib works on it while
    // the ping and the close are already in the engine's read.
    const big = new Uint8Array(60 * 1024).map((_, i) => (i * 7) % 13);
    const deflater = new ContextDeflater();
    const wire = concat(
      frameBytes(Opcode.binary, await deflater.message(big), RSV1),
      frameBytes(Opcode.ping, encoder.encode("after the big one")),
      frameBytes(Opcode.text, await deflater.message(FIRST), RSV1),
      frameBytes(Opcode.close, closePayload(1000, "bye")),
    );
    deflater.close();
    await client.write(wire);
    const inflater = new ReferenceInflater(true);
    const first = await nextCompressed(client, Opcode.binary);
    assert.deepEqual(inflater.inflate(first, 1 << 20), { ok: true, data: big });
    assert.deepEqual(frameSummary(await client.next()), {
      opcode: Opcode.pong,
      rsv: 0,
      payload: "after the big one",
    });
    const second = await nextCompressed(client, Opcode.text);
    assert.deepEqual(inflater.inflate(second, 1 << 20), {
      ok: true,
      data: FIRST,
    });
    const close = await client.next();
    assert.equal(close?.opcode, Opcode.close);
    assert.deepEqual(close?.payload, closePayload(1000, "bye"));
    assert.ok(await client.closedWithin(2000));
  });
});

function frameBytes(opcode: number, payload: Uint8Array, rsv = 0): Uint8Array {
  return frame({ opcode, payload, rsv });
}

function frameSummary(frame: Frame | undefined) {
  return {
    opcode: frame?.opcode,
    rsv: frame?.rsv,
    payload: new TextDecoder().decode(frame?.payload),
  };
}
