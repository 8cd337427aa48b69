/** Unit tests: a parsed request head as a `Request` and as a `RequestView`. */
import assert from "node:assert/strict";
import {
  requestOf,
  type RequestProblem,
  type RequestView,
  viewOf,
} from "../../lib/http/request_view.ts";
import {
  type RequestHead,
  RequestHeadParser,
} from "../../lib/protocol/http1/request_parser.ts";

function parse(text: string): RequestHead {
  const result = new RequestHeadParser().push(new TextEncoder().encode(text));
  if (result.kind !== "head") throw new Error(JSON.stringify(result));
  return result.head;
}

function asRequest(value: Request | RequestProblem): Request {
  assert.ok(value instanceof Request, JSON.stringify(value));
  return value;
}

function asView(value: RequestView | RequestProblem): RequestView {
  assert.ok(!("status" in value), JSON.stringify(value));
  return value as RequestView;
}

const HANDSHAKE = "GET /chat?room=1 HTTP/1.1\r\n" +
  "Host: example.com:8080\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: keep-alive\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "Sec-WebSocket-Protocol: chat, superchat\r\n" +
  "X-Latin1: caf\xe9\r\n" +
  "\r\n";

Deno.test("requestOf: URL from Host and target, method, every header", () => {
  const request = asRequest(requestOf(parse(HANDSHAKE), "127.0.0.1:1", false));
  assert.equal(request.url, "http://example.com:8080/chat?room=1");
  assert.equal(request.method, "GET");
  assert.equal(request.headers.get("upgrade"), "websocket");
  // Repeated fields joined, as Deno.serve and Bun.serve hand them over.
  assert.equal(request.headers.get("connection"), "keep-alive, Upgrade");
  assert.equal(
    request.headers.get("sec-websocket-key"),
    "dGhlIHNhbXBsZSBub25jZQ==",
  );
});

Deno.test("the view answers every header look-up as the Request does", () => {
  const head = parse(HANDSHAKE);
  const request = asRequest(requestOf(head, "127.0.0.1:1", false));
  const view = asView(viewOf(head, "127.0.0.1:1", false));
  assert.equal(view.url, request.url);
  assert.equal(view.method, request.method);
  for (
    const name of [
      "Host",
      "upgrade",
      "CONNECTION",
      "Sec-WebSocket-Key",
      "sec-websocket-version",
      "sec-websocket-protocol",
      "x-latin1",
      "origin",
      "content-length",
    ]
  ) {
    assert.equal(view.headers.get(name), request.headers.get(name), name);
    assert.equal(view.headers.has(name), request.headers.has(name), name);
  }
});

Deno.test("https for TLS; our own address for an HTTP/1.0 request without Host", () => {
  const tls = asRequest(requestOf(parse(HANDSHAKE), "127.0.0.1:1", true));
  assert.equal(tls.url, "https://example.com:8080/chat?room=1");
  const old = parse("GET /healthz HTTP/1.0\r\n\r\n");
  assert.equal(
    asRequest(requestOf(old, "127.0.0.1:8443", true)).url,
    "https://127.0.0.1:8443/healthz",
  );
  assert.equal(
    asView(viewOf(old, "[::1]:80", false)).url,
    "http://[::1]:80/healthz",
  );
});

Deno.test("absolute-form: the target's authority wins over Host (RFC 9112 §3.2.2)", () => {
  const head = parse(
    "GET http://other.example/metrics HTTP/1.1\r\nHost: example.com\r\n\r\n",
  );
  assert.equal(
    asRequest(requestOf(head, "x", false)).url,
    "http://other.example/metrics",
  );
  assert.equal(
    asView(viewOf(head, "x", false)).url,
    "http://other.example/metrics",
  );
});

Deno.test("a Host no URL can hold is a 400, not an exception", () => {
  for (const host of ["example.com:99999", "a%zz"]) {
    const head = parse(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.deepEqual(requestOf(head, "x", false), {
      status: 400,
      message: "Invalid Host",
    });
    assert.deepEqual(viewOf(head, "x", false), {
      status: 400,
      message: "Invalid Host",
    });
  }
});

Deno.test("methods a Request cannot carry are a 405 from requestOf; the view keeps them as sent", () => {
  for (const method of ["TRACE", "CONNECT", "track", "get", "Post"]) {
    const head = parse(`${method} / HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.deepEqual(requestOf(head, "x", false), {
      status: 405,
      message: "Method Not Allowed",
      headers: { allow: "GET, HEAD" },
    }, method);
    assert.equal(asView(viewOf(head, "x", false)).method, method);
  }
  for (const method of ["PATCH", "FOO", "OPTIONS"]) {
    const head = parse(`${method} / HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.equal(asRequest(requestOf(head, "x", false)).method, method);
  }
});
