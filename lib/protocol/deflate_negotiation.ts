/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1), server side: parse a
 * `Sec-WebSocket-Extensions` request header, pick the first acceptable
 * permessage-deflate offer and write the response header value. Pure: no
 * sockets, no runtime APIs.
 *
 * Invalid offers (unknown or repeated parameter, bad value) are declined,
 * not fatal (§7.1: "a server MUST decline an extension negotiation offer");
 * the next offer is tried. A header that does not parse at all is reported
 * as malformed so that the caller can choose between a 400 and serving
 * uncompressed.
 */

/** The LZ77 window sizes RFC 7692 §7.1.2 allows on the wire. */
export const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;
/**
 * The smallest window node:zlib can compress with. zlib rejects a raw
 * deflate window of 8 bits (deflateInit2, "until 256-byte window bug
 * fixed"); node:zlib on Deno 2.9, Bun 1.4 and Node does not fail but
 * silently compresses with 9 bits (measured: `deflateRawSync` output with
 * `windowBits: 8` is byte for byte the output with 9). A 9-bit window can
 * emit distances a client with a 256-byte window cannot resolve, so an
 * offer of `server_max_window_bits=8` is declined.
 */
export const MIN_ZLIB_DEFLATE_WINDOW_BITS = 9;

/** What the server is willing to agree to. */
export interface DeflateConfig {
  /**
   * Always answer `server_no_context_takeover`: the server's compressor
   * keeps no state between messages (no ~260 KiB deflate state held per
   * idle connection, at some cost in ratio and CPU).
   */
  serverNoContextTakeover: boolean;
  /**
   * Always answer `client_no_context_takeover`: the client resets its
   * compressor per message, so the server's inflater keeps no window
   * between messages. (The response repeats it anyway when the client
   * offered it: that client has promised it already, RFC 7692 §7.1.1.2.)
   */
  clientNoContextTakeover: boolean;
  /**
   * The largest window the server compresses with, 9–15. Below 15 it is
   * used silently unless the client offered `server_max_window_bits`
   * (always decodable: the client's window is at least 15 bits then).
   */
  serverMaxWindowBits: number;
  /**
   * The largest window asked of the client, 8–15, when its offer has
   * `client_max_window_bits` (§7.1.2.2 forbids it otherwise; such an offer
   * is still accepted, with a 15-bit inflater). 15 asks nothing.
   */
  clientMaxWindowBits: number;
}

/**
 * Defaults as websockets/ws has them: context takeover both ways and
 * 15-bit windows, the best ratio, at the memory cost measured in
 * deflate_codec.ts.
 */
export const DEFAULT_DEFLATE_CONFIG: Readonly<DeflateConfig> = Object.freeze({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: MAX_WINDOW_BITS,
  clientMaxWindowBits: MAX_WINDOW_BITS,
});

/** The parameters both ends agreed to: what the codec is built from. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** The window the server compresses with, 9–15. */
  serverMaxWindowBits: number;
  /** The largest window the client may compress with, 8–15. */
  clientMaxWindowBits: number;
}

/** One extension of the header: its name and its parameters in order. */
export interface ExtensionOffer {
  name: string;
  /** `true` for a parameter without value. */
  params: Array<[name: string, value: string | true]>;
}

export type Negotiation =
  | { accepted: DeflateParams; response: string }
  | {
    accepted: null;
    reason: "not offered" | "no acceptable offer" | "malformed header";
  };

/** The extension token, case-insensitively (RFC 7692 §5). */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/**
 * Chooses permessage-deflate for a handshake: `header` is the request's
 * `Sec-WebSocket-Extensions` value (several header lines joined with ", "),
 * or null when absent. On success `response` is the value for the
 * response's `Sec-WebSocket-Extensions`.
 */
export function negotiatePermessageDeflate(
  header: string | null | undefined,
  config: Readonly<DeflateConfig> = DEFAULT_DEFLATE_CONFIG,
): Negotiation {
  if (header === null || header === undefined) {
    return { accepted: null, reason: "not offered" };
  }
  const offers = parseExtensionsHeader(header);
  if (offers === null) return { accepted: null, reason: "malformed header" };
  let offered = false;
  for (const offer of offers) {
    if (offer.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    offered = true;
    const accepted = acceptOffer(offer, config);
    if (accepted !== null) return accepted;
  }
  return {
    accepted: null,
    reason: offered ? "no acceptable offer" : "not offered",
  };
}

/** The offer's parameters, validated per §7.1; null when invalid. */
interface OfferParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: offered without a value. */
  clientMaxWindowBits: number | true | undefined;
}

function readOfferParams(offer: ExtensionOffer): OfferParams | null {
  const seen = new Set<string>();
  const result: OfferParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [rawName, value] of offer.params) {
    const name = rawName.toLowerCase();
    if (seen.has(name)) return null; // §7.1: the same parameter twice
    seen.add(name);
    switch (name) {
      case "server_no_context_takeover":
        if (value !== true) return null;
        result.serverNoContextTakeover = true;
        break;
      case "client_no_context_takeover":
        if (value !== true) return null;
        result.clientNoContextTakeover = true;
        break;
      case "server_max_window_bits": {
        const bits = value === true ? null : parseWindowBits(value);
        if (bits === null) return null;
        result.serverMaxWindowBits = bits;
        break;
      }
      case "client_max_window_bits": {
        if (value === true) {
          result.clientMaxWindowBits = true;
          break;
        }
        const bits = parseWindowBits(value);
        if (bits === null) return null;
        result.clientMaxWindowBits = bits;
        break;
      }
      default:
        return null; // §7.1: an unknown parameter
    }
  }
  return result;
}

/** §7.1.2: 1*DIGIT without leading zero, 8–15. */
function parseWindowBits(value: string): number | null {
  if (!/^[1-9][0-9]?$/.test(value)) return null;
  const bits = Number(value);
  return bits >= MIN_WINDOW_BITS && bits <= MAX_WINDOW_BITS ? bits : null;
}

function acceptOffer(
  offer: ExtensionOffer,
  config: Readonly<DeflateConfig>,
): Negotiation | null {
  const params = readOfferParams(offer);
  if (params === null) return null;
  if (
    params.serverMaxWindowBits !== undefined &&
    params.serverMaxWindowBits < MIN_ZLIB_DEFLATE_WINDOW_BITS
  ) {
    return null; // see MIN_ZLIB_DEFLATE_WINDOW_BITS
  }
  const configServerBits = clampBits(
    config.serverMaxWindowBits,
    MIN_ZLIB_DEFLATE_WINDOW_BITS,
  );
  const serverMaxWindowBits = Math.min(
    configServerBits,
    params.serverMaxWindowBits ?? MAX_WINDOW_BITS,
  );
  const configClientBits = clampBits(
    config.clientMaxWindowBits,
    MIN_WINDOW_BITS,
  );
  let clientMaxWindowBits = MAX_WINDOW_BITS;
  let answerClientBits = false;
  if (params.clientMaxWindowBits !== undefined) {
    const offered = params.clientMaxWindowBits === true
      ? MAX_WINDOW_BITS
      : params.clientMaxWindowBits;
    // The client's own value is a hint the server may ignore (§7.1.2.2);
    // answering it lets the inflater allocate no more than it needs.
    clientMaxWindowBits = Math.min(offered, configClientBits);
    answerClientBits = clientMaxWindowBits < MAX_WINDOW_BITS;
  }
  const accepted: DeflateParams = {
    serverNoContextTakeover: params.serverNoContextTakeover ||
      config.serverNoContextTakeover,
    clientNoContextTakeover: params.clientNoContextTakeover ||
      config.clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
  };
  const parts = [PERMESSAGE_DEFLATE];
  if (accepted.serverNoContextTakeover) {
    parts.push("server_no_context_takeover");
  }
  if (accepted.clientNoContextTakeover) {
    parts.push("client_no_context_takeover");
  }
  // Only in answer to an offer that has it: a smaller window than the
  // client allows is decodable anyway, and some clients reject a
  // parameter they did not offer.
  if (params.serverMaxWindowBits !== undefined) {
    parts.push(`server_max_window_bits=${serverMaxWindowBits}`);
  }
  if (answerClientBits) {
    parts.push(`client_max_window_bits=${clientMaxWindowBits}`);
  }
  return { accepted, response: parts.join("; ") };
}

function clampBits(bits: number, min: number): number {
  if (!Number.isInteger(bits)) return MAX_WINDOW_BITS;
  return Math.max(min, Math.min(MAX_WINDOW_BITS, bits));
}

// --- The header grammar (RFC 6455 §9.1, RFC 7230 §3.2.6 and §7) ---

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses `Sec-WebSocket-Extensions`:
 *
 *     extension-list = 1#extension
 *     extension      = token *( OWS ";" OWS token [ "=" ( token / quoted-string ) ] )
 *
 * with optional whitespace around the separators and empty list elements
 * skipped (RFC 7230 §7). A quoted value is unquoted (RFC 6455 §9.1 says it
 * must then be a token; the parameter checks reject anything else).
 * Returns null when the header does not follow the grammar.
 */
export function parseExtensionsHeader(header: string): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TCHAR.test(header[i])) i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string | null => {
    i++; // the opening quote
    let value = "";
    while (i < n) {
      const c = header[i++];
      if (c === '"') return value;
      if (c === "\\") {
        if (i >= n) return null;
        value += header[i++];
      } else {
        value += c;
      }
    }
    return null; // unterminated
  };
  while (true) {
    skipSpace();
    if (i >= n) break;
    if (header[i] === ",") { // an empty element
      i++;
      continue;
    }
    const name = readToken();
    if (name === "") return null;
    const offer: ExtensionOffer = { name, params: [] };
    skipSpace();
    while (i < n && header[i] === ";") {
      i++;
      skipSpace();
      const param = readToken();
      if (param === "") return null;
      skipSpace();
      let value: string | true = true;
      if (i < n && header[i] === "=") {
        i++;
        skipSpace();
        if (header[i] === '"') {
          const quoted = readQuoted();
          if (quoted === null) return null;
          value = quoted;
        } else {
          value = readToken();
          if (value === "") return null;
        }
        skipSpace();
      }
      offer.params.push([param, value]);
    }
    offers.push(offer);
    if (i >= n) break;
    if (header[i] !== ",") return null;
    i++;
  }
  return offers;
}
