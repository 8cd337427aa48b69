/**
 * The HTTP side of one wsecho connection: a parsed request head becomes a
 * `Request` for the same handler Deno.serve runs (lib/http/routes.ts), and
 * the handler's answer becomes bytes to write: a response, or the 101 of
 * an accepted upgrade with what the connection needs to switch to frames.
 */
import type { HandshakeInfo } from "../../core/hub.ts";
import { handshakeInfo } from "../../http/handshake_info.ts";
import type { HttpHandler, PeerAddress, Upgrade } from "../../http/routes.ts";
import { requestOf, viewOf } from "../../http/request_view.ts";
import type { RequestHead } from "../../protocol/http1/request_parser.ts";
import {
  errorBytes,
  responseBytes,
  switchingProtocols,
} from "../../protocol/http1/response_writer.ts";
import {
  DEFAULT_DEFLATE_CONFIG,
  type DeflateParams,
  negotiatePermessageDeflate,
} from "../../protocol/deflate_negotiation.ts";

/** What to do after a request. */
export type Answer =
  | {
    readonly kind: "response";
    readonly bytes: Uint8Array;
    /** Close the connection once written. */
    readonly close: boolean;
  }
  | {
    readonly kind: "upgrade";
    /** The 101. */
    readonly bytes: Uint8Array;
    /** permessage-deflate as agreed, or undefined. */
    readonly deflate: DeflateParams | undefined;
    /** The client a trusted proxy named (`--trust-proxy`), or undefined. */
    readonly client: string | undefined;
    /** What the request said, with `--debug` only (the connect line). */
    readonly handshake?: HandshakeInfo;
  };

export interface HttpSideOptions {
  readonly handle: HttpHandler;
  readonly tls: boolean;
  /** Our address, for URLs of requests without a Host. */
  readonly localHost: string;
  readonly permessageDeflate: boolean;
  /** `--debug`: keep what each handshake said for its connect line. */
  readonly debug?: boolean;
}

/** Answers one request head; never throws. */
export async function answer(
  head: RequestHead,
  options: HttpSideOptions,
  peer: PeerAddress,
): Promise<Answer> {
  // A GET (every handshake) gets the cheap view over the parsed head; it
  // answers every read the handler and the gate make (method, url,
  // headers) as the Request does (tests/unit/request_view_test.ts). Other
  // methods keep the Request's rules: those it cannot carry are a 405.
  // Measured: see docs/engine.md (Speed, handshakes).
  const request = head.method === "GET"
    ? viewOf(head, options.localHost, options.tls)
    : requestOf(head, options.localHost, options.tls);
  if ("status" in request) {
    return {
      kind: "response",
      bytes: errorBytes(request.status, request.message, request.headers),
      close: true,
    };
  }
  let accepted:
    | {
      bytes: Uint8Array;
      deflate?: DeflateParams;
      client?: string;
      handshake?: HandshakeInfo;
    }
    | undefined;
  const upgrade: Upgrade = ({ protocol }, client) => {
    // The gate has checked the handshake (method, Upgrade, Connection,
    // key, version) before calling this.
    const key = request.headers.get("sec-websocket-key")!.trim();
    const negotiation = options.permessageDeflate
      ? negotiatePermessageDeflate(
        request.headers.get("sec-websocket-extensions"),
        DEFAULT_DEFLATE_CONFIG,
      )
      : undefined;
    const deflate = negotiation?.accepted ?? undefined;
    accepted = {
      bytes: switchingProtocols(key, {
        protocol,
        extensions: negotiation?.accepted ? negotiation.response : undefined,
      }),
      deflate,
      client,
      handshake: options.debug ? handshakeInfo(request, protocol) : undefined,
    };
    return undefined; // We write the 101 ourselves.
  };
  let response: Response | undefined;
  try {
    response = options.handle(request, upgrade, peer);
  } catch {
    response = undefined;
  }
  if (accepted !== undefined && response === undefined) {
    return {
      kind: "upgrade",
      bytes: accepted.bytes,
      deflate: accepted.deflate,
      client: accepted.client,
      handshake: accepted.handshake,
    };
  }
  if (response === undefined) {
    return {
      kind: "response",
      bytes: errorBytes(500, "Internal Server Error"),
      close: true,
    };
  }
  // A refused upgrade ends the connection: the client wanted a WebSocket,
  // not another request on this one.
  const close = !head.keepAlive || request.headers.has("upgrade");
  try {
    const bytes = await responseBytes(response, {
      head: head.method === "HEAD",
      close,
    });
    return { kind: "response", bytes, close };
  } catch {
    return {
      kind: "response",
      bytes: errorBytes(500, "Internal Server Error"),
      close: true,
    };
  }
}
