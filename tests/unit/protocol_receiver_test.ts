import assert from "node:assert/strict";
import {
  compressedSizeLimit,
  Receiver,
  type ReceiverOptions,
} from "../../lib/protocol/receiver.ts";
import {
  clientFrame,
  concat,
  type ReceiverEvent,
  Recorder,
} from "../helpers/client_frames.ts";

const TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10, CONT = 0;
const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

function run(
  chunks: Uint8Array[],
  options: ReceiverOptions = { maxMessage: 1 << 20 },
): ReceiverEvent[] {
  const recorder = new Recorder();
  const receiver = new Receiver(recorder, options);
  // The receiver unmasks in place: give it copies so that inputs can be reused.
  for (const chunk of chunks) receiver.push(chunk.slice());
  return recorder.events;
}

function failureCode(events: ReceiverEvent[]): number | undefined {
  const last = events.at(-1);
  return last?.[0] === "failure" ? last[1] : undefined;
}

Deno.test("one masked text frame comes out unmasked, as the same bytes", () => {
  assert.deepEqual(run([clientFrame({ opcode: TEXT, payload: "Hello" })]), [
    ["message", TEXT, bytes("Hello"), false],
  ]);
});

Deno.test("a frame wholly inside the read is handed out as a view of it, unmasked in place", () => {
  const chunk = clientFrame({
    opcode: BINARY,
    payload: new Uint8Array(300).fill(7),
  });
  let seen: Uint8Array | undefined;
  const receiver = new Receiver({
    onMessage: (_o, payload) => seen = payload,
    onPing() {},
    onPong() {},
    onClose() {},
    onFailure() {},
  }, { maxMessage: 1024 });
  receiver.push(chunk);
  assert.ok(seen);
  assert.equal(seen.buffer, chunk.buffer);
  assert.equal(seen.byteOffset, 4 + 4);
  assert.deepEqual(seen, new Uint8Array(300).fill(7));
});

Deno.test("lengths at the 7/16/64-bit boundaries, whole and split at each header byte", () => {
  for (const n of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
    const payload = new Uint8Array(n).map((_, i) => i * 31);
    const frame = clientFrame({ opcode: BINARY, payload });
    const headerLength = n < 126 ? 6 : n < 65536 ? 8 : 14;
    assert.equal(frame.length, headerLength + n);
    assert.deepEqual(
      run([frame]),
      [["message", BINARY, payload, false]],
      `n=${n}`,
    );
    for (let cut = 1; cut <= headerLength; cut++) {
      assert.deepEqual(
        run([frame.subarray(0, cut), frame.subarray(cut)]),
        [["message", BINARY, payload, false]],
        `n=${n} cut=${cut}`,
      );
    }
  }
});

Deno.test("non-minimal length forms are accepted (the rule binds senders)", () => {
  assert.deepEqual(
    run([
      clientFrame({ opcode: TEXT, payload: "a", lengthForm: 16 }),
      clientFrame({ opcode: TEXT, payload: "b", lengthForm: 64 }),
    ]),
    [["message", TEXT, bytes("a"), false], [
      "message",
      TEXT,
      bytes("b"),
      false,
    ]],
  );
});

Deno.test("many frames in one read all come out in one pass, in order", () => {
  const frames: Uint8Array[] = [];
  const expected: ReceiverEvent[] = [];
  for (let i = 0; i < 500; i++) {
    const text = `message ${i} ${"x".repeat(i % 40)}`;
    frames.push(
      clientFrame({ opcode: TEXT, payload: text, key: [i & 255, 1, 2, 3] }),
    );
    expected.push(["message", TEXT, bytes(text), false]);
  }
  assert.deepEqual(run([concat(...frames)]), expected);
});

/** A stream with every kind of frame: fragmented text with a ping inside, etc. */
function mixedStream(): { stream: Uint8Array; expected: ReceiverEvent[] } {
  const big = new Uint8Array(300).map((_, i) => i);
  const stream = concat(
    clientFrame({ opcode: TEXT, payload: "κόσμε" }),
    clientFrame({
      opcode: TEXT,
      payload: bytes("Hel€").subarray(0, 4),
      fin: false,
    }),
    clientFrame({ opcode: PING, payload: "p" }),
    clientFrame({
      opcode: CONT,
      payload: bytes("Hel€").subarray(4),
      fin: false,
    }),
    clientFrame({ opcode: CONT, payload: "", fin: false }),
    clientFrame({ opcode: CONT, payload: "lo", fin: true }),
    clientFrame({ opcode: BINARY, payload: big }),
    clientFrame({ opcode: PONG, payload: "" }),
    clientFrame({ opcode: BINARY, payload: big.subarray(0, 130), fin: false }),
    clientFrame({ opcode: CONT, payload: big.subarray(130), fin: true }),
    clientFrame({
      opcode: CLOSE,
      payload: concat(new Uint8Array([0x03, 0xe8]), bytes("bye")),
    }),
  );
  const expected: ReceiverEvent[] = [
    ["message", TEXT, bytes("κόσμε"), false],
    ["ping", bytes("p")],
    ["message", TEXT, bytes("Hel€lo"), false],
    ["message", BINARY, big, false],
    ["pong", new Uint8Array(0)],
    ["message", BINARY, big, false],
    ["close", 1000, bytes("bye")],
  ];
  return { stream, expected };
}

Deno.test("a stream split at every byte position gives the same reports", () => {
  const { stream, expected } = mixedStream();
  assert.deepEqual(run([stream]), expected);
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(
      run([stream.subarray(0, cut), stream.subarray(cut)]),
      expected,
      `cut=${cut}`,
    );
  }
});

Deno.test("a stream in three pieces at many position pairs, and byte by byte", () => {
  const { stream, expected } = mixedStream();
  for (let a = 0; a < stream.length; a += 7) {
    for (let b = a; b <= stream.length; b += 5) {
      assert.deepEqual(
        run([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]),
        expected,
        `a=${a} b=${b}`,
      );
    }
  }
  const single = Array.from(stream, (byte) => new Uint8Array([byte]));
  assert.deepEqual(run(single), expected);
});

Deno.test("nothing after the client's close frame is read", () => {
  assert.deepEqual(
    run([concat(
      clientFrame({ opcode: CLOSE, payload: "" }),
      clientFrame({ opcode: TEXT, payload: "late" }),
    )]),
    [["close", 1005, new Uint8Array(0)]],
  );
});

function failsWith(
  chunks: Uint8Array[],
  code: number,
  options?: ReceiverOptions,
) {
  const events = run(chunks, options);
  assert.equal(failureCode(events), code, JSON.stringify(events));
  const reason = events.at(-1)![2] as string;
  assert.ok(enc.encode(reason).length <= 123, reason);
  return events;
}

Deno.test("strictness: each violation gets its close code (RFC 6455 §5–§7)", () => {
  const cases: [string, Uint8Array[], number][] = [
    ["unmasked frame", [
      clientFrame({ opcode: TEXT, payload: "hi", masked: false }),
    ], 1002],
    ["RSV1 without extension", [
      clientFrame({ opcode: TEXT, payload: "hi", rsv: 4 }),
    ], 1002],
    ["RSV2", [clientFrame({ opcode: TEXT, payload: "hi", rsv: 2 })], 1002],
    ["RSV3", [clientFrame({ opcode: BINARY, payload: "hi", rsv: 1 })], 1002],
    ["RSV on ping", [clientFrame({ opcode: PING, rsv: 7 })], 1002],
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((
      op,
    ): [string, Uint8Array[], number] => [
      `reserved opcode ${op}`,
      [clientFrame({ opcode: op, payload: "x" })],
      1002,
    ]),
    ["ping of 126 bytes", [
      clientFrame({ opcode: PING, payload: new Uint8Array(126) }),
    ], 1002],
    ["close of 126 bytes", [
      clientFrame({ opcode: CLOSE, payload: new Uint8Array(126) }),
    ], 1002],
    ["pong of 126 bytes, 16-bit form", [
      clientFrame({ opcode: PONG, payload: new Uint8Array(126) }),
    ], 1002],
    ["ping of 5 bytes in the 16-bit form", [
      clientFrame({ opcode: PING, payload: "hello", lengthForm: 16 }),
    ], 1002],
    ["fragmented ping", [
      clientFrame({ opcode: PING, payload: "a", fin: false }),
    ], 1002],
    ["fragmented close", [
      clientFrame({ opcode: CLOSE, payload: "", fin: false }),
    ], 1002],
    ["continuation without a message", [
      clientFrame({ opcode: CONT, payload: "x" }),
    ], 1002],
    ["continuation after a complete message", [
      clientFrame({ opcode: TEXT, payload: "x" }),
      clientFrame({ opcode: CONT, payload: "y" }),
    ], 1002],
    ["new text inside a fragmented message", [
      clientFrame({ opcode: TEXT, payload: "x", fin: false }),
      clientFrame({ opcode: TEXT, payload: "y" }),
    ], 1002],
    ["new binary inside a fragmented message", [
      clientFrame({ opcode: BINARY, payload: "x", fin: false }),
      clientFrame({ opcode: BINARY, payload: "y", fin: false }),
    ], 1002],
    ["64-bit length with the top bit set", [
      clientFrame({
        opcode: BINARY,
        payload: "x",
        lengthForm: 64,
        high: 0x80000000,
      }),
    ], 1002],
    ["close payload of 1 byte", [
      clientFrame({ opcode: CLOSE, payload: new Uint8Array([3]) }),
    ], 1002],
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((
      code,
    ): [string, Uint8Array[], number] => [
      `close code ${code}`,
      [clientFrame({
        opcode: CLOSE,
        payload: new Uint8Array([code >> 8, code & 255]),
      })],
      1002,
    ]),
    ["close reason not UTF-8", [
      clientFrame({
        opcode: CLOSE,
        payload: new Uint8Array([3, 232, 0xce, 0xba, 0xe1, 0xbd]),
      }),
    ], 1007],
    ["text not UTF-8", [
      clientFrame({ opcode: TEXT, payload: new Uint8Array([0x61, 0xff]) }),
    ], 1007],
    ["text ending inside a character", [
      clientFrame({
        opcode: TEXT,
        payload: new Uint8Array([0x61, 0xe2, 0x82]),
      }),
    ], 1007],
    ["fragmented text ending inside a character", [
      clientFrame({
        opcode: TEXT,
        payload: new Uint8Array([0x61, 0xe2]),
        fin: false,
      }),
      clientFrame({ opcode: CONT, payload: new Uint8Array([0x82]) }),
    ], 1007],
    ["surrogate", [
      clientFrame({
        opcode: TEXT,
        payload: new Uint8Array([0xed, 0xa0, 0x80]),
      }),
    ], 1007],
  ];
  for (const [name, chunks, code] of cases) {
    const events = run(chunks);
    assert.equal(
      failureCode(events),
      code,
      `${name}: ${JSON.stringify(events)}`,
    );
    // Split byte by byte the verdict is the same.
    const single = Array.from(concat(...chunks), (b) => new Uint8Array([b]));
    assert.equal(failureCode(run(single)), code, `${name}, byte by byte`);
  }
});

Deno.test("sendable close codes are reported with their reason", () => {
  for (
    const code of [
      1000,
      1001,
      1002,
      1003,
      1007,
      1008,
      1009,
      1010,
      1011,
      1012,
      1013,
      1014,
      3000,
      3999,
      4000,
      4999,
    ]
  ) {
    assert.deepEqual(
      run([
        clientFrame({
          opcode: CLOSE,
          payload: concat(new Uint8Array([code >> 8, code & 255]), bytes("κ")),
        }),
      ]),
      [["close", code, bytes("κ")]],
    );
  }
});

Deno.test("a header announcing more than maxMessage gets 1009 before the body arrives", () => {
  const frame = clientFrame({ opcode: BINARY, payload: new Uint8Array(1025) });
  // Only the header is pushed.
  failsWith([frame.subarray(0, 8)], 1009, { maxMessage: 1024 });
  assert.deepEqual(
    run([clientFrame({ opcode: BINARY, payload: new Uint8Array(1024) })], {
      maxMessage: 1024,
    })[0][0],
    "message",
  );
  // A 64-bit length of 2^40 is refused from its header alone.
  failsWith([
    clientFrame({ opcode: BINARY, announcedLength: 2 ** 40 }).subarray(0, 14),
  ], 1009);
});

Deno.test("fragments adding up to more than maxMessage get 1009 at the header that passes it", () => {
  const events = failsWith(
    [
      clientFrame({ opcode: TEXT, payload: "a".repeat(600), fin: false }),
      clientFrame({ opcode: CONT, payload: "b".repeat(424), fin: false }),
      clientFrame({ opcode: CONT, announcedLength: 1 }).subarray(0, 6),
    ],
    1009,
    { maxMessage: 1024 },
  );
  assert.equal(events.length, 1);
  const ok = run([
    clientFrame({ opcode: TEXT, payload: "a".repeat(600), fin: false }),
    clientFrame({ opcode: CONT, payload: "b".repeat(424) }),
  ], { maxMessage: 1024 });
  assert.equal(ok.length, 1);
  assert.equal((ok[0][2] as Uint8Array).length, 1024);
});

Deno.test("invalid UTF-8 fails fast inside a fragment: before the message's last frame (Autobahn 6.4.1/6.4.2)", () => {
  // κόσμε then U+110000 (f4 90 80 80), then more: the verdict comes after the
  // second fragment although the message is not finished.
  const first = bytes("κόσμε");
  const second = new Uint8Array([0xf4, 0x90, 0x80, 0x80]);
  failsWith([
    clientFrame({ opcode: TEXT, payload: first, fin: false }),
    clientFrame({ opcode: CONT, payload: second, fin: false }),
  ], 1007);
  // 6.4.2: the bad byte is the first byte of the second fragment after f4.
  failsWith([
    clientFrame({
      opcode: TEXT,
      payload: concat(first, new Uint8Array([0xf4])),
      fin: false,
    }),
    clientFrame({ opcode: CONT, payload: new Uint8Array([0x90]), fin: false }),
  ], 1007);
});

Deno.test("invalid UTF-8 fails fast inside one frame still arriving (Autobahn 6.4.3/6.4.4)", () => {
  const payload = concat(
    bytes("κόσμε"),
    new Uint8Array([0xf4, 0x90, 0x80, 0x80]),
    bytes("edited"),
  );
  const frame = clientFrame({ opcode: TEXT, payload });
  const badAt = 2 + 4 + bytes("κόσμε").length + 1; // the 0x90 after 0xf4
  // Everything up to the 0xf4: no verdict yet.
  assert.deepEqual(run([frame.subarray(0, badAt)]), []);
  // One more byte and the verdict comes, the frame still unfinished.
  failsWith([frame.subarray(0, badAt), frame.subarray(badAt, badAt + 1)], 1007);
});

Deno.test("RSV1 with an extension: compressed messages are handed out as such", () => {
  const options = { maxMessage: 1024, rsv1Allowed: true };
  const junk = new Uint8Array([0xff, 0xfe, 0x00]); // not UTF-8: not ours to check
  assert.deepEqual(
    run([clientFrame({ opcode: TEXT, payload: junk, rsv: 4 })], options),
    [
      ["message", TEXT, junk, true],
    ],
  );
  assert.deepEqual(
    run([
      clientFrame({ opcode: BINARY, payload: junk, rsv: 4, fin: false }),
      clientFrame({ opcode: PING, payload: "p" }),
      clientFrame({ opcode: CONT, payload: junk }),
      clientFrame({ opcode: TEXT, payload: "plain" }),
    ], options),
    [
      ["ping", bytes("p")],
      ["message", BINARY, concat(junk, junk), true],
      ["message", TEXT, bytes("plain"), false],
    ],
  );
  failsWith(
    [
      clientFrame({ opcode: TEXT, payload: "a", rsv: 4, fin: false }),
      clientFrame({ opcode: CONT, payload: "b", rsv: 4 }),
    ],
    1002,
    options,
  );
  failsWith(
    [clientFrame({ opcode: PING, payload: "a", rsv: 4 })],
    1002,
    options,
  );
  failsWith(
    [clientFrame({ opcode: TEXT, payload: "a", rsv: 2 })],
    1002,
    options,
  );
  // Compressed input may exceed maxMessage by deflate's worst-case overhead only.
  const limit = compressedSizeLimit(1024);
  assert.ok(limit > 1024 && limit < 1100);
  assert.equal(
    run([
      clientFrame({ opcode: BINARY, payload: new Uint8Array(limit), rsv: 4 }),
    ], options).length,
    1,
  );
  failsWith(
    [clientFrame({
      opcode: BINARY,
      payload: new Uint8Array(limit + 1),
      rsv: 4,
    })],
    1009,
    options,
  );
});

Deno.test("nothing is reported after a failure, and stop() ends reading", () => {
  assert.deepEqual(
    run([concat(
      clientFrame({ opcode: TEXT, payload: "ok" }),
      clientFrame({ opcode: 3, payload: "" }),
      clientFrame({ opcode: TEXT, payload: "never" }),
    )]),
    [["message", TEXT, bytes("ok"), false], [
      "failure",
      1002,
      "reserved opcode 3",
    ]],
  );
  const recorder = new Recorder();
  const receiver = new Receiver(recorder, { maxMessage: 100 });
  receiver.push(clientFrame({ opcode: TEXT, payload: "a" }));
  receiver.stop();
  receiver.push(clientFrame({ opcode: TEXT, payload: "b" }));
  assert.equal(recorder.events.length, 1);
  assert.ok(receiver.finished);
});

/** A receiver that ignores what it reports: for measuring its buffers. */
function quietReceiver(maxMessage: number): Receiver {
  return new Receiver({
    onMessage() {},
    onPing() {},
    onPong() {},
    onClose() {},
    onFailure() {},
  }, { maxMessage });
}

const MIB16 = 16 * 1024 * 1024;
const STALLERS = 2_000;

Deno.test("2,000 clients that announce 16 MiB and send 1 KiB reserve under 64 KiB each", () => {
  // The header announces 16 MiB; 1 KiB of payload follows, then nothing.
  const start = clientFrame({
    opcode: BINARY,
    payload: new Uint8Array(1024).fill(1),
    announcedLength: MIB16,
  });
  const receivers: Receiver[] = [];
  for (let i = 0; i < STALLERS; i++) {
    const receiver = quietReceiver(MIB16);
    receiver.push(start.slice());
    receivers.push(receiver);
  }
  const total = receivers.reduce((sum, r) => sum + r.bufferedCapacity, 0);
  console.log(
    `  ${STALLERS} stalled receivers hold ${total} bytes ` +
      `(${(total / STALLERS / 1024).toFixed(1)} KiB each)`,
  );
  assert.ok(total < STALLERS * 64 * 1024, `${total} bytes held`);
});

Deno.test("a fragment that announces 16 MiB reserves what arrived, not what it announced", () => {
  const receiver = quietReceiver(MIB16);
  receiver.push(clientFrame({ opcode: TEXT, fin: false, payload: "first " }));
  receiver.push(clientFrame({
    opcode: CONT,
    payload: new Uint8Array(1024).fill(0x61),
    announcedLength: MIB16 - 16,
  }));
  assert.ok(
    receiver.bufferedCapacity < 64 * 1024,
    `${receiver.bufferedCapacity} bytes held`,
  );
});

Deno.test("a split frame's buffer grows with what arrives and the message comes out whole", () => {
  const payload = new Uint8Array(300_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  const frame = clientFrame({ opcode: BINARY, payload });
  const recorder = new Recorder();
  const receiver = new Receiver(recorder, { maxMessage: 1 << 20 });
  const capacities: number[] = [];
  // The engine's reads: a small one, then 64 KiB ones.
  let at = 0;
  for (const size of [256, 65536, 65536, 65536, 65536, 65536]) {
    receiver.push(frame.slice(at, at + size));
    at += size;
    capacities.push(receiver.bufferedCapacity);
  }
  assert.deepEqual(recorder.events, [["message", BINARY, payload, false]]);
  // Never more than 32× what arrived (or the first 8 KiB), never beyond
  // the announced length; nothing held once the message is out.
  assert.ok(capacities[0] <= 8 * 1024, `${capacities}`);
  for (let i = 0; i < capacities.length - 1; i++) {
    assert.ok(capacities[i] <= Math.max(8 * 1024, 32 * (256 + 65536 * i)));
    assert.ok(capacities[i] <= payload.length);
  }
  // The whole length on the second read: no copy after it.
  assert.equal(capacities[1], payload.length);
  assert.equal(capacities.at(-1), 0);
});
