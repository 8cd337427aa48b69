/**
 * An incremental HTTP/1.1 request-head parser (RFC 9112 §2–§6) for our own
 * engine, which reads raw TCP/TLS: bytes go in as they arrive, split
 * anywhere, and out comes either a parsed head with the number of bytes of
 * the last chunk it used (the rest is the next pipelined request, or the
 * first WebSocket frames), or an error with the status to answer before
 * closing. It never throws, whatever the bytes.
 *
 * Strict where leniency has caused request smuggling or header injection
 * elsewhere (obs-fold, whitespace before the colon, bare CR, conflicting
 * Content-Length, Transfer-Encoding not ending in chunked, several Host
 * fields); lenient only where RFC 9112 allows it and clients rely on it (a
 * bare LF as line end, §2.2; empty lines before the request line, §2.2).
 *
 * We serve no request bodies: GET and HEAD (the only methods with routes)
 * must not announce one (400), and any other request that does is answered
 * and then the connection is closed (`keepAlive` is false), since its body
 * is never read.
 */

/**
 * Bounds on one request head. 16 KiB is Node's default
 * `--max-http-header-size` (nginx allows 8 KiB per line, 32 KiB in all):
 * a browser's WebSocket handshake is 400–600 bytes, a few KiB with cookies,
 * and the bound is what a connection may hold before it is either upgraded
 * or answered. 100 fields is Apache's `LimitRequestFields`; a handshake has
 * about a dozen.
 */
export interface HeadLimits {
  /** Most bytes of a head, request line and final empty line included. */
  readonly maxHeadBytes: number;
  /** Most header field lines. */
  readonly maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = {
  maxHeadBytes: 16 * 1024,
  maxHeaders: 100,
};

/** A request head that parsed; header names in lower case. */
export interface RequestHead {
  /** As sent (methods are case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** The request target as sent: origin-form (`/a?b`) or absolute-form. */
  readonly target: string;
  /** The minor version of HTTP/1.x: 0 or 1 (1.2 and up read as 1). */
  readonly minorVersion: 0 | 1;
  /** Field names, lower case, in arrival order; parallel to `values`. */
  readonly names: readonly string[];
  /** Field values, without surrounding whitespace. */
  readonly values: readonly string[];
  /** The Host field value; undefined without one (only HTTP/1.0 may). */
  readonly host: string | undefined;
  /** Whether the connection may carry another request after this one. */
  readonly keepAlive: boolean;
  /** Whether the request announces a body (which we never read). */
  readonly hasBody: boolean;
}

/** A head we refuse: answer `status` and close the connection. */
export interface HeadError {
  readonly status: 400 | 431 | 505;
  /** One short line for the response body. */
  readonly message: string;
}

export type HeadParse =
  | { readonly kind: "partial" }
  | {
    readonly kind: "head";
    readonly head: RequestHead;
    /** Bytes of the last chunk that belonged to this head. */
    readonly consumed: number;
  }
  | { readonly kind: "error"; readonly error: HeadError };

const PARTIAL: HeadParse = { kind: "partial" };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads request heads from one connection, one after the other. Call
 * `push` with each chunk read; after a `head` result, push the rest of the
 * chunk (from `consumed` on) for the next pipelined request. After an
 * `error`, every push returns the same error.
 */
export class RequestHeadParser {
  /** Bytes of an incomplete head, kept across chunks (rarely used). */
  private held: Uint8Array | undefined;
  private heldLength = 0;
  /** Bytes of the current line so far, and whether the last one was CR. */
  private lineBytes = 0;
  private lastWasCR = false;
  /** Whether a non-empty line has been seen (blank lines before it skip). */
  private started = false;
  private failed: HeadParse | undefined;

  constructor(private readonly limits: HeadLimits = DEFAULT_HEAD_LIMITS) {}

  /** Bytes held of a head not yet complete (0 between requests). */
  get pending(): number {
    return this.heldLength;
  }

  push(chunk: Uint8Array): HeadParse {
    if (this.failed) return this.failed;
    const end = this.findEnd(chunk);
    if (end < 0) {
      if (this.heldLength + chunk.length > this.limits.maxHeadBytes) {
        return this.fail(tooLarge(this.limits));
      }
      this.hold(chunk);
      return PARTIAL;
    }
    const total = this.heldLength + end;
    if (total > this.limits.maxHeadBytes) {
      return this.fail(tooLarge(this.limits));
    }
    let bytes: Uint8Array;
    if (this.heldLength === 0) bytes = chunk.subarray(0, end);
    else {
      this.hold(chunk.subarray(0, end));
      bytes = this.held!.subarray(0, total);
    }
    this.reset();
    const parsed = parseHead(bytes, this.limits);
    if ("status" in parsed) return this.fail(parsed);
    return { kind: "head", head: parsed, consumed: end };
  }

  /**
   * The index just past the empty line ending the head in `chunk`, or -1;
   * carries the line state over to the next chunk. `indexOf` jumps from LF
   * to LF natively, so a head costs a few calls, not a loop over its bytes.
   */
  private findEnd(chunk: Uint8Array): number {
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      if (lf < 0) {
        this.lineBytes += chunk.length - from;
        this.lastWasCR = chunk[chunk.length - 1] === CR;
        return -1;
      }
      const length = this.lineBytes + (lf - from);
      const crBefore = lf > from ? chunk[lf - 1] === CR : this.lastWasCR;
      const empty = length === 0 || (length === 1 && crBefore);
      this.lineBytes = 0;
      this.lastWasCR = false;
      from = lf + 1;
      if (!empty) this.started = true;
      else if (this.started) return from;
    }
    return -1;
  }

  private hold(bytes: Uint8Array): void {
    const needed = this.heldLength + bytes.length;
    if (!this.held || this.held.length < needed) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.heldLength, 1024));
      if (this.held) grown.set(this.held.subarray(0, this.heldLength));
      this.held = grown;
    }
    this.held.set(bytes, this.heldLength);
    this.heldLength = needed;
  }

  private reset(): void {
    this.heldLength = 0;
    this.lineBytes = 0;
    this.lastWasCR = false;
    this.started = false;
    // A head that needed holding was unusual: let its buffer go.
    this.held = undefined;
  }

  private fail(error: HeadError): HeadParse {
    this.held = undefined;
    this.heldLength = 0;
    return this.failed = { kind: "error", error };
  }
}

function tooLarge(limits: HeadLimits): HeadError {
  return {
    status: 431,
    message: `Request head larger than ${limits.maxHeadBytes} bytes`,
  };
}

function bad(message: string): HeadError {
  return { status: 400, message };
}

// One decoder: latin1 maps every byte to one UTF-16 unit, which is what
// `Headers` (ByteString) expects of field values with obs-text in them.
const latin1 = new TextDecoder("latin1");

/** Parses one complete head (ending in its empty line). */
export function parseHead(
  bytes: Uint8Array,
  limits: HeadLimits = DEFAULT_HEAD_LIMITS,
): RequestHead | HeadError {
  const text = latin1.decode(bytes);
  let at = 0;
  // RFC 9112 §2.2: ignore empty lines before the request line.
  while (text.charCodeAt(at) === CR || text.charCodeAt(at) === LF) {
    if (text.charCodeAt(at) === CR && text.charCodeAt(at + 1) !== LF) {
      return bad("Bare CR in the request head");
    }
    at++;
  }
  let lineEnd = endOfLine(text, at);
  if (lineEnd.error) return lineEnd.error;
  const requestLine = parseRequestLine(text.slice(at, lineEnd.end));
  if ("status" in requestLine) return requestLine;
  at = lineEnd.next;

  const names: string[] = [];
  const values: string[] = [];
  let host: string | undefined;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let connection = "";
  let upgrade: string | undefined;
  for (;;) {
    lineEnd = endOfLine(text, at);
    if (lineEnd.error) return lineEnd.error;
    if (lineEnd.end === at) break; // the empty line
    const c = text.charCodeAt(at);
    if (c === 0x20 || c === 0x09) {
      // RFC 9112 §5.2: obs-fold; we reject rather than unfold.
      return bad("Folded header line (obs-fold)");
    }
    if (names.length === limits.maxHeaders) {
      return {
        status: 431,
        message: `More than ${limits.maxHeaders} header fields`,
      };
    }
    const field = parseField(text, at, lineEnd.end);
    if ("status" in field) return field;
    const { name, value } = field;
    names.push(name);
    values.push(value);
    switch (name) {
      case "host":
        if (host !== undefined) return bad("More than one Host field");
        if (!isHostValue(value)) return bad("Invalid Host field");
        host = value;
        break;
      case "content-length":
        if (!/^[0-9]{1,15}$/.test(value)) {
          return bad("Invalid Content-Length");
        }
        if (contentLength !== undefined && contentLength !== value) {
          return bad("Conflicting Content-Length fields");
        }
        contentLength = value;
        break;
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined
          ? value
          : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection = connection === "" ? value : `${connection}, ${value}`;
        break;
      case "upgrade":
        upgrade = upgrade === undefined ? value : `${upgrade}, ${value}`;
        break;
    }
    at = lineEnd.next;
  }

  const { method, target, minorVersion } = requestLine;
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
  if (host === undefined && minorVersion === 1) {
    return bad("Host field missing");
  }
  let hasBody = contentLength !== undefined && Number(contentLength) > 0;
  if (transferEncoding !== undefined) {
    // RFC 9112 §6.1–§6.3: both framings at once is how requests are
    // smuggled; a coding list not ending in chunked has no known length;
    // HTTP/1.0 has no Transfer-Encoding.
    if (contentLength !== undefined) {
      return bad("Both Transfer-Encoding and Content-Length");
    }
    if (minorVersion === 0) return bad("Transfer-Encoding in HTTP/1.0");
    if (!endsWithChunked(transferEncoding)) {
      return bad("Transfer-Encoding must end with chunked");
    }
    hasBody = true;
  }
  if (hasBody && (method === "GET" || method === "HEAD")) {
    return bad(`A ${method} request must not have a body`);
  }
  const tokens = connection.toLowerCase();
  if (
    minorVersion === 0 && upgrade !== undefined &&
    hasLowerToken(upgrade.toLowerCase(), "websocket")
  ) {
    // RFC 6455 §4.1: the opening handshake is HTTP/1.1 or higher.
    return bad("A WebSocket handshake must be HTTP/1.1");
  }
  // HTTP/1.0 keep-alive is not worth its quirks: one request, then close.
  const keepAlive = minorVersion === 1 && !hasBody &&
    !hasLowerToken(tokens, "close");
  return {
    method,
    target,
    minorVersion,
    names,
    values,
    host,
    keepAlive,
    hasBody,
  };
}

interface LineEnd {
  /** Index of the line's CR or LF. */
  end: number;
  /** Index of the next line. */
  next: number;
  error?: HeadError;
}

function endOfLine(text: string, from: number): LineEnd {
  const lf = text.indexOf("\n", from);
  // The head ends in an empty line, so a line without LF cannot happen;
  // treated as malformed all the same rather than trusted.
  if (lf < 0) return { end: from, next: from, error: bad("Truncated head") };
  // A CR anywhere else (RFC 9112 §2.2: a bare CR must not pass) fails the
  // character checks of the request line, names and values.
  const end = lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
  return { end, next: lf + 1 };
}

interface RequestLine {
  method: string;
  target: string;
  minorVersion: 0 | 1;
}

/** `method SP request-target SP HTTP-version`, single spaces (§3). */
function parseRequestLine(line: string): RequestLine | HeadError {
  const space1 = line.indexOf(" ");
  const space2 = space1 < 0 ? -1 : line.indexOf(" ", space1 + 1);
  if (space1 <= 0 || space2 < 0 || line.indexOf(" ", space2 + 1) >= 0) {
    return bad("Malformed request line");
  }
  const method = line.slice(0, space1);
  const target = line.slice(space1 + 1, space2);
  const version = line.slice(space2 + 1);
  if (!isToken(method)) return bad("Malformed method");
  if (!isTarget(target)) return bad("Malformed request target");
  const match = /^HTTP\/([0-9])\.([0-9])$/.exec(version);
  if (!match) return bad("Malformed HTTP version");
  if (match[1] !== "1") {
    return {
      status: 505,
      message: `HTTP/${match[1]}.${match[2]} is not supported`,
    };
  }
  return { method, target, minorVersion: match[2] === "0" ? 0 : 1 };
}

/**
 * Origin-form (`/path?query`) or absolute-form (`http://host/path`, which
 * RFC 9112 §3.2.2 says servers must accept). No asterisk-form (`OPTIONS *`)
 * or authority-form (`CONNECT`): nothing here serves them. Visible ASCII
 * only, no fragment.
 */
function isTarget(target: string): boolean {
  const first = target.charCodeAt(0);
  if (first !== 0x2f && !/^https?:\/\//i.test(target)) return false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x23) return false; // CTL, SP, #
  }
  return true;
}

interface Field {
  name: string;
  value: string;
}

/** `field-name ":" OWS field-value OWS` (RFC 9112 §5). */
function parseField(
  text: string,
  start: number,
  end: number,
): Field | HeadError {
  const colon = text.indexOf(":", start);
  if (colon < 0 || colon >= end) return bad("Header line without a colon");
  if (colon === start) return bad("Empty header name");
  for (let i = start; i < colon; i++) {
    // Includes whitespace before the colon, which §5.1 says must be a 400.
    if (!isTokenChar(text.charCodeAt(i))) return bad("Invalid header name");
  }
  let from = colon + 1;
  let to = end;
  while (from < to && isOws(text.charCodeAt(from))) from++;
  while (to > from && isOws(text.charCodeAt(to - 1))) to--;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // field-vchar / SP / HTAB; obs-text (0x80–0xFF) is allowed.
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      return bad("Invalid character in a header value");
    }
  }
  return {
    name: text.slice(start, colon).toLowerCase(),
    value: text.slice(from, to),
  };
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false;
  }
  return true;
}

/** RFC 9110 §5.6.2 `tchar`. */
function isTokenChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) || c === 0x21 || c === 0x23 || c === 0x24 ||
    c === 0x25 || c === 0x26 || c === 0x27 || c === 0x2a || c === 0x2b ||
    c === 0x2d || c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 ||
    c === 0x7c || c === 0x7e;
}

/**
 * `uri-host [":" port]` (RFC 9110 §7.2): a reg-name or IPv4 (unreserved,
 * sub-delims, pct-encoded) or an IP literal in brackets. Empty is allowed
 * by the grammar; the URL is then built on our own address.
 */
function isHostValue(value: string): boolean {
  return /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]{0,5})?$/
    .test(value);
}

function endsWithChunked(codings: string): boolean {
  const last = codings.slice(codings.lastIndexOf(",") + 1);
  return last.trim().toLowerCase() === "chunked";
}

/** Whether a lower-cased comma-separated list contains `token`. */
function hasLowerToken(list: string, token: string): boolean {
  if (list === token) return true;
  return list.split(",").some((part) => part.trim() === token);
}
