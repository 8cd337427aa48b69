/** Unit tests of the engine's HTTP/1.1 response bytes. */
import assert from "node:assert/strict";
import {
  acceptKey,
  errorBytes,
  latin1Bytes,
  REQUEST_TIMEOUT_BYTES,
  responseBytes,
  statusLine,
  switchingProtocols,
} from "../../lib/protocol/http1/response_writer.ts";

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);
const DATE =
  /^date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/m;

/** The response text with its (always present, time-dependent) Date line checked and removed. */
function withoutDate(bytes: Uint8Array): string {
  const wire = text(bytes);
  assert.match(wire, DATE);
  return wire.replace(DATE, "");
}

Deno.test("the accept key of RFC 6455 §1.3's example", () => {
  assert.equal(
    acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("the 101 of an accepted handshake, exactly", () => {
  assert.equal(
    text(switchingProtocols("dGhlIHNhbXBsZSBub25jZQ==")),
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "upgrade: websocket\r\n" +
      "connection: Upgrade\r\n" +
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
      "\r\n",
  );
  assert.equal(
    text(
      switchingProtocols("dGhlIHNhbXBsZSBub25jZQ==", {
        protocol: "chat",
        extensions: "permessage-deflate; server_no_context_takeover",
      }),
    ),
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "upgrade: websocket\r\n" +
      "connection: Upgrade\r\n" +
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
      "sec-websocket-protocol: chat\r\n" +
      "sec-websocket-extensions: permessage-deflate; server_no_context_takeover\r\n" +
      "\r\n",
  );
});

Deno.test("a 200 with a body: reason phrase, headers, Content-Length, body; kept alive", async () => {
  const response = new Response("héllo\n", {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
    },
  });
  const bytes = await responseBytes(response, { head: false, close: false });
  assert.equal(
    withoutDate(bytes),
    "HTTP/1.1 200 OK\r\n" +
      "cache-control: no-store\r\n" +
      "content-type: text/plain; charset=utf-8\r\n" +
      "content-length: 7\r\n" +
      "\r\n" +
      "h\xc3\xa9llo\n",
  );
});

Deno.test("Connection: close when we close; the Response's own framing fields are replaced", async () => {
  const response = new Response("abc", {
    status: 404,
    headers: {
      "content-length": "99",
      connection: "keep-alive",
      "keep-alive": "timeout=5",
    },
  });
  const bytes = await responseBytes(response, { head: false, close: true });
  assert.equal(
    withoutDate(bytes),
    "HTTP/1.1 404 Not Found\r\n" +
      "content-type: text/plain;charset=UTF-8\r\n" +
      "content-length: 3\r\n" +
      "connection: close\r\n" +
      "\r\n" +
      "abc",
  );
});

Deno.test("HEAD: a null body says no length; a body says its length but is not sent", async () => {
  const nullBody = await responseBytes(
    new Response(null, { headers: { "content-type": "text/html" } }),
    { head: true, close: false },
  );
  assert.equal(
    withoutDate(nullBody),
    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n",
  );

  const withBody = await responseBytes(
    new Response("Not Found\n", {
      status: 404,
      headers: { "content-type": "text/plain" },
    }),
    { head: true, close: false },
  );
  assert.equal(
    withoutDate(withBody),
    "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 10\r\n\r\n",
  );
});

Deno.test("no content for 204; Content-Length 0 for an empty or null GET body", async () => {
  const noContent = await responseBytes(new Response(null, { status: 204 }), {
    head: false,
    close: false,
  });
  assert.equal(withoutDate(noContent), "HTTP/1.1 204 No Content\r\n\r\n");
  const empty = await responseBytes(new Response(""), {
    head: false,
    close: false,
  });
  assert.equal(
    withoutDate(empty),
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\ncontent-length: 0\r\n\r\n",
  );
  const nullBody = await responseBytes(new Response(null), {
    head: false,
    close: false,
  });
  assert.equal(
    withoutDate(nullBody),
    "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
  );
});

Deno.test("statuses without a known phrase use the Response's statusText", async () => {
  assert.equal(statusLine(299, "Odd"), "HTTP/1.1 299 Odd");
  assert.equal(statusLine(299), "HTTP/1.1 299 ");
  assert.equal(statusLine(503, "ignored"), "HTTP/1.1 503 Service Unavailable");
  const bytes = await responseBytes(
    new Response(null, { status: 299, statusText: "Odd" }),
    {
      head: false,
      close: true,
    },
  );
  assert.match(text(bytes), /^HTTP\/1\.1 299 Odd\r\n/);
});

Deno.test("header values above U+007F go out as one byte each (ByteString)", async () => {
  const bytes = await responseBytes(
    new Response(null, { status: 204, headers: { "x-name": "caf\xe9" } }),
    { head: false, close: false },
  );
  assert.ok(text(bytes).includes("x-name: caf\xe9\r\n"));
  assert.deepEqual([...latin1Bytes("\xe9\xff")], [0xe9, 0xff]);
});

Deno.test("ready errors: exact bytes, and they always close", () => {
  assert.equal(
    text(errorBytes(400, "Malformed request line")),
    "HTTP/1.1 400 Bad Request\r\n" +
      "content-type: text/plain; charset=utf-8\r\n" +
      "content-length: 23\r\n" +
      "connection: close\r\n" +
      "\r\n" +
      "Malformed request line\n",
  );
  assert.equal(
    text(errorBytes(431, "Request head larger than 16384 bytes")),
    "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
      "content-type: text/plain; charset=utf-8\r\n" +
      "content-length: 37\r\n" +
      "connection: close\r\n" +
      "\r\n" +
      "Request head larger than 16384 bytes\n",
  );
  assert.equal(
    text(errorBytes(405, "Method Not Allowed", { allow: "GET, HEAD" })),
    "HTTP/1.1 405 Method Not Allowed\r\n" +
      "content-type: text/plain; charset=utf-8\r\n" +
      "allow: GET, HEAD\r\n" +
      "content-length: 19\r\n" +
      "connection: close\r\n" +
      "\r\n" +
      "Method Not Allowed\n",
  );
  assert.equal(
    text(REQUEST_TIMEOUT_BYTES),
    "HTTP/1.1 408 Request Timeout\r\n" +
      "content-type: text/plain; charset=utf-8\r\n" +
      "content-length: 34\r\n" +
      "connection: close\r\n" +
      "\r\n" +
      "Request head not received in time\n",
  );
});
