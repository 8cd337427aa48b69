/** Unit tests of the engine's incremental HTTP/1.1 request-head parser. */
import assert from "node:assert/strict";
import {
  DEFAULT_HEAD_LIMITS,
  type HeadParse,
  type RequestHead,
  RequestHeadParser,
} from "../../lib/protocol/http1/request_parser.ts";

const encode = (text: string) => new TextEncoder().encode(text);

const HANDSHAKE = "GET /chat?room=1 HTTP/1.1\r\n" +
  "Host: 127.0.0.1:8080\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "\r\n";

function head(result: HeadParse): RequestHead & { consumed: number } {
  assert.equal(result.kind, "head", JSON.stringify(result));
  if (result.kind !== "head") throw new Error("unreachable");
  return { ...result.head, consumed: result.consumed };
}

/** The status of the error that `text`, sent in one chunk, ends in. */
function statusOf(text: string, parser = new RequestHeadParser()): number {
  const result = parser.push(encode(text));
  assert.equal(
    result.kind,
    "error",
    `expected an error for ${JSON.stringify(text)}`,
  );
  return result.kind === "error" ? result.error.status : 0;
}

function expectHandshake(parsed: RequestHead) {
  assert.equal(parsed.method, "GET");
  assert.equal(parsed.target, "/chat?room=1");
  assert.equal(parsed.minorVersion, 1);
  assert.equal(parsed.host, "127.0.0.1:8080");
  assert.deepEqual(parsed.names, [
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
  ]);
  assert.deepEqual(parsed.values, [
    "127.0.0.1:8080",
    "websocket",
    "Upgrade",
    "dGhlIHNhbXBsZSBub25jZQ==",
    "13",
  ]);
  assert.equal(parsed.keepAlive, true);
  assert.equal(parsed.hasBody, false);
}

Deno.test("a WebSocket handshake in one chunk: fields lower-cased, values trimmed", () => {
  const parsed = head(new RequestHeadParser().push(encode(HANDSHAKE)));
  expectHandshake(parsed);
  assert.equal(parsed.consumed, HANDSHAKE.length);
});

Deno.test("a head split in two at every byte parses the same", () => {
  const bytes = encode(HANDSHAKE);
  for (let split = 1; split < bytes.length; split++) {
    const parser = new RequestHeadParser();
    assert.equal(parser.push(bytes.subarray(0, split)).kind, "partial");
    assert.equal(parser.pending, split);
    const parsed = head(parser.push(bytes.subarray(split)));
    expectHandshake(parsed);
    assert.equal(parsed.consumed, bytes.length - split, `split at ${split}`);
    assert.equal(parser.pending, 0);
  }
});

Deno.test("a head sent one byte at a time ends at its last byte", () => {
  const bytes = encode(HANDSHAKE);
  const parser = new RequestHeadParser();
  for (let i = 0; i < bytes.length - 1; i++) {
    assert.equal(
      parser.push(bytes.subarray(i, i + 1)).kind,
      "partial",
      `byte ${i}`,
    );
  }
  const parsed = head(parser.push(bytes.subarray(bytes.length - 1)));
  expectHandshake(parsed);
  assert.equal(parsed.consumed, 1);
});

const PIPELINED = [
  "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
  "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
  "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
];

/** Reads every head of `chunks`, pushing the rest of a chunk after each. */
function readAll(
  chunks: Uint8Array[],
): { heads: RequestHead[]; rest: number[] } {
  const parser = new RequestHeadParser();
  const heads: RequestHead[] = [];
  const rest: number[] = [];
  for (let chunk of chunks) {
    while (chunk.length > 0) {
      const result = parser.push(chunk);
      if (result.kind === "partial") break;
      if (result.kind === "error") throw new Error(result.error.message);
      heads.push(result.head);
      chunk = chunk.subarray(result.consumed);
      // After the last head, what follows is not a request (frames).
      if (heads.length === PIPELINED.length) {
        rest.push(...chunk);
        break;
      }
    }
  }
  return { heads, rest };
}

function expectPipelined(heads: RequestHead[]) {
  assert.deepEqual(heads.map((h) => `${h.method} ${h.target}`), [
    "GET /healthz",
    "HEAD /",
    "GET /metrics",
  ]);
  assert.deepEqual(heads.map((h) => h.keepAlive), [true, true, false]);
}

Deno.test("pipelined heads in one chunk come out one by one, the rest untouched", () => {
  const bytes = new Uint8Array([...encode(PIPELINED.join("")), 0x81, 0x85]);
  const { heads, rest } = readAll([bytes]);
  expectPipelined(heads);
  assert.deepEqual(rest, [0x81, 0x85]);
});

Deno.test("pipelined heads split at every byte", () => {
  const bytes = encode(PIPELINED.join(""));
  for (let split = 1; split < bytes.length; split++) {
    const { heads } = readAll([
      bytes.subarray(0, split),
      bytes.subarray(split),
    ]);
    expectPipelined(heads);
  }
});

Deno.test("empty lines before a request line are skipped (RFC 9112 §2.2)", () => {
  const text = "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const parsed = head(new RequestHeadParser().push(encode(text + "GET")));
  assert.equal(parsed.target, "/");
  assert.equal(parsed.consumed, text.length);
});

Deno.test("bare LF line ends are accepted (RFC 9112 §2.2)", () => {
  const text = "GET /x HTTP/1.1\nHost: a\r\nUpgrade: websocket\n\r\n";
  const parsed = head(new RequestHeadParser().push(encode(text + "\n")));
  assert.deepEqual(parsed.names, ["host", "upgrade"]);
  assert.deepEqual(parsed.values, ["a", "websocket"]);
  assert.equal(parsed.consumed, text.length);
});

const MALFORMED: [string, string, number][] = [
  ["no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400],
  ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
  ["Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400],
  ["Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400],
  [
    "double space in the request line",
    "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    400,
  ],
  [
    "trailing space in the request line",
    "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
    400,
  ],
  ["HTTP/0.9 request line", "GET /\r\nHost: a\r\n\r\n", 400],
  ["garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400],
  ["lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n", 400],
  ["version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400],
  ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505],
  ["method with a separator", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
  ["relative target", "GET chat HTTP/1.1\r\nHost: a\r\n\r\n", 400],
  ["asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400],
  ["fragment in the target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400],
  ["DEL in the target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400],
  ["non-ASCII in the target", "GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400],
  ["space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
  ["space inside a name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n\r\n", 400],
  ["empty name", "GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 400],
  ["line without colon", "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 400],
  ["obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", 400],
  [
    "obs-fold with a tab",
    "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n",
    400,
  ],
  ["NUL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x002\r\n\r\n", 400],
  [
    "control character in a value",
    "GET / HTTP/1.1\r\nHost: a\r\nX-A: \x01\r\n\r\n",
    400,
  ],
  ["DEL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \x7f\r\n\r\n", 400],
  ["bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r2\r\n\r\n", 400],
  [
    "bare CR before the request line",
    "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    400,
  ],
  [
    "Content-Length not a number",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
    400,
  ],
  [
    "negative Content-Length",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    400,
  ],
  [
    "Content-Length list",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n",
    400,
  ],
  [
    "conflicting Content-Length fields",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    400,
  ],
  [
    "GET with a body",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
    400,
  ],
  [
    "chunked body on GET",
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    400,
  ],
  [
    "chunked body on HEAD",
    "HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    400,
  ],
  [
    "Transfer-Encoding and Content-Length",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    400,
  ],
  [
    "Transfer-Encoding not ending in chunked",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    400,
  ],
  [
    "Transfer-Encoding in HTTP/1.0",
    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    400,
  ],
  [
    "WebSocket handshake over HTTP/1.0",
    "GET / HTTP/1.0\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n",
    400,
  ],
];

for (const [name, text, status] of MALFORMED) {
  Deno.test(`malformed head → ${status}: ${name}`, () => {
    assert.equal(statusOf(text), status);
    // Split byte by byte, the same answer.
    const parser = new RequestHeadParser();
    let result: HeadParse = { kind: "partial" };
    for (const byte of encode(text)) {
      result = parser.push(new Uint8Array([byte]));
      if (result.kind !== "partial") break;
    }
    assert.equal(result.kind === "error" && result.error.status, status);
  });
}

Deno.test("after an error every push returns it again", () => {
  const parser = new RequestHeadParser();
  const first = parser.push(encode("GET / HTTP/1.1\r\n\r\n"));
  assert.equal(first.kind, "error");
  assert.equal(parser.push(encode(HANDSHAKE)), first);
});

Deno.test("accepted edge cases: identical Content-Length, Content-Length 0 on GET, HTTP/1.0 without Host", () => {
  const postHead =
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n";
  const post = head(new RequestHeadParser().push(encode(postHead + "abc")));
  assert.equal(post.hasBody, true);
  // Its body is never read: the connection must close after the answer.
  assert.equal(post.keepAlive, false);
  assert.equal(post.consumed, postHead.length);

  const get = head(
    new RequestHeadParser().push(
      encode("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
    ),
  );
  assert.equal(get.hasBody, false);
  assert.equal(get.keepAlive, true);

  const old = head(
    new RequestHeadParser().push(encode("GET / HTTP/1.0\r\n\r\n")),
  );
  assert.equal(old.minorVersion, 0);
  assert.equal(old.host, undefined);
  assert.equal(old.keepAlive, false);

  const newer = head(
    new RequestHeadParser().push(
      encode("GET / HTTP/1.2\r\nHost: [::1]:80\r\n\r\n"),
    ),
  );
  assert.equal(newer.minorVersion, 1);
  assert.equal(newer.host, "[::1]:80");

  const chunked = head(
    new RequestHeadParser().push(
      encode(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n",
      ),
    ),
  );
  assert.equal(chunked.hasBody, true);
  assert.equal(chunked.keepAlive, false);

  const latin1 = head(
    new RequestHeadParser().push(
      encode("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9\r\n\r\n"),
    ),
  );
  // One UTF-8 é is two bytes, each one latin1 character (obs-text).
  assert.equal(latin1.values[1], "caf\xc3\xa9");
});

Deno.test("Connection: close (any case, in a list) ends keep-alive", () => {
  for (
    const value of ["close", "Close", "keep-alive, CLOSE", "upgrade,close"]
  ) {
    const parsed = head(
      new RequestHeadParser().push(
        encode(`GET / HTTP/1.1\r\nHost: a\r\nConnection: ${value}\r\n\r\n`),
      ),
    );
    assert.equal(parsed.keepAlive, false, value);
  }
  const parsed = head(
    new RequestHeadParser().push(
      encode("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n"),
    ),
  );
  assert.equal(parsed.keepAlive, true);
});

/** A head of exactly `size` bytes, padded with one header field. */
function headOfSize(size: number): string {
  const start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
  const end = "\r\n\r\n";
  return start + "p".repeat(size - start.length - end.length) + end;
}

Deno.test("a head of exactly the size limit passes; one byte more is a 431", () => {
  const limit = DEFAULT_HEAD_LIMITS.maxHeadBytes;
  assert.equal(limit, 16 * 1024);
  assert.equal(
    head(new RequestHeadParser().push(encode(headOfSize(limit)))).consumed,
    limit,
  );
  assert.equal(statusOf(headOfSize(limit + 1)), 431);

  // Also when the bytes come in small pieces, and as soon as they pass it.
  const parser = new RequestHeadParser();
  const bytes = encode(headOfSize(limit + 1000));
  let at = 0;
  let result: HeadParse = { kind: "partial" };
  while (result.kind === "partial") {
    result = parser.push(bytes.subarray(at, at + 100));
    at += 100;
  }
  assert.equal(result.kind === "error" && result.error.status, 431);
  assert.equal(at, limit - (limit % 100) + 100);
});

Deno.test("a head that never ends is a 431 at the limit, not a buffer without bound", () => {
  const parser = new RequestHeadParser({ maxHeadBytes: 64, maxHeaders: 10 });
  assert.equal(parser.push(encode("GET /" + "a".repeat(58))).kind, "partial");
  assert.equal(parser.pending, 63);
  const result = parser.push(encode("aa"));
  assert.equal(result.kind === "error" && result.error.status, 431);
  assert.equal(parser.pending, 0);
  // Endless empty lines count too.
  assert.equal(
    statusOf(
      "\r\n".repeat(40),
      new RequestHeadParser({ maxHeadBytes: 64, maxHeaders: 10 }),
    ),
    431,
  );
});

Deno.test("too many header fields is a 431", () => {
  const fields = (n: number) =>
    "GET / HTTP/1.1\r\nHost: a\r\n" +
    Array.from({ length: n - 1 }, (_, i) => `X-${i}: ${i}\r\n`).join("") +
    "\r\n";
  const max = DEFAULT_HEAD_LIMITS.maxHeaders;
  assert.equal(
    head(new RequestHeadParser().push(encode(fields(max)))).names.length,
    max,
  );
  assert.equal(statusOf(fields(max + 1)), 431);
});

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("random and mutated bytes, split at random, never throw", () => {
  const next = random(12);
  const valid = encode(HANDSHAKE + PIPELINED.join(""));
  const alphabet = encode(" :\r\n\t\x00\x7f\xffHhGET/1.");
  for (let round = 0; round < 3000; round++) {
    let bytes: Uint8Array;
    if (round % 2 === 0) {
      bytes = valid.slice();
      const mutations = 1 + Math.floor(next() * 4);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = next() < 0.5
          ? alphabet[Math.floor(next() * alphabet.length)]
          : Math.floor(next() * 256);
      }
    } else {
      bytes = new Uint8Array(Math.floor(next() * 300));
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = next() < 0.6
          ? alphabet[Math.floor(next() * alphabet.length)]
          : Math.floor(next() * 256);
      }
    }
    const parser = new RequestHeadParser({ maxHeadBytes: 256, maxHeaders: 8 });
    let at = 0;
    while (at < bytes.length) {
      const size = 1 + Math.floor(next() * 40);
      const chunk = bytes.subarray(at, at + size);
      const result = parser.push(chunk);
      if (result.kind === "error") {
        assert.ok([400, 431, 505].includes(result.error.status));
        break;
      }
      if (result.kind === "head") {
        assert.ok(result.consumed > 0 && result.consumed <= chunk.length);
        at += result.consumed;
      } else at += chunk.length;
    }
  }
});
