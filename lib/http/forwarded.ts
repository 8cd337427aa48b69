/**
 * Who the client is behind trusted proxies (`--trust-proxy`): the address
 * a request came from, taken from `X-Forwarded-For` or `Forwarded`
 * (RFC 7239) when, and only when, the TCP peer is a trusted proxy.
 *
 * The rule is the right-most untrusted address, as nginx's
 * `real_ip_recursive on` and most frameworks do: each proxy appends the
 * address it received the request from, so the list reads client, proxy 1,
 * proxy 2, ... and only the entries appended by proxies we trust are
 * facts; anything to their left was written by whoever connected to the
 * first of them, and a client can write what it likes there. So the list
 * is walked from the right, past trusted proxies, and the first address
 * that is not one is the client. (The left-most entry, which some servers
 * take, is the client's own claim: anyone could forge it.)
 */
import { type AddressMatcher, formatIp, parseIp } from "./cidr.ts";

/** What is read of a request's headers; a `Headers` is one. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * The hops a request went through as the proxies recorded them, left
 * (first) to right (last): `X-Forwarded-For` when the request has one,
 * else the `for=` of each `Forwarded` element. An entry that names no
 * address (`unknown`, an obfuscated `_name`, garbage) is undefined.
 * Undefined when neither header is there.
 *
 * `X-Forwarded-For` comes first because it is what nginx, HAProxy
 * (`option forwardfor`) and Caddy set, and they pass a client's own
 * `Forwarded` on untouched: preferring `Forwarded` would let a client
 * behind them forge its address. A proxy that sets only `Forwarded` must
 * therefore remove `X-Forwarded-For` from incoming requests.
 */
export function forwardedHops(
  headers: HeaderReader,
): (Uint8Array | undefined)[] | undefined {
  const xff = headers.get("x-forwarded-for");
  if (xff !== null) return xff.split(",").map((entry) => hopAddress(entry));
  const forwarded = headers.get("forwarded");
  if (forwarded !== null) {
    return splitOutsideQuotes(forwarded, ",").map((element) =>
      hopAddress(forwardedFor(element) ?? "")
    );
  }
  return undefined;
}

/**
 * The client's address behind the trusted proxies, for a request from
 * `peer` (the TCP peer's address, without port). Undefined when the peer
 * is not trusted (its headers are then ignored) or the request says
 * nothing we can use (no header, or an entry we cannot read right after
 * the trusted hops): the peer is then the client.
 */
export function forwardedClient(
  peer: string,
  headers: HeaderReader,
  trusted: AddressMatcher,
): string | undefined {
  if (!trusted.matches(peer)) return undefined;
  const hops = forwardedHops(headers);
  if (!hops) return undefined;
  let client: Uint8Array | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    // Past something unreadable we know nothing: keep the last address
    // a trusted proxy vouched for.
    if (hop === undefined) break;
    client = hop;
    if (!trusted.matchesBytes(hop)) break;
  }
  // Every hop trusted: the left-most is as far as the chain goes.
  return client && formatIp(client);
}

/**
 * The address in one list entry: `203.0.113.7`, `2001:db8::1`, and with
 * a port `203.0.113.7:4711` or `[2001:db8::1]:4711` (RFC 7239 node syntax,
 * quotes already removed; some proxies write X-Forwarded-For that way).
 */
function hopAddress(entry: string): Uint8Array | undefined {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.indexOf(":"));
  return parseIp(text);
}

/** The value of `for=` in one `Forwarded` element, unquoted. */
function forwardedFor(element: string): string | undefined {
  for (const pair of splitOutsideQuotes(element, ";")) {
    const equals = pair.indexOf("=");
    if (equals < 0) continue;
    if (pair.slice(0, equals).trim().toLowerCase() !== "for") continue;
    const value = pair.slice(equals + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length > 1
      ? value.slice(1, -1).replace(/\\(.)/g, "$1")
      : value;
  }
  return undefined;
}

/** `text` split at `separator`, except inside a quoted string. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false, start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === "\\") i++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
