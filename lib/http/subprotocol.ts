/**
 * `--protocol`: subprotocol negotiation (RFC 6455 §4.2.2 /subprotocol/). The
 * answer is the first protocol in the client's order that we support, so
 * the client's preference wins; it is always one the client offered, and
 * without a match there is no `Sec-WebSocket-Protocol` in the response.
 */
import { headerTokens } from "./header_tokens.ts";

// RFC 7230 `token`, which RFC 6455 §4.1 requires of subprotocol names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `name` may be used as a subprotocol name. */
export function isProtocolName(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * The protocol to answer with, compared case-sensitively as RFC 6455
 * §11.3.4 registers them; `undefined` for none.
 */
export function chooseProtocol(
  offerHeader: string | null,
  supported: readonly string[],
): string | undefined {
  if (supported.length === 0 || offerHeader === null) return undefined;
  return headerTokens(offerHeader).find((name) => supported.includes(name));
}
