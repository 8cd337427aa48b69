/**
 * A parsed request head as what the runtime-agnostic handler takes, so
 * that our own engine serves the page, `/healthz`, `/metrics` and upgrades
 * through the same code as `Deno.serve` and `Bun.serve`.
 *
 * Two ways: `requestOf` builds a real `Request`, and `viewOf` a
 * `RequestView`, the part of `Request` the handler and the upgrade gate
 * read (method, url, headers.get/has), over the parsed arrays. Measured on
 * Deno 2.9.6 (`deno bench`, a 5-field handshake, then the gate's five
 * header reads): `new Request` with its `Headers` ~4–6 µs, the view
 * ~0.1–0.5 µs. A bare-Deno handshake cycle costs ~47 µs of server CPU
 * (17k handshakes/s at 80 % CPU in bench/results), so the `Request` alone
 * would be a tenth of it.
 */
import type { RequestHead } from "../protocol/http1/request_parser.ts";

/**
 * What the HTTP handler reads of a request; a `Request` is one. Header
 * names are matched without regard to case, repeated fields joined with
 * ", ", as `Headers` does.
 */
export interface RequestView {
  readonly method: string;
  readonly url: string;
  readonly headers: {
    get(name: string): string | null;
    has(name: string): boolean;
  };
}

/** Header look-ups over the parser's arrays: a handshake has ~5–15. */
class HeadFields {
  constructor(
    private readonly names: readonly string[],
    private readonly values: readonly string[],
  ) {}

  get(name: string): string | null {
    const wanted = name.toLowerCase();
    let value: string | null = null;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] !== wanted) continue;
      value = value === null ? this.values[i] : `${value}, ${this.values[i]}`;
    }
    return value;
  }

  has(name: string): boolean {
    return this.names.includes(name.toLowerCase());
  }
}

class HeadView implements RequestView {
  readonly method: string;
  readonly headers: HeadFields;
  constructor(head: RequestHead, readonly url: string) {
    this.method = head.method;
    this.headers = new HeadFields(head.names, head.values);
  }
}

/**
 * The `RequestView` of `head`, with `url` as `requestOf` makes it; the
 * method stays as sent (so `get` is not GET and TRACE is just another
 * method to refuse). Never throws: a Host no URL can hold is a 400.
 */
export function viewOf(
  head: RequestHead,
  authority: string,
  secure: boolean,
): RequestView | RequestProblem {
  const url = urlOf(head, authority, secure);
  if (url === undefined) return { status: 400, message: "Invalid Host" };
  return new HeadView(head, url);
}

/** Why a parsed head cannot become a `Request`; answer and close. */
export interface RequestProblem {
  readonly status: 400 | 405;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Methods a `Request` cannot carry: the Fetch standard forbids CONNECT,
 * TRACE and TRACK (the constructor throws), and upper-cases DELETE, GET,
 * HEAD, OPTIONS, POST and PUT whatever their case, though methods are
 * case-sensitive (RFC 9110 §9.1): `get` is not GET. None has a route, so
 * each gets the 405 the handler gives any method but GET and HEAD.
 */
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

function representable(method: string): boolean {
  const upper = method.toUpperCase();
  if (FORBIDDEN.has(upper)) return false;
  return upper === method || !NORMALIZED.has(upper);
}

/**
 * The `Request` for `head`. `authority` (`host:port` we listen on) stands
 * in when an HTTP/1.0 request has no Host; `secure` picks `https:` for TLS.
 * Never throws: a Host the URL parser refuses is a 400.
 */
export function requestOf(
  head: RequestHead,
  authority: string,
  secure: boolean,
): Request | RequestProblem {
  if (!representable(head.method)) {
    return {
      status: 405,
      message: "Method Not Allowed",
      headers: { allow: "GET, HEAD" },
    };
  }
  const url = urlOf(head, authority, secure);
  if (url === undefined) return { status: 400, message: "Invalid Host" };
  const headers: [string, string][] = new Array(head.names.length);
  for (let i = 0; i < headers.length; i++) {
    headers[i] = [head.names[i], head.values[i]];
  }
  try {
    return new Request(url, { method: head.method, headers });
  } catch (error) {
    // Not expected after the parser's checks; a 400 rather than a crash.
    const reason = error instanceof Error ? error.message : String(error);
    return { status: 400, message: `Malformed request: ${reason}` };
  }
}

/**
 * `scheme://host/target`; the absolute-form's own authority wins over
 * Host (RFC 9112 §3.2.2). `undefined` when the result is not a URL.
 */
function urlOf(
  head: RequestHead,
  authority: string,
  secure: boolean,
): string | undefined {
  const text = head.target.charCodeAt(0) === 0x2f
    ? `${secure ? "https" : "http"}://${head.host || authority}${head.target}`
    : head.target;
  return URL.canParse(text) ? text : undefined;
}
