/**
 * RFC 6455 §4.2.1 checks of an opening handshake, done by us before the
 * runtime sees the request, because both runtimes are lax (measured with raw
 * requests over TCP, Deno 2.9.6 and Bun 1.4.5):
 *
 * - Deno's `upgradeWebSocket` answers 101 to `Sec-WebSocket-Version: 12`, to
 *   no version at all, and to keys that do not decode to 16 bytes;
 * - Bun's `server.upgrade` answers 101 when `Connection` lacks the `upgrade`
 *   token (e.g. `Connection: keep-alive`).
 *
 * Only requests carrying `Upgrade: websocket` get here; a plain GET still
 * gets the page.
 */
import type { RequestView } from "./request_view.ts";
import { hasToken } from "./header_tokens.ts";

/** The one protocol version RFC 6455 defines. */
export const WEBSOCKET_VERSION = "13";

/** Why a handshake is refused before the runtime is asked to upgrade. */
export interface HandshakeProblem {
  /** 400 for a malformed request, 426 for a version we do not speak. */
  readonly status: 400 | 426;
  /** A short reason for the response body. */
  readonly message: string;
}

/**
 * Whether `key` is 16 bytes in base64: 24 characters, the last two of them
 * `=` padding. A loop rather than `/^[A-Za-z0-9+/]{22}==$/`: on Deno 2.9
 * the regular expression took ~130 ns a handshake, the loop ~35 ns.
 */
function isKeyOf16Bytes(key: string): boolean {
  if (key.length !== 24 || !key.endsWith("==")) return false;
  for (let i = 0; i < 22; i++) {
    if (!isBase64Char(key.charCodeAt(i))) return false;
  }
  return true;
}

function isBase64Char(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2b || c === 0x2f; // + /
}

/** `undefined` when the request is a well-formed RFC 6455 handshake. */
export function checkHandshake(
  request: RequestView,
): HandshakeProblem | undefined {
  const { headers } = request;
  if (request.method !== "GET") {
    return badRequest(`the handshake must be a GET, not ${request.method}`);
  }
  if (!hasToken(headers.get("upgrade"), "websocket")) {
    return badRequest("Upgrade must be 'websocket'");
  }
  if (!hasToken(headers.get("connection"), "upgrade")) {
    return badRequest("Connection must contain 'upgrade'");
  }
  // A repeated header arrives joined with ", " and so fails as it should.
  const key = headers.get("sec-websocket-key");
  if (key === null) return badRequest("Sec-WebSocket-Key is missing");
  if (!isKeyOf16Bytes(key.trim())) {
    return badRequest("Sec-WebSocket-Key must be 16 bytes in base64");
  }
  if (headers.get("sec-websocket-version")?.trim() !== WEBSOCKET_VERSION) {
    return {
      status: 426,
      message: `Sec-WebSocket-Version must be ${WEBSOCKET_VERSION}`,
    };
  }
  return undefined;
}

function badRequest(message: string): HandshakeProblem {
  return { status: 400, message };
}
