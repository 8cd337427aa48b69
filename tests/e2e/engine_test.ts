/**
 * The wsecho engine (`--engine wsecho`) over real sockets: the strict
 * twins of every "KNOWN DENO DEFECT" in conformance_test.ts, its own HTTP
 * side under bad input, permessage-deflate with the `ws` npm client, and
 * flow control against a client that does not read.
 */
import { BUN, DENO } from "../helpers/targets.ts";
import assert from "node:assert/strict";
import WebSocketClient from "ws";
import { MAIN, ROOT, runCli, startServer } from "../helpers/server.ts";
import {
  closeCodeOf,
  closePayload,
  frame,
  Opcode,
  RawClient,
} from "../helpers/raw_ws.ts";
import { handshakeHead, rawRequest } from "../helpers/raw_http.ts";
import {
  INVALID_UTF8,
  PROTOCOL_VIOLATIONS,
  type ProtocolViolation,
} from "../helpers/protocol_violations.ts";
import { connect, pattern, waitForHealth } from "../helpers/ws.ts";

const ENGINE = ["--engine", "wsecho"];
const encoder = new TextEncoder();

function startEngine(args: string[] = []) {
  return startServer(DENO, { args: [...ENGINE, ...args] });
}

/**
 * What Deno's built-in engine gets wrong, and the engine must get right:
 * every case the conformance suite asserts as a KNOWN DENO DEFECT, and two
 * more that it does not probe on every target.
 */
const STRICT_CASES: ProtocolViolation[] = [
  ...PROTOCOL_VIOLATIONS.filter((violation) => violation.defects?.deno),
  {
    name: "a close reason that is not UTF-8",
    send: (c) =>
      c.send({
        opcode: Opcode.close,
        payload: [0x03, 0xe8, ...INVALID_UTF8],
      }),
    expected: 1007,
  },
  {
    name: "a frame header announcing more than --max-message (no body sent)",
    send: async (c) => {
      // 127: a 64-bit length of 1 GiB; only the header and key are sent.
      await c.write(
        new Uint8Array([
          0x82,
          0xff,
          0,
          0,
          0,
          0,
          0x40,
          0,
          0,
          0,
          1,
          2,
          3,
          4,
        ]),
      );
    },
    expected: 1009,
  },
];

Deno.test("[deno-wsecho] bad input gets its RFC 6455 close frame, then TCP closes (strict twins of the KNOWN DENO DEFECTs)", async (t) => {
  await using server = await startEngine(["--max-message", "1MiB"]);
  for (const badInput of STRICT_CASES) {
    await t.step(`${badInput.name} → ${badInput.expected}`, async () => {
      using client = await RawClient.connect(server.port);
      await badInput.send(client);
      assert.deepEqual(await client.ending(1000), {
        closeCode: badInput.expected,
        tcpClosed: true,
        dataFrames: [],
      });
    });
  }
  await waitForHealth(server.http, (h) => h.clients === 0);
});

Deno.test("[deno-wsecho] all frames of one write are echoed, in order, text as the same bytes", async () => {
  await using server = await startEngine();
  using client = await RawClient.connect(server.port);
  const texts = ["a", "ü€𝄞", "x".repeat(200), "y".repeat(70_000)];
  const bytes = texts.map((text) =>
    frame({ opcode: Opcode.text, payload: text })
  );
  const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  bytes.reduce((at, b) => (all.set(b, at), at + b.length), 0);
  await client.write(all);
  for (const text of texts) {
    const echoed = await client.next();
    assert.equal(echoed?.opcode, Opcode.text);
    assert.equal(echoed?.masked, false);
    assert.deepEqual(echoed?.payload, encoder.encode(text));
  }
  // A ping in the middle of a fragmented message is answered in place.
  await client.send({ opcode: Opcode.binary, fin: false, payload: [1, 2] });
  await client.send({ opcode: Opcode.ping, payload: "mid" });
  await client.send({ opcode: Opcode.continuation, payload: [3] });
  assert.equal((await client.next())?.opcode, Opcode.pong);
  assert.deepEqual((await client.next())?.payload, new Uint8Array([1, 2, 3]));
  await client.send({ opcode: Opcode.close, payload: closePayload(1000) });
  const reply = await client.next();
  assert.equal(closeCodeOf(reply!), 1000);
  assert.ok(await client.closedWithin(2000));
});

Deno.test("[deno-wsecho] HTTP: routes, pipelined requests, a request split byte by byte, garbage, 431, 408, while another client is echoed", async (t) => {
  await using server = await startEngine(["--handshake-timeout", "1"]);
  await using steady = await connect(server.url);
  const health = await (await fetch(`${server.http}/healthz`)).json();
  assert.equal(health.engine, "wsecho");
  assert.equal((await fetch(`${server.http}/nope`)).status, 404);
  const post = await fetch(`${server.http}/healthz`, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();

  await t.step(
    "two pipelined requests get two responses, in order",
    async () => {
      using client = await RawClient.open(server.port);
      await client.write(encoder.encode(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
      ));
      assert.equal((await readResponse(client)).status, 200);
      assert.equal((await readResponse(client)).status, 404);
    },
  );

  await t.step("a handshake split byte by byte is upgraded", async () => {
    using client = await RawClient.open(server.port);
    await client.trickle(encoder.encode(handshakeHead()), 0);
    assert.equal((await client.readResponseHead()).status, 101);
    await client.send({ opcode: Opcode.text, payload: "after trickle" });
    assert.deepEqual(
      (await client.next())?.payload,
      encoder.encode("after trickle"),
    );
  });

  await t.step("garbage gets 400 and the connection closes", async () => {
    using client = await RawClient.open(server.port);
    await client.write(encoder.encode("\x16\x03\x01 not http at all\r\n\r\n"));
    assert.equal((await client.readResponseHead()).status, 400);
    assert.ok(await client.closedWithin(2000));
  });

  await t.step("a head over 16 KiB gets 431", async () => {
    const response = await rawRequest(
      server.port,
      handshakeHead({ "X-Big": "b".repeat(20_000) }),
    );
    assert.equal(response.status, 431);
  });

  await t.step(
    "a head that never ends gets 408 after --handshake-timeout",
    async () => {
      using client = await RawClient.open(server.port);
      await client.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n"));
      const started = Date.now();
      // Generous for a busy machine: only "not before the timeout" is timed.
      assert.equal((await client.readResponseHead(10_000)).status, 408);
      assert.ok(Date.now() - started >= 700, "not before the timeout");
      assert.ok(await client.closedWithin(3000));
    },
  );

  await t.step(
    "a request, a handshake and a first frame in one write: 200, 101, the echo",
    async () => {
      using client = await RawClient.open(server.port);
      const first = frame({ opcode: Opcode.text, payload: "right behind" });
      const heads = encoder.encode(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + handshakeHead(),
      );
      const all = new Uint8Array(heads.length + first.length);
      all.set(heads);
      all.set(first, heads.length);
      await client.write(all);
      assert.equal((await readResponse(client)).status, 200);
      assert.equal((await client.readResponseHead()).status, 101);
      assert.deepEqual(
        (await client.next())?.payload,
        encoder.encode("right behind"),
      );
    },
  );

  await t.step(
    "a head trickled a byte per 100 ms gets 408 at --handshake-timeout: the limit is for the whole head",
    async () => {
      using client = await RawClient.open(server.port);
      const head = encoder.encode(handshakeHead());
      const started = Date.now();
      const trickling = (async () => {
        for (let i = 0; i < head.length && !client.ended; i++) {
          await client.write(head.subarray(i, i + 1));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })().catch(() => {/* closed on us: that is the point */});
      // The whole head takes head.length × 100 ms (over 10 s) to trickle
      // in: a timer restarted by each byte would answer 101 after that. So
      // a 408 well before the head is done proves the limit is for the
      // whole head, without a tight upper bound that a busy machine breaks.
      const trickleMs = head.length * 100;
      assert.equal(
        (await client.readResponseHead(trickleMs / 2)).status,
        408,
      );
      const after = Date.now() - started;
      assert.ok(
        after >= 700 && after < trickleMs / 2,
        `408 after ${after} ms`,
      );
      assert.ok(await client.closedWithin(3000));
      await trickling;
    },
  );

  await t.step(
    "an HTTP/2.0 request line gets 505 and the connection closes",
    async () => {
      using client = await RawClient.open(server.port);
      await client.write(encoder.encode("GET / HTTP/2.0\r\nHost: x\r\n\r\n"));
      assert.equal((await client.readResponseHead()).status, 505);
      assert.ok(await client.closedWithin(2000));
    },
  );

  assert.equal(await steady.echo("still here"), "still here");
});

Deno.test("[deno-wsecho] permessage-deflate with the ws client: text and binary echoed, a bomb closed with 1009", async () => {
  await using server = await startEngine([
    "--permessage-deflate",
    "--max-message",
    "64KiB",
  ]);
  const ws = new WebSocketClient(server.url, { perMessageDeflate: true });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  assert.match(ws.extensions, /permessage-deflate/);
  const next = () =>
    new Promise<{ data: Uint8Array; binary: boolean }>((resolve) =>
      ws.once(
        "message",
        (data: Uint8Array, binary: boolean) =>
          resolve({ data: new Uint8Array(data), binary }),
      )
    );
  for (const text of ["short", "compress me ".repeat(500), "ü€𝄞".repeat(100)]) {
    const echoed = next();
    ws.send(text);
    const { data, binary } = await echoed;
    assert.equal(binary, false);
    assert.equal(new TextDecoder().decode(data), text);
  }
  const bytes = pattern(40_000);
  const echoed = next();
  ws.send(bytes);
  assert.deepEqual((await echoed).data, bytes);
  // 1 MiB of zeros deflates to about 1 KiB, inflates past the 64 KiB limit.
  const closed = new Promise<number>((resolve) =>
    ws.once("close", (code: number) => resolve(code))
  );
  ws.send(new Uint8Array(1024 * 1024), { compress: true });
  assert.equal(await closed, 1009);
  await waitForHealth(server.http, (h) => h.clients === 0);
});

Deno.test("[deno-wsecho] a client that does not read is stopped being read, dropped with 1008 after --idle-timeout; others are echoed meanwhile", async () => {
  await using server = await startEngine(["--idle-timeout", "2"]);
  await using steady = await connect(server.url);
  using stuck = await RawClient.connect(server.port);
  stuck.pauseReading();
  // Far more than the kernel's buffers hold: the echoes back up.
  const chunk = frame({ opcode: Opcode.binary, payload: pattern(60_000) });
  const writing = (async () => {
    for (let i = 0; i < 400; i++) await stuck.write(chunk);
  })().catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (let i = 0; i < 5; i++) {
    assert.equal(await steady.echo(`echo ${i}`), `echo ${i}`);
  }
  const refusal = await server.waitForLog("closed with 1008", 6000);
  assert.match(String(refusal.message), /not reading/);
  await writing;
  await waitForHealth(server.http, (h) => h.clients === 1);
  // The server's memory stayed bounded: it stopped reading the client, so
  // the 24 MB sent mostly never left the kernel.
  const health = await (await fetch(`${server.http}/healthz`)).json();
  assert.ok(
    health.bytesIn.binary < 24_000_000 / 2,
    `read ${health.bytesIn.binary} bytes of a client that never read`,
  );
});

async function readResponse(client: RawClient) {
  const head = await client.readResponseHead();
  const length = Number(head.headers.get("content-length") ?? 0);
  await client.take(length);
  return head;
}

Deno.test("--engine wsecho is a usage error on Bun and under deno serve, and named in the start-up line on deno run", async () => {
  const bun = await runCli(BUN, ["--engine", "wsecho", "--port", "0"]);
  assert.equal(bun.code, 2);
  assert.match(
    bun.stderr,
    /^wsecho: --engine wsecho runs on Deno only; Bun's built-in engine is already strict/,
  );
  const serve = await new Deno.Command("deno", {
    args: ["serve", "-A", "--port", "0", MAIN, "--engine", "wsecho"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  assert.equal(serve.code, 2);
  assert.match(
    new TextDecoder().decode(serve.stderr),
    /--engine wsecho cannot be used under 'deno serve' \(Deno listens there\); use 'deno run'/,
  );
  await using server = await startEngine();
  const start = await server.waitForLog("listening on");
  assert.equal(start.properties.engine, "wsecho");
});

/**
 * One HTTP/1.1 response off the front of `bytes`: its status, head and
 * body (by Content-Length), or undefined if `bytes` does not start with a
 * whole response.
 */
function nextResponse(bytes: Uint8Array):
  | { status: number; head: string; body: Uint8Array; size: number }
  | undefined {
  const text = new TextDecoder("latin1").decode(
    bytes.subarray(0, Math.min(bytes.length, 4096)),
  );
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = text.slice(0, end);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  const size = end + 4 + length;
  if (bytes.length < size) return undefined;
  return { status, head, body: bytes.slice(end + 4, size), size };
}

Deno.test("[deno-wsecho] a response still being written when --handshake-timeout passes is never interleaved with a 408", async () => {
  await using server = await startEngine(["--handshake-timeout", "1"]);
  const page = new Uint8Array(await (await fetch(`${server.http}/`)).bytes());
  // Enough pipelined requests that their responses fill the socket buffers
  // of a client that does not read: the server's write then waits past
  // the handshake timeout.
  const count = Math.ceil(16 * 1024 * 1024 / page.length);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(
      encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count)),
    );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // Read all until the server ends the connection (a 408 once every
    // response is out and the client has been silent for 1 s).
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buffer = new Uint8Array(256 * 1024);
    const deadline = setTimeout(() => conn.close(), 20_000);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
        total += n;
      }
    } finally {
      clearTimeout(deadline);
    }
    let bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const statuses: number[] = [];
    for (;;) {
      const response = nextResponse(bytes);
      if (response === undefined) break;
      statuses.push(response.status);
      if (response.status === 200) {
        assert.deepEqual(response.body, page, `response ${statuses.length}`);
      }
      bytes = bytes.subarray(response.size);
    }
    assert.equal(bytes.length, 0, "nothing but whole responses");
    const ok = statuses.filter((status) => status === 200).length;
    assert.equal(ok, count, `${ok} of ${count} answered before: ${statuses}`);
    assert.deepEqual(statuses.slice(count), [408], "one 408, at the end");
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
});
