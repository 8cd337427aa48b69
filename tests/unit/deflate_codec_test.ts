/**
 * The permessage-deflate codec against node:zlib itself: what the codec
 * compresses, plain zlib inflates, and the other way round, with and
 * without context takeover; the size cap and bombs; corrupt input;
 * ordering; closing.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import {
  DeflateCodec,
  type DeflateCodecOptions,
  type InflateResult,
} from "../../lib/protocol/deflate_codec.ts";
import type { DeflateParams } from "../../lib/protocol/deflate_negotiation.ts";

const { Z_SYNC_FLUSH } = zlib.constants;
const TRAILER = new Uint8Array([0, 0, 0xff, 0xff]);
const MIB = 1024 * 1024;

function params(overrides: Partial<DeflateParams> = {}): DeflateParams {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...overrides,
  };
}

function codec(
  overrides: Partial<DeflateParams> = {},
  options: Partial<DeflateCodecOptions> = {},
): DeflateCodec {
  return new DeflateCodec(params(overrides), {
    maxMessage: 16 * MIB,
    threshold: 0,
    ...options,
  });
}

/** A text-like message: repetitive enough to compress, different per i. */
function message(i: number, size = 200 + (i * 37) % 3000): Uint8Array {
  const text = JSON.stringify({ id: i, user: `user-${i % 7}`, note: "echo" })
    .repeat(Math.ceil(size / 40));
  return new TextEncoder().encode(text.slice(0, size));
}

/** What the client's compressor sends: Z_SYNC_FLUSH without the trailer. */
class ClientDeflater {
  private stream: zlib.DeflateRaw;
  constructor(windowBits = 15) {
    this.stream = zlib.createDeflateRaw({ windowBits });
  }
  compress(data: Uint8Array): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    const onData = (chunk: Uint8Array) => chunks.push(chunk);
    this.stream.on("data", onData);
    this.stream.write(data);
    return new Promise((resolve) =>
      this.stream.flush(Z_SYNC_FLUSH, () => {
        this.stream.off("data", onData);
        const out = Buffer.concat(chunks);
        assert.deepEqual([...out.subarray(-4)], [...TRAILER]);
        resolve(new Uint8Array(out.subarray(0, -4)));
      })
    );
  }
  close() {
    this.stream.close();
  }
}

/** A message compressed on its own, as a client without context sends it. */
function compressAlone(data: Uint8Array, windowBits = 15): Uint8Array {
  const out = zlib.deflateRawSync(data, {
    windowBits,
    finishFlush: Z_SYNC_FLUSH,
  });
  return new Uint8Array(out.subarray(0, -4));
}

/** The inflated bytes as a plain Uint8Array (node:zlib gives Buffers). */
function plain(result: InflateResult): Uint8Array {
  assert.ok(result.ok, `inflate failed: ${JSON.stringify(result)}`);
  return new Uint8Array(
    result.data.buffer,
    result.data.byteOffset,
    result.data.length,
  );
}

for (const serverNoContextTakeover of [false, true]) {
  for (const serverMaxWindowBits of [9, 12, 15]) {
    Deno.test(`deflate → zlib inflate, 300 messages, server_no_context_takeover=${serverNoContextTakeover}, window ${serverMaxWindowBits}`, async () => {
      const server = codec({ serverNoContextTakeover, serverMaxWindowBits });
      const messages = Array.from({ length: 300 }, (_, i) => message(i));
      const sent: Uint8Array[] = [];
      for (const m of messages) {
        const out = await server.deflate(m);
        assert.equal(out.compressed, true);
        assert.notDeepEqual([...out.data.subarray(-4)], [...TRAILER]);
        sent.push(out.data);
      }
      if (serverNoContextTakeover) {
        // Each message decodes on its own.
        sent.forEach((data, i) => {
          const back = zlib.inflateRawSync(Buffer.concat([data, TRAILER]), {
            finishFlush: Z_SYNC_FLUSH,
          });
          assert.deepEqual(new Uint8Array(back), messages[i]);
        });
      } else {
        // One continuous stream, as the client's inflater reads it; with a
        // window of 15 the second copy of a message costs a few bytes.
        const back = zlib.inflateRawSync(
          Buffer.concat(sent.flatMap((data) => [data, TRAILER])),
          { windowBits: serverMaxWindowBits, finishFlush: Z_SYNC_FLUSH },
        );
        assert.deepEqual(
          new Uint8Array(back),
          new Uint8Array(Buffer.concat(messages)),
        );
      }
      // 2,000 bytes that hardly compress, twice: without context the copy
      // costs as much; with a window that holds it, a few back-references.
      const noise = Uint8Array.from(
        { length: 2000 },
        (_, i) => (i * i * 7919) >>> 5,
      );
      const first = await server.deflate(noise);
      const again = await server.deflate(noise);
      assert.ok(first.data.length > 1500, `${first.data.length} bytes`);
      if (serverNoContextTakeover) {
        assert.equal(again.data.length, first.data.length);
      } else if (serverMaxWindowBits >= 12) {
        assert.ok(again.data.length < 100, `${again.data.length} bytes`);
      }
      server.close();
    });
  }
}

for (const clientNoContextTakeover of [false, true]) {
  Deno.test(`zlib deflate → inflate, 300 messages, client_no_context_takeover=${clientNoContextTakeover}`, async () => {
    const server = codec({ clientNoContextTakeover, clientMaxWindowBits: 10 });
    const client = new ClientDeflater(10);
    for (let i = 0; i < 300; i++) {
      const m = message(i);
      const data = clientNoContextTakeover
        ? compressAlone(m, 10)
        : await client.compress(m);
      assert.deepEqual(plain(await server.inflate(data)), m);
    }
    client.close();
    server.close();
  });
}

Deno.test("a message split over frames inflates like one buffer", async () => {
  for (const clientNoContextTakeover of [false, true]) {
    const server = codec({ clientNoContextTakeover });
    const m = message(1, 5000);
    const data = compressAlone(m);
    const frames = [data.subarray(0, 1), data.subarray(1, 7), data.subarray(7)];
    assert.deepEqual(plain(await server.inflate(frames)), m);
    assert.deepEqual(plain(await server.inflate([data])), m);
    server.close();
  }
});

Deno.test("empty messages both ways", async () => {
  for (const noContext of [false, true]) {
    const server = codec({
      serverNoContextTakeover: noContext,
      clientNoContextTakeover: noContext,
    });
    const out = await server.deflate(new Uint8Array(0));
    assert.equal(out.compressed, true);
    const back = zlib.inflateRawSync(Buffer.concat([out.data, TRAILER]), {
      finishFlush: Z_SYNC_FLUSH,
    });
    assert.equal(back.length, 0);
    assert.deepEqual(plain(await server.inflate(out.data)), new Uint8Array(0));
    // RFC 7692 §7.2.3.6: an empty message may be sent as a single 0x00.
    assert.deepEqual(
      plain(await server.inflate(new Uint8Array([0]))),
      new Uint8Array(0),
    );
    server.close();
  }
});

Deno.test("a message ending with a final block (BFINAL) does not break the next", async () => {
  const server = codec();
  const first = message(1, 4000);
  const finished = zlib.deflateRawSync(first); // Z_FINISH: BFINAL set
  assert.deepEqual(plain(await server.inflate(finished)), first);
  const second = message(2, 4000);
  assert.deepEqual(plain(await server.inflate(compressAlone(second))), second);
  server.close();
});

for (const clientNoContextTakeover of [false, true]) {
  Deno.test(`the size limit counts inflated bytes, exactly, client_no_context_takeover=${clientNoContextTakeover}`, async () => {
    const limit = 100_000;
    const server = codec({ clientNoContextTakeover }, { maxMessage: limit });
    const exact = new Uint8Array(limit).fill(7);
    assert.equal(
      plain(await server.inflate(compressAlone(exact))).length,
      limit,
    );
    const over = await server.inflate(compressAlone(new Uint8Array(limit + 1)));
    assert.deepEqual(over, { ok: false, error: "too big" });
    server.close();
  });

  Deno.test(`a compression bomb is stopped early, client_no_context_takeover=${clientNoContextTakeover}`, async () => {
    const zeros = new Uint8Array(100 * MIB);
    const bomb = compressAlone(zeros);
    assert.ok(bomb.length < 200 * 1024, `bomb is ${bomb.length} bytes`);
    const server = codec({ clientNoContextTakeover }, { maxMessage: MIB });
    assert.deepEqual(await server.inflate(bomb), {
      ok: false,
      error: "too big",
    });
    // zlib produced about the limit, not 100 MiB (chunks are 16 KiB).
    assert.ok(
      server.inflatedBytes <= MIB + 64 * 1024,
      `${server.inflatedBytes} bytes inflated`,
    );
    // The connection is closed with 1009 next; the codec stays usable
    // meanwhile and is freed.
    const m = message(3);
    assert.deepEqual(plain(await server.inflate(compressAlone(m))), m);
    server.close();
  });
}

for (const clientNoContextTakeover of [false, true]) {
  Deno.test(`corrupt data is an error result, never a throw, client_no_context_takeover=${clientNoContextTakeover}`, async () => {
    let server = codec({ clientNoContextTakeover });
    const corrupt: Uint8Array[] = [
      new Uint8Array([0xff, 0xff, 0xff, 0xff]), // reserved block type 11
      new Uint8Array([0x02, 0xff, 0x00]), // invalid code in a fixed block
    ];
    // A client that keeps its context although it promised not to: the
    // second copy of a message is a back-reference into the first, before
    // the start of what this inflater has seen ("too far back").
    const liar = new ClientDeflater();
    const m = message(1, 3000);
    const first = await liar.compress(m);
    corrupt.push(await liar.compress(m));
    liar.close();
    if (!clientNoContextTakeover) {
      assert.deepEqual(plain(await server.inflate(first)), m);
      server.close(); // a fresh codec, which has not seen the first copy
      server = codec({ clientNoContextTakeover });
    }
    for (const data of corrupt) {
      const result = await server.inflate(data);
      assert.equal(result.ok, false, `${[...data]} inflated`);
      assert.equal(!result.ok && result.error, "invalid data");
      assert.match(!result.ok && "detail" in result ? result.detail : "", /./);
    }
    // Seeded garbage: every result is a result.
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 200; i++) {
      const data = Uint8Array.from({ length: 1 + (i % 50) }, random);
      const result = await server.inflate(data);
      assert.ok(
        result.ok || result.error === "invalid data" ||
          result.error === "too big",
        JSON.stringify(result),
      );
    }
    server.close();
  });
}

for (const noContext of [false, true]) {
  Deno.test(`calls made at once complete in order, no_context_takeover=${noContext}`, async () => {
    const server = codec({
      serverNoContextTakeover: noContext,
      clientNoContextTakeover: noContext,
    });
    const client = new ClientDeflater();
    const messages = Array.from({ length: 100 }, (_, i) => message(i));
    const compressed: Uint8Array[] = [];
    for (const m of messages) compressed.push(await client.compress(m));
    client.close();
    const order: number[] = [];
    const inflated = await Promise.all(
      noContext
        ? messages.map((m, i) =>
          server.inflate(compressAlone(m)).then((r) => (order.push(i), r))
        )
        : compressed.map((data, i) =>
          server.inflate(data).then((r) => (order.push(i), r))
        ),
    );
    assert.deepEqual(order, messages.map((_, i) => i));
    inflated.forEach((r, i) => assert.deepEqual(plain(r), messages[i]));
    const deflateOrder: number[] = [];
    const deflated = await Promise.all(
      messages.map((m, i) =>
        server.deflate(m).then((r) => (deflateOrder.push(i), r))
      ),
    );
    assert.deepEqual(deflateOrder, messages.map((_, i) => i));
    const back = noContext
      ? deflated.map((r) =>
        zlib.inflateRawSync(Buffer.concat([r.data, TRAILER]), {
          finishFlush: Z_SYNC_FLUSH,
        })
      )
      : [zlib.inflateRawSync(
        Buffer.concat(deflated.flatMap((r) => [r.data, TRAILER])),
        { finishFlush: Z_SYNC_FLUSH },
      )];
    assert.deepEqual(
      new Uint8Array(Buffer.concat(back)),
      new Uint8Array(Buffer.concat(messages)),
    );
    server.close();
  });
}

Deno.test("messages below the threshold go out plain", async () => {
  const server = codec({}, { threshold: 64 });
  const small = message(1, 63);
  assert.deepEqual(await server.deflate(small), {
    data: small,
    compressed: false,
  });
  const large = await server.deflate(message(1, 64));
  assert.equal(large.compressed, true);
  server.close();
});

Deno.test("close settles pending calls, frees zlib and is idempotent", async () => {
  const server = codec();
  const client = new ClientDeflater();
  const data = await client.compress(message(1, 50_000));
  client.close();
  const big = new Uint8Array(4 * MIB).map((_, i) => (i * 7919) >>> 3);
  const pendingInflate = server.inflate(data);
  const pendingDeflate = server.deflate(big);
  const queuedInflate = server.inflate(data);
  server.close();
  server.close();
  const results = await Promise.all([pendingInflate, queuedInflate]);
  for (const result of results) {
    assert.ok(
      result.ok || result.error === "closed",
      JSON.stringify(result),
    );
  }
  assert.deepEqual(results[1], { ok: false, error: "closed" });
  const deflated = await pendingDeflate;
  assert.ok(deflated.data.length > 0);
  assert.deepEqual(await server.inflate(data), { ok: false, error: "closed" });
  const after = await server.deflate(message(2));
  assert.equal(after.compressed, false);
});
