/**
 * HTTP/1.1 responses as bytes, for our own engine which writes to raw
 * TCP/TLS: a `Response` from the runtime-agnostic handler serialized
 * (status line, headers, `Content-Length`, `Connection: close`, no body for
 * HEAD), the 101 of an accepted WebSocket handshake, and the ready-made
 * errors the engine sends before any handler runs (400, 408, 431, 505).
 */
import { createHash } from "node:crypto";

// Above every use: `REQUEST_TIMEOUT_BYTES` is built when the module loads.
const encoder = new TextEncoder();

/** RFC 9110 §15 reason phrases of the statuses a server like ours sends. */
const REASONS: Readonly<Record<number, string>> = {
  101: "Switching Protocols",
  200: "OK",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/** `HTTP/1.1 404 Not Found`; the phrase may be empty (RFC 9112 §4). */
export function statusLine(status: number, statusText = ""): string {
  return `HTTP/1.1 ${status} ${REASONS[status] ?? statusText}`;
}

/** How the response is framed on this connection. */
export interface ResponseFraming {
  /** The request was HEAD: headers as for GET, no body. */
  readonly head: boolean;
  /** We close the connection after this response. */
  readonly close: boolean;
}

/** Framing fields we set ourselves, whatever the `Response` carries. */
const OWN_FIELDS = new Set([
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "date",
]);

/**
 * The whole response as bytes. Reading the body is asynchronous (a
 * `Response` offers no other way); the plain routes' bodies are small
 * strings, so it is read whole. A body of unknown kind is read whole too:
 * nothing here streams.
 */
export async function responseBytes(
  response: Response,
  framing: ResponseFraming,
): Promise<Uint8Array> {
  const { status } = response;
  // RFC 9110 §6.4.1: 1xx, 204 and 304 never have content.
  const bodiless = status < 200 || status === 204 || status === 304;
  const body = bodiless || response.body === null
    ? undefined
    : new Uint8Array(await response.arrayBuffer());
  let head = statusLine(status, response.statusText) + "\r\n";
  for (const [name, value] of response.headers) {
    if (!OWN_FIELDS.has(name)) head += `${name}: ${value}\r\n`;
  }
  head += `date: ${httpDate()}\r\n`;
  // A HEAD answered without a body says nothing of its length: RFC 9110
  // §8.6 allows leaving it out, and a wrong one is worse than none.
  if (body !== undefined) head += `content-length: ${body.length}\r\n`;
  else if (!bodiless && !framing.head) head += "content-length: 0\r\n";
  if (framing.close) head += "connection: close\r\n";
  head += "\r\n";
  const headBytes = latin1Bytes(head);
  if (body === undefined || framing.head || body.length === 0) return headBytes;
  const bytes = new Uint8Array(headBytes.length + body.length);
  bytes.set(headBytes);
  bytes.set(body, headBytes.length);
  return bytes;
}

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key +
 * GUID)). node:crypto's `createHash` is synchronous: on Deno 2.9.6
 * (`deno bench`, shared 2-core machine) it took 0.8–1.1 µs a key, against
 * 10 µs at best and ~75 µs on average for `crypto.subtle.digest` + `btoa`,
 * whose promise also waits for a turn of the event loop.
 */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
}

/** What the 101 answers beyond the accept key. */
export interface UpgradeAnswer {
  /** The chosen `Sec-WebSocket-Protocol`, if any. */
  readonly protocol?: string;
  /** The negotiated `Sec-WebSocket-Extensions` value, if any. */
  readonly extensions?: string;
}

/** The 101 Switching Protocols of an accepted handshake. */
export function switchingProtocols(
  key: string,
  { protocol, extensions }: UpgradeAnswer = {},
): Uint8Array {
  let head = "HTTP/1.1 101 Switching Protocols\r\n" +
    "upgrade: websocket\r\nconnection: Upgrade\r\n" +
    `sec-websocket-accept: ${acceptKey(key)}\r\n`;
  if (protocol !== undefined) head += `sec-websocket-protocol: ${protocol}\r\n`;
  if (extensions !== undefined) {
    head += `sec-websocket-extensions: ${extensions}\r\n`;
  }
  return latin1Bytes(head + "\r\n");
}

/**
 * A plain-text error that ends the connection, for what the engine answers
 * itself: a head it could not parse (400, 431, 505) or one that did not
 * arrive in time (408).
 */
export function errorBytes(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Uint8Array {
  const body = encoder.encode(message + "\n");
  let head = statusLine(status) + "\r\n" +
    "content-type: text/plain; charset=utf-8\r\n";
  for (const [name, value] of Object.entries(headers)) {
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  const headBytes = latin1Bytes(head);
  const bytes = new Uint8Array(headBytes.length + body.length);
  bytes.set(headBytes);
  bytes.set(body, headBytes.length);
  return bytes;
}

/** The 408 for a head that did not arrive within the handshake timeout. */
export const REQUEST_TIMEOUT_BYTES = errorBytes(
  408,
  "Request head not received in time",
);

/** RFC 1123 date for the `Date` field, formatted once a second. */
let dateSecond = -1;
let dateText = "";
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/**
 * A header block as bytes, one byte per character: `Headers` hold
 * ByteStrings (U+0000–U+00FF), which UTF-8 would turn into two bytes each
 * above U+007F. ASCII, the usual case, goes through the native encoder.
 */
export function latin1Bytes(text: string): Uint8Array {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return encoder.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}
